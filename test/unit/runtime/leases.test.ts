import { describe, expect, it } from 'vitest';
import type { Db } from 'mongodb';
import { ManualClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/logger.js';
import { ClockSkewMonitor, PartitionLeases, WorkAbandonedError } from '../../../runtime/index.js';
import { Flusher, type FlushItem } from '../../../runtime/flusher.js';
import type { GuardedUpsert, MongoSink } from '../../../runtime/sink.js';

const LEASE_MS = 1_000;

/** A claims collection in memory; `stall` makes every update hang (a store that stopped answering). */
function memoryDb(): { db: Db; stall: { on: boolean } } {
  const docs = new Map<string, Record<string, unknown>>();
  const stall = { on: false };
  const collection = {
    findOne: (filter: { _id: string }) => Promise.resolve(docs.get(filter._id) ?? null),
    insertOne: (doc: { _id: string }) => {
      docs.set(doc._id, { ...doc });
      return Promise.resolve({ acknowledged: true });
    },
    updateOne: (filter: { _id: string }, update: { $set?: Record<string, unknown> }) => {
      if (stall.on) return new Promise(() => undefined);
      const doc = docs.get(filter._id);
      if (doc !== undefined) Object.assign(doc, update.$set ?? {});
      return Promise.resolve({ matchedCount: doc === undefined ? 0 : 1 });
    },
    deleteOne: () => Promise.resolve({ deletedCount: 0 }),
  };
  return { db: { collection: () => collection } as unknown as Db, stall };
}

function leases(db: Db, wall: ManualClock, mono: ManualClock, lost: string[]): PartitionLeases {
  return new PartitionLeases({ db, collection: 'leases', clock: wall, monotonic: mono, owner: 'w1', logger: silentLogger, timing: { leaseMs: LEASE_MS, pollMs: 10 }, hooks: { onLost: (bucket) => lost.push(bucket) } });
}

describe('runtime – leases under clock trouble', () => {
  it('leases – the owner trusts its lease by a monotonic clock: a wall clock set back does not extend it, set forward does not end it', async () => {
    const wall = new ManualClock();
    const mono = new ManualClock(0);
    const { db } = memoryDb();
    const owner = leases(db, wall, mono, []);
    expect(await owner.tryClaim('t|0')).toBe(1);
    wall.advance(3_600_000);
    expect(owner.holds('t|0')).toBe(true);
    wall.advance(-7_200_000);
    mono.advance((LEASE_MS * 3) / 4);
    expect(owner.holds('t|0')).toBe(false);
  });

  it('leases – a stalled lease write gives up below the margin; the lease is lost once its trust ran out, never held on a hung write', async () => {
    const wall = new ManualClock();
    const mono = new ManualClock(0);
    const { db, stall } = memoryDb();
    const lost: string[] = [];
    const owner = leases(db, wall, mono, lost);
    expect(await owner.tryClaim('t|0')).toBe(1);
    stall.on = true;
    mono.advance(100);
    // Returns although the store never answers (the write is bounded below the margin).
    await owner.renewAll();
    expect(owner.holds('t|0')).toBe(true);
    mono.advance(LEASE_MS);
    await owner.renewAll();
    expect(lost).toEqual(['t|0']);
    expect(owner.holds('t|0')).toBe(false);
  });

  it('leases – clock skew against MongoDB beyond the bound gives every lease up and claims none until it is back; a slow store alone is no skew', async () => {
    const wall = new ManualClock(1_000_000);
    const mono = new ManualClock(0);
    const { db } = memoryDb();
    // MongoDB's clock: the worker's wall clock plus `serverAhead`; `rtt` ms pass on the worker during the call.
    const server = { ahead: 0, rtt: 0 };
    const serverTime = (): Promise<number> => {
      const at = wall.now() + server.ahead + server.rtt / 2;
      wall.advance(server.rtt);
      return Promise.resolve(at);
    };
    const skew = new ClockSkewMonitor({ serverTime, clock: wall, maxSkewMs: LEASE_MS / 8 });
    const lost: string[] = [];
    const owner = new PartitionLeases({ db, collection: 'leases', clock: wall, monotonic: mono, owner: 'w1', logger: silentLogger, timing: { leaseMs: LEASE_MS, pollMs: 10 }, hooks: { onLost: (bucket) => lost.push(bucket) }, skew });
    expect(await owner.tryClaim('t|0')).toBe(1);
    await owner.renewAll();
    expect(skew.exceeded).toBe(false);
    expect(owner.holds('t|0')).toBe(true);

    // A store answering slowly (400 ms round trip, clocks equal): not a skew.
    server.rtt = 400;
    await owner.renewAll();
    expect(Math.abs(skew.last?.offsetMs ?? Number.NaN)).toBeLessThan(1);
    expect(skew.exceeded).toBe(false);
    expect(owner.holds('t|0')).toBe(true);

    // This host's clock falls 500 ms behind MongoDB's (bound 125 ms): every lease is given up.
    server.rtt = 0;
    server.ahead = 500;
    await owner.renewAll();
    expect(skew.last?.offsetMs).toBe(500);
    expect(skew.exceeded).toBe(true);
    expect(lost).toEqual(['t|0']);
    expect(owner.holds('t|0')).toBe(false);

    // No lease is claimed meanwhile, although the partition is free ...
    const waiting = new AbortController();
    const acquiring = owner.acquire('t|1', waiting.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(owner.held).toEqual([]);
    // ... and once the clock is synchronised again, the next measurement lets it go on.
    server.ahead = 20;
    await owner.renewAll();
    expect(skew.exceeded).toBe(false);
    waiting.abort();
    await expect(acquiring).rejects.toBeInstanceOf(WorkAbandonedError);
    expect(await owner.tryClaim('t|1')).toBe(1);
  });

  it('leases – the fence is checked again before a write cycle commits: a lease lost during the produce leaves the state document unwritten', async () => {
    const states: GuardedUpsert[] = [];
    let upserts = 0;
    const sink = {
      upsertGuarded: (ops: GuardedUpsert[]) => {
        upserts += 1;
        if (upserts === 2) states.push(...ops);
        return Promise.resolve({ applied: ops.length, stale: 0 });
      },
      updateBuckets: () => Promise.resolve(),
    } as unknown as MongoSink;
    let owned = true;
    const sender = { sendBatch: () => { owned = false; return Promise.resolve(); } };
    const flusher = new Flusher({ sender, sink, retry: { initialMs: 1, maxMs: 2, factor: 2 }, logger: silentLogger });
    const item: FlushItem = { messages: [{ topic: 'out', key: 'k', value: null }], views: [], state: { collection: 'state', id: 'k', v: 1, doc: {} }, timerIndex: [], fence: () => owned };
    await expect(flusher.submit(item)).rejects.toBeInstanceOf(WorkAbandonedError);
    expect(states).toEqual([]);
    await flusher.close();
  });
});
