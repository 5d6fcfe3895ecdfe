import { MongoNetworkError, MongoServerError, type Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ByIdReader } from '../../../common/index.js';

/** A database whose `explain` fails as given; `findOne` answers from `docs`, `find` is counted. */
function stubDb(explainError: Error, docs: Record<string, Record<string, unknown>>): { db: Db; calls: string[] } {
  const calls: string[] = [];
  const db = {
    collection: () => ({
      find: (filter: unknown) => ({
        explain: () => {
          calls.push('explain');
          return Promise.reject(explainError);
        },
        toArray: () => {
          calls.push(`find ${JSON.stringify(filter)}`);
          return Promise.resolve([]);
        },
      }),
      findOne: (filter: { _id: string }) => {
        calls.push(`findOne ${filter._id}`);
        return Promise.resolve(docs[filter._id] ?? null);
      },
    }),
  } as unknown as Db;
  return { db, calls };
}

describe('common – ByIdReader when the server will not say how it serves $in', () => {
  it('by id – a server that refuses explain gets one findOne per id from then on, and is not asked again', async () => {
    const { db, calls } = stubDb(new MongoServerError({ message: 'explain is not supported', errmsg: 'explain is not supported', code: 59 }), { a: { _id: 'a', n: 1 } });
    const reader = new ByIdReader(db);
    expect(await Promise.all([reader.find('c', 'a'), reader.find('c', 'b')])).toEqual([{ _id: 'a', n: 1 }, null]);
    expect(reader.mode).toBe('per-id');
    expect(await reader.find('c', 'a')).toEqual({ _id: 'a', n: 1 });
    expect(calls).toEqual(['explain', 'findOne a', 'findOne b', 'findOne a']);
  });

  for (const [label, error] of [
    ['got no answer', new MongoNetworkError('connection reset')],
    ['failed on a busy store', new MongoServerError({ message: 'database is locked', errmsg: 'database is locked', code: 1 })],
  ] as const) {
    it(`by id – a probe that ${label} leaves the choice open: reads one by one, asks again next turn`, async () => {
      const { db, calls } = stubDb(error, { a: { _id: 'a' } });
      const reader = new ByIdReader(db);
      expect(await reader.find('c', 'a')).toEqual({ _id: 'a' });
      expect(reader.mode).toBe('auto');
      await reader.find('c', 'a');
      expect(calls).toEqual(['explain', 'findOne a', 'explain', 'findOne a']);
    });
  }
});
