import { fromFieldName } from './documents.js';
import type { GuardedUpsert } from './sink.js';
import { errorCode, safeErrorText } from './supervision.js';
import { shardOf, type PartitionSession, type StoredTimer } from './work.js';

/**
 * A partition's timer index in memory: key → earliest due time (what the index document says, or
 * ahead of it), with a binary min-heap of due times so that a tick looks only at what is due instead
 * of scanning every key with a timer. Heap entries are checked lazily against the index (a changed
 * or removed entry is dropped when it surfaces); the heap is rebuilt when stale entries pile up.
 */
export class DueTimers {
  #index = new Map<string, number>();
  #heapDue: number[] = [];
  #heapKey: string[] = [];
  /** Keys with a timer item queued or running (not fired again before it ran). */
  readonly #pending = new Set<string>();
  loaded = false;

  get size(): number {
    return this.#index.size;
  }

  get(key: string): number | undefined {
    return this.#index.get(key);
  }

  set(key: string, due: number): void {
    if (this.#index.get(key) === due) return;
    this.#index.set(key, due);
    this.#push(due, key);
  }

  delete(key: string): void {
    this.#index.delete(key);
  }

  /** Replaces the whole index (a partition's index loaded from the store). */
  load(index: Map<string, number>): void {
    this.#index = index;
    this.#rebuild();
    this.loaded = true;
  }

  entries(): IterableIterator<[string, number]> {
    return this.#index.entries();
  }

  /** The earliest due time of any key, if any. */
  nextDue(): number | null {
    this.#dropStale();
    return this.#heapDue.length === 0 ? null : (this.#heapDue[0] as number);
  }

  /** Keys whose earliest timer is due at `now` and that have no timer item yet; marks them pending. */
  takeDue(now: number): string[] {
    const keys: string[] = [];
    while (this.#heapDue.length > 0 && (this.#heapDue[0] as number) <= now) {
      const [due, key] = this.#pop();
      if (this.#index.get(key) !== due || this.#pending.has(key)) continue;
      this.#pending.add(key);
      keys.push(key);
    }
    return keys;
  }

  /** A timer item of the key started: the key may be taken again once its index entry is due. */
  started(key: string): void {
    this.#pending.delete(key);
  }

  /** A timer item ended or was given up: the key's current entry goes back into the heap. */
  release(key: string): void {
    this.#pending.delete(key);
    const due = this.#index.get(key);
    if (due !== undefined) this.#push(due, key);
  }

  #dropStale(): void {
    while (this.#heapDue.length > 0 && this.#index.get(this.#heapKey[0] as string) !== this.#heapDue[0]) this.#pop();
  }

  #rebuild(): void {
    const entries = [...this.#index].sort(([, a], [, b]) => a - b);
    this.#heapKey = entries.map(([key]) => key);
    this.#heapDue = entries.map(([, due]) => due);
  }

  #push(due: number, key: string): void {
    if (this.#heapDue.length > 2 * this.#index.size + 1_024) {
      this.#rebuild();
      return;
    }
    const dues = this.#heapDue;
    const keys = this.#heapKey;
    let i = dues.length;
    dues.push(due);
    keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((dues[parent] as number) <= due) break;
      dues[i] = dues[parent] as number;
      keys[i] = keys[parent] as string;
      i = parent;
    }
    dues[i] = due;
    keys[i] = key;
  }

  #pop(): [number, string] {
    const dues = this.#heapDue;
    const keys = this.#heapKey;
    const top: [number, string] = [dues[0] as number, keys[0] as string];
    const lastDue = dues.pop() as number;
    const lastKey = keys.pop() as string;
    const n = dues.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && (dues[right] as number) < (dues[left] as number) ? right : left;
      if ((dues[child] as number) >= lastDue) break;
      dues[i] = dues[child] as number;
      keys[i] = keys[child] as string;
      i = child;
    }
    dues[i] = lastDue;
    keys[i] = lastKey;
    return top;
  }
}

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
