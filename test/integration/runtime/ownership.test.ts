import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, MongoClient } from 'mongodb';
import { ManualClock, type Clock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/logger.js';
import { claimId, PartitionLeases, Runtime } from '../../../runtime/index.js';
import { testKafka, testMongo, uniqueName } from '../../support/stack.js';
import { ledgerTopology } from './fixtures/ledger.js';
import { createLedgerTopics, ledgerRecords, ledgerViews, produce, waitFor } from './helpers.js';

const LEASE_MS = 8_000;

describe('runtime – partition leases in MongoDB (the ownership protocol)', () => {
  let mongo: MongoClient;
  let db: Db;
  beforeAll(async () => {
    mongo = await testMongo();
    db = mongo.db(uniqueName('leases').replace(/[.-]/g, '_'));
  });
  afterAll(async () => {
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
  });

  const leases = (collection: string, clock: Clock, owner: string, lost: string[] = []): PartitionLeases =>
    new PartitionLeases({ db, collection, clock, owner, logger: silentLogger, timing: { leaseMs: LEASE_MS, pollMs: 20 }, hooks: { onLost: (bucket) => lost.push(bucket) } });

  it('leases – of eight workers claiming a free partition at the same instant exactly one wins, and again for the next epoch after a release', async () => {
    const clock = new ManualClock();
    const collection = uniqueName('race');
    const workers = Array.from({ length: 8 }, (_, i) => leases(collection, clock, `w${i}`));
    for (let round = 0; round < 10; round += 1) {
      const bucket = `topic|${round}`;
      const first = await Promise.all(workers.map((w) => w.tryClaim(bucket)));
      const winners = workers.filter((_, i) => typeof first[i] === 'number');
      expect(winners).toHaveLength(1);
      expect(first.filter((o) => typeof o === 'number')).toEqual([1]);
      const winner = winners[0] as PartitionLeases;
      await winner.handOff(bucket, Promise.resolve());
      const rest = workers.filter((w) => w !== winner);
      const second = await Promise.all(rest.map((w) => w.tryClaim(bucket)));
      expect(second.filter((o) => typeof o === 'number')).toEqual([2]);
      expect(rest.filter((w) => w.holds(bucket))).toHaveLength(1);
    }
  });

  it('leases – a renewed lease is never taken over; once renewals stop, it is taken over only after it expired, and the old owner learns it lost it', async () => {
    const clock = new ManualClock();
    const collection = uniqueName('expiry');
    const lost: string[] = [];
    const a = leases(collection, clock, 'a', lost);
    const b = leases(collection, clock, 'b');
    expect(await a.tryClaim('t|0')).toBe(1);
    for (let step = 0; step < 12; step += 1) {
      clock.advance(LEASE_MS / 4);
      await a.renewAll();
      expect(await b.tryClaim('t|0')).toEqual({ holder: 'a' });
      expect(a.holds('t|0')).toBe(true);
    }
    // A stops renewing (paused, cut off): it stops trusting the lease before anyone may take it.
    clock.advance((LEASE_MS * 3) / 4);
    expect(a.holds('t|0')).toBe(false);
    expect(await b.tryClaim('t|0')).toEqual({ holder: 'a' });
    clock.advance(LEASE_MS / 4 + 1);
    expect(await b.tryClaim('t|0')).toBe(2);
    await a.renewAll();
    expect(lost).toEqual(['t|0']);
    expect(a.held).toEqual([]);
  });

  it('leases – a renewal acknowledged only after the lease ran out is not trusted', async () => {
    let now = 1_000_000;
    let step = 0;
    // Every read of the clock after the claim moves time on by half a lease: the renewal's
    // acknowledgement arrives after the owner's trust ran out.
    const slow: Clock = { now: () => (now += step) };
    const lost: string[] = [];
    const a = leases(uniqueName('late'), slow, 'a', lost);
    expect(await a.tryClaim('t|0')).toBe(1);
    step = LEASE_MS / 2;
    await a.renewAll();
    expect(lost).toEqual(['t|0']);
    expect(a.holds('t|0')).toBe(false);
  });

  it('leases – a handoff waits for the running work; the next owner gets the partition as soon as it is released', async () => {
    const clock = new ManualClock();
    const collection = uniqueName('handoff');
    const a = leases(collection, clock, 'a');
    const b = leases(collection, clock, 'b');
    await a.acquire('t|0', new AbortController().signal);
    let finish = (): void => undefined;
    const running = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const handoff = a.handOff('t|0', running);
    let acquired = false;
    const waiting = b.acquire('t|0', new AbortController().signal).then(() => {
      acquired = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(acquired).toBe(false);
    expect(a.holds('t|0')).toBe(true);
    finish();
    await handoff;
    await waiting;
    expect(acquired).toBe(true);
    expect(b.holds('t|0')).toBe(true);
    expect(a.holds('t|0')).toBe(false);
  });

  it('leases – a waiting claimant gives up when its partition is revoked', async () => {
    const clock = new ManualClock();
    const collection = uniqueName('revoked');
    const a = leases(collection, clock, 'a');
    const b = leases(collection, clock, 'b');
    await a.acquire('t|0', new AbortController().signal);
    const controller = new AbortController();
    const waiting = b.acquire('t|0', controller.signal);
    setTimeout(() => controller.abort(), 100);
    await expect(waiting).rejects.toMatchObject({ code: 'HC_ERR_RUNTIME_ABANDONED' });
    expect(b.held).toEqual([]);
  });

  it('leases – a head document lagging behind the chain never lets an epoch be claimed twice; old claims are collected', async () => {
    const clock = new ManualClock();
    const collection = uniqueName('chain');
    const a = leases(collection, clock, 'a');
    const b = leases(collection, clock, 'b');
    let last = 0;
    for (let i = 0; i < 40; i += 1) {
      const owner = i % 2 === 0 ? a : b;
      const epoch = await owner.tryClaim('t|0');
      expect(epoch).toBe(last + 1);
      last = epoch as number;
      if (i % 5 === 4) await db.collection(collection).updateOne({ _id: 't|0' as never }, { $set: { e: last - 3 } });
      await owner.handOff('t|0', Promise.resolve());
    }
    const claims = await db.collection(collection).countDocuments({ _id: { $ne: 't|0' as never } });
    expect(claims).toBeLessThanOrEqual(17);
    expect(await db.collection(collection).findOne({ _id: claimId('t|0', last) as never })).toMatchObject({ o: 'b', r: true });
  });

  it('runtime – a worker that lost its lease (its clock jumped past it) stops the partition, takes the lease again and applies every record once', async () => {
    const prefix = `${uniqueName('lost')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    await createLedgerTopics(prefix, 2);
    const leaseClock = new ManualClock(Date.now());
    const runtime = new Runtime({
      topology: ledgerTopology(),
      kafka: testKafka(),
      db: mongo.db(dbName),
      prefix,
      leaseClock,
      // The jump stands for a pause of this worker: MongoDB's clock moves with it (no skew).
      serverTime: () => Promise.resolve(leaseClock.now()),
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, commitIntervalMs: 200, ownership: { leaseMs: 2_000, pollMs: 50 } },
    });
    await runtime.start();
    try {
      const records = ledgerRecords(20, 40);
      await produce(`${prefix}ledger.in`, records.slice(0, 400));
      await waitFor('the first half', async () => ((await ledgerViews(mongo.db(dbName))).filter((v) => v.n === 20).length === 20 ? true : undefined), 60_000, 200);
      leaseClock.advance(60_000);
      await waitFor('the lease to be lost', async () => (/hycal_runtime_leases_lost_total\{topology="ledger"\} [1-9]/.test(await runtime.metricsText()) ? true : undefined), 10_000, 100);
      await produce(`${prefix}ledger.in`, records.slice(400));
      const views = await waitFor('every record', async () => {
        const current = await ledgerViews(mongo.db(dbName));
        return current.length === 20 && current.every((v) => v.n === 40) ? current : undefined;
      }, 60_000, 200);
      expect(views.every((v) => v.dups === 0 && v.gaps === 0)).toBe(true);
      const text = await runtime.metricsText();
      expect(text).toMatch(/hycal_runtime_leases_lost_total\{topology="ledger"\} [1-9]/);
      expect(text).toContain('hycal_runtime_leases_held{topology="ledger"} 2');
    } finally {
      await runtime.stop();
    }
  }, 120_000);

  it('runtime – a worker whose clock is skewed against MongoDB beyond the bound is not ready, says why, exposes the skew and holds no lease', async () => {
    const prefix = `${uniqueName('skew')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    await createLedgerTopics(prefix, 2);
    let serverAhead = 0;
    const runtime = new Runtime({
      topology: ledgerTopology(),
      kafka: testKafka(),
      db: mongo.db(dbName),
      prefix,
      serverTime: async () => {
        const reply = await mongo.db(dbName).command({ hello: 1 });
        return (reply['localTime'] as Date).getTime() + serverAhead;
      },
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, commitIntervalMs: 200, ownership: { leaseMs: 2_000, pollMs: 50, maxClockSkewMs: 250 } },
    });
    await runtime.start();
    try {
      await waitFor('ready with both leases', async () => (runtime.health().ready && /hycal_runtime_leases_held\{topology="ledger"\} 2/.test(await runtime.metricsText()) ? true : undefined), 60_000, 100);
      expect(await runtime.metricsText()).toMatch(/hycal_runtime_clock_skew_seconds\{topology="ledger"\} -?0(\.\d+)?(e-\d+)?\n/);
      serverAhead = 5_000;
      const health = await waitFor('not ready', () => Promise.resolve(runtime.health().ready ? undefined : runtime.health()), 10_000, 50);
      expect(health.live).toBe(true);
      expect(health.reason).toMatch(/clock is \d+ ms behind MongoDB's, beyond the 250 ms bound/);
      const text = await runtime.metricsText();
      expect(text).toMatch(/hycal_runtime_clock_skew_seconds\{topology="ledger"\} (4\.9|5(\.0)?)/);
      expect(text).toContain('hycal_runtime_leases_held{topology="ledger"} 0');
      serverAhead = 0;
      await waitFor('ready again', async () => (runtime.health().ready && /hycal_runtime_leases_held\{topology="ledger"\} 2/.test(await runtime.metricsText()) ? true : undefined), 30_000, 100);
    } finally {
      await runtime.stop();
    }
  }, 120_000);
});
