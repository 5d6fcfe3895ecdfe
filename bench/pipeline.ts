// Benchmark: the meetings pipeline on the real stack (`npm run bench -- pipeline`): sealed raw
// calendar records → parse + encrypt → calendar.meetings.v1 → meeting-views (obtp: device events;
// materialize: user meeting days) → obtp-device-view (device bookings), against the runtime's no-op passthrough of the same
// raw records in the same run.
//
// Throughput: N raw records (one meeting each, starting within the Join lead time on a room with a
// shared device) pre-produced; the phase ends when every record's Join button is on
// obtp.devices.v1, meeting-views has committed all of calendar.meetings.v1 and the device view all
// of obtp.devices.v1. The reported rate is steady and durable: from the first Join event out until
// every record's views and state are written and committed (the runtime produces messages ahead of
// its MongoDB writes, so the rate of Join events, in the note, is only an upper bound); the
// passthrough's rate is from the broker timestamps of its first and last output (its quick run is
// mostly group join and lease claims otherwise). The note has the rate from the runtimes' start,
// the mean effect-cycle (produce + MongoDB) and processor-call times per topology, and the bench
// process's resident memory peak. MongoDB round trips are counted per meeting over that phase (by
// command and collection). Latency: new meetings, built and sealed beforehand, at a steady rate
// into the warm pipeline, first at half the steady throughput, then at the goal's 1,000/s for
// 10 s (goal p99 ≤ 2 s), then at 1,000/s for a minute (a rate held above what MongoDB writes
// reaches the bound on how far Join events may run ahead of the writes, `maxUnwrittenItems`);
// latency = the JOIN_SHOW record's broker timestamp − the raw record's send time; each phase's note
// also has the cores busy (the pipeline's process, the machine) and the process's event loop delay
// and GC pauses from its first record sent to its last Join event (bench/process-watch.ts). Each phase ends
// once every view and state is written (how long after its last record is in the note), so the
// next starts on a drained pipeline. The latency phases send from a process of their own
// (bench/pipeline-load.ts): sent from the bench's process, which also runs the pipeline, 1,000/s
// came out at 473–566/s.
//
// Rooms: 10,000 (1,000 with --quick). Every meeting starts within the Join lead time, so all of a
// room's meetings land on today's day document and its device's bookings; a room holds about 5–7
// (20,000 + about 35,000 + 10,000 meetings) when the 10-s phase at 1,000/s starts, a busy room's
// real day, and about 12–13 by the end of the minute at 1,000/s. Until
// 2026-12-06 the bench used 1,000 rooms: 65 meetings on one room's day by the end, so every meeting
// rewrote 30–60 KB day and device documents, which no real room has (the note of that run is in
// git history: bench/results/pipeline.md).
//
// The store alone (bench/pipeline-store.ts): the documents the throughput phase wrote are read
// back as stored once it drained, and after the last phase, with the pipeline stopped, written
// again as newer versions the way the runtime writes them; that rate divided by the documents the
// pipeline writes per meeting (counted over the throughput phase) is the highest durable rate this
// store allows it here. The machine's busy CPU (/proc/stat, every process) is read over the
// throughput phase and the timed pass: CPU per meeting and per upsert, so the cores a rate needs.
//
// Writes: bulk mode, bulks of ≤ 20 ops, 2 in flight (`runtime.bulkInFlight`; BENCH_BULK_IN_FLIGHT=1
// runs the bench with one, for comparison; BENCH_MAX_UNWRITTEN=<n> sets `runtime.maxUnwrittenItems`,
// BENCH_DISPATCH_SLICE_MS=<n> `runtime.dispatchSliceMs`, 0 for no slicing).
//
// Profile: `node --cpu-prof --cpu-prof-dir=<dir> bin/hycal.js bench pipeline --quick`; CPU per
// stage without the stack: `npm run bench -- pipeline-stages`.
//
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
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
import { createSchemaRegistry, DAY_MS, provisionTopics, TopicCodec } from '../schemas/index.js';
import { createParseProcessor } from '../processors/parse/index.js';
import type { SendResult, SendSpec } from './pipeline-load.js';
import { readStored, storeAlone } from './pipeline-store.js';
import { coresText, loopAndGcText, machineBusyMs, watchProcess, type ProcessWatch } from './process-watch.js';
import type { BenchOptions, BenchReport } from './report.js';

