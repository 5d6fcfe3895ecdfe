import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { startOpsServer } from '../../../ops/index.js';
import { Runtime, RuntimeMetrics } from '../../../runtime/index.js';
import { testKafka, testMongo, uniqueName } from '../../support/stack.js';
import { ledgerTopology } from './fixtures/ledger.js';
import { createLedgerTopics, ledgerRecords, ledgerViews, produce, waitFor } from './helpers.js';

describe('runtime – operations endpoints of a worker', () => {
  let mongo: MongoClient;
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    await mongo.close();
  });

  it('runtime – /readyz turns ready once the worker joined its group, /metrics exposes lag, latency, actors, dead letters, timer lag and leases, and both health checks fail after stop', async () => {
    const prefix = `${uniqueName('ops')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    await createLedgerTopics(prefix, 2);
    const metrics = new RuntimeMetrics();
    const runtime = new Runtime({
      topology: ledgerTopology(),
      kafka: testKafka(),
      db: mongo.db(dbName),
      prefix,
      metrics,
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, commitIntervalMs: 200 },
    });
    const server = await startOpsServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, sources: [runtime] });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      await runtime.start();
      await waitFor('the worker to be ready', async () => ((await fetch(`${server.url}/readyz`)).status === 200 ? true : undefined), 30_000, 200);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const now = Date.now();
      await produce(`${prefix}ledger.in`, ledgerRecords(5, 4).map((r, i) => (i === 0 ? { ...r, value: { ...r.value, timerAt: now, timerId: 'due' } } : r)));
      await produce(`${prefix}ledger.in`, [{ key: 'bad', value: { seq: 1, amount: 1, poison: true } }]);
      await waitFor('the views and the timer', async () => {
        const views = await ledgerViews(mongo.db(dbName));
        return views.length === 5 && views.every((v) => v.n === 4) && views.some((v) => v.fired === 1) ? true : undefined;
      }, 30_000, 200);
      const text = await waitFor('the dead letter to be counted', async () => {
        const body = await (await fetch(`${server.url}/metrics`)).text();
        return body.includes('hycal_runtime_dead_letters_total{') ? body : undefined;
      }, 30_000, 200);
      for (const series of [
        'hycal_runtime_consumer_lag{topic=',
        'hycal_runtime_process_seconds_bucket{le=',
        'hycal_runtime_record_latency_seconds_count{topology="ledger"}',
        'hycal_runtime_inflight_actors{topology="ledger"}',
        'hycal_runtime_timer_lag_seconds_count{topology="ledger"} 1',
        'hycal_runtime_leases_held{topology="ledger"} 2',
        'hycal_runtime_lease_wait_seconds_count{topology="ledger"} 2',
      ]) {
        expect(text).toContain(series);
      }
    } finally {
      await runtime.stop();
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
      await server.close();
    }
  }, 90_000);
});
