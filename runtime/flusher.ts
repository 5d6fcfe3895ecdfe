import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/index.js';
import { EffectRefusedError, WorkAbandonedError } from './errors.js';
import type { GuardedUpsert, MongoSink } from './sink.js';
import { bucketUpdates, exceptWritten, type TimerIndexChange } from './timers.js';
import { backoffDelay, classifyFailure, errorCode, safeErrorText, type BackoffPolicy } from './supervision.js';

export { bucketUpdates, exceptWritten };
export type { TimerIndexChange };

/** A record to produce: bytes exactly as given (Avro already encoded, or a dead letter's original). */
export interface OutboundMessage {
  readonly topic: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** `recordSize` of the message when the processor emitted it (checked then; not computed twice). */
  readonly size?: number;
}


/** Everything one record (or timer firing) did to the world. */
export interface FlushItem {
  readonly messages: readonly OutboundMessage[];
  readonly views: readonly GuardedUpsert[];
  /** The key's state document; written after messages and views, so it marks them durable. */
  readonly state: GuardedUpsert | null;
  readonly timerIndex: readonly TimerIndexChange[];
  /**
   * Whether the item may still be written: false once its partition's lease was lost (another
   * worker owns the partition now). A fenced item is rejected with WorkAbandonedError, unwritten.
   */
  readonly fence?: () => boolean;
}

export interface MessageSender {
  sendBatch(batch: {
    topicMessages: { topic: string; messages: { key: Buffer | string | null; value: Buffer | null; headers?: Record<string, string | Buffer> }[] }[];
    acks: number;
  }): Promise<unknown>;
}

/**
 * Where a cycle's time went, ms per phase: `produce`, from the cycle's start until its records are
 * acknowledged; `views`, writing views and timer-index lower bounds (it starts once the cycle before
 * is complete, and overlaps the produce); then `states`, the state documents, and `index`, the
 * exact timer-index entries.
 */
export interface CyclePhases {
  produce: number;
  views: number;
  states: number;
  index: number;
}

export interface FlusherHooks {
  onCycle?(stats: { items: number; messages: number; views: number; states: number; ms: number; staleViews: number; staleStates: number; phases: CyclePhases }): void;
  onRetry?(error: unknown, attempt: number): void;
}

/** Told once whether a submitted item's effects are durable (or why they are not). */
export interface EffectTicket {
  durable(): void;
  /** WorkAbandonedError (fenced, stopping) or EffectRefusedError (refused for good). */
  failed(error: unknown): void;
}

interface Pending {
  readonly item: FlushItem;
  readonly ticket: EffectTicket;
  /** Its number in submission order (`Flusher.submitted`, `barrier(through)`). */
  readonly seq: number;
}

/** A `barrier(through)` waiting for the items numbered up to `through`. */
interface BarrierWaiter {
  readonly through: number;
  readonly resolve: () => void;
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


/**
 * Group commit of effects. Items submitted while a cycle runs go into the next cycle; cycles run one
 * after another, so one key's effects land in the order its records were processed. A cycle:
 *   1. produces every message (acks = all) and writes views and timer-index lower bounds;
 *   2. writes state documents (at most one per key: the latest) — the per-key durability marker;
 *   3. writes the exact timer-index entries.
 * A failing cycle is retried whole with back-off (every write is idempotent) until it succeeds or
 * the flusher closes; nothing resolves — and so no offset advances — before its cycle succeeded.
 */
export class Flusher {
  readonly #sender: MessageSender;
  readonly #sink: MongoSink;
  readonly #policy: BackoffPolicy;
  readonly #logger: Logger;
  readonly #hooks: FlusherHooks;
  readonly #maxProduceBytes: number;
  readonly #recordLimit: ((topic: string) => number) | null;
  #pending: Pending[] = [];
  #running: Promise<void> | null = null;
  #closed = false;
  /** The number of the last item submitted. */
  #seq = 0;
  /** Every item numbered up to this one is written or failed (cycles settle in submission order). */
  #settled = 0;
  #waiters: BarrierWaiter[] = [];

  /**
   * `recordLimit`: the largest record batch a topic (prefixed name) accepts; a request never puts
   * more than that of one topic together (a partition's batch stays under the topic's limit).
   */
  constructor(options: { sender: MessageSender; sink: MongoSink; retry: BackoffPolicy; logger: Logger; hooks?: FlusherHooks; maxProduceBytes?: number; recordLimit?: (topic: string) => number }) {
    this.#maxProduceBytes = options.maxProduceBytes ?? 900_000;
    this.#recordLimit = options.recordLimit ?? null;
    this.#sender = options.sender;
    this.#sink = options.sink;
    this.#policy = options.retry;
    this.#logger = options.logger;
    this.#hooks = options.hooks ?? {};
  }

