import { randomBytes } from 'node:crypto';
import { startGraphSimulator, seedBasicTenant, loadOrCreateTls, type GraphSimulator, type SimSeedResult } from '@hybrid-calendar/sim-graph';
import { freePort, ManualClock, systemClock } from '../common/index.js';
import { GraphConnections, graphAccessOptionsSchema, type GraphAccess } from '../graph/index.js';
import { createLogger } from '../common/index.js';
import { buildCodec, buildKafka, buildKeyring, connectMongo, createAppContext, serviceDb, startService } from '../app/index.js';
import { KafkaNotificationSink, MailboxCommands, ProvisioningStore, STATUS_VIEW } from '../connectors/graph/index.js';
import { generateKeyText } from '../kms/index.js';
import {
  BuiltinMeetingProvider, createWritebackProcessor, HTML_BEGIN, MARKER_PROPERTY_ID, normalizeSettings, setWritebackSettings, type WritebackState,
} from '../processors/writeback/index.js';
import type { InputRecord, ProcessorContext } from '../runtime/index.js';
import type { GraphNotification, MeetingOccurrence, RawCalendarRecord } from '../schemas/index.js';
import type { BenchOptions, BenchReport, BenchRow } from './report.js';

/**
 * Write-back latency, two cases.
 *
 * End to end (the figure): the real roles of `hycal serve` (webhook, connector, processors)
 * on the real stack (Kafka, registry, MongoDB from KAFKA_BROKERS / SCHEMA_REGISTRY_URL /
 * MONGODB_URI, a topic prefix and database of its own, dropped after) against the Graph simulator:
 * keyword meetings created at a steady rate over 50 mailboxes; the clock starts when the simulator
 * stores the meeting (its change notification leaves then) and stops when the join block is in the
 * stored event (what any Graph GET returns from then on; a sample is read back through Graph to
 * check exactly one block). Per hop: created → notification on graph.notifications.v1 (simulator
 * delivery + webhook) → calendar.raw.v1 (connector: fetch batching + re-read) → calendar.meetings.v1
 * (parse + encrypt) → block visible (write-back: GET + PATCH If-Match); each hop's time is the
 * produce timestamp of the first record of that id on the topic.
 *
 * In process (the write-back hop alone): a keyword meeting's record arriving at the processor (what a change
 * notification becomes after the connector, parse and encrypt) → its join block visible through
 * Graph (a GET that finds the block), over 1,000 keyword meetings of 50 mailboxes, against the
 * Graph simulator over HTTPS. Baseline in the same run: a plain GET + If-Match PATCH + GET of the
 * same kind of event through the same access module (the least a write-back can cost). The
 * processor is called with an in-memory context (state per mailbox kept in a map), so Kafka, the
 * connector's hops and the runtime's flush are not in these numbers (see `bench pipeline`).
 */
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const endToEnd = await runEndToEnd(options);
  const inProcess = await runInProcess(options);
  return { name: 'writeback', rows: [...endToEnd, ...inProcess] };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const HOPS = ['notified', 'raw', 'meeting', 'visible'] as const;
type Hop = (typeof HOPS)[number];

/** Keyword meetings (Location `@webex`), starting tomorrow, in the stored event of the simulator. */
function keywordEvent(sim: GraphSimulator, seeded: SimSeedResult, mailbox: string, n: number): string {
  const start = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 24 * 3_600_000 + (n % 40) * 900_000;
  return sim.store.createEvent(seeded.tenantId, mailbox, {
    subject: `Bench ${n}`, body: { contentType: 'html', content: '<html><body><p>agenda</p></body></html>' },
    start: { dateTime: new Date(start).toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: new Date(start + 1_800_000).toISOString().slice(0, 19), timeZone: 'UTC' },
    location: { displayName: '@webex' },
  });
}

