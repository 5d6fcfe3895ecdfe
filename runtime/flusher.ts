import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/index.js';
import { EffectRefusedError, WorkAbandonedError } from './errors.js';
import { fencedItems, produceInRequests, writeCycle, type EffectTicket, type FlusherHooks, type FlushItem, type MessageSender, type OutboundMessage, type ProducedStats } from './flush-io.js';
import type { MongoSink } from './sink.js';
import { bucketUpdates, exceptWritten, type TimerIndexChange } from './timers.js';
import { backoffDelay, classifyFailure, errorCode, safeErrorText, type BackoffPolicy } from './supervision.js';

export { bucketUpdates, exceptWritten };
export { recordSize } from './flush-io.js';
export type { CyclePhases, EffectTicket, FlusherHooks, FlushItem, MessageSender, OutboundMessage } from './flush-io.js';
export type { TimerIndexChange };

interface Pending {
  readonly item: FlushItem;
  readonly ticket: EffectTicket;
  /** Its number in submission order (`Flusher.submitted`, `barrier(through)`). */
  readonly seq: number;
}

/** A `barrier(through)` or `produced(through)` waiting for the items numbered up to `through`. */
interface BarrierWaiter {
  readonly through: number;
  readonly resolve: () => void;
}

/** A batch whose messages are acknowledged, waiting for (or in) a MongoDB cycle. */
interface Produced {
  /** Its items still to be written (those fenced or refused while producing are failed already). */
  readonly kept: readonly Pending[];
  /** The number of the batch's last item (its failed items settle with it). */
  readonly through: number;
  /** How many items the batch took (counted in `#ahead` until it settles). */
  readonly size: number;
  readonly messages: number;
  /** performance.now() when its produce started and when it was acknowledged. */
  readonly started: number;
  readonly acked: number;
}

/** A ticket that settles a promise (`submit`). */
class PromiseTicket implements EffectTicket {
  readonly durable: () => void;
  readonly failed: (error: unknown) => void;

  constructor(resolve: () => void, reject: (error: unknown) => void) {
    this.durable = resolve;
    this.failed = reject;
  }
}

function wake(waiters: BarrierWaiter[], through: number): BarrierWaiter[] {
  if (waiters.length === 0) return waiters;
  const waiting: BarrierWaiter[] = [];
  for (const waiter of waiters) {
    if (waiter.through <= through) waiter.resolve();
    else waiting.push(waiter);
  }
  return waiting;
}

/**
 * Group commit of effects, in two stages that run side by side:
 *   - **produce**: what is pending is taken as a batch and its messages produced (acks = all), at
 *     most two batches in flight, in submission order;
 *   - **write**: once acknowledged, batches queue for MongoDB; a write cycle takes the batches
 *     queued (up to a quarter of `maxAhead` items) and writes (1) views and timer-index lower
 *     bounds, (2) state documents (at most one per key: the latest) — the per-key durability
 *     marker, (3) the exact timer-index entries (flush-io.ts).
 * So a record's messages reach Kafka as soon as it ran, while MongoDB, when it is the slower of the
 * two, writes what piled up in larger cycles (a key changed several times is written once). At
 * most `maxAhead` items are produced and not yet written; then producing waits for a write cycle.
 * Messages are at-least-once either way (a cycle that fails is retried; a crash replays the
 * records after the durable prefix, whose messages come out again with the same keys).
 *
 * Nothing is durable — and so no offset advances — before its write cycle succeeded; cycles settle
 * in submission order, so one key's effects land in the order its records were processed. A
 * failing produce or write is retried with back-off (every write is idempotent) until it succeeds
 * or the flusher closes.
 */
