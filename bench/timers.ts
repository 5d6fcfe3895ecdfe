// Benchmark: durable timers (`npm run bench -- timers`). How late timers fire through the actor
// runtime — kept in the key's state document and a per-partition index in MongoDB, looked for every
// `timerPollMs`, delivered through the owning actor — against an in-memory setTimeout for the same
// due times in the same run (what a non-durable scheduler would do). Rows: firings per second over
// the window and the lag (fired − due) p50/p99; the runtime's goal is a lag ≤ 1 s.
// The runtime rows run with a population of keys whose timers are due far ahead (OBTP for meetings
// weeks away), seeded into the store, once with the index spread over 64 documents per partition
// (the default) and once in a single document per partition (the layout before).
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { defineTopology, fieldName, Runtime, shardOf, type Processor } from '../runtime/index.js';
import { createLogger } from '../common/index.js';
import type { BenchOptions, BenchReport } from './report.js';
const PARTITIONS = 6;
const STAGE = 'alarm';

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Firing {
  readonly due: number;
  readonly at: number;
}

function summary(firings: readonly Firing[]): { opsPerSec: number; p50: number; p99: number } {
  const lags = firings.map((f) => f.at - f.due);
  const first = Math.min(...firings.map((f) => f.due));
  const last = Math.max(...firings.map((f) => f.at));
  return { opsPerSec: Math.round((firings.length / Math.max(1, last - first)) * 1_000), p50: percentile(lags, 50), p99: percentile(lags, 99) };
}

/** Due times spread evenly over the window, starting `leadMs` from now. */
function dueTimes(count: number, leadMs: number, windowMs: number): number[] {
  const start = Date.now() + leadMs;
  return Array.from({ length: count }, (_, i) => start + Math.floor((i * windowMs) / count));
}

async function baseline(count: number, windowMs: number, progress: (done: number) => void): Promise<Firing[]> {
  const firings: Firing[] = [];
  await new Promise<void>((resolve) => {
    for (const due of dueTimes(count, 500, windowMs)) {
      setTimeout(() => {
        firings.push({ due, at: Date.now() });
        progress(firings.length);
        if (firings.length === count) resolve();
      }, due - Date.now());
    }
  });
  return firings;
}

/**
 * Seeds `population` keys with one timer due weeks ahead each, as the runtime stores them: the
 * key's state document and its entry in the partition's timer index. Keys are spread over the
 * partitions by the same rule the bench's producer uses (explicit partition = index modulo).
 */
async function seed(mongo: MongoClient, dbName: string, topology: string, topic: string, population: number, shards: number): Promise<void> {
  const db = mongo.db(dbName);
  const far = Date.now() + 21 * 24 * 3_600_000;
  const states = [];
  const index = new Map<string, Record<string, number>>();
  for (let i = 0; i < population; i += 1) {
    const key = `parked${i}`;
    const due = far + i;
    states.push({ _id: key, v: 1, o: {}, s: {}, t: { [fieldName(`${STAGE}/far`)]: { id: 'far', stage: STAGE, due, p: {} } } });
    const bucket = `${topic}|${i % PARTITIONS}|${shardOf(key, shards)}`;
    const entries = index.get(bucket) ?? {};
    entries[fieldName(key)] = due;
    index.set(bucket, entries);
  }
  for (let i = 0; i < states.length; i += 5_000) await db.collection(`rt_${topology}_state`).insertMany(states.slice(i, i + 5_000) as never[]);
  await db.collection(`rt_${topology}_timers`).insertMany([...index].map(([id, t]) => ({ _id: id, t })) as never[]);
}