async function runEndToEnd(options: BenchOptions): Promise<BenchRow[]> {
  const meetings = options.quick ? 100 : 1_000;
  // Below the pipeline's capacity (else the figure is a queue's growth, not a latency); HYCAL_BENCH_WRITEBACK_RATE overrides.
  const ratePerSecond = Number(process.env['HYCAL_BENCH_WRITEBACK_RATE'] ?? (options.quick ? 2 : 5));
  const users = 50;
  const sim = await startGraphSimulator({ clouds: ['worldwide'] });
  const seeded = seedBasicTenant(sim, { users, rooms: 0, seed: 16 });
  const mailboxes = [...sim.store.listMailboxes(seeded.tenantId)];
  const id = randomBytes(4).toString('hex');
  const prefix = `bench-wb-${id}.`;
  const database = `bench_wb_${id}`;
  const context = createAppContext({
    env: { ...process.env, HYCAL_KMS_MASTER_KEY: generateKeyText() },
    overrides: {
      stack: {
        kafkaBrokers: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092', schemaRegistryUrl: process.env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:18081/apis/ccompat/v7',
        mongodbUri: process.env['MONGODB_URI'] ?? 'mongodb://127.0.0.1:27018/', mongodbDatabase: database, topicPrefix: prefix,
      },
      ops: { host: '127.0.0.1', port: 0 },
      logLevel: 'error',
      runtime: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
    },
  });
  const mongo = await connectMongo(context);
  const db = serviceDb(context, mongo);
  const kafka = buildKafka(context, 'bench-writeback');
  const tap = kafka.consumer({ groupId: `bench-wb-tap-${id}`, maxWaitTimeInMs: 50 });
  const seen = new Map<string, Partial<Record<Hop, number>>>();
  const created = new Map<string, number>();
  const mark = (eventId: string, hop: Hop, at: number): void => {
    if (!created.has(eventId)) return;
    const hops = seen.get(eventId) ?? {};
    if (hops[hop] === undefined) seen.set(eventId, { ...hops, [hop]: at });
  };
  // The block lands in the stored event: the simulator reports every change of its store.
  const offChange = sim.store.onChange((change) => {
    if (change.changeType !== 'updated' || !created.has(change.eventId) || seen.get(change.eventId)?.visible !== undefined) return;
    const event = sim.store.requireMailbox(change.tenantId, change.mailboxId).events.get(change.eventId);
    if (event?.bodyContent.includes(HTML_BEGIN) === true) mark(change.eventId, 'visible', Date.now());
  });
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    const built = buildKeyring(context, mongo);
    await new ProvisioningStore(db, built.keyring, systemClock).saveTenant({
      _id: seeded.tenantId, orgId: 'default', cloud: 'worldwide', status: 'authorised', clientId: seeded.appId, domains: [`tenant16.example.com`], consentedAt: Date.now(),
    });
    await built.close();
    await setWritebackSettings(db, seeded.tenantId, { siteDomain: 'bench.webex.com' });
    const tls = await loadOrCreateTls();
    const port = await freePort();
    service = await startService(context, ['webhook', 'connector', 'processors'], {
      webhook: { host: '127.0.0.1', port, tls: { keyPem: tls.keyPem, certPem: tls.certPem } },
      mailboxes: { notificationUrl: `https://localhost:${port}/graph/notifications`, settingsPollMs: 600_000, reconcileMs: 3_600_000 },
      app: { clientId: seeded.appId, clientSecret: seeded.clientSecret },
      access: { caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata },
    });
    const codec = await buildCodec(context);
    await tap.connect();
    await tap.subscribe({ topics: ['graph.notifications.v1', 'calendar.raw.v1', 'calendar.meetings.v1'].map((t) => `${prefix}${t}`), fromBeginning: true });
    await tap.run({
      eachMessage: async ({ topic, message }) => {
        // When the record was produced (kafkajs stamps it at send; the runtime sets no timestamp of its own).
        const at = Number(message.timestamp);
        if (message.value === null) return;
        const name = topic.slice(prefix.length);
        if (name === 'graph.notifications.v1') {
          const n: GraphNotification = await codec.decode('graph.notifications.v1', message.value);
          if (n.eventId !== null) mark(n.eventId, 'notified', at);
        } else if (name === 'calendar.raw.v1') {
          const raw: RawCalendarRecord = await codec.decode('calendar.raw.v1', message.value);
          mark(raw.eventId, 'raw', at);
        } else {
          const meeting: MeetingOccurrence = await codec.decode('calendar.meetings.v1', message.value);
          mark(meeting.meetingId, 'meeting', at);
        }
      },
    });
    // Activation the normal way: a mailbox command per mailbox; then every mailbox ACTIVATED.
    const producer = buildKafka(context, 'bench-writeback-commands').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const commands = new MailboxCommands(new KafkaNotificationSink(producer, codec, `${prefix}graph.notifications.v1`), () => Date.now());
    for (const mailbox of mailboxes) await commands.send(seeded.tenantId, mailbox, 'ACTIVATE');
    await producer.disconnect();
    // (A mailbox in Error retries on its own back-off: a subscription validation that timed out under load, say.)
    const activateBy = Date.now() + 300_000;
    while ((await db.collection(STATUS_VIEW).countDocuments({ status: 'ACTIVATED' })) < mailboxes.length) {
      if (Date.now() > activateBy) throw new Error('bench writeback: the mailboxes did not all activate within 5 minutes (see the connector_mailboxes view for the reasons).');
      await sleep(250);
    }
    const waitVisible = async (ids: readonly string[], timeoutMs: number): Promise<void> => {
      for (let waited = 0; ids.some((e) => seen.get(e)?.visible === undefined) && waited < timeoutMs; waited += 100) await sleep(100);
    };
    // Warm-up (not measured): one keyword meeting per mailbox (tokens, profiles, actors, connections).
    const warm = mailboxes.map((mailbox, i) => {
      const eventId = keywordEvent(sim, seeded, mailbox, i);
      created.set(eventId, Date.now());
      return eventId;
    });
    await waitVisible(warm, 120_000);
    // Measured: a steady rate, round robin over the mailboxes.
    const measured: string[] = [];
    const t = Date.now();
    for (let i = 0; i < meetings; i += 1) {
      const due = t + (i * 1_000) / ratePerSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      const eventId = keywordEvent(sim, seeded, mailboxes[i % mailboxes.length]!, i);
      created.set(eventId, Date.now());
      measured.push(eventId);
      options.progress(i + 1, meetings, 'end to end: keyword meetings created');
    }
    await waitVisible(measured, 60_000);
    // Read back through Graph: exactly one join block in each of a sample.
    const connections = new GraphConnections({
      options: graphAccessOptionsSchema.parse({ caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata }),
      clock: systemClock,
    });
    let oneBlock = 0;
    const sample = measured.filter((_, i) => i % Math.max(1, Math.floor(measured.length / 50)) === 0);
    try {
      const graph = connections.forTenant({ tenantId: seeded.tenantId, cloud: 'worldwide' }, { clientId: seeded.appId, credential: { kind: 'secret', clientSecret: seeded.clientSecret } });
      for (const eventId of sample) {
        const mailbox = mailboxes[measured.indexOf(eventId) % mailboxes.length]!;
        const back = await graph.getEventWithProperty(mailbox, eventId, ['body'], MARKER_PROPERTY_ID);
        if (String((back.event['body'] as { content?: string } | undefined)?.content ?? '').split(HTML_BEGIN).length === 2) oneBlock += 1;
      }
    } finally {
      connections.close();
    }
    const total: number[] = [];
    const hop: Record<Hop, number[]> = { notified: [], raw: [], meeting: [], visible: [] };
    let missing = 0;
    for (const eventId of measured) {
      const t0 = created.get(eventId)!;
      const hops = seen.get(eventId) ?? {};
      if (hops.visible === undefined) {
        missing += 1;
        continue;
      }
      total.push(hops.visible - t0);
      let previous = t0;
      for (const h of HOPS) {
        const at = hops[h];
        if (at === undefined) continue;
        hop[h].push(Math.max(0, at - previous));
        previous = Math.max(previous, at);
      }
    }
    for (const list of [total, ...Object.values(hop)]) list.sort((a, b) => a - b);
    const p99 = pct(total, 0.99);
    const labels: Record<Hop, string> = {
      notified: 'created → graph.notifications.v1 (simulator delivery + webhook)', raw: '→ calendar.raw.v1 (connector: fetch batching + re-read)',
      meeting: '→ calendar.meetings.v1 (parse + encrypt)', visible: '→ block in the event (write-back GET + PATCH)',
    };
    const rows: BenchRow[] = [{
      case: 'end to end: notification of a keyword meeting → join block visible through Graph', opsPerSec: (measured.length - missing) / ((Math.max(...measured.map((e) => seen.get(e)?.visible ?? 0)) - t) / 1000),
      p50Ms: pct(total, 0.5), p99Ms: p99,
      note: `${meetings} meetings at ${ratePerSecond}/s over ${mailboxes.length} mailboxes; ${missing} not decorated within 60 s; ${oneBlock}/${sample.length} read back with exactly one block; goal p99 ≤ 5,000 ms: ${missing === 0 && p99 <= 5_000 ? 'met' : 'NOT met'}`,
    }];
    for (const h of HOPS) rows.push({ case: `  hop ${labels[h]}`, opsPerSec: 0, p50Ms: pct(hop[h], 0.5), p99Ms: pct(hop[h], 0.99), note: `${hop[h].length} seen` });
    return rows;
  } finally {
    offChange();
    await tap.disconnect().catch(() => undefined);
    await service?.stop().catch(() => undefined);
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
    const cleanup = kafka.admin();
    await cleanup.connect();
    const topics = (await cleanup.listTopics()).filter((name) => name.startsWith(prefix));
    await cleanup.deleteTopics({ topics }).catch(() => undefined);
    await cleanup.disconnect();
    await sim.close();
  }
}

