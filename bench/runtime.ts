// Benchmark: a no-op processor through the actor runtime vs a plain kafkajs consume→produce
// passthrough, on the same broker in the same run (`npm run bench -- runtime`).
//
// Both pipelines copy every record (same bytes, same key) from an input topic to an output topic,
// producing with acks = all and committing input offsets only after the output is acknowledged.
// Throughput: N records pre-produced, timed from the first to the last output record (group join
// excluded). Latency: records produced at a steady rate while the pipeline runs; latency = output
// record's timestamp − input record's timestamp (carried in a header).
//
// One measurement of either lasts 2-4 s, and pairs measured back to back on this machine gave
// ratios from 0.62 to 1.06; in one run of six pairs every pair with the passthrough first gave
// 0.86-1.04 and every pair with the runtime first 0.62-0.77. So a run measures an even number of
// pairs (4), alternating which pipeline goes first, collects the garbage before each measurement
// (neither pays for the other's), and reports the median of the pairs' ratios (with an even count,
// the mean of the middle two), every pair's ratio in the note.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { defineTopology, Runtime, type Processor } from '../runtime/index.js';
import { collectGarbage } from './gc.js';
import type { BenchOptions, BenchReport } from './report.js';


export interface RuntimeBenchOptions {
  records?: number;
  keys?: number;
  partitions?: number;
  latencyRecords?: number;
  latencyRate?: number;
  brokers?: string[];
  mongodbUri?: string;
  /** The runtime's `producerMaxInFlight` (1 = strict order across retries, the default). */
  producerMaxInFlight?: number;
  /** Pairs of measurements (passthrough and runtime, alternating which goes first). */
  rounds?: number;
  progress?: BenchOptions['progress'];
}

interface Pipeline {
  readonly name: string;
  start(input: string, output: string): Promise<void>;
  stop(): Promise<void>;
}

function passthroughBaseline(kafka: Kafka, group: string): Pipeline {
  let consumer: Consumer | null = null;
  let producer: Producer | null = null;
  return {
    name: 'kafkajs passthrough',
    async start(input, output) {
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: input, fromBeginning: true });
      const send = producer;
      await consumer.run({
        partitionsConsumedConcurrently: 6,
        eachBatch: async (payload) => {
          const { batch } = payload;
          // In requests under the broker's 1 MiB record-batch limit, like the runtime's flusher.
          for (let i = 0; i < batch.messages.length; i += 3_000) {
            await send.sendBatch({
              acks: -1,
              topicMessages: [{ topic: output, messages: batch.messages.slice(i, i + 3_000).map((m) => ({ key: m.key, value: m.value, headers: { 'in-ts': m.timestamp } })) }],
            });
          }
          payload.resolveOffset(batch.lastOffset());
          await payload.commitOffsetsIfNecessary();
          await payload.heartbeat();
        },
      });
    },
    async stop() {
      await consumer?.disconnect();
      await producer?.disconnect();
    },
  };
}

function runtimePipeline(kafka: Kafka, mongo: MongoClient, group: string, producerMaxInFlight: number): Pipeline {
  let runtime: Runtime | null = null;
  return {
    name: 'runtime no-op',
    async start(input, output) {
      const noop: Processor<Buffer, never> = {
        name: 'noop',
        stateful: false,
        process(record, ctx) {
          ctx.emitRaw(output, record.key, record.raw, { 'in-ts': String(record.timestamp) });
        },
      };
      runtime = new Runtime({
        topology: defineTopology({ name: 'bench', inputs: [{ topic: input, decode: (bytes) => bytes }], stages: [noop] }),
        kafka,
        db: mongo.db(`bench_${randomBytes(3).toString('hex')}`),
        groupId: group,
        options: { maxConcurrentKeys: 1_024, maxWaitTimeMs: 100, commitIntervalMs: 1_000, partitionsConsumedConcurrently: 6, producerMaxInFlight },
      });
      await runtime.start();
    },
    async stop() {
      await runtime?.stop();
    },
  };
}

