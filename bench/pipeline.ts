// Benchmark: the meetings pipeline on the real stack (`npm run bench -- pipeline`): sealed raw
// calendar records → parse + encrypt → calendar.meetings.v1 → meeting-views (obtp: device events;
// materialize: user meeting days) → obtp-device-view (device bookings), against the runtime's no-op passthrough of the same
// raw records in the same run.
//
// Throughput: N raw records (one meeting each, starting within the Join lead time on a room with a
// shared device) pre-produced; timed from the runtimes' start until every record's Join button is on
// obtp.devices.v1, meeting-views has committed all of calendar.meetings.v1 and the device view all
// of obtp.devices.v1. MongoDB round trips are counted per meeting over that phase (by command and
// collection). Latency: new meetings at
// a steady rate (default 1,000/s) into the warm pipeline; latency = the JOIN_SHOW record's broker
// timestamp − the raw record's produce time.
//
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import { definePipelineTopologies } from '../app/index.js';
import { systemClock } from '../common/index.js';
import { silentLogger } from '../common/index.js';
import { createKeyring, generateKeyText, kmsOptionsSchema, recordKeyOf, type Keyring } from '../kms/index.js';
import { sealRawEvent } from '../records/index.js';
import { defineMeetingsTopology } from '../app/index.js';
import { registerDevices } from '../processors/obtp/index.js';
import { defineTopology, Runtime, type Topology } from '../runtime/index.js';
import { createSchemaRegistry, provisionTopics, TopicCodec } from '../schemas/index.js';
import { createParseProcessor } from '../processors/parse/index.js';
import type { BenchOptions, BenchReport } from './report.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const TENANT = 'bench-tenant';

interface Ctx {
  readonly kafka: Kafka;
  readonly db: Db;
  readonly codec: TopicCodec;
  readonly keyring: Keyring;
  readonly prefix: string;
  readonly producer: Producer;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function topicCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function committedAll(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.every((end) => committed!.partitions.find((p) => p.partition === end.partition)?.offset === end.high);
  } finally {
    await admin.disconnect();
  }
}

/** Sealed raw records of new meetings, each on its own room mailbox (`keys` rooms in turn), starting now. */
async function rawMeetings(ctx: Ctx, from: number, count: number, keys: number, tag: string): Promise<{ key: string; value: Buffer; bookingId: string }[]> {
  const now = Date.now();
  const out: { key: string; value: Buffer; bookingId: string }[] = [];
  for (let i = from; i < from + count; i += 1) {
    const mailboxId = `room-${i % keys}`;
    const eventId = `${tag}-${i}`;
    const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000');
    const event = {
      id: eventId, subject: 'Weekly sync', start: { dateTime: iso(now + 60_000), timeZone: 'UTC' }, end: { dateTime: iso(now + 3_600_000), timeZone: 'UTC' },
      lastModifiedDateTime: new Date(now).toISOString(), showAs: 'busy', responseStatus: { response: 'accepted' },
      location: { displayName: 'https://acme.webex.com/meet/bench' }, body: { contentType: 'text', content: 'agenda' },
      organizer: { emailAddress: { name: 'Organizer', address: 'organizer@example.com' } },
    };
    const sealed = await sealRawEvent(ctx.keyring, { tenantId: TENANT, mailboxId, eventId, changeType: 'CREATED', source: 'DELTA', fetchedAt: now, event });
    out.push({ key: recordKeyOf(TENANT, mailboxId), value: await ctx.codec.encode('calendar.raw.v1', sealed), bookingId: `${TENANT}/${mailboxId}/${eventId}` });
  }
  return out;
}

/**
 * Bulk writes of at most 20 ops: measured on the stack's FerretDB (guarded replaceOne of ~1 kB
 * documents, load average 12): sequential 6–7 ms per op; bulkWrite 10 ops 32 ms, 20 ops 45 ms,
 * 40 ops 116 ms, 60 ops 202 ms, 100 ops did not finish in 2 minutes (super-linear). The no-op
 * passthrough writes nothing to MongoDB, so the setting only matters to the pipeline.
 */
const WRITES = { mongoWriteMode: 'bulk', bulkMaxOps: 20 } as const;