export class Flusher {
  readonly #sender: MessageSender;
  readonly #sink: MongoSink;
  readonly #policy: BackoffPolicy;
  readonly #logger: Logger;
  readonly #hooks: FlusherHooks;
  readonly #maxProduceBytes: number;
  readonly #maxAhead: number;
  /** Items a produce batch and a write cycle take at most (a quarter of `maxAhead`). */
  readonly #maxCycle: number;
  readonly #recordLimit: ((topic: string) => number) | null;
  #pending: Pending[] = [];
  #producing: Promise<void> | null = null;
  #queue: Produced[] = [];
  #writing: Promise<void> | null = null;
  #closed = false;
  /** The number of the last item submitted. */
  #seq = 0;
  /** Every item numbered up to this one is produced (and queued for writing) or failed. */
  #producedThrough = 0;
  /** Every item numbered up to this one is written or failed (cycles settle in submission order). */
  #settled = 0;
  /** Items taken for producing and not yet settled. */
  #ahead = 0;
  #waiters: BarrierWaiter[] = [];
  #producedWaiters: BarrierWaiter[] = [];
  /** Woken at the end of every write cycle (a producer waiting for room under `maxAhead`). */
  #cycleWaiters: (() => void)[] = [];

  /**
   * `recordLimit`: the largest record batch a topic (prefixed name) accepts; a request never puts
   * more than that of one topic together (a partition's batch stays under the topic's limit).
   * `maxAhead`: items produced but not yet written beyond which producing waits.
   */
  constructor(options: { sender: MessageSender; sink: MongoSink; retry: BackoffPolicy; logger: Logger; hooks?: FlusherHooks; maxProduceBytes?: number; recordLimit?: (topic: string) => number; maxAhead?: number }) {
    this.#maxProduceBytes = options.maxProduceBytes ?? 900_000;
    this.#maxAhead = options.maxAhead ?? 20_000;
    this.#maxCycle = Math.max(1, Math.floor(this.#maxAhead / 4));
    this.#recordLimit = options.recordLimit ?? null;
    this.#sender = options.sender;
    this.#sink = options.sink;
    this.#policy = options.retry;
    this.#logger = options.logger;
    this.#hooks = options.hooks ?? {};
  }

  /** Items submitted and not yet written (waiting to be produced, or produced and waiting for MongoDB). */
  get backlog(): number {
    return this.#pending.length + this.#ahead;
  }

  /** The number of the last item submitted so far: `barrier(submitted)` waits for it and those before. */
  get submitted(): number {
    return this.#seq;
  }

  submit(item: FlushItem): Promise<void> {
    return new Promise<void>((resolve, reject) => this.enqueue(item, new PromiseTicket(resolve, reject)));
  }

  /** `submit` without a promise: the ticket is told (once) when the item is durable or failed. */
  enqueue(item: FlushItem, ticket: EffectTicket): void {
    if (this.#closed) {
      ticket.failed(new WorkAbandonedError('The runtime is stopping; the effects were not written.'));
      return;
    }
    if (item.messages.length === 0 && item.views.length === 0 && item.state === null && item.timerIndex.length === 0) {
      ticket.durable();
      return;
    }
    this.#seq += 1;
    this.#pending.push({ item, ticket, seq: this.#seq });
    this.#producing ??= this.#produceLoop();
  }

