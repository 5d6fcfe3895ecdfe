import { BSON, MongoServerError, type Collection, type Db, type Document } from 'mongodb';

/**
 * How documents are read by several `_id`s: `one-query` is a single `find({_id: {$in: ids}})`,
 * `per-id` one `findOne({_id})` each (in parallel). `auto` asks the server once: MongoDB, or a
 * FerretDB whose explain says it narrows `$in` by the `_id` index (the local stack's build,
 * decision 0003), get one query; any other FerretDB would scan the whole collection for it, so it
 * gets one read per `_id`.
 */
export type IdReads = 'auto' | 'one-query' | 'per-id';

/**
 * Asks the server whether `{_id: {$in}}` on this collection is served by the `_id` index.
 * `absent`: a FerretDB that cannot tell yet, because the collection does not exist (it explains
 * one with an empty plan; there is nothing to scan either); null: the server did not answer.
 */
export async function probeIdReads(collection: Collection<Document>): Promise<'one-query' | 'per-id' | 'absent' | null> {
  try {
    return await explainIdReads(collection);
  } catch {
    // The read itself reports an unreachable database; the probe is asked again later.
    return null;
  }
}

/** `probeIdReads`, with the driver's error when the server does not answer. */
async function explainIdReads(collection: Collection<Document>): Promise<'one-query' | 'per-id' | 'absent'> {
  const plan = await collection.find({ _id: { $in: ['probe/a', 'probe/b'] } as never }).explain();
  const serverInfo = plan['serverInfo'] as { ferretdbVersion?: unknown } | undefined;
  if (serverInfo?.ferretdbVersion === undefined || plan['filterPushdown'] === true) return 'one-query';
  return Object.keys((plan['queryPlanner'] as object | undefined) ?? {}).length > 0 ? 'per-id' : 'absent';
}

/** Server answers meaning "explain is not for you": Unauthorized, CommandNotFound, CommandNotSupported, NotImplemented. */
const EXPLAIN_REFUSED = new Set([13, 59, 115, 238]);

interface Waiter {
  readonly resolve: (doc: Record<string, unknown> | null) => void;
  readonly reject: (error: unknown) => void;
}

/** The most `_id`s one query asks for (the stack's FerretDB narrows `$in` by index up to 1,000). */
export const BY_ID_MAX_IDS = 500;

/**
 * Reads documents by `_id`, as `findOne({_id})` would, but the lookups asked for in the same turn
 * of the event loop go to the server together: one `find({_id: {$in: [...]}})` per collection and
 * per `maxIds` ids, where the server serves that by index (`IdReads`: `auto` asks the server
 * before each turn's reads until it knows; a collection that does not exist yet has nothing to
 * scan and is read in one query too; a FerretDB that would scan gets one `findOne` each). Many
 * actors loading at once (a backlog of new keys, a partition taken over) then cost a few round
 * trips instead of one each.
 *
 * A failed query rejects every lookup it carried, with the driver's error (callers wrap it as
 * their own, as they did around `findOne`). The same `_id` asked for twice in one turn is read
 * once; each lookup gets a document of its own.
 */
export class ByIdReader {
  readonly #db: Db;
  readonly #maxIds: number;
  #mode: IdReads;
  /** Probes in flight, by collection (`auto` only). */
  readonly #probes = new Map<string, Promise<'one-query' | 'per-id'>>();
  #pending = new Map<string, Map<string, Waiter[]>>();
  #scheduled = false;

  constructor(db: Db, options: { maxIds?: number; mode?: IdReads } = {}) {
    this.#db = db;
    this.#maxIds = Math.max(1, Math.min(options.maxIds ?? BY_ID_MAX_IDS, 1_000));
    this.#mode = options.mode ?? 'auto';
  }

  /** How lookups are read now (`auto` until the server has answered the probe). */
  get mode(): IdReads {
    return this.#mode;
  }

  /** The document with this `_id` as stored, or null. */
  find(collection: string, id: string): Promise<Record<string, unknown> | null> {
    return new Promise((resolve, reject) => {
      let ids = this.#pending.get(collection);
      if (ids === undefined) {
        ids = new Map();
        this.#pending.set(collection, ids);
      }
      const waiters = ids.get(id);
      if (waiters === undefined) ids.set(id, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = new Map();
    this.#scheduled = false;
    for (const [collection, ids] of pending) {
      const mode = this.#mode;
      if (mode !== 'auto') this.#read(collection, ids, mode);
      else void this.#probe(collection).then((decided) => this.#read(collection, ids, decided));
    }
  }

  #read(collection: string, ids: ReadonlyMap<string, Waiter[]>, mode: 'one-query' | 'per-id'): void {
    const all = [...ids.keys()];
    const size = mode === 'one-query' ? this.#maxIds : 1;
    for (let start = 0; start < all.length; start += size) void this.#query(collection, all.slice(start, start + size), ids);
  }

  /** How to read this turn's lookups of `collection`; decides the mode once the server can tell. */
  #probe(collection: string): Promise<'one-query' | 'per-id'> {
    const inFlight = this.#probes.get(collection);
    if (inFlight !== undefined) return inFlight;
    const probe = explainIdReads(this.#db.collection(collection)).then((answer) => {
      this.#probes.delete(collection);
      if (answer !== 'absent' && this.#mode === 'auto') this.#mode = answer;
      // Absent: the collection does not exist yet, there is nothing to scan.
      return answer === 'per-id' ? 'per-id' : 'one-query';
    }, (error: unknown): 'per-id' => {
      this.#probes.delete(collection);
      // A server that refuses explain will not tell: one read per id from now on. Any other failure
      // (no answer, a busy store) reads one by one this time and asks again next time.
      if (error instanceof MongoServerError && EXPLAIN_REFUSED.has(Number(error.code)) && this.#mode === 'auto') this.#mode = 'per-id';
      return 'per-id';
    });
    this.#probes.set(collection, probe);
    return probe;
  }

  async #query(collection: string, chunk: readonly string[], waiters: ReadonlyMap<string, Waiter[]>): Promise<void> {
    let docs: Record<string, unknown>[];
    try {
      docs = chunk.length === 1
        ? [await this.#db.collection(collection).findOne({ _id: chunk[0] as never })].filter((d) => d !== null)
        : await this.#db.collection(collection).find({ _id: { $in: chunk } as never }).toArray();
    } catch (error) {
      for (const id of chunk) for (const w of waiters.get(id) ?? []) w.reject(error);
      return;
    }
    const byId = new Map<string, Record<string, unknown>>();
    for (const doc of docs) byId.set(String(doc['_id']), doc);
    for (const id of chunk) {
      const doc = byId.get(id) ?? null;
      (waiters.get(id) ?? []).forEach((w, i) => w.resolve(i === 0 || doc === null ? doc : BSON.deserialize(BSON.serialize(doc))));
    }
  }
}
