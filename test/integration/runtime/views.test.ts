import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Binary, type MongoClient } from 'mongodb';
import { PACKED_FIELD, unpackDocument } from '../../../common/index.js';
import { MongoSink, type GuardedUpsert } from '../../../runtime/index.js';
import { testMongo, uniqueName } from '../../support/stack.js';

describe('runtime – version-guarded views on the real store (FerretDB)', () => {
  let mongo: MongoClient;
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    await mongo.close();
  });

  const modes = [
    { label: 'sequential', options: { mode: 'sequential' } },
    { label: 'bulk', options: { mode: 'bulk' } },
    { label: 'bulks of one op, three in flight', options: { mode: 'bulk', bulkMaxOps: 1, bulkInFlight: 3 } },
  ] as const;
  for (const { label, options } of modes) {
    it(`views – an equal or older version is stale (E11000 treated as skip), a newer one replaces (${label})`, async () => {
      const db = mongo.db(uniqueName('views').replace(/-/g, '_'));
      const sink = new MongoSink(db, options);
      const first = await sink.upsertGuarded([
        { collection: 'v', id: 'a', v: 5, doc: { x: 'five' } },
        { collection: 'v', id: 'b', v: 5, doc: { x: 'five' } },
      ]);
      expect(first).toEqual({ applied: 2, stale: 0 });
      const second = await sink.upsertGuarded([
        { collection: 'v', id: 'a', v: 3, doc: { x: 'three' } },
        { collection: 'v', id: 'b', v: 5, doc: { x: 'again' } },
        { collection: 'v', id: 'c', v: 1, doc: { x: 'one' } },
        { collection: 'v', id: 'a', v: 4, doc: { x: 'four' } },
        { collection: 'w', id: 'a', v: 1, doc: { x: 'other collection' } },
      ]);
      // One op per _id (a@4 collapsed over a@3): a and b stale, c and w/a inserted — also after the stale ones.
      expect(second).toEqual({ applied: 2, stale: 2 });
      expect(await db.collection('w').find({}).toArray()).toEqual([{ _id: 'a', v: 1, x: 'other collection' }]);
      const third = await sink.upsertGuarded([{ collection: 'v', id: 'b', v: 9, doc: null }]);
      expect(third).toEqual({ applied: 1, stale: 0 });
      const docs = await db.collection('v').find({}).sort({ _id: 1 }).toArray();
      expect(docs).toEqual([
        { _id: 'a', v: 5, x: 'five' },
        { _id: 'b', v: 9, deleted: true },
        { _id: 'c', v: 1, x: 'one' },
      ]);
      await db.dropDatabase();
    });
  }

  it('views – redelivery in any order and replays from the start converge to the latest version', async () => {
    const db = mongo.db(uniqueName('converge').replace(/-/g, '_'));
    const sink = new MongoSink(db);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.constantFrom('p', 'q', 'r'), v: fc.integer({ min: 1, max: 30 }) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        async (writes, chunk) => {
          run += 1;
          const collection = `c${run}`;
          const ops: GuardedUpsert[] = writes.map((w) => ({ collection, id: w.id, v: w.v, doc: { at: w.v } }));
          // Delivered in chunks (flush cycles), then replayed from the start.
          for (const pass of [ops, ops]) {
            for (let i = 0; i < pass.length; i += chunk) await sink.upsertGuarded(pass.slice(i, i + chunk));
          }
          const expected = new Map<string, number>();
          for (const w of writes) expected.set(w.id, Math.max(expected.get(w.id) ?? 0, w.v));
          const docs = await db.collection(collection).find({}).toArray();
          expect(new Map(docs.map((d) => [d._id as unknown as string, d['v'] as number]))).toEqual(expected);
          expect(docs.every((d) => d['at'] === d['v'])).toBe(true);
        },
      ),
      { numRuns: 15 },
    );
    await db.dropDatabase();
  }, 120_000);

  for (const { label, options } of modes) {
    it(`timer index – field-level $set/$unset per bucket document land alike, created where missing (${label})`, async () => {
      const db = mongo.db(uniqueName('buckets').replace(/-/g, '_'));
      const sink = new MongoSink(db, options);
      await db.collection('rt_t').insertOne({ _id: 'b0' as never, t: { keep: 1, drop: 2 } });
      // Seven buckets over two collections: several bulks, run side by side where configured.
      const updates = [
        { collection: 'rt_t', id: 'b0', set: { 't.new': 3 }, unset: ['t.drop'] },
        ...Array.from({ length: 5 }, (_, i) => ({ collection: 'rt_t', id: `b${i + 1}`, set: { [`t.k${i}`]: i }, unset: [] })),
        { collection: 'rt_u', id: 'u0', set: { 't.x': 9 }, unset: [] },
        { collection: 'rt_u', id: 'nothing', set: {}, unset: [] },
      ];
      // Applying them twice (a retried cycle) changes nothing.
      for (let pass = 0; pass < 2; pass += 1) await sink.updateBuckets(updates);
      expect(await db.collection('rt_t').find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 'b0', t: { keep: 1, new: 3 } },
        ...Array.from({ length: 5 }, (_, i) => ({ _id: `b${i + 1}`, t: { [`k${i}`]: i } })),
      ]);
      expect(await db.collection('rt_u').find({}).toArray()).toEqual([{ _id: 'u0', t: { x: 9 } }]);
      await db.dropDatabase();
    });
  }

  for (const mode of ['sequential', 'bulk'] as const) {
    it(`views – packed fields are stored as one binary field, read back whole by findById, and keep the version guard (${mode})`, async () => {
      const db = mongo.db(uniqueName('packed').replace(/-/g, '_'));
      const sink = new MongoSink(db, { mode });
      const doc = { o: { '0-3': 41 }, s: { stage: { n: 7, list: [{ a: 'x' }, { a: 'y' }], at: new Date(5_000), bytes: Buffer.from([1, 2, 3]) } }, t: { 'stage%2Fdue': { id: 'due', stage: 'stage', due: 9_000, p: {} } } };
      expect(await sink.upsertGuarded([{ collection: 'st', id: 'k', v: 2, doc, packed: ['s', 't'] }])).toEqual({ applied: 1, stale: 0 });
      const raw = await db.collection('st').findOne({ _id: 'k' as never });
      // On the store: the open fields, the version and one binary field; nothing of s or t beside it.
      expect(Object.keys(raw!).sort()).toEqual(['_id', PACKED_FIELD, 'o', 'v']);
      expect(raw![PACKED_FIELD]).toBeInstanceOf(Binary);
      const read = await sink.findById<Record<string, unknown>>('st', 'k');
      expect(read).toEqual({ _id: 'k', v: 2, o: doc.o, s: { stage: { n: 7, list: [{ a: 'x' }, { a: 'y' }], at: new Date(5_000), bytes: new Binary(Buffer.from([1, 2, 3])) } }, t: doc.t });
      // The guard holds for packed documents like any other: an older version is stale.
      expect(await sink.upsertGuarded([{ collection: 'st', id: 'k', v: 1, doc: { o: {}, s: {}, t: {} }, packed: ['s', 't'] }])).toEqual({ applied: 0, stale: 1 });
      expect((await sink.findById<{ s: unknown }>('st', 'k'))?.s).toEqual(read!['s']);
      // A document written before its fields were packed reads as it is.
      await db.collection('st').insertOne({ _id: 'old' as never, v: 1, o: {}, s: { stage: 1 }, t: {} });
      expect(await sink.findById('st', 'old')).toEqual({ _id: 'old', v: 1, o: {}, s: { stage: 1 }, t: {} });
      expect(() => unpackDocument({ [PACKED_FIELD]: 'not binary' })).toThrow(/not binary data/);
      await db.dropDatabase();
    });
  }
});