async function topicCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function produceRecords(producer: Producer, topic: string, count: number, keys: number, start = 0, fill = 'x'): Promise<void> {
  const value = Buffer.alloc(200, fill);
  for (let i = 0; i < count; i += 2_000) {
    const n = Math.min(2_000, count - i);
    await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, j) => ({ key: `tenant/mailbox-${(start + i + j) % keys}`, value })) });
  }
}

/**
 * Reads the whole output topic. Throughput: throughput-phase records over the span of their output
 * timestamps (set when the pipeline produced them). Latency: latency-phase records, output
 * timestamp − input timestamp.
 */
async function readOutput(kafka: Kafka, topic: string, total: number): Promise<{ spanMs: number; throughputRecords: number; latencies: number[] }> {
  const consumer = kafka.consumer({ groupId: `bench-lat-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = 0;
  let throughputRecords = 0;
  const lats: number[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            seen += 1;
            const ts = Number(m.timestamp);
            if (m.value?.[0] === 0x4c) {
              lats.push(ts - Number(m.headers?.['in-ts']?.toString() ?? 'NaN'));
            } else {
              throughputRecords += 1;
              minTs = Math.min(minTs, ts);
              maxTs = Math.max(maxTs, ts);
            }
          }
          if (seen >= total) resolve();
          await Promise.resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return { spanMs: Math.max(1, maxTs - minTs), throughputRecords, latencies: lats };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(kafka: Kafka, pipeline: Pipeline, options: { records: number; keys: number; partitions: number; latencyRecords: number; latencyRate: number }): Promise<{ opsPerSec: number; p50: number; p99: number }> {
  const tag = randomBytes(4).toString('hex');
  const input = `bench-rt-${tag}.in`;
  const output = `bench-rt-${tag}.out`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [input, output, `${input}.dlq.v1`].map((topic) => ({ topic, numPartitions: options.partitions })) });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  try {
    await produceRecords(producer, input, options.records, options.keys);
    await pipeline.start(input, output);
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`${pipeline.name}: the output did not reach ${options.records} records in 300 s`);
      const n = await topicCount(kafka, output);
      if (process.env['BENCH_DEBUG'] === '1') console.error(pipeline.name, 'output', n);
      if (n >= options.records) break;
      await sleep(200);
    }
    // Latency: a steady rate into the warm pipeline.
    const perTick = Math.max(1, Math.round(options.latencyRate / 20));
    for (let sent = 0; sent < options.latencyRecords; sent += perTick) {
      await produceRecords(producer, input, Math.min(perTick, options.latencyRecords - sent), options.keys, sent, 'L');
      await sleep(50);
    }
    for (;;) {
      if (Date.now() > deadline + 60_000) throw new Error(`${pipeline.name}: the latency records did not all arrive`);
      if ((await topicCount(kafka, output)) >= options.records + options.latencyRecords) break;
      await sleep(100);
    }
    const out = await readOutput(kafka, output, options.records + options.latencyRecords);
    return { opsPerSec: (out.throughputRecords / out.spanMs) * 1_000, p50: percentile(out.latencies, 50), p99: percentile(out.latencies, 99) };
  } finally {
    await pipeline.stop();
    await producer.disconnect();
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: [input, output, `${input}.dlq.v1`] }).catch(() => undefined);
    await cleanup.disconnect();
  }
}

export async function run(opts: RuntimeBenchOptions & Partial<Pick<BenchOptions, 'quick'>> = {}): Promise<BenchReport> {
  const options = {
    records: opts.records ?? (opts.quick === true ? 20_000 : 100_000),
    keys: opts.keys ?? 1_000,
    partitions: opts.partitions ?? 6,
    latencyRecords: opts.latencyRecords ?? 2_000,
    latencyRate: opts.latencyRate ?? 1_000,
  };
  const rounds = opts.rounds ?? (opts.quick === true ? 2 : 4);
  const brokers = opts.brokers ?? (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');
  const kafka = new Kafka({ clientId: 'bench-runtime', brokers, logLevel: logLevel.NOTHING });
  const mongo = new MongoClient(opts.mongodbUri ?? process.env['MONGODB_URI'] ?? 'mongodb://127.0.0.1:27018/');
  await mongo.connect();
  try {
    const pairs: { baseline: Measured; runtime: Measured }[] = [];
    const one = async (which: 'baseline' | 'runtime'): Promise<Measured> => {
      collectGarbage();
      const tag = randomBytes(4).toString('hex');
      return await measure(kafka, which === 'baseline' ? passthroughBaseline(kafka, `bench-base-${tag}`) : runtimePipeline(kafka, mongo, `bench-rt-${tag}`, opts.producerMaxInFlight ?? 1), options);
    };
    for (let round = 0; round < rounds; round += 1) {
      opts.progress?.(round, rounds, `pair ${round + 1} of ${rounds}`);
      // Even rounds measure the passthrough first, odd rounds the runtime first.
      if (round % 2 === 0) {
        const baseline = await one('baseline');
        pairs.push({ baseline, runtime: await one('runtime') });
      } else {
        const runtime = await one('runtime');
        pairs.push({ baseline: await one('baseline'), runtime });
      }
    }
    opts.progress?.(rounds, rounds, 'done');
    return { name: 'runtime', rows: runtimeRows(options, pairs) };
  } finally {
    await mongo.close();
  }
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** Rows of a run: each pipeline's median pair, the ratio the median of the pairs' ratios. */
export function runtimeRows(options: { records: number; keys: number; partitions: number; latencyRate: number }, pairs: readonly { baseline: Measured; runtime: Measured }[]): BenchReport['rows'] {
  const median = (values: readonly number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const ratios = pairs.map((p) => p.runtime.opsPerSec / p.baseline.opsPerSec);
  const order = pairs.map((_, i) => (i % 2 === 0 ? 'passthrough first' : 'runtime first'));
  const note = `${options.records} records of 200 B, ${options.keys} keys, ${options.partitions} partitions; latency at ${options.latencyRate}/s; ` +
    `median of ${pairs.length} pair${pairs.length === 1 ? '' : 's'} measured in alternating order`;
  const perPair = pairs.map((p, i) => `${Math.round(p.runtime.opsPerSec).toLocaleString('en-US')} / ${Math.round(p.baseline.opsPerSec).toLocaleString('en-US')} = ${ratios[i]!.toFixed(2)} (${order[i]})`).join(', ');
  return [
    {
      case: 'kafkajs consume→produce passthrough',
      opsPerSec: Math.round(median(pairs.map((p) => p.baseline.opsPerSec))),
      p50Ms: median(pairs.map((p) => p.baseline.p50)),
      p99Ms: median(pairs.map((p) => p.baseline.p99)),
      note: `${note}; each pair: ${pairs.map((p) => Math.round(p.baseline.opsPerSec).toLocaleString('en-US')).join(', ')} records/s`,
    },
    {
      case: 'runtime no-op processor (per-key actors, acks=all, durable-prefix commits)',
      opsPerSec: Math.round(median(pairs.map((p) => p.runtime.opsPerSec))),
      baseline: 'kafkajs consume→produce passthrough',
      ratio: Math.round(median(ratios) * 100) / 100,
      p50Ms: median(pairs.map((p) => p.runtime.p50)),
      p99Ms: median(pairs.map((p) => p.runtime.p99)),
      note: `${note}; ratio = median of the pairs' ratios (runtime / passthrough records/s): ${perPair}`,
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const records = Number(process.argv[2] ?? '100000');
  console.log(JSON.stringify(await run({ records }), null, 2));
}
