import { fromFieldName } from './documents.js';
import type { BucketUpdate, GuardedUpsert } from './sink.js';
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

/** A change of a key's entry in a partition's timer index document (`_id` = bucket). */
export interface TimerIndexChange {
  readonly collection: string;
  readonly bucket: string;
  readonly field: string;
  /** The key's earliest due time before this change (what the index may hold now). */
  readonly before: number | null;
  /** The key's earliest due time after it; null when the key has no timer left. */
  readonly after: number | null;
}

/**
 * Phase 1 ('lower') writes, for keys that gain an earlier timer, that earlier due time before the
 * state document lands, so the index never misses a durable timer. Phase 3 ('exact') writes the
 * final value (or removes the entry). One update per bucket document, one value per field.
 */
export function bucketUpdates(changes: readonly TimerIndexChange[], phase: 'lower' | 'exact'): BucketUpdate[] {
  const buckets = new Map<string, { collection: string; id: string; fields: Map<string, number | null> }>();
  for (const change of changes) {
    const id = `${change.collection}\u0000${change.bucket}`;
    const bucket = buckets.get(id) ?? { collection: change.collection, id: change.bucket, fields: new Map<string, number | null>() };
    buckets.set(id, bucket);
    if (phase === 'exact') {
      bucket.fields.set(change.field, change.after);
    } else if (change.after !== null && (change.before === null || change.after < change.before)) {
      const seen = bucket.fields.get(change.field);
      bucket.fields.set(change.field, seen === undefined || seen === null ? change.after : Math.min(seen, change.after));
    }
  }
  return [...buckets.values()]
    .map((bucket) => ({
      collection: bucket.collection,
      id: bucket.id,
      set: Object.fromEntries([...bucket.fields].filter(([, due]) => due !== null).map(([field, due]) => [`t.${field}`, due])),
      unset: [...bucket.fields].filter(([, due]) => due === null).map(([field]) => `t.${field}`),
    }))
    .filter((update) => Object.keys(update.set).length > 0 || update.unset.length > 0);
}

/**
 * Phase 3 without what phase 1 of the same cycle already wrote: an entry lowered to exactly its
 * final value (a key's first timer, a timer moved earlier) is not written twice.
 */
export function exceptWritten(exact: readonly BucketUpdate[], lowered: readonly BucketUpdate[]): BucketUpdate[] {
  const written = new Map(lowered.map((u) => [`${u.collection}\u0000${u.id}`, u.set]));
  return exact
    .map((u) => {
      const done = written.get(`${u.collection}\u0000${u.id}`);
      return done === undefined ? u : { ...u, set: Object.fromEntries(Object.entries(u.set).filter(([field, due]) => done[field] !== due)) };
    })
    .filter((u) => Object.keys(u.set).length > 0 || u.unset.length > 0);
}
