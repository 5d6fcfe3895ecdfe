import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary, MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import { ByIdReader } from '../../../common/index.js';
import { MongoSink } from '../../../runtime/index.js';
import { testStack, uniqueName, within } from '../../support/stack.js';

/** Lookups by `_id` made in one turn share a query (common/by-id.ts), on the real store. */
describe('runtime – lookups by _id made together share a query (real FerretDB)', () => {
  let client: MongoClient;
  let db: Db;
  let servedByIndex: 'mongodb' | 'ferretdb';
  const finds: CommandStartedEvent[] = [];
  beforeAll(async () => {
    client = new MongoClient(testStack().mongodbUri, { monitorCommands: true, serverSelectionTimeoutMS: 20_000 });
    client.on('commandStarted', (event) => {
      if (event.commandName === 'find') finds.push(event);
    });
    await within(60_000, 'connecting to MongoDB', client.connect());
    db = client.db(uniqueName('byid').replace(/-/g, '_'));
    servedByIndex = (await db.admin().command({ buildInfo: 1 }))['ferretdbVersion'] === undefined ? 'mongodb' : 'ferretdb';
    await db.collection('a').insertMany(Array.from({ length: 8 }, (_, i) => ({ _id: `k${i}` as never, n: i, bin: new Binary(Buffer.from([i])) })));
    await db.collection('b').insertOne({ _id: 'k1' as never, other: true });
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  const findsDuring = async <T>(work: () => Promise<T>): Promise<{ result: T; queries: Record<string, unknown>[] }> => {
    finds.length = 0;
    const result = await work();
    return { result, queries: finds.map((e) => e.command as Record<string, unknown>) };
  };

  it('by id – lookups of one turn are one $in query per collection; present and missing ids answer as findOne would', async () => {
    const reader = new ByIdReader(db, { mode: 'one-query' });
    const { result, queries } = await findsDuring(() => Promise.all([
      reader.find('a', 'k0'), reader.find('a', 'k5'), reader.find('a', 'missing'), reader.find('b', 'k1'), reader.find('b', 'k0'),
    ]));
    expect(result.map((d) => d?.['_id'] ?? null)).toEqual(['k0', 'k5', null, 'k1', null]);
    expect(result[1]?.['n']).toBe(5);
    expect(Buffer.from((result[1]?.['bin'] as Binary).buffer)).toEqual(Buffer.from([5]));
    expect(result[3]?.['other']).toBe(true);
    expect(queries.map((q) => q['find']).sort()).toEqual(['a', 'b']);
    expect(queries.find((q) => q['find'] === 'a')?.['filter']).toEqual({ _id: { $in: ['k0', 'k5', 'missing'] } });
    // A later turn is a query of its own.
    const later = await findsDuring(() => reader.find('a', 'k2'));
    expect(later.result?.['n']).toBe(2);
    expect(later.queries).toHaveLength(1);
  });

  it('by id – more ids than maxIds go in queries of at most maxIds; one id asked twice is read once and each caller gets its own document', async () => {
    const reader = new ByIdReader(db, { mode: 'one-query', maxIds: 3 });
    const ids = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    const { result, queries } = await findsDuring(() => Promise.all([...ids.map((id) => reader.find('a', id)), reader.find('a', 'k3')]));
    expect(result.map((d) => d?.['n'])).toEqual([0, 1, 2, 3, 4, 5, 6, 3]);
    expect(queries.map((q) => q['filter'])).toEqual([{ _id: { $in: ['k0', 'k1', 'k2'] } }, { _id: { $in: ['k3', 'k4', 'k5'] } }, { _id: 'k6' }]);
    expect(result[7]).toEqual(result[3]);
    expect(result[7]).not.toBe(result[3]);
  });

  it('by id – auto asks the server before reading: one query where the _id index serves $in, and for a collection that does not exist yet', async () => {
    const reader = new ByIdReader(db);
    expect(reader.mode).toBe('auto');
    // No collection yet: FerretDB cannot tell (there is nothing to scan), so still one query, and it asks again next time.
    const absent = await findsDuring(() => Promise.all([reader.find('not_yet', 'k0'), reader.find('not_yet', 'k1')]));
    expect(absent.result).toEqual([null, null]);
    expect(absent.queries).toHaveLength(1);
    expect(reader.mode).toBe(servedByIndex === 'mongodb' ? 'one-query' : 'auto');
    const first = await findsDuring(() => Promise.all([reader.find('a', 'k0'), reader.find('a', 'k1')]));
    expect(first.result.map((d) => d?.['n'])).toEqual([0, 1]);
    expect(first.queries.map((q) => q['filter'])).toEqual([{ _id: { $in: ['k0', 'k1'] } }]);
    // The stack's FerretDB narrows $in by index (decision 0003), as MongoDB does: decided for good.
    expect(reader.mode).toBe('one-query');
    // Told to read one by one (what auto picks on a FerretDB that would scan), it does.
    const single = new ByIdReader(db, { mode: 'per-id' });
    const apart = await findsDuring(() => Promise.all([single.find('a', 'k4'), single.find('a', 'k5')]));
    expect(apart.result.map((d) => d?.['n'])).toEqual([4, 5]);
    expect(apart.queries.map((q) => q['filter'])).toEqual([{ _id: 'k4' }, { _id: 'k5' }]);
  });

  it('by id – a failed query rejects every lookup it carried; the sink reports the store unavailable', async () => {
    const closed = new MongoClient(testStack().mongodbUri, { serverSelectionTimeoutMS: 500 });
    const reader = new ByIdReader(closed.db('x'), { mode: 'one-query' });
    await closed.close();
    const outcomes = await Promise.allSettled([reader.find('a', 'k0'), reader.find('a', 'k1')]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    // Before the server has been asked (auto): the reads after a probe that got no answer fail too, and it asks again.
    const unasked = new ByIdReader(closed.db('x'));
    expect((await Promise.allSettled([unasked.find('a', 'k0')])).map((o) => o.status)).toEqual(['rejected']);
    expect(unasked.mode).toBe('auto');
    const sink = new MongoSink(closed.db('x'));
    await expect(sink.findById('a', 'k0')).rejects.toMatchObject({ code: 'HC_ERR_RUNTIME_UNAVAILABLE' });
  });

  it('by id – state loads of many keys through the sink share queries', async () => {
    const sink = new MongoSink(db);
    const { result, queries } = await findsDuring(() => Promise.all(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'nope'].map((id) => sink.findById<{ n: number }>('a', id))));
    expect(result.map((d) => d?.n ?? null)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, null]);
    expect(queries).toHaveLength(1);
  });
});