const HERE = dirname(fileURLToPath(import.meta.url));

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

/** When the bench's meetings start and end, after they are built (the start is within the Join lead time). */
const MEETING_STARTS_IN_MS = 60_000;
const MEETING_ENDS_IN_MS = 3_600_000;

/** Sealed raw records of new meetings, each on its own room mailbox (`keys` rooms in turn), starting now. */
async function rawMeetings(ctx: Ctx, from: number, count: number, keys: number, tag: string): Promise<{ key: string; value: Buffer; bookingId: string }[]> {
  const now = Date.now();
  const out: { key: string; value: Buffer; bookingId: string }[] = [];
  for (let i = from; i < from + count; i += 1) {
    const mailboxId = `room-${i % keys}`;
    const eventId = `${tag}-${i}`;
    const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000');
    const event = {
      id: eventId, subject: 'Weekly sync', start: { dateTime: iso(now + MEETING_STARTS_IN_MS), timeZone: 'UTC' }, end: { dateTime: iso(now + MEETING_ENDS_IN_MS), timeZone: 'UTC' },
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
const WRITES = { mongoWriteMode: 'bulk', bulkMaxOps: 20, bulkInFlight: Number(process.env['BENCH_BULK_IN_FLIGHT'] ?? 2) } as const;
/** `runtime.maxUnwrittenItems` for the bench's runtimes (BENCH_MAX_UNWRITTEN; the runtime's default otherwise). */
const MAX_UNWRITTEN = process.env['BENCH_MAX_UNWRITTEN'] === undefined ? undefined : Number(process.env['BENCH_MAX_UNWRITTEN']);
/** `runtime.dispatchSliceMs` for the bench's runtimes (BENCH_DISPATCH_SLICE_MS, 0 = no slicing; the runtime's default otherwise). */
const SLICE_MS = process.env['BENCH_DISPATCH_SLICE_MS'] === undefined ? undefined : Number(process.env['BENCH_DISPATCH_SLICE_MS']);

function newRuntime(ctx: Ctx, topology: Topology): Runtime {
  return new Runtime({ topology, kafka: ctx.kafka, db: ctx.db, codec: ctx.codec, prefix: ctx.prefix, logger: silentLogger, clock: systemClock, options: { maxWaitTimeMs: 100, commitIntervalMs: 200, timerPollMs: 100, ...WRITES, ...(MAX_UNWRITTEN === undefined ? {} : { maxUnwrittenItems: MAX_UNWRITTEN }), ...(SLICE_MS === undefined ? {} : { dispatchSliceMs: SLICE_MS }) } });
}

/** Sends records at `rate` from a process of its own (bench/pipeline-load.ts); returns each one's send time. */
async function sendFromChild(spec: SendSpec): Promise<SendResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'pipeline-load.ts')], { stdio: ['pipe', 'pipe', 'inherit'], cwd: join(HERE, '..') });
  child.stdin.end(`${JSON.stringify(spec)}\n`);
  const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
  return new Promise<SendResult>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bench sender exited (${code ?? 'signal'}) without a result`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as SendResult));
  });
}

/** A collection's name in the notes: the bench's own meetings topology under its generic name. */
const shortName = (collection: string): string => collection.replace(/^rt_bench-meetings-[0-9a-f]+_/, 'rt_meetings_');

/** MongoDB round trips by command and collection (the driver's command monitoring). */
class RoundTrips {
  readonly counts = new Map<string, number>();
  /** Documents written (ops of update, insert and delete commands) per collection. */
  readonly writes = new Map<string, number>();
  on = false;

  watch(mongo: MongoClient): void {
    mongo.on('commandStarted', (event) => {
      if (!this.on) return;
      const command = event.command as Record<string, unknown>;
      const target = command[event.commandName];
      const ops = command['updates'] ?? command['documents'] ?? command['deletes'];
      if (typeof target === 'string' && Array.isArray(ops)) this.writes.set(target, (this.writes.get(target) ?? 0) + ops.length);
      const collection = typeof target === 'string' ? shortName(target) : '';
      const kind = `${event.commandName} ${collection}`.trim();
      this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    });
  }

  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  /** The collections written, most written first, with their documents written per meeting. */
  written(per: number): { collection: string; perMeeting: number }[] {
    return [...this.writes].sort((a, b) => b[1] - a[1]).map(([collection, n]) => ({ collection, perMeeting: n / per }));
  }

  summary(per: number): string {
    return [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([kind, n]) => `${kind} ${(n / per).toFixed(2)}`).join(', ');
  }
}

/**
 * Output rate from the broker timestamps of a topic's records (first to last): precise even for a
 * phase shorter than the polling interval (the passthrough of the quick run takes well under a
 * second on a quiet machine).
 */
async function outputRate(kafka: Kafka, topic: string, expected: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-span-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
  let n = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const at = Number(message.timestamp);
          n += 1;
          first = Math.min(first, at);
          last = Math.max(last, at);
        }
        await Promise.resolve();
      },
    });
    const deadline = Date.now() + 120_000;
    while (n < expected && Date.now() < deadline) await sleep(100);
  } finally {
    await consumer.disconnect();
  }
  return last > first ? ((n - 1) / (last - first)) * 1_000 : Number.NaN;
}

/** Mean of a prom histogram per label value, from a runtime's metrics text: "label mean ms × count". */
function histogramMeans(text: string, metric: string): string {
  const sums = new Map<string, number>();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${metric}_(sum|count)\\{([^}]*)\\} ([0-9.e+-]+)$`).exec(line);
    if (match === null) continue;
    const label = [...match[2]!.matchAll(/="([^"]*)"/g)].map((value) => value[1]).join('/');
    (match[1] === 'sum' ? sums : counts).set(label, Number(match[3]));
  }
  return [...counts].map(([label, count]) => `${label} ${(((sums.get(label) ?? 0) / Math.max(1, count)) * 1_000).toFixed(1)} ms × ${count}`).join(', ');
}

