// The store alone, for the pipeline bench (bench/pipeline.ts): how many of the pipeline's own
// version-guarded upserts MongoDB (the local stack's FerretDB) writes a second while the pipeline
// is idle. The documents of its throughput phase are read back as stored (packed fields stay
// packed) once it drained, and written again to fresh collections the way the runtime writes them (MongoSink, bulk
// mode, the bench's bulk size and bulks in flight, two writers side by side like the pipeline's two
// writing runtimes, calls of at most a quarter of `runtime.maxUnwrittenItems` ops like its write
// cycles): once to insert them (not timed), then each replaced by a newer version (timed), which is
// what a pipeline on warm rooms does. Divided by the pipeline's writes per meeting, that is the
// highest durable rate the store allows the pipeline on this machine.
import { BSON, type Db } from 'mongodb';
import { MongoSink, type GuardedUpsert } from '../runtime/index.js';

export interface StoreAloneResult {
  readonly documents: number;
  /** Mean stored size per collection (BSON bytes, packed fields packed). */
  readonly meanBytes: Readonly<Record<string, number>>;
  readonly upsertsPerSec: number;
}

const WRITERS = 2;
const CALL_OPS = 5_000;
const PER_COLLECTION = 20_000;

export async function storeAlone(
  db: Db,
  collections: readonly string[],
  writes: { readonly bulkMaxOps: number; readonly bulkInFlight: number },
  progress: (done: number, total: number, label: string) => void,
): Promise<StoreAloneResult> {
  const meanBytes: Record<string, number> = {};
  const perCollection: GuardedUpsert[][][] = [];
  for (const name of collections) {
    const docs = await db.collection(name).find({}).limit(PER_COLLECTION).toArray();
    if (docs.length === 0) continue;
    meanBytes[name] = Math.round(docs.reduce((sum, d) => sum + BSON.calculateObjectSize(d), 0) / docs.length);
    const ops = docs.map((d): GuardedUpsert => {
      const { _id, v, ...rest } = d as Record<string, unknown>;
      return { collection: `alone_${name}`, id: String(_id), v: Number(v ?? 0) + 1, doc: rest };
    });
    const own: GuardedUpsert[][] = [];
    for (let i = 0; i < ops.length; i += CALL_OPS) own.push(ops.slice(i, i + CALL_OPS));
    perCollection.push(own);
  }
  // The collections' calls interleaved, as the pipeline's write cycles alternate them.
  const calls: GuardedUpsert[][] = [];
  for (let i = 0; perCollection.some((own) => i < own.length); i += 1) {
    for (const own of perCollection) if (i < own.length) calls.push(own[i]!);
  }
  const documents = calls.reduce((n, c) => n + c.length, 0);
  const run = async (bump: number, label: string): Promise<number> => {
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
    return (performance.now() - started) / 1_000;
  };
  try {
    await run(0, 'store alone: inserts');
    const seconds = await run(1, 'store alone: replacements');
    return { documents, meanBytes, upsertsPerSec: documents / seconds };
  } finally {
    for (const name of collections) await db.collection(`alone_${name}`).drop().catch(() => undefined);
  }
}