async function durable(kafka: Kafka, mongo: MongoClient, run: { count: number; keys: number; windowMs: number; population: number; shards: number }, progress: (done: number) => void): Promise<Firing[]> {
  const tag = randomBytes(4).toString('hex');
  const input = `bench-timers-${tag}.in`;
  const topology = `timers_${tag}`;
  const dbName = `bench_timers_${tag}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [input, `${input}.dlq.v1`].map((topic) => ({ topic, numPartitions: PARTITIONS })) });
  await admin.disconnect();
  let probing = process.env['BENCH_DEBUG'] === '1';
  const probe = (async () => {
    const started = Date.now();
    while (probing) {
      const t0 = Date.now();
      await mongo.db(dbName).collection('probe').findOne({ _id: 'x' as never });
      const t1 = Date.now();
      if (t1 - t0 > 1_000) console.error(`store stalled ${t1 - t0} ms at +${t0 - started} ms`);
      const l0 = Date.now();
      await sleep(200);
      if (Date.now() - l0 > 1_200) console.error(`event loop stalled ${Date.now() - l0 - 200} ms at +${l0 - started} ms`);
    }
  })();
  const seedStart = Date.now();
  await seed(mongo, dbName, topology, input, run.population, run.shards);
  if (probing) console.error(`seeded in ${Date.now() - seedStart} ms`);
  const firings: Firing[] = [];
  const stage: Processor<{ due: number; id: string }, never> = {
    name: STAGE,
    process(record, ctx) {
      ctx.schedule(record.value.due, {}, record.value.id);
    },
    onTimer(timer) {
      firings.push({ due: timer.dueAt, at: Date.now() });
      progress(firings.length);
    },
  };
  const runtime = new Runtime({
    topology: defineTopology({ name: topology, inputs: [{ topic: input, decode: (bytes) => JSON.parse(bytes.toString('utf8')) as { due: number; id: string } }], stages: [stage] }),
    kafka,
    db: mongo.db(dbName),
    options: { maxWaitTimeMs: 100, commitIntervalMs: 500, timerIndexShards: run.shards },
    ...(process.env['BENCH_DEBUG'] === '1' ? { logger: createLogger({ name: 'bench-timers', level: 'warn', destination: process.stderr }) } : {}),
  });
  const producer = kafka.producer();
  await runtime.start();
  try {
    for (const deadline = Date.now() + 60_000; !runtime.health().ready; await sleep(100)) {
      if (Date.now() > deadline) throw new Error('the timers runtime did not join its group in 60 s');
    }
    await producer.connect();
    // A lead of a few seconds: the timers are durable (state + index written) before they are due.
    const dues = dueTimes(run.count, 4_000, run.windowMs);
    await producer.send({
      topic: input,
      acks: -1,
      messages: dues.map((due, i) => ({ key: `k${i % run.keys}`, partition: (i % run.keys) % PARTITIONS, value: JSON.stringify({ due, id: `t${i}` }) })),
    });
    for (const deadline = Date.now() + run.windowMs + 120_000; firings.length < run.count; await sleep(100)) {
      if (Date.now() > deadline) {
        if (process.env['BENCH_DEBUG'] === '1') {
          const fired = new Set(firings.map((f) => f.due));
          const missing = dues.map((due, i) => ({ due, i, key: `k${i % run.keys}`, partition: (i % run.keys) % PARTITIONS })).filter((m) => !fired.has(m.due));
          console.error(JSON.stringify(missing.slice(0, 8)), missing.length);
          const states = mongo.db(dbName).collection(`rt_${topology}_state`);
          console.error('state docs', await states.countDocuments({}), 'odd ids', JSON.stringify(await states.find({ _id: { $not: { $type: 'string' } } } as never).limit(3).toArray()));
          const keys = new Set((await states.find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
          console.error((await runtime.metricsText()).split('\n').filter((l) => /stale|flush_retries|records_total|leases_lost|rebalances_total/.test(l) && !l.startsWith('#')).join('\n'));
          console.error('missing k-keys', Array.from({ length: run.keys }, (_, i) => `k${i}`).filter((k) => !keys.has(k)).join(','));
          for (const m of missing.slice(0, 2)) {
            console.error(JSON.stringify(await mongo.db(dbName).collection(`rt_${topology}_state`).findOne({ _id: m.key as never })));
            const bucket = `${input}|${m.partition}|${shardOf(m.key, run.shards)}`;
            const doc = await mongo.db(dbName).collection<{ _id: string; t: Record<string, number> }>(`rt_${topology}_timers`).findOne({ _id: bucket });
            console.error(bucket, JSON.stringify(doc?.t[m.key]));
          }
        }
        throw new Error(`only ${firings.length} of ${run.count} timers fired (${run.shards} index documents per partition)`);
      }
    }
    return firings;
  } finally {
    probing = false;
    await probe;
    await producer.disconnect();
    await runtime.stop();
    await mongo.db(dbName).dropDatabase().catch(() => undefined);
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: [input, `${input}.dlq.v1`] }).catch(() => undefined);
    await cleanup.disconnect();
  }
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const count = options.quick ? 400 : 2_000;
  const keys = 500;
  const windowMs = options.quick ? 4_000 : 10_000;
  const population = options.quick ? 4_000 : 40_000;
  const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');
  const kafka = new Kafka({ clientId: 'bench-timers', brokers, logLevel: logLevel.NOTHING });
  const mongo = new MongoClient(process.env['MONGODB_URI'] ?? 'mongodb://127.0.0.1:27018/');
  await mongo.connect();
  try {
    const total = count * 3;
    const base = summary(await baseline(count, windowMs, (done) => options.progress(done, total, 'setTimeout')));
    const sharded = summary(await durable(kafka, mongo, { count, keys, windowMs, population, shards: 64 }, (done) => options.progress(count + done, total, 'durable timers, 64 index documents per partition')));
    const single = summary(await durable(kafka, mongo, { count, keys, windowMs, population, shards: 1 }, (done) => options.progress(2 * count + done, total, 'durable timers, 1 index document per partition')));
    const note = `${count} timers on ${keys} keys due evenly over ${windowMs / 1_000} s, ${population} more keys with timers weeks ahead; p50/p99 = lag after the due time`;
    const baseCase = 'setTimeout in memory (not durable)';
    return {
      name: 'timers',
      rows: [
        { case: baseCase, opsPerSec: base.opsPerSec, p50Ms: base.p50, p99Ms: base.p99, note },
        { case: 'runtime durable timers, index in 64 documents per partition (default)', opsPerSec: sharded.opsPerSec, baseline: baseCase, p50Ms: sharded.p50, p99Ms: sharded.p99, note },
        { case: 'runtime durable timers, index in 1 document per partition (before)', opsPerSec: single.opsPerSec, baseline: baseCase, p50Ms: single.p50, p99Ms: single.p99, note },
      ],
    };
  } finally {
    await mongo.close();
  }
}
