import type { Clock } from '../common/index.js';

export interface StoredViewCacheOptions {
  /** How long a stored document read is reused (0: no cache, every call reads). */
  readonly ttlMs: number;
  /** Most entries held; the oldest read is dropped first (expired entries are dropped as new reads come in). */
  readonly maxEntries?: number;
  /**
   * Refresh ahead: a live entry this old (since its read was sent) is still served, and one read
   * of it is sent in the background to replace it, so a key in steady use never makes a caller
   * wait for the database when its entry expires. Less than `ttlMs`; unset, entries just expire.
   */
  readonly refreshAfterMs?: number;
  readonly clock: Clock;
}

interface Entry<V> {
  readonly value: V;
  /** Reused until then: the time the read was *sent* plus the TTL. */
  readonly until: number;
  /** From then on a use also reads it again in the background (refresh ahead). */
  readonly refreshAt: number;
}

type Miss = { readonly item: CacheItem; readonly at: number };

/** One key of a batch: `key` identifies the entry in the cache, `id` is what the loader reads. */
export interface CacheItem {
  readonly key: string;
  readonly id: string;
}

/**
 * A short-lived cache of STORED view documents — as read from the database, every sensitive field
 * still encrypted (nothing here is ever plaintext: the presenter opens fields per response, after
 * the caller is authorized). Concurrent misses for the same key share one read (single flight),
 * and one batch of misses is one loader call.
 *
 * Staleness is bounded by the TTL: an entry is reused until the time its read was *sent* plus
 * `ttlMs`, so a view written at time W is seen by every call from W + ttlMs on (a read sent
 * before W may still have returned the old document). The API does not write views, so there is
 * no other invalidation. Keys are given by the caller and must carry every scope of the read
 * (tenant, user, day): the cache never widens a read.
 *
 * With `refreshAfterMs`, a key used after that age is read again in the background while its
 * entry is still served (refresh ahead, like Caffeine's `refreshAfterWrite`): the staleness bound
 * stays the TTL, and a key in steady use is never a miss; a failed refresh keeps the entry until
 * it expires.
 */
export class StoredViewCache<V> {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #refreshAfterMs: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry<V>>();
  readonly #loading = new Map<string, Promise<V>>();
  #hits = 0;
  #misses = 0;
  #refreshes = 0;

  constructor(options: StoredViewCacheOptions) {
    if (!(Number.isInteger(options.ttlMs) && options.ttlMs >= 0)) throw new RangeError('ttlMs must be a non-negative integer');
    this.#ttlMs = options.ttlMs;
    this.#max = options.maxEntries ?? 20_000;
    const refreshAfter = options.refreshAfterMs;
    if (refreshAfter !== undefined && !(Number.isInteger(refreshAfter) && refreshAfter > 0 && (refreshAfter < options.ttlMs || options.ttlMs === 0))) {
      throw new RangeError('refreshAfterMs must be a positive integer below ttlMs');
    }
    this.#refreshAfterMs = refreshAfter ?? options.ttlMs;
    this.#clock = options.clock;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /**
   * Keys served without a read of their own (a live entry or a read in flight), keys read for a
   * caller (misses), and keys read again in the background (refresh ahead).
   */
  get stats(): { readonly hits: number; readonly misses: number; readonly refreshes: number } {
    return { hits: this.#hits, misses: this.#misses, refreshes: this.#refreshes };
  }

  /** Entries held now (live or expired, at most `maxEntries`). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The values of `items` in order: live entries as cached, keys already being read from that
   * read, the rest in one `load` call (ids of the misses → value per id; a missing id reads as
   * `absent`). A failed read is not cached and fails every call waiting on it.
   */
  async getMany(items: readonly CacheItem[], load: (ids: readonly string[]) => Promise<ReadonlyMap<string, V>>, absent: V): Promise<V[]> {
    if (this.#ttlMs === 0) {
      this.#misses += items.length;
      const read = await load(items.map((i) => i.id));
      return items.map((i) => read.get(i.id) ?? absent);
    }
    const now = this.#clock.now();
    const values: (V | Promise<V>)[] = [];
    const misses: Miss[] = [];
    const stale: Miss[] = [];
    for (const item of items) {
      const entry = this.#entries.get(item.key);
      const pending = this.#loading.get(item.key);
      if (entry !== undefined && now < entry.until) {
        values.push(entry.value);
        if (now >= entry.refreshAt && pending === undefined) stale.push({ item, at: -1 });
      } else if (pending !== undefined) values.push(pending);
      else {
        misses.push({ item, at: values.length });
        values.push(absent);
      }
    }
    this.#hits += items.length - misses.length;
    this.#misses += misses.length;
    this.#refreshes += stale.length;
    if (misses.length > 0) this.#read(misses, load, absent, now, values);
    if (stale.length > 0) this.#read(stale, load, absent, now, values);
    return Promise.all(values);
  }

  /** One `load` of the keys; `at` ≥ 0 is where a caller waits for the value, -1 a refresh nobody waits for. */
  #read(misses: readonly Miss[], load: (ids: readonly string[]) => Promise<ReadonlyMap<string, V>>, absent: V, sentAt: number, values: (V | Promise<V>)[]): void {
    const batch = load(misses.map((m) => m.item.id));
    const entryOf = (value: V): Entry<V> => ({ value, until: sentAt + this.#ttlMs, refreshAt: sentAt + this.#refreshAfterMs });
    for (const { item: miss, at } of misses) {
      const one = batch.then((read) => read.get(miss.id) ?? absent);
      // Waiters see the failure; the cache forgets the key (no negative caching). A failed refresh
      // leaves the entry to its expiry.
      one.catch(() => undefined);
      this.#loading.set(miss.key, one);
      void one.then(
        (value) => this.#settle(miss.key, one, entryOf(value)),
        () => this.#settle(miss.key, one, undefined, at < 0),
      );
      if (at >= 0) values[at] = one;
    }
  }

  #settle(key: string, flight: Promise<V>, entry: Entry<V> | undefined, keepEntry = false): void {
    if (this.#loading.get(key) !== flight) return;
    this.#loading.delete(key);
    if (keepEntry) return;
    this.#entries.delete(key);
    if (entry === undefined) return;
    this.#entries.set(key, entry);
    // Oldest reads first: expired ones go (a burst of users does not stay held), then any beyond the bound.
    const now = this.#clock.now();
    for (const [oldest, held] of this.#entries) {
      if (held.until > now && this.#entries.size <= this.#max) break;
      this.#entries.delete(oldest);
    }
  }

  /** Drops one key: the next call reads it (a read in flight finishes but is not kept). */
  forget(key: string): void {
    this.#entries.delete(key);
    this.#loading.delete(key);
  }

  /** Drops every entry (reads in flight finish but are not kept). */
  clear(): void {
    this.#entries.clear();
    this.#loading.clear();
  }
}