function newRuntime(ctx: Ctx, topology: Topology): Runtime {
  return new Runtime({ topology, kafka: ctx.kafka, db: ctx.db, codec: ctx.codec, prefix: ctx.prefix, logger: silentLogger, clock: systemClock, options: { maxWaitTimeMs: 100, commitIntervalMs: 200, timerPollMs: 100, ...WRITES } });
}

/** MongoDB round trips by command and collection (the driver's command monitoring). */
class RoundTrips {
  readonly counts = new Map<string, number>();
  on = false;

  watch(mongo: MongoClient): void {
    mongo.on('commandStarted', (event) => {
      if (!this.on) return;
      const target = (event.command as Record<string, unknown>)[event.commandName];
      const collection = typeof target === 'string' ? target.replace(/^rt_bench-meetings-[0-9a-f]+_/, 'rt_meetings_') : '';
      const kind = `${event.commandName} ${collection}`.trim();
      this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    });
  }

  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  summary(per: number): string {
    return [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([kind, n]) => `${kind} ${(n / per).toFixed(2)}`).join(', ');
  }
}

async function passthrough(ctx: Ctx, records: number, progress: BenchOptions['progress']): Promise<number> {
  const topology = defineTopology({
    name: `bench-noop-${randomBytes(3).toString('hex')}`,
    inputs: [{ topic: 'calendar.raw.v1', decode: (bytes) => bytes }],
    stages: [{ name: 'noop', stateful: false, process: (record, c) => c.emitRaw('bench.noop.out', record.key, record.raw) }],
    outputs: ['bench.noop.out'],
  });
  const runtime = newRuntime(ctx, topology);
  const started = Date.now();
  await runtime.start();
  try {
    for (;;) {
      const n = await topicCount(ctx.kafka, `${ctx.prefix}bench.noop.out`);
      progress(n, records, 'no-op passthrough');
      if (n >= records) break;
      await sleep(200);
    }
    return (records / (Date.now() - started)) * 1_000;
  } finally {
    await runtime.stop();
  }
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const records = options.quick ? 3_000 : 20_000;
  const keys = 1_000;
  const latencyRecords = options.quick ? 3_000 : 10_000;
  const rate = 1_000;
  const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');
  const kafka = new Kafka({ clientId: 'bench-pipeline', brokers, logLevel: logLevel.NOTHING });
  const mongo = new MongoClient(process.env['MONGODB_URI'] ?? 'mongodb://127.0.0.1:27018/', { monitorCommands: true });
  const trips = new RoundTrips();
  trips.watch(mongo);
  await mongo.connect();
  const tag = randomBytes(4).toString('hex');
  const prefix = `bench-pipe-${tag}.`;
  const db = mongo.db(`bench_pipe_${tag}`);
  const admin = kafka.admin();
  await admin.connect();
  // A busy single broker may answer metadata before a new topic's leaders exist: retry.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await provisionTopics(admin, { prefix, partitions: 6 });
      const listed = await admin.listTopics();
      if (!listed.includes(`${prefix}bench.noop.out`)) await admin.createTopics({ waitForLeaders: true, topics: [{ topic: `${prefix}bench.noop.out`, numPartitions: 6 }] });
      break;
    } catch (error) {
      if (attempt >= 8) throw error;
      await sleep(1_000 * attempt);
    }
  }
  await admin.disconnect();
  const codec = await new TopicCodec(createSchemaRegistry(process.env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:18081/apis/ccompat/v7'), { prefix }).init();
  const made = createKeyring({ db, options: kmsOptionsSchema.parse({ cacheTtlMs: 3_600_000 }), clock: systemClock, logger: silentLogger, env: { HYCAL_KMS_MASTER_KEY: generateKeyText() } });
  const producer = kafka.producer();
  await producer.connect();
  const ctx: Ctx = { kafka, db, codec, keyring: made.keyring, prefix, producer };
  const runtimes: Runtime[] = [];
  try {
    for (let r = 0; r < keys; r += 1) await registerDevices(db, TENANT, `room-${r}`, [{ deviceId: `dev-${r}`, mode: 'shared' }]);
    const seed = await rawMeetings(ctx, 0, records, keys, `t${tag}`);
    for (let i = 0; i < seed.length; i += 2_000) await producer.send({ topic: `${prefix}calendar.raw.v1`, acks: -1, messages: seed.slice(i, i + 2_000).map(({ key, value }) => ({ key, value })) });

    const baseline = await passthrough(ctx, records, options.progress);

    const pipeline = definePipelineTopologies({ db, clock: systemClock, keyring: made.keyring });
    const meetings = defineMeetingsTopology({ parse: createParseProcessor({ keyring: made.keyring }), keyring: made.keyring, name: `bench-meetings-${tag}` });
    const started = Date.now();
    trips.on = true;
    for (const topology of [meetings, ...pipeline.all]) runtimes.push(newRuntime(ctx, topology));
    await Promise.all(runtimes.map((r) => r.start()));
    for (;;) {
      const shown = await topicCount(kafka, `${prefix}obtp.devices.v1`);
      options.progress(Math.min(shown / 2, records), records, 'pipeline');
      if (shown >= 2 * records
        && (await committedAll(kafka, runtimes[1]!.groupId, `${prefix}calendar.meetings.v1`))
        && (await committedAll(kafka, runtimes[2]!.groupId, `${prefix}obtp.devices.v1`))) break;
      await sleep(200);
    }
    const throughput = (records / (Date.now() - started)) * 1_000;
    trips.on = false;
    const tripsNote = `MongoDB round trips per meeting ${(trips.total() / records).toFixed(2)} (${trips.summary(records)})`;

    // Latency at a steady rate into the warm pipeline.
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const consumer = kafka.consumer({ groupId: `bench-lat-${tag}`, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}obtp.devices.v1`, fromBeginning: false });
    let ready = false;
    consumer.on(consumer.events.GROUP_JOIN, () => { ready = true; });
    void consumer.run({
      eachMessage: async ({ message }) => {
        const value = await codec.decode('obtp.devices.v1', message.value!);
        const at = sentAt.get(value.bookingId);
        if (value.action === 'JOIN_SHOW' && at !== undefined) latencies.push(Number(message.timestamp) - at);
      },
    });
    while (!ready) await sleep(100);
    await sleep(1_000);
    const perTick = rate / 20;
    for (let sent = 0; sent < latencyRecords; sent += perTick) {
      const tickStart = Date.now();
      const batch = await rawMeetings(ctx, records + sent, perTick, keys, `l${tag}`);
      const now = Date.now();
      for (const b of batch) sentAt.set(b.bookingId, now);
      await producer.send({ topic: `${prefix}calendar.raw.v1`, acks: -1, messages: batch.map(({ key, value }) => ({ key, value })) });
      options.progress(sent, latencyRecords, 'latency');
      await sleep(Math.max(0, 50 - (Date.now() - tickStart)));
    }
    const deadline = Date.now() + 120_000;
    while (latencies.length < latencyRecords && Date.now() < deadline) await sleep(200);
    await consumer.disconnect();
    const note = `${records} raw meetings on ${keys} rooms with a shared device each, 6 partitions; latency: ${latencies.length}/${latencyRecords} Join buttons at ${rate}/s`;
    return {
      name: 'pipeline',
      rows: [
        { case: 'runtime no-op passthrough of calendar.raw.v1', opsPerSec: Math.round(baseline), note },
        {
          case: 'raw → parse + encrypt → meeting-views (obtp + materialize) → device view (views, device events)',
          opsPerSec: Math.round(throughput),
          baseline: 'runtime no-op passthrough of calendar.raw.v1',
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          note: `${note}; ${tripsNote}; runtime writes ${WRITES.mongoWriteMode} (≤ ${WRITES.bulkMaxOps} ops)`,
        },
      ],
    };
  } finally {
    for (const runtime of runtimes) await runtime.stop().catch(() => undefined);
    await producer.disconnect();
    await made.close();
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
    const cleanup = kafka.admin();
    await cleanup.connect();
    const topics = (await cleanup.listTopics()).filter((t) => t.startsWith(prefix));
    await cleanup.deleteTopics({ topics }).catch(() => undefined);
    await cleanup.disconnect();
  }
}