async function runInProcess(options: BenchOptions): Promise<BenchRow[]> {
  const meetings = options.quick ? 100 : 1_000;
  const sim = await startGraphSimulator({ clouds: ['worldwide'] });
  const seeded = seedBasicTenant(sim, { users: 50, rooms: 0, seed: 15 });
  const mailboxes = [...sim.store.listMailboxes(seeded.tenantId)];
  const connections = new GraphConnections({
    options: graphAccessOptionsSchema.parse({ caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata }),
    clock: systemClock,
  });
  const graph: GraphAccess = connections.forTenant({ tenantId: seeded.tenantId, cloud: 'worldwide' }, { clientId: seeded.appId, credential: { kind: 'secret', clientSecret: seeded.clientSecret } });
  const settings = normalizeSettings({ siteDomain: 'bench.webex.com' }, undefined);
  const processor = createWritebackProcessor({
    graph: { graphFor: () => Promise.resolve(graph) }, settings: { settingsOf: () => Promise.resolve(settings) },
    provider: new BuiltinMeetingProvider(), maxConflictRetries: 5, profileCacheMs: 600_000,
  });
  const states = new Map<string, WritebackState>();
  const clock = new ManualClock(Date.now());
  const logger = createLogger({ name: 'bench-writeback', level: 'silent' });
  const context = (key: string): ProcessorContext<WritebackState> => ({
    key, clock, logger,
    metrics: { increment: () => undefined, observe: () => undefined },
    state: { get: () => states.get(key), set: (v) => states.set(key, v), delete: () => states.delete(key) },
    views: { upsert: () => undefined, remove: () => undefined },
    emit: () => undefined, emitRaw: () => undefined, forward: () => undefined, schedule: () => '', cancel: () => undefined,
  });
  const start = Date.now() + 3_600_000;
  const create = (mailbox: string, location: string): string => sim.store.createEvent(seeded.tenantId, mailbox, {
    subject: 'Bench', body: { contentType: 'html', content: '<html><body><p>agenda</p></body></html>' },
    start: { dateTime: new Date(start).toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: new Date(start + 1_800_000).toISOString().slice(0, 19), timeZone: 'UTC' },
    location: { displayName: location },
  });
  try {
    // Baseline: GET (with the marker) + PATCH If-Match + GET back, the same events' shape.
    const base: number[] = [];
    const baseCount = Math.min(meetings, 300);
    for (let i = 0; i < baseCount; i += 1) {
      const mailbox = mailboxes[i % mailboxes.length]!;
      const id = create(mailbox, 'Room 1');
      const t0 = performance.now();
      const read = await graph.getEventWithProperty(mailbox, id, ['body'], MARKER_PROPERTY_ID);
      await graph.patchEventIfMatch(mailbox, id, read.etag, { body: { contentType: 'html', content: '<p>agenda</p><p>join</p>' } });
      await graph.getEventWithProperty(mailbox, id, ['body'], MARKER_PROPERTY_ID);
      base.push(performance.now() - t0);
      options.progress(i + 1, baseCount + meetings, 'baseline GET+PATCH+GET');
    }
    const lat: number[] = [];
    let visible = 0;
    const t = performance.now();
    for (let i = 0; i < meetings; i += 1) {
      const mailbox = mailboxes[i % mailboxes.length]!;
      const id = create(mailbox, '@webex');
      const m: MeetingOccurrence = {
        tenantId: seeded.tenantId, mailboxId: mailbox, meetingId: id, seriesMasterId: null, version: 1, op: 'UPSERT', start, end: start + 1_800_000,
        isAllDay: false, isCancelled: false, isPrivate: false, isOrganizer: true, showAs: 'BUSY', providerKind: 'NONE', intent: { provider: 'WEBEX', modifier: 'NONE' },
        attendeeCount: 0, roomMailboxIds: [], keyRef: { keyId: 'k', version: 1 }, subject: null, body: null, location: null, organizer: null, attendees: null, joinDetails: null,
        sourceFetchedAt: Date.now(), responseStatus: 'ORGANIZER',
      };
      const t0 = performance.now();
      const key = `${m.tenantId}/${mailbox}`;
      const record: InputRecord<MeetingOccurrence> = { topic: 'calendar.meetings.v1', partition: 0, offset: String(i), key, value: m, raw: null, headers: {}, timestamp: Date.now() };
      await processor.process(record, context(key));
      const back = await graph.getEventWithProperty(mailbox, id, ['body'], MARKER_PROPERTY_ID);
      lat.push(performance.now() - t0);
      if (String((back.event['body'] as { content?: string } | undefined)?.content ?? '').includes(HTML_BEGIN)) visible += 1;
      options.progress(baseCount + i + 1, baseCount + meetings, 'keyword meetings');
    }
    const seconds = (performance.now() - t) / 1000;
    base.sort((a, b) => a - b);
    lat.sort((a, b) => a - b);
    const baseSeconds = base.reduce((a, b) => a + b, 0) / 1000;
    return [
      { case: 'baseline: GET + PATCH If-Match + GET (simulator, HTTPS)', opsPerSec: base.length / baseSeconds, p50Ms: pct(base, 0.5), p99Ms: pct(base, 0.99) },
      {
        case: 'writeback alone: record → join block visible through Graph', opsPerSec: meetings / seconds, baseline: 'baseline: GET + PATCH If-Match + GET (simulator, HTTPS)',
        p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), note: `${visible}/${meetings} blocks visible on the first read-back; ${mailboxes.length} mailboxes`,
      },
    ];
  } finally {
    connections.close();
    await sim.close();
  }
}