  get backlog(): number {
    return this.#pending.length;
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
    this.#running ??= this.#loop();
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

  /** Waits for the cycles in flight; then refuses new work and fails what is still queued. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#running !== null) await this.#running;
    const left = this.#pending;
    this.#pending = [];
    for (const p of left) p.ticket.failed(new WorkAbandonedError('The runtime is stopping; the effects were not written.'));
    this.#settle(this.#seq);
  }

  /** Items up to `through` are written or failed: wakes the barriers they release. */
  #settle(through: number): void {
    if (through <= this.#settled) return;
    this.#settled = through;
    if (this.#waiters.length === 0) return;
    const waiting: BarrierWaiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.through <= through) waiter.resolve();
      else waiting.push(waiter);
    }
    this.#waiters = waiting;
  }

  /**
   * Takes what is pending, runs it as a cycle, and takes the next batch while that cycle's records
   * are still being produced: at most two cycles in flight. The second cycle's messages are issued
   * at once (after the first's, on the same connection); its MongoDB phases wait until the first
   * cycle is complete, so state documents land in order.
   */
  async #loop(): Promise<void> {
    let previous: Promise<void> = Promise.resolve();
    for (;;) {
      // Let the actors that are running right now add their effects to this cycle.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#pending.length === 0 || this.#closed) break;
      const batch = this.#pending;
      this.#pending = [];
      const through = (batch[batch.length - 1] as Pending).seq;
      const before = previous;
      // Settled only after the cycle before it (a cycle that fails fast must not settle past it).
      const cycle = this.#runCycle(batch, before).then(() => before).then(() => this.#settle(through));
      await previous;
      previous = cycle;
      if (this.#pending.length === 0) await cycle;
    }
    await previous;
    // Synchronously after the last look at #pending: a later submit starts a new loop.
    this.#running = null;
    if (this.#pending.length > 0 && !this.#closed) this.#running = this.#loop();
  }

  /**
   * Never rejects: retries until the cycle succeeds or the flusher closes. A failure the broker or
   * the store says is permanent (a record too large, a document refused) is not retried as a
   * whole: the items are written one by one, and only the one that is refused on its own fails
   * (EffectRefusedError: its record goes to its dead letter), so one bad write never holds the rest.
   */
  async #runCycle(all: readonly Pending[], previous: Promise<void>): Promise<void> {
    let batch = all;
    for (let attempt = 1; ; attempt += 1) {
      batch = this.#dropFenced(batch);
      try {
        const fenced = await this.#cycle(batch, previous);
        for (const p of batch) {
          if (fenced !== null && fenced.has(p.item)) p.ticket.failed(new WorkAbandonedError('The partition lease was lost during the write cycle; its state was not written.'));
          else p.ticket.durable();
        }
        return;
      } catch (error) {
        if (this.#closed) {
          for (const p of batch) p.ticket.failed(new WorkAbandonedError(`The runtime stopped while writing effects: ${safeErrorText(error)}`));
          return;
        }
        if (classifyFailure(error) === 'permanent') {
          if (batch.length === 1) {
            this.#logger.error({ err: safeErrorText(error), code: errorCode(error) }, 'an effect was refused for good; only its item fails');
            (batch[0] as Pending).ticket.failed(new EffectRefusedError(`The broker or the store refused an effect for good (${errorCode(error)}); the record goes to its dead letter.`, { cause: error }));
            return;
          }
          for (const p of batch) await this.#runCycle([p], previous);
          return;
        }
        this.#hooks.onRetry?.(error, attempt);
        const level = attempt === 1 || attempt % 20 === 0 ? 'warn' : 'debug';
        this.#logger[level]({ err: safeErrorText(error), kind: 'transient', attempt }, 'writing effects failed; retrying the cycle');
        await sleep(backoffDelay(this.#policy, attempt));
      }
    }
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

  /**
   * Produces in order, in requests of at most `maxProduceBytes` (a partition's record batch must
   * stay under the broker's message.max.bytes, 1 MiB by default).
   */
  async #produce(messages: readonly OutboundMessage[]): Promise<void> {
    // Requests are issued in order on the producer's connection without waiting for each other's
    // acknowledgement (the idempotent producer's sequence numbers keep each partition in order).
    const sends: Promise<unknown>[] = [];
    let chunk: OutboundMessage[] = [];
    let bytes = 0;
    const limitFor = this.#recordLimit;
    const perTopic = new Map<string, number>();
    for (const message of messages) {
      const size = message.size ?? recordSize(message);
      const topicBytes = limitFor === null ? 0 : (perTopic.get(message.topic) ?? 0) + size;
      if (chunk.length > 0 && (bytes + size > this.#maxProduceBytes || (limitFor !== null && topicBytes > limitFor(message.topic)))) {
        sends.push(this.#sender.sendBatch({ topicMessages: groupByTopic(chunk), acks: -1 }));
        chunk = [];
        bytes = 0;
        perTopic.clear();
      }
      chunk.push(message);
      bytes += size;
      if (limitFor !== null) perTopic.set(message.topic, (perTopic.get(message.topic) ?? 0) + size);
    }
    if (chunk.length > 0) sends.push(this.#sender.sendBatch({ topicMessages: groupByTopic(chunk), acks: -1 }));
    await Promise.all(sends);
  }

  /**
   * One write cycle; returns the items whose lease was lost while phase 1 ran: the fence is checked
   * again before the state documents (which commit the cycle) are written, and theirs are not.
   */
  async #cycle(pending: readonly Pending[], previous: Promise<void>): Promise<Set<FlushItem> | null> {
    const started = performance.now();
    // One pass over the items (a cycle holds tens of thousands of them).
    const all: FlushItem[] = [];
    const messages: OutboundMessage[] = [];
    const views: GuardedUpsert[] = [];
    const changes: TimerIndexChange[] = [];
    for (const { item } of pending) {
      all.push(item);
      for (const message of item.messages) messages.push(message);
      for (const view of item.views) views.push(view);
      for (const change of item.timerIndex) changes.push(change);
    }

    const phases: CyclePhases = { produce: 0, views: 0, states: 0, index: 0 };
    const produce = this.#produce(messages).then(() => {
      phases.produce = performance.now() - started;
    });
    produce.catch(() => undefined);
    const mongo = async (): Promise<{ stale: number }> => {
      await previous;
      const viewsStarted = performance.now();
      const result = await this.#sink.upsertGuarded(views);
      await this.#sink.updateBuckets(lowered);
      phases.views = performance.now() - viewsStarted;
      return result;
    };
    const lowered = bucketUpdates(changes, 'lower');
    const [, viewResult] = await Promise.all([produce, mongo()]);
    const fenced = fencedItems(all);
    const items = fenced === null ? all : all.filter((item) => !fenced.has(item));
    const states: GuardedUpsert[] = [];
    for (const item of items) if (item.state !== null) states.push(item.state);
    const exact = fenced === null ? changes : items.flatMap((item) => item.timerIndex);
    const statesStarted = performance.now();
    const stateResult = await this.#sink.upsertGuarded(states);
    const indexStarted = performance.now();
    await this.#sink.updateBuckets(exceptWritten(bucketUpdates(exact, 'exact'), lowered));
    phases.states = indexStarted - statesStarted;
    phases.index = performance.now() - indexStarted;
    this.#hooks.onCycle?.({
      items: items.length,
      messages: messages.length,
      views: views.length,
      states: states.length,
      ms: performance.now() - started,
      staleViews: viewResult.stale,
      staleStates: stateResult.stale,
      phases,
    });
    return fenced;
  }
}

/**
 * The items whose partition lease was lost (null: none). Items of one partition share their fence:
 * it is asked once per partition and cycle, not once per item.
 */
function fencedItems(items: readonly FlushItem[]): Set<FlushItem> | null {
  let answers: Map<() => boolean, boolean> | null = null;
  let fenced: Set<FlushItem> | null = null;
  for (const item of items) {
    const fence = item.fence;
    if (fence === undefined) continue;
    answers ??= new Map();
    let holds = answers.get(fence);
    if (holds === undefined) {
      holds = fence();
      answers.set(fence, holds);
    }
    if (!holds) (fenced ??= new Set()).add(item);
  }
  return fenced;
}

function groupByTopic(messages: readonly OutboundMessage[]): { topic: string; messages: { key: Buffer | string | null; value: Buffer | null; headers?: Record<string, string | Buffer> }[] }[] {
  const byTopic = new Map<string, { key: Buffer | string | null; value: Buffer | null; headers?: Record<string, string | Buffer> }[]>();
  for (const message of messages) {
    const list = byTopic.get(message.topic) ?? [];
    // kafkajs only reads a message's key, value and headers: the headers are passed as they are.
    list.push(message.headers === undefined ? { key: message.key, value: message.value } : { key: message.key, value: message.value, headers: message.headers });
    byTopic.set(message.topic, list);
  }
  return [...byTopic].map(([topic, list]) => ({ topic, messages: list }));
}

/** Bytes a message takes in a produce request (value, key, headers and the record overhead). */
export function recordSize(message: Pick<OutboundMessage, 'key' | 'value' | 'headers'>): number {
  let size = 70 + (message.value?.length ?? 0) + (message.key === null ? 0 : Buffer.byteLength(message.key));
  const headers = message.headers;
  if (headers !== undefined) for (const name in headers) size += Buffer.byteLength(name) + Buffer.byteLength(headers[name] as string | Buffer) + 8;
  return size;
}
