import type { GuardedUpsert, MongoSink } from './sink.js';
import { bucketUpdates, exceptWritten, type TimerIndexChange } from './timers.js';

/*
 * What the flusher (flusher.ts) moves and how it reaches the broker and the store: the items and
 * their messages, one produce in requests under the size limits, one MongoDB write cycle.
 */

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
 * Where a write cycle's time went, ms per phase: `produce`, from the start of producing its first
 * batch until its last batch was acknowledged (batches are produced while earlier cycles are
 * written); `views`, writing views and timer-index lower bounds; then `states`, the state
 * documents, and `index`, the exact timer-index entries.
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

/**
 * Produces in order, in requests of at most `maxBytes` (a partition's record batch must stay under
 * the broker's message.max.bytes, 1 MiB by default) and never more than `limitFor(topic)` of one
 * topic in a request.
 */
export async function produceInRequests(sender: MessageSender, messages: readonly OutboundMessage[], maxBytes: number, limitFor: ((topic: string) => number) | null): Promise<void> {
  // Requests are issued in order on the producer's connection without waiting for each other's
  // acknowledgement (the idempotent producer's sequence numbers keep each partition in order).
  const sends: Promise<unknown>[] = [];
  let chunk: OutboundMessage[] = [];
  let bytes = 0;
  const perTopic = new Map<string, number>();
  for (const message of messages) {
    const size = message.size ?? recordSize(message);
    const topicBytes = limitFor === null ? 0 : (perTopic.get(message.topic) ?? 0) + size;
    if (chunk.length > 0 && (bytes + size > maxBytes || (limitFor !== null && topicBytes > limitFor(message.topic)))) {
      sends.push(sender.sendBatch({ topicMessages: groupByTopic(chunk), acks: -1 }));
      chunk = [];
      bytes = 0;
      perTopic.clear();
    }
    chunk.push(message);
    bytes += size;
    if (limitFor !== null) perTopic.set(message.topic, (perTopic.get(message.topic) ?? 0) + size);
  }
  if (chunk.length > 0) sends.push(sender.sendBatch({ topicMessages: groupByTopic(chunk), acks: -1 }));
  await Promise.all(sends);
}

/** When and how long the messages of a write cycle's items took to produce (ms, performance.now()). */
export interface ProducedStats {
  readonly messages: number;
  readonly started: number;
  readonly produce: number;
}

/**
 * One write cycle over produced items: views and timer-index lower bounds, then state documents,
 * then the exact timer-index entries. Returns the items whose lease was lost meanwhile: the fence
 * is checked again before the state documents (which commit the cycle) are written, and theirs
 * are not.
 */
export async function writeCycle(sink: MongoSink, all: readonly FlushItem[], produced: ProducedStats, hooks: FlusherHooks): Promise<Set<FlushItem> | null> {
  const started = performance.now();
  // One pass over the items (a cycle holds thousands of them).
  const views: GuardedUpsert[] = [];
  const changes: TimerIndexChange[] = [];
  for (const item of all) {
    for (const view of item.views) views.push(view);
    for (const change of item.timerIndex) changes.push(change);
  }
  const phases: CyclePhases = { produce: produced.produce, views: 0, states: 0, index: 0 };
  const lowered = bucketUpdates(changes, 'lower');
  const viewResult = await sink.upsertGuarded(views);
  await sink.updateBuckets(lowered);
  phases.views = performance.now() - started;
  const fenced = fencedItems(all);
  const items = fenced === null ? all : all.filter((item) => !fenced.has(item));
  const states: GuardedUpsert[] = [];
  for (const item of items) if (item.state !== null) states.push(item.state);
  const exact = fenced === null ? changes : items.flatMap((item) => item.timerIndex);
  const statesStarted = performance.now();
  const stateResult = await sink.upsertGuarded(states);
  const indexStarted = performance.now();
  await sink.updateBuckets(exceptWritten(bucketUpdates(exact, 'exact'), lowered));
  phases.states = indexStarted - statesStarted;
  phases.index = performance.now() - indexStarted;
  hooks.onCycle?.({
    items: items.length,
    messages: produced.messages,
    views: views.length,
    states: states.length,
    ms: performance.now() - Math.min(produced.started, started),
    staleViews: viewResult.stale,
    staleStates: stateResult.stale,
    phases,
  });
  return fenced;
}

/**
 * The items whose partition lease was lost (null: none). Items of one partition share their fence:
 * it is asked once per partition and cycle, not once per item.
 */
export function fencedItems(items: readonly FlushItem[]): Set<FlushItem> | null {
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
