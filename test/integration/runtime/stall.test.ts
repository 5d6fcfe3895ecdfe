import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { KmsUnavailableError } from '../../../kms/index.js';
import { defineTopology, Runtime, type Processor } from '../../../runtime/index.js';
import { testKafka, testMongo, uniqueName, withAdmin } from '../../support/stack.js';
import { waitFor } from './helpers.js';

/** Records (key, id) sent to an explicit partition. */
async function sendTo(topic: string, partition: number, records: readonly { key: string; id: string }[]): Promise<void> {
  const producer = testKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.id, partition })) });
  } finally {
    await producer.disconnect();
  }
}

/** The input and its dead-letter topic, visible in the topic list before the runtime checks it. */
async function createTopics(topic: string, partitions: number): Promise<void> {
  await withAdmin((admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }, { topic: `${topic}.dlq.v1`, numPartitions: 1 }] }));
  await waitFor('the topics to be listed', async () => {
    const listed = await withAdmin((admin) => admin.listTopics());
    return listed.includes(topic) && listed.includes(`${topic}.dlq.v1`) ? true : undefined;
  }, 10_000, 100);
}

async function highWatermark(topic: string): Promise<number> {
  return withAdmin(async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0));
}

/** Committed offset per partition of a group (-1: none). */
async function committed(groupId: string, topic: string): Promise<number[]> {
  return withAdmin(async (admin) => {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const out: number[] = [];
    for (const p of entry?.partitions ?? []) out[p.partition] = Number(p.offset);
    return out;
  });
}

/** A stage that records what it processed; records of `blocked` keys fail as "dependency unavailable" while `down`. */
function recordingStage(state: { down: boolean; blocked: Set<string>; seen: string[]; failures: number }): Processor<Buffer, never> {
  return {
    name: 'record',
    stateful: false,
    process(record) {
      if (state.down && state.blocked.has(record.key)) {
        state.failures += 1;
        throw new KmsUnavailableError('test dependency switched off; the work waits and retries.');
      }
      state.seen.push(`${record.key}:${record.value.toString()}`);
    },
  };
}

