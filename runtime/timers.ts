import { fromFieldName } from './documents.js';
import type { GuardedUpsert } from './sink.js';
import { errorCode, safeErrorText } from './supervision.js';
import { shardOf, type PartitionSession, type StoredTimer } from './work.js';

export { DueTimers } from './due-timers.js';


export interface IndexReader {
  findById<T extends object>(collection: string, id: string): Promise<T | null>;
}

/**
 * The per-partition timer index in the store: `rt_<topology>_timers/{_id: "<topic>|<partition>|<shard>",
 * t: {key: dueAt}}`, spread over `shards` documents by a hash of the key, because FerretDB 1.x
 * rewrites a whole document on every update and slows down super-linearly with its size (a $set
 * on a document of 1,000 fields: 12 ms, 10,000: 469 ms, 40,000: 5.3 s).
 */
export class TimerIndexStore {
  readonly collection: string;
  readonly #shards: number;
  readonly #reader: IndexReader;

  constructor(options: { collection: string; shards: number; reader: IndexReader }) {
    this.collection = options.collection;
    this.#shards = options.shards;
    this.#reader = options.reader;
  }

  bucketId(session: Pick<PartitionSession, 'logicalTopic' | 'partition'>, key: string): string {
    return `${session.logicalTopic}|${session.partition}|${shardOf(key, this.#shards)}`;
  }

  /** Loads a partition's index, every shard; `retry` retries a read while the store is unavailable. */
  async load(session: PartitionSession, retry: <T>(io: () => Promise<T>) => Promise<T>): Promise<void> {
    const index = new Map<string, number>();
    for (let first = 0; first < this.#shards; first += 8) {
      const ids = Array.from({ length: Math.min(8, this.#shards - first) }, (_, i) => `${session.logicalTopic}|${session.partition}|${first + i}`);
      const docs = await Promise.all(ids.map((id) => retry(() => this.#reader.findById<{ t?: Record<string, number> }>(this.collection, id))));
      for (const doc of docs) for (const [field, due] of Object.entries(doc?.t ?? {})) index.set(fromFieldName(field), due);
    }
    session.timers.load(index);
  }
}

/**
 * A timer whose handler failed for good, as a document of the failed-timer collection
 * (`rt_<topology>_failed_timers`): what fired, why it failed (codes only), and its payload, so
 * that an operator can see it (and the metric `hycal_runtime_timers_failed_total` counts it).
 */
export function failedTimerDocument(collection: string, key: string, timer: StoredTimer, failure: { error: unknown; attempts: number }, now: number): GuardedUpsert {
  return {
    collection,
    id: `${key}|${timer.stage}|${timer.id}|${timer.due}`,
    v: 1,
    doc: { key, stage: timer.stage, timerId: timer.id, dueAt: timer.due, payload: timer.p, code: errorCode(failure.error), message: safeErrorText(failure.error), attempts: failure.attempts, failedAt: now },
  };
}
