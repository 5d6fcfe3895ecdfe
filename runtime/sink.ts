import type { Db } from 'mongodb';
import { ByIdReader, packFields, unpackDocument } from '../common/index.js';
import { InvalidDocumentError, RuntimeUnavailableError } from './errors.js';
import { classifyFailure } from './supervision.js';

/**
 * Idempotent, version-guarded writes (DESIGN.md section 2, effectively-once):
 * `replaceOne({_id, v: {$lt: n}}, {...doc, v: n}, {upsert: true})`. A missing document is inserted,
 * an older one replaced; an equal or newer one does not match, the upsert then collides on `_id`
 * and E11000 means "stale, skip". Redelivery, replays and crashes therefore converge.
 *
 * Measured on FerretDB 1.24 (SQLite): `ordered: false` is ignored for updates (a bulk stops at
 * its first E11000), bulk updates grow super-linearly with their size, and parallel writers slow
 * each other down; so the default mode sends one guarded upsert at a time from a single writer.
 * `bulk` mode (for MongoDB) sends unordered bulkWrites and re-sends what follows a failed op, which
 * is harmless where the server did apply them (they come back stale).
 */
export interface GuardedUpsert {
  readonly collection: string;
  readonly id: string;
  readonly v: number;
  /** The document without `_id` and `v`; null writes a tombstone `{deleted: true}`. */
  readonly doc: Readonly<Record<string, unknown>> | null;
  /**
   * Fields of `doc` stored together as one BSON binary field (common/packed.ts: FerretDB writes and
   * reads a document of hundreds of fields 4–5 times slower than the same content packed);
   * `findById` and `unpackDocument` put them back.
   */
  readonly packed?: readonly string[];
}

export interface BucketUpdate {
  readonly collection: string;
  readonly id: string;
  readonly set: Readonly<Record<string, unknown>>;
  readonly unset: readonly string[];
}

export interface SinkResult {
  applied: number;
  stale: number;
}

const DUPLICATE_KEY = 11000;

export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === DUPLICATE_KEY;
}

function replacement(op: GuardedUpsert): Record<string, unknown> {
  if (op.doc === null) return { v: op.v, deleted: true };
  if (op.packed === undefined || op.packed.length === 0) return { ...op.doc, v: op.v };
  return { ...packFields(op.doc, op.packed), v: op.v };
}

function wrap(error: unknown, what: string): unknown {
  if (classifyFailure(error) === 'transient') {
    return new RuntimeUnavailableError(`MongoDB is unavailable while ${what}; retrying. Check MONGODB_URI and hycal stack status.`, { cause: error });
  }
  return error;
}

/** Keeps, per collection and `_id`, only the op with the highest version (at most one op per `_id`). */
export function collapseUpserts(ops: readonly GuardedUpsert[]): GuardedUpsert[] {
  const latest = new Map<string, GuardedUpsert>();
  for (const op of ops) {
    const key = `${op.collection}\u0000${op.id}`;
    const seen = latest.get(key);
    if (seen === undefined || op.v >= seen.v) latest.set(key, op);
  }
  return [...latest.values()];
}

export class MongoSink {
  readonly #db: Db;
  readonly #mode: 'sequential' | 'bulk';
  readonly #bulkMaxOps: number;
  readonly #bulkInFlight: number;
  readonly #reader: ByIdReader;

  constructor(db: Db, options: { mode?: 'sequential' | 'bulk'; bulkMaxOps?: number; bulkInFlight?: number } = {}) {
    this.#db = db;
    this.#mode = options.mode ?? 'sequential';
    this.#bulkMaxOps = options.bulkMaxOps ?? 1_000;
    this.#bulkInFlight = options.bulkInFlight ?? 1;
    this.#reader = new ByIdReader(db);
  }

  get db(): Db {
    return this.#db;
  }

  async upsertGuarded(ops: readonly GuardedUpsert[]): Promise<SinkResult> {
    // FerretDB closes the connection on a NaN (a "network error", retried forever): refuse it for good.
    const invalid = ops.find((op) => !Number.isFinite(op.v));
    if (invalid !== undefined) throw new InvalidDocumentError(`The version of ${invalid.collection} document is ${String(invalid.v)}; versions are finite numbers.`);
    const collapsed = collapseUpserts(ops);
    const result: SinkResult = { applied: 0, stale: 0 };
    if (this.#mode === 'sequential') {
      for (const op of collapsed) {
        try {
          await this.#db.collection(op.collection).replaceOne({ _id: op.id as never, v: { $lt: op.v } }, replacement(op), { upsert: true });
          result.applied += 1;
        } catch (error) {
          if (isDuplicateKey(error)) result.stale += 1;
          else throw wrap(error, 'writing views');
        }
      }
      return result;
    }
    // Collapsed, no two ops name the same document, so bulks may run side by side.
    await this.#inLanes(this.#bulksOf(collapsed), (bulk) => this.#bulk(bulk.collection, bulk.ops, result));
    return result;
  }

