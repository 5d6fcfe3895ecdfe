import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { ManualClock } from '../../../common/clock.js';
import { unpackDocument } from '../../../common/index.js';
import { defineTopology, Runtime, type Processor } from '../../../runtime/index.js';
import { testKafka, testMongo, uniqueName, withAdmin } from '../../support/stack.js';
import { produce, waitFor } from './helpers.js';

interface Raw {
  n: number;
  text: string;
  remindAt?: number;
}

describe('runtime – a chained topology in one worker', () => {
  let mongo: MongoClient;
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    await mongo.close();
  });

  it('runtime – keeps heartbeating while a record takes longer than the session timeout (no rebalance, processed once)', async () => {
    const prefix = `${uniqueName('slow')}.`;
    await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic: `${prefix}slow.in`, numPartitions: 1 }, { topic: `${prefix}slow.in.dlq.v1`, numPartitions: 1 }] }));
    let calls = 0;
    const slow: Processor<Buffer, never> = {
      name: 'slow',
      stateful: false,
      async process() {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 9_000));
      },
    };
    const runtime = new Runtime({
      topology: defineTopology({ name: 'slow', inputs: [{ topic: 'slow.in', decode: (bytes) => bytes }], stages: [slow] }),
      kafka: testKafka(),
      db: mongo.db('unused'),
      prefix,
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 },
    });
    await runtime.start();
    try {
      await produce(`${prefix}slow.in`, [{ key: 'a', value: {} }, { key: 'b', value: {} }]);
      await waitFor('both records', () => (calls === 2 ? true : undefined), 30_000, 200);
      await new Promise((resolve) => setTimeout(resolve, 9_500));
      const text = await runtime.metricsText();
      expect(text).toContain('hycal_runtime_rebalances_total{topology="slow"} 1');
      expect(text).toContain('hycal_runtime_records_total{topology="slow",outcome="processed"} 2');
      expect(calls).toBe(2);
    } finally {
      await runtime.stop();
    }
  }, 60_000);

  it('runtime – refuses to start when a dead-letter or output topic is missing', async () => {
    const prefix = `${uniqueName('missing')}.`;
    await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic: `${prefix}solo.in`, numPartitions: 1 }] }));
    const runtime = new Runtime({
      topology: defineTopology({ name: 'solo', inputs: [{ topic: 'solo.in' }], stages: [{ name: 's', stateful: false, process: () => undefined }] }),
      kafka: testKafka(),
      db: mongo.db('unused'),
      prefix,
    });
    await expect(runtime.start()).rejects.toThrow(/solo\.in\.dlq\.v1/);
  });

  it('runtime – stages hand values to the next stage in memory, timers fire through the owning actor by the injected clock, metrics are exposed', async () => {
    const prefix = `${uniqueName('chain')}.`;
    const db = mongo.db(prefix.replace(/[.-]/g, '_'));
    await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic: `${prefix}chain.in`, numPartitions: 2 }, { topic: `${prefix}chain.in.dlq.v1`, numPartitions: 1 }, { topic: `${prefix}chain.out`, numPartitions: 2 }] }));
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
    const seen: string[] = [];

    const parse: Processor<Raw, never> = {
      name: 'parse',
      stateful: false,
      process(record, ctx) {
        ctx.forward({ n: record.value.n, upper: record.value.text.toUpperCase(), remindAt: record.value.remindAt ?? null });
      },
    };
    const keep: Processor<{ n: number; upper: string; remindAt: number | null }, { count: number; last: string; reminded: number }> = {
      name: 'keep',
      process(record, ctx) {
        const state = ctx.state.get() ?? { count: 0, last: '', reminded: 0 };
        const next = { ...state, count: state.count + 1, last: record.value.upper };
        ctx.state.set(next);
        seen.push(`${ctx.key}:${record.value.n}`);
        if (record.value.remindAt !== null) ctx.schedule(record.value.remindAt, { n: record.value.n }, 'remind');
        ctx.views.upsert('chain', ctx.key, next.count * 100 + next.reminded, next);
        ctx.emitRaw('chain.out', ctx.key, Buffer.from(next.last));
        ctx.metrics.increment('kept');
      },
      onTimer(timer, ctx) {
        const state = ctx.state.get() ?? { count: 0, last: '', reminded: 0 };
        const next = { ...state, reminded: state.reminded + 1 };
        ctx.state.set(next);
        seen.push(`${ctx.key}:timer:${String(timer.payload['n'])}`);
        ctx.views.upsert('chain', ctx.key, next.count * 100 + next.reminded, next);
      },
    };
    const runtime = new Runtime({
      topology: defineTopology({
        name: 'chain',
        inputs: [{ topic: 'chain.in', decode: (bytes) => JSON.parse(bytes.toString()) as Raw }],
        stages: [parse, keep],
      }),
      kafka: testKafka(),
      db,
      prefix,
      clock,
      options: { timerPollMs: 20, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 },
    });
    await runtime.start();
    try {
      const remindAt = clock.now() + 60_000;
      await produce(`${prefix}chain.in`, [
        { key: 'a', value: { n: 1, text: 'one', remindAt } },
        { key: 'a', value: { n: 2, text: 'two' } },
        { key: 'b', value: { n: 1, text: 'uno' } },
      ]);
      await waitFor('the records', async () => {
        const docs = await db.collection('chain').find({}).toArray();
        return docs.length === 2 && docs.every((d) => d['count'] === (String(d._id) === 'a' ? 2 : 1)) ? docs : undefined;
      }, 60_000, 200);
      expect(seen.filter((s) => s.startsWith('a:'))).toEqual(['a:1', 'a:2']);
      // Not due yet: nothing fires however long we wait in real time.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).not.toContain('a:timer:1');
      clock.advance(60_000);
      const fired = await waitFor('the timer', async () => {
        const doc = await db.collection('chain').findOne({ _id: 'a' as never });
        return doc?.['reminded'] === 1 ? doc : undefined;
      }, 30_000, 100);
      expect(fired).toMatchObject({ count: 2, last: 'TWO', reminded: 1 });
      // The state document holds no timer any more.
      const stored = await db.collection('rt_chain_state').findOne({ _id: 'a' as never });
      expect(unpackDocument(stored!)['t']).toEqual({});
      const text = await runtime.metricsText();
      for (const name of ['hycal_runtime_consumer_lag', 'hycal_runtime_process_seconds_bucket{le="0.0005",processor="keep"}', 'hycal_runtime_inflight_actors', 'hycal_runtime_dead_letters_total', 'hycal_runtime_timer_lag_seconds_count{topology="chain"} 1', 'hycal_processor_kept{processor="keep"} 3']) {
        expect(text).toContain(name);
      }
    } finally {
      await runtime.stop();
    }
  }, 120_000);
});
