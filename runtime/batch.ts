import type { KafkaMessage } from 'kafkajs';
import type { PartitionSession, RecordItem } from './work.js';
import type { PartitionProgress } from './progress.js';

/**
 * The records of one fetched batch as work items: each completes (or abandons) its offset in its
 * partition's progress and counts the batch down, so the batch handler knows when it is done.
 */
/** Counts a batch's records down to done (complete or abandoned). */
export class BatchCompletion {
  #open: number;
  #waiters: (() => void)[] = [];

  constructor(count: number) {
    this.#open = count;
  }

  settle(): void {
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

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#completion.settle();
  }
}

export function splitTag(tag: string): [string, number] {
  const at = tag.lastIndexOf('|');
  return [tag.slice(0, at), Number(tag.slice(at + 1))];
}
