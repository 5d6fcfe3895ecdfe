import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary, MongoClient, type AnyBulkWriteOperation, type Db, type Document } from 'mongodb';
import { testStack, uniqueName, within } from '../../support/stack.js';

/**
 * The runtime writes views and state as bulks of version-guarded upserts, several bulks in flight
 * per topology and several topologies per process (runtime.bulkMaxOps 20, bulkInFlight 2).
 * FerretDB 1.24's update handler keeps each update's query open, holding one SQLite connection,
 * until its whole command returns, and takes one more for the update's transaction: with its 100
 * connections per database, eight such bulks at once hung it for good. The stack's build raises
 * the pool (stack/layout.ts, FERRETDB_PATCHES); real MongoDB never had the limit.
 */
describe('store – many bulks of version-guarded upserts in flight at once (real store)', () => {
  let client: MongoClient;
  let db: Db;
  beforeAll(async () => {
    client = new MongoClient(testStack().mongodbUri, { maxPoolSize: 32, serverSelectionTimeoutMS: 20_000 });
    await within(60_000, 'connecting to MongoDB', client.connect());
    db = client.db(uniqueName('bulks').replace(/-/g, '_'));
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('store – sixteen bulks of 20 guarded upserts sent together all complete, and every document ends at its newest version', async () => {
    const bulks = 16;
    const size = 20;
    const payload = new Binary(Buffer.alloc(1_024, 7));
    const ids = Array.from({ length: bulks * size }, (_, i) => `doc-${i}`);
    await db.collection('views').insertMany(ids.map((id) => ({ _id: id as never, v: 1, b: payload })));
    const write = (v: number): Promise<unknown>[] => Array.from({ length: bulks }, (_, b) => {
      const ops: AnyBulkWriteOperation<Document>[] = ids.slice(b * size, (b + 1) * size).map((id) => ({
        updateOne: { filter: { _id: id as never, v: { $lt: v } }, update: { $set: { v, b: payload } }, upsert: true },
      }));
      return db.collection('views').bulkWrite(ops, { ordered: false });
    });
    // 320 queries open at once on hc7's 100 connections: it hung; within 60 s here or the store is stuck.
    await within(60_000, `${bulks} bulks of ${size} guarded upserts in flight at once`, Promise.all(write(2)));
    await within(60_000, `${bulks} bulks of ${size} guarded upserts in flight at once, again`, Promise.all(write(3)));
    const versions = await db.collection('views').find({}, { projection: { v: 1 } }).toArray();
    expect(versions).toHaveLength(ids.length);
    expect(new Set(versions.map((d) => Number(d['v'])))).toEqual(new Set([3]));
  });
});