  /**
   * Resolves when every item numbered up to `through` (default: everything submitted before the
   * call) is written or failed; items submitted later are not waited for, even when they share
   * a cycle with those. Cycles settle in submission order.
   */
  barrier(through: number = this.#seq): Promise<void> {
    if (this.#closed || through <= this.#settled) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.push({ through, resolve }));
  }

  /**
   * Resolves when every item numbered up to `through` is produced (its messages acknowledged, its
   * MongoDB writes queued) or failed. Producing waits while `maxAhead` items are not yet written,
   * so this is also how far ahead of MongoDB a caller may go.
   */
  produced(through: number = this.#seq): Promise<void> {
    if (this.#closed || through <= this.#producedThrough) return Promise.resolve();
    return new Promise<void>((resolve) => this.#producedWaiters.push({ through, resolve }));
  }

  /**
   * Waits for the batches being produced and written (what was produced is still written); then
   * refuses new work and fails what was never produced.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeCycleWaiters();
    if (this.#producing !== null) await this.#producing;
    if (this.#writing !== null) await this.#writing;
    const left = this.#pending;
    this.#pending = [];
    for (const p of left) p.ticket.failed(new WorkAbandonedError('The runtime is stopping; the effects were not written.'));
    this.#producedThrough = Math.max(this.#producedThrough, this.#seq);
    this.#producedWaiters = wake(this.#producedWaiters, Number.POSITIVE_INFINITY);
    this.#settle(this.#seq);
  }

  /** Items up to `through` are written or failed: wakes the barriers they release. */
  #settle(through: number): void {
    if (through <= this.#settled) return;
    this.#settled = through;
    this.#waiters = wake(this.#waiters, through);
  }

  #wakeCycleWaiters(): void {
    const waiters = this.#cycleWaiters;
    this.#cycleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Takes what is pending (at most a quarter of `maxAhead` items) and produces it as a batch,
   * taking the next batch while that one's records are still being produced: at most two batches
   * in flight (the second's requests are issued after the first's, on the same connection).
   * Acknowledged batches are handed to the write stage in order.
   */
  async #produceLoop(): Promise<void> {
    let previous: Promise<void> = Promise.resolve();
    for (;;) {
      // Let the actors that are running right now add their effects to this batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.#ahead >= this.#maxAhead && !this.#closed) await new Promise<void>((resolve) => this.#cycleWaiters.push(resolve));
      if (this.#pending.length === 0 || this.#closed) break;
      let batch = this.#pending;
      if (batch.length <= this.#maxCycle) this.#pending = [];
      else batch = this.#pending.splice(0, this.#maxCycle);
      this.#ahead += batch.length;
      const through = (batch[batch.length - 1] as Pending).seq;
      const before = previous;
      const produced = this.#produceBatch(batch).then(async (entry) => {
        // Handed over after the batch before it, so writes keep submission order.
        await before;
        this.#handOver({ ...entry, through, size: batch.length });
      });
      await previous;
      previous = produced;
      if (this.#pending.length === 0) await produced;
    }
    await previous;
    // Synchronously after the last look at #pending: a later submit starts a new loop.
    this.#producing = null;
    if (this.#pending.length > 0 && !this.#closed) this.#producing = this.#produceLoop();
  }

  #handOver(entry: Produced): void {
    this.#queue.push(entry);
    this.#producedThrough = entry.through;
    this.#producedWaiters = wake(this.#producedWaiters, entry.through);
    this.#writing ??= this.#writeLoop();
  }

  /**
   * Writes what is queued, one cycle after another, each taking the batches queued by then up to
   * a quarter of `maxAhead` items: a producer waiting for room gets it in steps, not only after
   * a cycle as long as the whole bound.
   */
  async #writeLoop(): Promise<void> {
    while (this.#queue.length > 0) {
      let taken = 0;
      let count = 0;
      while (taken < this.#queue.length && (taken === 0 || count + (this.#queue[taken] as Produced).size <= this.#maxCycle)) {
        count += (this.#queue[taken] as Produced).size;
        taken += 1;
      }
      const entries = this.#queue.splice(0, taken);
      await this.#writeEntries(entries);
      let size = 0;
      for (const entry of entries) size += entry.size;
      this.#ahead -= size;
      this.#settle((entries[entries.length - 1] as Produced).through);
      this.#wakeCycleWaiters();
    }
    // Synchronously after the last look at the queue: a later hand-over starts a new loop.
    this.#writing = null;
  }

  /** Produces a batch's messages, retrying until acknowledged; items refused for good fail alone. Never rejects. */
  async #produceBatch(batch: readonly Pending[]): Promise<Omit<Produced, 'through' | 'size'>> {
    const started = performance.now();
    const kept = await this.#produceRetrying(batch);
    let messages = 0;
    for (const p of kept) messages += p.item.messages.length;
    return { kept, messages, started, acked: performance.now() };
  }

  async #produceRetrying(all: readonly Pending[]): Promise<readonly Pending[]> {
    let batch = all;
    for (let attempt = 1; ; attempt += 1) {
      batch = this.#dropFenced(batch);
      try {
        const messages: OutboundMessage[] = [];
        for (const { item } of batch) for (const message of item.messages) messages.push(message);
        await produceInRequests(this.#sender, messages, this.#maxProduceBytes, this.#recordLimit);
        return batch;
      } catch (error) {
        const settled = this.#failedAttempt(batch, error, attempt);
        if (settled === 'split') {
          const kept: Pending[] = [];
          for (const p of batch) kept.push(...(await this.#produceRetrying([p])));
          return kept;
        }
        if (settled === 'failed') return [];
        await sleep(backoffDelay(this.#policy, attempt));
      }
    }
  }

  /**
   * Writes the items of acknowledged batches, retrying until they are written or the flusher
   * closes; an item the store refuses for good fails alone. Never rejects.
   */
  async #writeEntries(entries: readonly Produced[]): Promise<void> {
    const items: Pending[] = [];
    let messages = 0;
    let started = Number.POSITIVE_INFINITY;
    let acked = 0;
    for (const entry of entries) {
      for (const p of entry.kept) items.push(p);
      messages += entry.messages;
      started = Math.min(started, entry.started);
      acked = Math.max(acked, entry.acked);
    }
    await this.#writeRetrying(items, { messages, started, produce: acked - started });
  }

  async #writeRetrying(all: readonly Pending[], produced: ProducedStats): Promise<void> {
    let batch = all;
    for (let attempt = 1; ; attempt += 1) {
      batch = this.#dropFenced(batch);
      if (batch.length === 0) return;
      try {
        const fenced = await writeCycle(this.#sink, batch.map((p) => p.item), produced, this.#hooks);
        for (const p of batch) {
          if (fenced !== null && fenced.has(p.item)) p.ticket.failed(new WorkAbandonedError('The partition lease was lost during the write cycle; its state was not written.'));
          else p.ticket.durable();
        }
        return;
      } catch (error) {
        const settled = this.#failedAttempt(batch, error, attempt);
        if (settled === 'split') {
          for (const p of batch) await this.#writeRetrying([p], produced);
          return;
        }
        if (settled === 'failed') return;
        await sleep(backoffDelay(this.#policy, attempt));
      }
    }
  }

  /**
   * After a failed attempt: `failed` when the flusher closed (every item fails) or the only item
   * was refused for good (it fails alone: its record goes to its dead letter); `split` when a
   * failure the broker or the store says is permanent hit several items (they are tried one by
   * one, so one bad write never holds the rest); `retry` otherwise.
   */
  #failedAttempt(batch: readonly Pending[], error: unknown, attempt: number): 'failed' | 'split' | 'retry' {
    if (this.#closed) {
      for (const p of batch) p.ticket.failed(new WorkAbandonedError(`The runtime stopped while writing effects: ${safeErrorText(error)}`));
      return 'failed';
    }
    if (classifyFailure(error) === 'permanent') {
      if (batch.length > 1) return 'split';
      this.#logger.error({ err: safeErrorText(error), code: errorCode(error) }, 'an effect was refused for good; only its item fails');
      (batch[0] as Pending).ticket.failed(new EffectRefusedError(`The broker or the store refused an effect for good (${errorCode(error)}); the record goes to its dead letter.`, { cause: error }));
      return 'failed';
    }
    this.#hooks.onRetry?.(error, attempt);
    const level = attempt === 1 || attempt % 20 === 0 ? 'warn' : 'debug';
    this.#logger[level]({ err: safeErrorText(error), kind: 'transient', attempt }, 'writing effects failed; retrying');
    return 'retry';
  }

  /** Rejects the items whose partition lease was lost (another worker owns them now). */
  #dropFenced(batch: readonly Pending[]): readonly Pending[] {
    const fenced = fencedItems(batch.map((p) => p.item));
    if (fenced === null) return batch;
    const kept: Pending[] = [];
    for (const p of batch) {
      if (!fenced.has(p.item)) kept.push(p);
      else p.ticket.failed(new WorkAbandonedError('The partition lease was lost; these effects belong to its new owner and were not written.'));
    }
    return kept;
  }
}