/**
 * Throughput of a phase two ways: over the whole phase from the runtimes' start (group joins,
 * lease claims and first state loads included), and steady, from the first output seen to the
 * last (what the topology sustains once running). Both the passthrough and the pipeline are
 * measured alike, so the ratio compares like with like.
 */
class PhaseClock {
  readonly #started = Date.now();
  #first: { at: number; n: number } | undefined;

  seen(n: number): void {
    if (n > 0 && this.#first === undefined) this.#first = { at: Date.now(), n };
  }

  rates(total: number): { whole: number; steady: number } {
    const now = Date.now();
    const whole = (total / (now - this.#started)) * 1_000;
    const first = this.#first;
    if (first === undefined || now - first.at < 500 || total - first.n <= 0) return { whole, steady: whole };
    return { whole, steady: ((total - first.n) / (now - first.at)) * 1_000 };
  }
}

async function passthrough(ctx: Ctx, records: number, progress: BenchOptions['progress']): Promise<{ whole: number; steady: number }> {
  const topology = defineTopology({
    name: `bench-noop-${randomBytes(3).toString('hex')}`,
    inputs: [{ topic: 'calendar.raw.v1', decode: (bytes) => bytes }],
    stages: [{ name: 'noop', stateful: false, process: (record, c) => c.emitRaw('bench.noop.out', record.key, record.raw) }],
    outputs: ['bench.noop.out'],
  });
  const runtime = newRuntime(ctx, topology);
  const clock = new PhaseClock();
  await runtime.start();
  try {
    for (;;) {
      const n = await topicCount(ctx.kafka, `${ctx.prefix}bench.noop.out`);
      clock.seen(n);
      progress(n, records, 'no-op passthrough');
      if (n >= records) break;
      await sleep(200);
    }
    const whole = clock.rates(records).whole;
    return { whole, steady: await outputRate(ctx.kafka, `${ctx.prefix}bench.noop.out`, records) };
  } finally {
    await runtime.stop();
  }
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const records = options.quick ? 3_000 : 20_000;
  const keys = options.quick ? 1_000 : 10_000;
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
    for (let r = 0; r < keys; r += 50) {
      await Promise.all(Array.from({ length: Math.min(50, keys - r) }, (_, i) => registerDevices(db, TENANT, `room-${r + i}`, [{ deviceId: `dev-${r + i}`, mode: 'shared' }])));
    }
    const seedBuiltAt = Date.now();
    const seed = await rawMeetings(ctx, 0, records, keys, `t${tag}`);
    for (let i = 0; i < seed.length; i += 2_000) await producer.send({ topic: `${prefix}calendar.raw.v1`, acks: -1, messages: seed.slice(i, i + 2_000).map(({ key, value }) => ({ key, value })) });

    const baseline = await passthrough(ctx, records, options.progress);

    const pipeline = definePipelineTopologies({ db, clock: systemClock, keyring: made.keyring });
    const meetings = defineMeetingsTopology({ parse: createParseProcessor({ keyring: made.keyring }), keyring: made.keyring, name: `bench-meetings-${tag}` });
    const clock = new PhaseClock();
    // Resident memory of this process (the pipeline's four runtimes), sampled while they run.
    let rssPeak = 0;
    const rssSampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 250).unref();
    trips.on = true;
    const busyBefore = machineBusyMs();
    for (const topology of [meetings, ...pipeline.all]) runtimes.push(newRuntime(ctx, topology));
    await Promise.all(runtimes.map((r) => r.start()));
    for (;;) {
      const shown = await topicCount(kafka, `${prefix}obtp.devices.v1`);
      clock.seen(Math.floor(shown / 2));
      options.progress(Math.min(shown / 2, records), records, 'pipeline');
      if (shown >= 2 * records
        && (await committedAll(kafka, runtimes[1]!.groupId, `${prefix}calendar.meetings.v1`))
        && (await committedAll(kafka, runtimes[2]!.groupId, `${prefix}obtp.devices.v1`))) break;
      await sleep(200);
    }
    // Steady = durable: from the first Join event out to every record's effects written and
    // committed (messages are produced ahead of the MongoDB writes, so the rate at which Join
    // events come out is only an upper bound; it is in the note).
    const throughput = clock.rates(records);
    const busyAfter = machineBusyMs();
    const cpuPerMeeting = busyBefore === null || busyAfter === null ? null : (busyAfter - busyBefore) / records;
    const joinOutRate = (await outputRate(kafka, `${prefix}obtp.devices.v1`, 2 * records)) / 2;
    // (Two device events per meeting: BOOKING_UPSERT and JOIN_SHOW.) Where the time goes, per topology and stage: effect cycles (produce + MongoDB writes, the
    // waits) and processor calls (CPU plus the processor's own awaits: registry, KMS).
    const metrics = await Promise.all(runtimes.map((r) => r.metricsText()));
    const waitsNote = `flush cycles: ${metrics.map((m) => histogramMeans(m, 'hycal_runtime_flush_seconds')).join(', ')}; by phase: ${metrics.map((m) => histogramMeans(m, 'hycal_runtime_flush_phase_seconds')).join(', ')}; processor calls: ${metrics.map((m) => histogramMeans(m, 'hycal_runtime_process_seconds')).join(', ')}`;
    trips.on = false;
    const tripsNote = `MongoDB round trips per meeting ${(trips.total() / records).toFixed(2)} (${trips.summary(records)})`;
    const written = trips.written(records).filter((w) => w.perMeeting >= 0.01);
    const writesPerMeeting = written.reduce((sum, w) => sum + w.perMeeting, 0);
    // The documents of the throughput phase, written again alone once the pipeline is stopped.
    const stored = await readStored(db, written.map((w) => w.collection));
    // Meetings built within the hour before midnight UTC end the next day: each is on two day
    // documents, which doubles the day writes of that run.
    const acrossMidnight = Math.floor((seedBuiltAt + MEETING_STARTS_IN_MS) / DAY_MS) !== Math.floor((seedBuiltAt + MEETING_ENDS_IN_MS - 1) / DAY_MS);
    const writesNote = `documents written per meeting ${writesPerMeeting.toFixed(2)} (${written.map((w) => `${shortName(w.collection)} ${w.perMeeting.toFixed(2)}`).join(', ')}${acrossMidnight ? '; the meetings cross midnight UTC, so each is on two day documents' : ''})`;

    // Latency at a steady rate into the warm pipeline: first at half the steady throughput just
    // measured (what the pipeline itself adds, no backlog), then at the goal's 1,000/s. Records are
    // built and sealed before each phase, so the bench's own sealing neither slows the sending
    // below the rate nor takes CPU from the pipeline while it is measured.
    const shownAt = new Map<string, number>();
    const consumer = kafka.consumer({ groupId: `bench-lat-${tag}`, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}obtp.devices.v1`, fromBeginning: false });
    let ready = false;
    consumer.on(consumer.events.GROUP_JOIN, () => { ready = true; });
    void consumer.run({
      eachMessage: async ({ message }) => {
        const value = await codec.decode('obtp.devices.v1', message.value!);
        if (value.action === 'JOIN_SHOW' && !shownAt.has(value.bookingId)) shownAt.set(value.bookingId, Number(message.timestamp));
      },
    });
    while (!ready) await sleep(100);
    await sleep(1_000);
    let next = records;
    // Every record's effects written (views, state) and its offset committed, in every topology.
    const drained = async (): Promise<boolean> => (await committedAll(kafka, runtimes[0]!.groupId, `${prefix}calendar.raw.v1`))
      && (await committedAll(kafka, runtimes[1]!.groupId, `${prefix}calendar.meetings.v1`))
      && (await committedAll(kafka, runtimes[2]!.groupId, `${prefix}obtp.devices.v1`));
    const phase = async (rate: number, count: number, label: string): Promise<{ p50: number; p99: number; got: number; count: number; rate: number; durableMs: number; watched: ProcessWatch }> => {
      const batch = await rawMeetings(ctx, next, count, keys, `l${tag}`);
      next += count;
      options.progress(0, count, label);
      // From the first record sent to the last Join event seen: this process (the pipeline's
      // runtimes) and the machine, so a tail is told apart: a blocked event loop or no CPU to spare.
      const watch = watchProcess();
      // Sent by a process of its own (bench/pipeline-load.ts), so the rate holds while the pipeline is busy.
      const sent = await sendFromChild({ brokers, topic: `${prefix}calendar.raw.v1`, rate, records: batch.map((b) => ({ key: b.key, value: b.value.toString('base64') })) });
      const ids = batch.map((b) => b.bookingId);
      const deadline = Date.now() + 300_000;
      for (;;) {
        const shown = ids.filter((id) => shownAt.has(id)).length;
        options.progress(shown, count, label);
        if (shown === count || Date.now() > deadline) break;
        await sleep(200);
      }
      const watched = watch.stop();
      const values = ids.flatMap((id, i) => (shownAt.has(id) ? [shownAt.get(id)! - sent.sentAt[i]!] : []));
      // The views and states follow the Join events: the phase ends (and the next starts) only
      // once they are written; how long after the last record was sent is reported.
      const lastSent = Math.max(...sent.sentAt);
      while (!(await drained()) && Date.now() < deadline) await sleep(200);
      return { p50: percentile(values, 50), p99: percentile(values, 99), got: values.length, count, rate: sent.rate, durableMs: Date.now() - lastSent, watched };
    };
    const easyRate = Math.max(5, Math.round(throughput.steady / 2));
    const easy = await phase(easyRate, Math.round(easyRate * (options.quick ? 20 : 60)), `latency at ${easyRate}/s`);
    const goal = await phase(rate, latencyRecords, `latency at ${rate}/s`);
    // The same rate held for a minute: longer than the writes can trail the Join events
    // (`runtime.maxUnwrittenItems`) where MongoDB writes fewer meetings a second than that.
    const sustainedSeconds = options.quick ? 20 : 60;
    const sustained = await phase(rate, rate * sustainedSeconds, `latency at ${rate}/s for ${sustainedSeconds} s`);
    clearInterval(rssSampler);
    await consumer.disconnect();
    for (const runtime of runtimes.splice(0)) await runtime.stop();
    const alone = await storeAlone(db, stored, WRITES, options.progress);
    const storeAllows = alone.upsertsPerSec / writesPerMeeting;
    const note = `${records} raw meetings on ${keys} rooms with a shared device each, 6 partitions`;
    const steadyNote = (t: { whole: number; steady: number }): string => `steady rate (broker timestamps of the first and last output); ${Math.round(t.whole)}/s from the runtimes' start`;
    const durableNote = `steady rate from the first Join event out until every record is written to MongoDB and committed (Join events came out at ${Math.round(joinOutRate)}/s, ahead of the writes); ${Math.round(throughput.whole)}/s from the runtimes' start; resident memory peak ${Math.round(rssPeak / 1_048_576)} MiB (bench process: four runtimes, and ${Math.round(stored.bytes / 1_048_576)} MiB of documents kept for the store pass); machine CPU per meeting ${cpuPerMeeting === null ? 'not measured (no /proc/stat)' : `${cpuPerMeeting.toFixed(2)} ms (every process, from the runtimes' start until drained: ${cpuPerMeeting.toFixed(1)} cores at 1,000 meetings/s)`}`;
    const latencyNote = (l: { got: number; count: number; rate: number; durableMs: number; watched: ProcessWatch }): string => `${l.got}/${l.count} Join buttons, sent at ${Math.round(l.rate)}/s; views and states written ${(l.durableMs / 1_000).toFixed(1)} s after the last record was sent; until the last Join event: ${coresText(l.watched, 'the pipeline\'s process')}, its ${loopAndGcText(l.watched)}`;
    return {
      name: 'pipeline',
      rows: [
        { case: 'runtime no-op passthrough of calendar.raw.v1', opsPerSec: Math.round(baseline.steady), note: `${note}; ${steadyNote(baseline)}` },
        {
          case: 'raw → parse + encrypt → meeting-views (obtp + materialize) → device view (views, device events)',
          opsPerSec: Math.round(throughput.steady),
          baseline: 'runtime no-op passthrough of calendar.raw.v1',
          p50Ms: goal.p50,
          p99Ms: goal.p99,
          note: `${note}; ${durableNote}; latency at ${rate}/s for ${latencyRecords / rate} s (goal p99 ≤ 2 s): ${latencyNote(goal)}; ${writesNote}; ${tripsNote}; runtime writes ${WRITES.mongoWriteMode} (≤ ${WRITES.bulkMaxOps} ops, ${WRITES.bulkInFlight} in flight, maxUnwrittenItems ${MAX_UNWRITTEN ?? 'default'}, dispatchSliceMs ${SLICE_MS ?? 'default'}); ${waitsNote}`,
        },
        {
          case: 'the store alone: the pipeline\'s version-guarded upserts, pipeline stopped',
          opsPerSec: Math.round(alone.upsertsPerSec),
          note: `${alone.documents} documents as the throughput phase left them (so each at least as large as the average write of that phase), read back as stored and written again as newer versions, the way the runtime writes them (bulks of ≤ ${WRITES.bulkMaxOps}, ${WRITES.bulkInFlight} in flight, two writers); mean size ${Object.entries(alone.meanBytes).map(([c, b]) => `${shortName(c)} ${b} B`).join(', ')}; machine CPU per upsert ${alone.machineCpuMsPerUpsert === null ? 'not measured (no /proc/stat)' : `${alone.machineCpuMsPerUpsert.toFixed(2)} ms (every process)`}; at the pipeline's ${writesPerMeeting.toFixed(2)} documents per meeting the store alone allows ${Math.round(storeAllows)} meetings/s${alone.machineCpuMsPerUpsert === null ? '' : ` and its writes for 1,000 meetings/s would take ${(alone.machineCpuMsPerUpsert * writesPerMeeting).toFixed(1)} cores`}; the pipeline's durable rate is ${Math.round((100 * throughput.steady) / storeAllows)} % of that`,
        },
        {
          case: `raw → Join button latency at ${rate}/s for ${sustainedSeconds} s`,
          opsPerSec: Math.round(sustained.rate),
          p50Ms: sustained.p50,
          p99Ms: sustained.p99,
          note: `${latencyNote(sustained)}; Join events run ahead of the MongoDB writes by at most runtime.maxUnwrittenItems records per runtime, so a rate held above what MongoDB writes ends up at MongoDB's pace`,
        },
        {
          case: `raw → Join button latency at half the steady throughput (${easyRate}/s)`,
          opsPerSec: Math.round(easy.rate),
          p50Ms: easy.p50,
          p99Ms: easy.p99,
          note: `${latencyNote(easy)}; the steady rate above is measured on a backlog, where one flush cycle writes a room's state and views once for up to ${Math.round(records / keys)} of its meetings; a stream brings about one per room and cycle, so a latency far above a flush cycle (see the row above) means a backlog at this rate too`,
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
