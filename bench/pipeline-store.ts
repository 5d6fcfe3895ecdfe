// The store alone, for the pipeline bench (bench/pipeline.ts): how many of the pipeline's own
// version-guarded upserts MongoDB (the local stack's FerretDB) writes a second while the pipeline
// is stopped. The documents of its throughput phase are read back as stored (packed fields stay
// packed) once it drained (`readStored`); after its last phase they are written again to fresh
// collections (`storeAlone`) the way the runtime writes them (MongoSink, bulk mode, the bench's
// bulk size and bulks in flight, two writers side by side like the pipeline's two writing
// runtimes, calls of at most a quarter of `runtime.maxUnwrittenItems` ops like its write cycles):
// once to insert them (not timed), then each replaced by a newer version (timed), which is what a
// pipeline on warm rooms does. Divided by the pipeline's writes per meeting, that is the highest
// durable rate the store allows the pipeline on this machine.
import { BSON, type Db } from 'mongodb';
import { MongoSink, type GuardedUpsert } from '../runtime/index.js';
import { machineBusyMs } from './process-watch.js';

export interface StoreAloneResult {
  readonly documents: number;
  /** Mean stored size per collection (BSON bytes, packed fields packed). */
  readonly meanBytes: Readonly<Record<string, number>>;
  readonly upsertsPerSec: number;
  /** CPU time of the whole machine per upsert in the timed pass (ms, all processes), or null off Linux. */
  readonly machineCpuMsPerUpsert: number | null;
}

const WRITERS = 2;
const CALL_OPS = 5_000;
const PER_COLLECTION = 20_000;

/** The pipeline's documents as stored, kept as raw BSON (compact) until they are written again. */
export interface StoredDocuments {
  readonly collections: readonly { readonly name: string; readonly raw: readonly Buffer[] }[];
  /** Mean stored size per collection (BSON bytes). */
  readonly meanBytes: Readonly<Record<string, number>>;
  /** Bytes held (counted in the bench process's resident memory until the store pass). */
  readonly bytes: number;
}

/** Reads the documents of `collections` as stored, raw (at most 20,000 each), for `storeAlone`. */
export async function readStored(db: Db, collections: readonly string[]): Promise<StoredDocuments> {
  const meanBytes: Record<string, number> = {};
  const read: { name: string; raw: Buffer[] }[] = [];
  let bytes = 0;
  for (const name of collections) {
    const raw = (await db.collection(name).find({}, { raw: true }).limit(PER_COLLECTION).toArray()) as unknown as Buffer[];
    if (raw.length === 0) continue;
    const size = raw.reduce((sum, b) => sum + b.length, 0);
    meanBytes[name] = Math.round(size / raw.length);
    bytes += size;
    read.push({ name, raw });
  }
  return { collections: read, meanBytes, bytes };
}

/** The stored documents as guarded upserts to `alone_<collection>`, in calls, the collections' calls interleaved as the pipeline's write cycles alternate them. */
function writeCalls(stored: StoredDocuments): GuardedUpsert[][] {
  const perCollection = stored.collections.map(({ name, raw }) => {
    const ops = raw.map((b): GuardedUpsert => {
      const { _id, v, ...rest } = BSON.deserialize(b) as Record<string, unknown>;
      return { collection: `alone_${name}`, id: String(_id), v: Number(v ?? 0) + 1, doc: rest };
    });
    const own: GuardedUpsert[][] = [];
    for (let i = 0; i < ops.length; i += CALL_OPS) own.push(ops.slice(i, i + CALL_OPS));
    return own;
  });
  const calls: GuardedUpsert[][] = [];
  for (let i = 0; perCollection.some((own) => i < own.length); i += 1) {
    for (const own of perCollection) if (i < own.length) calls.push(own[i]!);
  }
  return calls;
}

/** Writes `stored` to fresh collections: inserted once (not timed), then replaced by newer versions (timed). */
export async function storeAlone(
  db: Db,
  stored: StoredDocuments,
  writes: { readonly bulkMaxOps: number; readonly bulkInFlight: number },
  progress: (done: number, total: number, label: string) => void,
): Promise<StoreAloneResult> {
  const calls = writeCalls(stored);
  const documents = calls.reduce((n, c) => n + c.length, 0);
  const run = async (bump: number, label: string): Promise<{ seconds: number; cpuMs: number | null }> => {
    const busy = machineBusyMs();
    let next = 0;
    let done = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: WRITERS }, async () => {
      const sink = new MongoSink(db, { mode: 'bulk', bulkMaxOps: writes.bulkMaxOps, bulkInFlight: writes.bulkInFlight });
      while (next < calls.length) {
        const call = calls[next]!;
        next += 1;
        const result = await sink.upsertGuarded(call.map((op) => ({ ...op, v: op.v + bump })));
        if (result.stale > 0) throw new Error(`store-alone: ${result.stale} upserts came back stale; the collections were not fresh`);
        done += call.length;
        progress(done, documents, label);
      }
    }));
    const after = machineBusyMs();
    return { seconds: (performance.now() - started) / 1_000, cpuMs: busy === null || after === null ? null : after - busy };
  };
  try {
    await run(0, 'store alone: inserts');
    const { seconds, cpuMs } = await run(1, 'store alone: replacements');
    return { documents, meanBytes: stored.meanBytes, upsertsPerSec: documents / seconds, machineCpuMsPerUpsert: cpuMs === null ? null : cpuMs / documents };
  } finally {
    for (const { name } of stored.collections) await db.collection(`alone_${name}`).drop().catch(() => undefined);
  }
}
