import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { Runtime } from '../../../runtime/index.js';
import { testKafka, testMongo, uniqueName } from '../../support/stack.js';
import { ledgerTopology } from './fixtures/ledger.js';
import { createLedgerTopics, ledgerViews, produce, waitFor } from './helpers.js';

describe('runtime – durable timers of a newly owned partition', () => {
  let mongo: MongoClient;
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    await mongo.close();
  });

  it('runtime – timers set by the first records of a partition fire even when its timer index is slow to load (nothing runs before it is loaded)', async () => {
    const prefix = `${uniqueName('timerload')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    const db = mongo.db(dbName);
    await createLedgerTopics(prefix, 1);
    // Large index documents (keys with timers far ahead) make the partition's index load slower
    // than the first records' processing: if those ran first, the load would overwrite their entries.
    const far = Date.UTC(2100, 0, 1);
    await db.collection('rt_ledger_timers').insertMany(Array.from({ length: 64 }, (_, shard) => ({
      _id: `ledger.in|0|${shard}` as never,
      t: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`old-${shard}-${i}`, far + i])),
    })));
    const records = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: { seq: 1, amount: i, timerAt: Date.now() + 3_000, timerId: `t${i}` } }));
    await produce(`${prefix}ledger.in`, records);
    const runtime = new Runtime({
      topology: ledgerTopology(),
      kafka: testKafka(),
      db,
      prefix,
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, timerPollMs: 100 },
    });
    await runtime.start();
    try {
      const views = await waitFor('every timer to fire', async () => {
        const current = await ledgerViews(db);
        return current.length === 30 && current.every((v) => v.fired === 1) ? current : undefined;
      }, 30_000, 200);
      expect(views.map((v) => v.firedIds).flat().sort()).toEqual(records.map((r) => r.value.timerId).sort());
    } finally {
      await runtime.stop();
    }
  }, 60_000);
});