  /** Ops grouped by collection, in bulks of at most `bulkMaxOps`. */
  #bulksOf<T extends { readonly collection: string }>(ops: readonly T[]): { collection: string; ops: T[] }[] {
    const byCollection = new Map<string, T[]>();
    for (const op of ops) {
      const list = byCollection.get(op.collection) ?? [];
      list.push(op);
      byCollection.set(op.collection, list);
    }
    const bulks: { collection: string; ops: T[] }[] = [];
    for (const [collection, list] of byCollection) {
      for (let start = 0; start < list.length; start += this.#bulkMaxOps) bulks.push({ collection, ops: list.slice(start, start + this.#bulkMaxOps) });
    }
    return bulks;
  }

  /**
   * Runs `bulks` at most `bulkInFlight` at a time. A failed bulk stops the lanes, and the error is
   * thrown once every bulk in flight has ended, so no write of the call is still running when the
   * caller retries.
   */
  async #inLanes<B>(bulks: readonly B[], run: (bulk: B) => Promise<void>): Promise<void> {
    let next = 0;
    let failed = false;
    const lane = async (): Promise<void> => {
      while (!failed && next < bulks.length) {
        const bulk = bulks[next]!;
        next += 1;
        try {
          await run(bulk);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    const ended = await Promise.allSettled(Array.from({ length: Math.min(this.#bulkInFlight, bulks.length) }, lane));
    const rejected = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
    if (rejected !== undefined) throw rejected.reason;
  }

  async #bulk(collection: string, ops: readonly GuardedUpsert[], result: SinkResult): Promise<void> {
    if (ops.length === 0) return;
    try {
      await this.#db.collection(collection).bulkWrite(
        ops.map((op) => ({ replaceOne: { filter: { _id: op.id as never, v: { $lt: op.v } }, replacement: replacement(op), upsert: true } })),
        { ordered: false },
      );
      result.applied += ops.length;
    } catch (error) {
      const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
      if (!Array.isArray(writeErrors) || writeErrors.length === 0) throw wrap(error, 'writing views');
      const failed = writeErrors as { index: number; code?: number }[];
      const other = failed.find((w) => w.code !== DUPLICATE_KEY);
      if (other !== undefined) throw wrap(error, 'writing views');
      const failedAt = new Set(failed.map((w) => w.index));
      const first = Math.min(...failedAt);
      result.stale += failedAt.size;
      result.applied += first;
      // Servers that ignore ordered:false (FerretDB) stopped at `first`: re-send what follows it
      // (where the server did apply them they come back stale).
      const rest = ops.filter((_, i) => i > first && !failedAt.has(i));
      await this.#bulk(collection, rest, result);
    }
  }

  /**
   * Field-level $set/$unset on small index documents addressed by `_id` only (each `_id` once per
   * call: `bucketUpdates` merges a bucket's fields). In `bulk` mode they go as bulkWrites like the
   * upserts; every update is idempotent, so a bulk the server applied in part is simply sent again
   * when the cycle is retried.
   */
  async updateBuckets(updates: readonly BucketUpdate[]): Promise<void> {
    const changes: { collection: string; id: string; change: Record<string, unknown> }[] = [];
    for (const update of updates) {
      const change: Record<string, unknown> = {};
      if (Object.keys(update.set).length > 0) change['$set'] = update.set;
      if (update.unset.length > 0) change['$unset'] = Object.fromEntries(update.unset.map((field) => [field, '']));
      if (Object.keys(change).length > 0) changes.push({ collection: update.collection, id: update.id, change });
    }
    try {
      if (this.#mode === 'sequential') {
        for (const { collection, id, change } of changes) await this.#db.collection(collection).updateOne({ _id: id as never }, change, { upsert: true });
        return;
      }
      await this.#inLanes(this.#bulksOf(changes), async (bulk) => {
        await this.#db.collection(bulk.collection).bulkWrite(bulk.ops.map(({ id, change }) => ({ updateOne: { filter: { _id: id as never }, update: change, upsert: true } })), { ordered: false });
      });
    } catch (error) {
      throw wrap(error, 'writing timer indexes');
    }
  }

  /**
   * The document with `_id`, its packed fields unpacked (`unpackDocument`). Lookups made in the
   * same turn (actors of many keys loading at once) share a query (`ByIdReader`).
   */
  async findById<T extends object>(collection: string, id: string): Promise<T | null> {
    try {
      const doc = (await this.#reader.find(collection, id)) as T | null;
      return doc === null ? null : unpackDocument(doc);
    } catch (error) {
      throw wrap(error, 'loading state');
    }
  }
}
