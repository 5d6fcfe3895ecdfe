import type { KafkaMessage } from 'kafkajs';
import type { PartitionSession, RecordItem } from './work.js';
import type { PartitionProgress } from './progress.js';

/**
 * The records of one fetched batch as work items: each completes (or abandons) its offset in its
 * partition's progress and counts the batch down, so the batch handler knows when it is done.
 */
/**
 * Counts a batch's records down twice: to processed (each ran and handed its effects to the
 * effect writer, or settled) and to done (complete or abandoned: effects durable or given up).
 */
export class BatchCompletion {
  #open: number;
  #unprocessed: number;
  #waiters: (() => void)[] = [];
  #processedWaiters: (() => void)[] = [];

  constructor(count: number) {
    this.#open = count;
    this.#unprocessed = count;
  }

  /** One record ran; its effects are being written. */
  processed(): void {
    this.#unprocessed -= 1;
    if (this.#unprocessed !== 0) return;
    const waiters = this.#processedWaiters;
    this.#processedWaiters = [];
    for (const wake of waiters) wake();
  }

  /** One record is done; `processed` says whether it was counted as processed already. */
  settle(processed: boolean): void {
    if (!processed) this.processed();
    this.#open -= 1;
    if (this.#open !== 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  whenDone(): Promise<void> {
    if (this.#open <= 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Every record ran (its effects may still be being written). */
  whenProcessed(): Promise<void> {
    if (this.#unprocessed <= 0) return Promise.resolve();
    return new Promise((resolve) => this.#processedWaiters.push(resolve));
  }
}

/** A record of a batch in an actor's mailbox; completes (or abandons) its offset in the partition's progress. */
export class BatchRecord implements RecordItem {
  readonly kind = 'record' as const;
  readonly tag: string;
  readonly key: string;
  readonly session: PartitionSession;
  readonly message: KafkaMessage;
  readonly #progress: PartitionProgress;
  readonly #offset: number;
  readonly #completion: BatchCompletion;
  #settled = false;
  #processed = false;

  constructor(session: PartitionSession, message: KafkaMessage, progress: PartitionProgress, offset: number, completion: BatchCompletion) {
    this.session = session;
    this.tag = session.tag;
    this.message = message;
    this.key = message.key === null ? '' : message.key.toString('utf8');
    this.#progress = progress;
    this.#offset = offset;
    this.#completion = completion;
  }

  complete(): void {
    this.#progress.complete(this.#offset);
    this.#settle();
  }

  abandon(): void {
    this.#progress.abandon(this.#offset);
    this.#settle();
  }

  processed(): void {
    if (this.#processed || this.#settled) return;
    this.#processed = true;
    this.#completion.processed();
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#completion.settle(this.#processed);
  }
}

export function splitTag(tag: string): [string, number] {
  const at = tag.lastIndexOf('|');
  return [tag.slice(0, at), Number(tag.slice(at + 1))];
}