describe('runtime – a waiting key does not stall other keys', () => {
  let mongo: MongoClient;
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    await mongo.close();
  });

  it('runtime – a key waiting for its dependency on partition A holds neither keys fetched later on partition B nor later keys on A; its own records keep their order and nothing is processed twice', async () => {
    const prefix = `${uniqueName('stall')}.`;
    const topic = `${prefix}stall.in`;
    await createTopics(topic, 2);
    const state = { down: true, blocked: new Set(['slow']), seen: [] as string[], failures: 0 };
    const runtime = new Runtime({
      topology: defineTopology({ name: 'stall', inputs: [{ topic: 'stall.in', decode: (bytes) => bytes }], stages: [recordingStage(state)] }),
      kafka: testKafka(),
      db: mongo.db('unused'),
      prefix,
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100, commitIntervalMs: 200, retry: { initialMs: 50, maxMs: 200, maxAttempts: 3 } },
    });
    await runtime.start();
    try {
      await sendTo(topic, 0, [{ key: 'slow', id: '1' }, { key: 'a', id: '1' }]);
      await waitFor('the slow key to fail and the other key of its batch to pass', () => (state.failures >= 3 && state.seen.includes('a:1') ? true : undefined), 30_000, 50);

      // Fetched after the slow key started waiting: later records on its partition and on the other one.
      await sendTo(topic, 1, [{ key: 'b', id: '1' }, { key: 'c', id: '1' }]);
      await sendTo(topic, 0, [{ key: 'a', id: '2' }, { key: 'slow', id: '2' }, { key: 'd', id: '1' }]);
      await sendTo(topic, 1, [{ key: 'b', id: '2' }]);
      await waitFor('keys of partition B and later keys of partition A while the slow key waits', () => (['b:1', 'c:1', 'b:2', 'a:2', 'd:1'].every((r) => state.seen.includes(r)) ? true : undefined), 30_000, 50);
      // The slow key still waits: none of its records went through, none was dead-lettered, and
      // partition A's commit has not passed its first record (offset 0); partition B's moved on.
      expect(state.seen.filter((r) => r.startsWith('slow:'))).toEqual([]);
      expect(await highWatermark(`${topic}.dlq.v1`)).toBe(0);
      await waitFor('partition B committed', async () => ((await committed(runtime.groupId, topic))[1] === 3 ? true : undefined), 10_000, 100);
      expect((await committed(runtime.groupId, topic))[0] ?? -1).toBeLessThanOrEqual(0);

      state.down = false;
      await waitFor('everything to be processed', () => (state.seen.length >= 8 ? true : undefined), 30_000, 50);
      // Give a wrongly re-dispatched record a chance to show up.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect([...state.seen].sort()).toEqual(['a:1', 'a:2', 'b:1', 'b:2', 'c:1', 'd:1', 'slow:1', 'slow:2']);
      expect(state.seen.filter((r) => r.startsWith('slow:'))).toEqual(['slow:1', 'slow:2']);
      expect(state.seen.filter((r) => r.startsWith('a:'))).toEqual(['a:1', 'a:2']);
      expect(state.seen.filter((r) => r.startsWith('b:'))).toEqual(['b:1', 'b:2']);
      expect(await highWatermark(`${topic}.dlq.v1`)).toBe(0);
      await waitFor('both partitions committed to their end', async () => {
        const offsets = await committed(runtime.groupId, topic);
        return offsets[0] === 5 && offsets[1] === 3 ? true : undefined;
      }, 10_000, 100);
      const text = await runtime.metricsText();
      expect(text).toContain('hycal_runtime_rebalances_total{topology="stall"} 1');
    } finally {
      await runtime.stop();
    }
  }, 90_000);

  it('runtime – failures saying a dependency is unavailable wait past the attempt budget and complete when it is back, nothing dead-lettered; other transient failures keep the budget', async () => {
    const prefix = `${uniqueName('unavail')}.`;
    const topic = `${prefix}wait.in`;
    await createTopics(topic, 1);
    const state = { down: true, blocked: new Set(['k1', 'k2']), seen: [] as string[], failures: 0 };
    const base = recordingStage(state);
    let flaky = 0;
    const stage: Processor<Buffer, never> = {
      name: 'record',
      stateful: false,
      process(record, ctx) {
        if (record.key === 'flaky') {
          flaky += 1;
          throw Object.assign(new Error('a transient failure that is not an outage'), { name: 'MongoNetworkError' });
        }
        return base.process(record, ctx);
      },
    };
    const runtime = new Runtime({
      topology: defineTopology({ name: 'wait', inputs: [{ topic: 'wait.in', decode: (bytes) => bytes }], stages: [stage] }),
      kafka: testKafka(),
      db: mongo.db('unused'),
      prefix,
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100, commitIntervalMs: 200, retry: { initialMs: 20, maxMs: 100, maxAttempts: 3 } },
    });
    await runtime.start();
    try {
      await sendTo(topic, 0, [{ key: 'k1', id: '1' }, { key: 'k2', id: '1' }, { key: 'flaky', id: '1' }, { key: 'k1', id: '2' }]);
      // The flaky record uses its budget of 3 attempts and is dead-lettered.
      await waitFor('the flaky record to be dead-lettered', async () => ((await highWatermark(`${topic}.dlq.v1`)) >= 1 ? true : undefined), 30_000, 100);
      expect(flaky).toBe(3);
      // Far more failures than the budget of 3 per record: still waiting, not dead-lettered.
      await waitFor('the waiting records to fail well past the budget', () => (state.failures >= 30 ? true : undefined), 30_000, 50);
      expect(state.seen).toEqual([]);
      expect(await highWatermark(`${topic}.dlq.v1`)).toBe(1);

      state.down = false;
      await waitFor('the waiting records to complete', () => (state.seen.length >= 3 ? true : undefined), 30_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(state.seen.filter((r) => r.startsWith('k1:'))).toEqual(['k1:1', 'k1:2']);
      expect([...state.seen].sort()).toEqual(['k1:1', 'k1:2', 'k2:1']);
      expect(await highWatermark(`${topic}.dlq.v1`)).toBe(1);
      expect(flaky).toBe(3);
    } finally {
      await runtime.stop();
    }
  }, 90_000);
  it('runtime – a partition with more unfinished records than maxPendingPerPartition is paused until they are done, then resumes without processing anything twice', async () => {
    const prefix = `${uniqueName('bound')}.`;
    const topic = `${prefix}bound.in`;
    await createTopics(topic, 2);
    const state = { down: true, blocked: new Set(['slow']), seen: [] as string[], failures: 0 };
    const runtime = new Runtime({
      topology: defineTopology({ name: 'bound', inputs: [{ topic: 'bound.in', decode: (bytes) => bytes }], stages: [recordingStage(state)] }),
      kafka: testKafka(),
      db: mongo.db('unused'),
      prefix,
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100, commitIntervalMs: 200, maxPendingPerPartition: 2, retry: { initialMs: 50, maxMs: 200, maxAttempts: 3 } },
    });
    await runtime.start();
    try {
      await sendTo(topic, 0, [{ key: 'slow', id: '1' }, { key: 'slow', id: '2' }, { key: 'a', id: '1' }]);
      await waitFor('the slow key to wait and the other key of its batch to pass', () => (state.failures >= 3 && state.seen.includes('a:1') ? true : undefined), 30_000, 50);
      // Two records of partition A are unfinished: it is paused; partition B flows.
      await sendTo(topic, 0, [{ key: 'a', id: '2' }]);
      await sendTo(topic, 1, [{ key: 'b', id: '1' }]);
      await waitFor('partition B', () => (state.seen.includes('b:1') ? true : undefined), 30_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(state.seen.includes('a:2')).toBe(false);

      state.down = false;
      await waitFor('everything', () => (state.seen.length >= 5 ? true : undefined), 30_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(state.seen.filter((r) => r.startsWith('slow:'))).toEqual(['slow:1', 'slow:2']);
      expect(state.seen.filter((r) => r.startsWith('a:'))).toEqual(['a:1', 'a:2']);
      expect([...state.seen].sort()).toEqual(['a:1', 'a:2', 'b:1', 'slow:1', 'slow:2']);
      expect(await highWatermark(`${topic}.dlq.v1`)).toBe(0);
    } finally {
      await runtime.stop();
    }
  }, 90_000);
});
