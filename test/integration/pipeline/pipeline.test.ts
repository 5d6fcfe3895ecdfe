import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePipelineTopologies } from '../../../app/topologies-pipeline.js';
import { ManualClock } from '../../../common/clock.js';
import { createLogger, type Logger } from '../../../common/logger.js';
import { createKeyring, generateKeyText, kmsOptionsSchema, recordKeyOf, type Keyring } from '../../../kms/index.js';
import { sealRawEvent, sealRawSettings } from '../../../records/index.js';
import { defineMeetingsTopology } from '../../../app/index.js';
import { meetingFieldContext } from '../../../processors/encrypt/index.js';
import { USER_MEETINGS_VIEW } from '../../../processors/materialize/index.js';
import { DEVICE_BOOKINGS_VIEW, registerDevices, setJoinLeadMinutes } from '../../../processors/obtp/index.js';
import { PRESENCE_VIEW } from '../../../processors/ooo/index.js';
import { Runtime } from '../../../runtime/index.js';
import type { Topology } from '../../../runtime/topology.js';
import { asBytes, createSchemaRegistry, provisionTopics, TopicCodec, type DeviceBookingEvent, type PresenceChange } from '../../../schemas/index.js';
import { loadScenario, type ScenarioSummary } from '@hybrid-calendar/sim-graph/scenarios';
import { renderEvent, SimStore } from '@hybrid-calendar/sim-graph/store';
import { Canaries, expectNoLeaks, LogCapture } from '../../support/canary.js';
import { readTopic, testKafka, testMongo, testStack, uniqueName, withAdmin } from '../../support/stack.js';
import { waitFor } from '../runtime/helpers.js';
import { expectedDeviceBookings, expectedMeetingDays, expectedPresence, readGraphEvent, type GraphJson, type GraphOccurrence, type RepliesJson } from './model.js';
import { createParseProcessor } from '../../../processors/parse/index.js';

/**
 * Issue 14 point 5: raw records built from a seeded sim/graph scenario → meetings (parse stand-in +
 * encrypt) → obtp, materialize; mailbox settings → ooo; all on the real stack with one injected
 * clock. After each phase (seed; edits, cancellations, declines, OOO changes; time passing; every
 * record replayed twice, shuffled across keys) every view and every device stream equals the
 * independent model in ./model.ts. Then the canary scan over every topic, collection and log.
 */
const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
const DAY = 24 * 3_600_000;
const HOUR = 3_600_000;
const FEED_FROM = T0 - 7 * DAY;
const FEED_TO = T0 + 40 * DAY;
const LEAD_MINUTES = 10;

interface StoredBooking {
  readonly bookingId: string;
  readonly start: number;
  readonly end: number;
  readonly title: unknown;
  readonly joinShown: boolean;
}

interface Raw {
  readonly topic: 'calendar.raw.v1' | 'mailbox.settings.raw.v1';
  readonly key: string;
  readonly value: Buffer;
}

describe('pipeline – raw records to views and device streams on the real stack, against an independent model', () => {
  const canaries = new Canaries();
  const prefix = `${uniqueName('pipe')}.`;
  const dbName = prefix.replace(/[.-]/g, '_');
  const logs = new LogCapture();
  const clock = new ManualClock(T0);
  const store = new SimStore(clock);
  let logger: Logger;
  let kafka: Kafka;
  let producer: Producer;
  let codec: TopicCodec;
  let mongo: MongoClient;
  let db: Db;
  let keyring: Keyring;
  let scenario: ScenarioSummary;
  let tenantId: string;
  const runtimes: Runtime[] = [];
  const closers: (() => Promise<void>)[] = [];
  const produced: Raw[] = [];
  /** What the connector last sent per mailbox: occurrence id → lastModifiedDateTime (and master). */
  const sent = new Map<string, Map<string, { modified: string; master: string | null }>>();

  beforeAll(async () => {
    logger = createLogger({ name: 'pipeline', level: 'debug', destination: logs });
    kafka = testKafka();
    await withAdmin((admin) => provisionTopics(admin, { prefix, partitions: 3 }));
    codec = await new TopicCodec(createSchemaRegistry(testStack().schemaRegistryUrl), { prefix }).init();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    mongo = await testMongo();
    db = mongo.db(dbName);
    const masterKey = generateKeyText();
    canaries.watch('other', masterKey);
    const made = createKeyring({ db, options: kmsOptionsSchema.parse({ cacheTtlMs: 3_600_000 }), clock, logger, env: { HYCAL_KMS_MASTER_KEY: masterKey } });
    keyring = made.keyring;
    closers.push(made.close);
    scenario = loadScenario(store, {
      seed: 1414, usersPerTenant: 6, roomsPerTenant: 2, meetingsPerMailbox: 6, anchorMs: T0, recurringShare: 0.4,
      canary: (kind) => canaries.make(kind),
    });
    tenantId = scenario.tenants[0]!.id;
    const tenant = scenario.tenants[0]!;
    for (const mailboxId of [...tenant.users, ...tenant.rooms]) {
      const devices = tenant.devices.filter((d) => d.mailboxId === mailboxId).map((d) => ({ deviceId: d.id, mode: d.mode }));
      if (devices.length > 0) await registerDevices(db, tenantId, mailboxId, devices);
    }
    await setJoinLeadMinutes(db, tenantId, LEAD_MINUTES);
  });

  afterAll(async () => {
    for (const runtime of runtimes) await runtime.stop().catch(() => undefined);
    await producer?.disconnect();
    for (const close of closers) await close();
    await mongo?.db(dbName).dropDatabase().catch(() => undefined);
    await mongo?.close();
  });

  const mailboxes = (): string[] => {
    const tenant = scenario.tenants[0]!;
    return [...tenant.users, ...tenant.rooms].filter((m) => !tenant.unlicensed.includes(m));
  };

  function renders(mailboxId: string): GraphJson[] {
    const mbx = store.requireMailbox(tenantId, mailboxId);
    return store.expand(mbx, FEED_FROM, FEED_TO).map((view) => renderEvent(view) as unknown as GraphJson);
  }

  async function send(records: readonly Raw[]): Promise<void> {
    for (const topic of ['calendar.raw.v1', 'mailbox.settings.raw.v1'] as const) {
      const messages = records.filter((r) => r.topic === topic).map((r) => ({ key: r.key, value: r.value }));
      if (messages.length > 0) await producer.send({ topic: `${prefix}${topic}`, acks: -1, messages });
    }
  }

  /** The connector's part: what changed in each calendar since the last sync, as sealed raw records. */
  async function syncCalendars(): Promise<Raw[]> {
    clock.advance(1_000);
    const out: Raw[] = [];
    for (const mailboxId of mailboxes()) {
      const key = recordKeyOf(tenantId, mailboxId);
      const before = sent.get(mailboxId) ?? new Map<string, { modified: string; master: string | null }>();
      const now = new Map<string, { modified: string; master: string | null }>();
      for (const event of renders(mailboxId)) {
        const master = event.seriesMasterId ?? null;
        now.set(event.id, { modified: event.lastModifiedDateTime, master });
        if (before.get(event.id)?.modified === event.lastModifiedDateTime) continue;
        const sealed = await sealRawEvent(keyring, { tenantId, mailboxId, eventId: event.id, changeType: before.has(event.id) ? 'UPDATED' : 'CREATED', source: 'DELTA', fetchedAt: clock.now(), event });
        out.push({ topic: 'calendar.raw.v1', key, value: await codec.encode('calendar.raw.v1', sealed) });
      }
      // Gone: a deleted series is one deletion of its master (its occurrences are retracted downstream).
      const mbx = store.requireMailbox(tenantId, mailboxId);
      const deletedMasters = new Set<string>();
      for (const [id, { master }] of before) {
        if (now.has(id)) continue;
        const masterGone = master !== null && store.masters(mbx).every((m) => m.id !== master);
        const eventId = masterGone ? master : id;
        if (masterGone && deletedMasters.has(master)) continue;
        if (masterGone) deletedMasters.add(master);
        const sealed = await sealRawEvent(keyring, { tenantId, mailboxId, eventId, changeType: 'DELETED', source: 'DELTA', fetchedAt: clock.now(), event: null });
        out.push({ topic: 'calendar.raw.v1', key, value: await codec.encode('calendar.raw.v1', sealed) });
      }
      sent.set(mailboxId, now);
    }
    return out;
  }

  async function syncSettings(only?: readonly string[]): Promise<Raw[]> {
    const out: Raw[] = [];
    for (const mailboxId of only ?? scenario.tenants[0]!.users.filter((m) => mailboxes().includes(m))) {
      const settings = store.mailboxSettings(store.requireMailbox(tenantId, mailboxId));
      const sealed = await sealRawSettings(keyring, { tenantId, mailboxId, source: 'POLL', fetchedAt: clock.now(), settings });
      out.push({ topic: 'mailbox.settings.raw.v1', key: recordKeyOf(tenantId, mailboxId), value: await codec.encode('mailbox.settings.raw.v1', sealed) });
    }
    return out;
  }

  async function feed(records: Raw[]): Promise<void> {
    produced.push(...records);
    await send(records);
  }

  // ---- What the system holds, in the model's terms.

  function actualDays(docs: readonly Record<string, unknown>[], mailboxId: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const doc of docs) {
      if (doc['mailboxId'] !== mailboxId || doc['deleted'] === true || !Array.isArray(doc['meetings'])) continue;
      out[doc['day'] as string] = (doc['meetings'] as { meetingId: string }[]).map((m) => m.meetingId);
    }
    return out;
  }

  /** Set while a phase waits for convergence: the scenario does not change then, so the model is read once. */
  let occurrenceCache: Map<string, GraphOccurrence[]> | null = null;
  function occurrencesOf(mailboxId: string): GraphOccurrence[] {
    const known = occurrenceCache?.get(mailboxId);
    if (known !== undefined) return known;
    const occurrences = renders(mailboxId).map(readGraphEvent);
    occurrenceCache?.set(mailboxId, occurrences);
    return occurrences;
  }

  /** Every obtp.devices.v1 record so far, per device in offset order (a gateway's view of the topic). */
  const deviceEvents = new Map<string, DeviceBookingEvent[]>();
  let deviceRecords = 0;
  async function collectDeviceEvents(): Promise<Consumer> {
    const consumer = kafka.consumer({ groupId: uniqueName('gateway'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}obtp.devices.v1`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = await codec.decode('obtp.devices.v1', message.value!);
        expect(message.key?.toString()).toBe(value.deviceId);
        deviceEvents.set(value.deviceId, [...(deviceEvents.get(value.deviceId) ?? []), value]);
        deviceRecords += 1;
      },
    });
    return consumer;
  }

  async function deviceStreams(): Promise<Map<string, DeviceBookingEvent[]>> {
    const count = await withAdmin(async (admin) => (await admin.fetchTopicOffsets(`${prefix}obtp.devices.v1`)).reduce((sum, p) => sum + Number(p.high), 0));
    return deviceRecords >= count ? deviceEvents : new Map();
  }

  /** A device stream folded in order: the bookings a gateway would hold and the buttons it shows. */
  function fold(events: readonly DeviceBookingEvent[]): { id: string; start: number; end: number; titled: boolean; shown: boolean }[] {
    const bookings = new Map<string, { id: string; start: number; end: number; titled: boolean; shown: boolean; v: number }>();
    for (const e of events) {
      const id = e.bookingId.split('/').slice(2).join('/');
      const known = bookings.get(id);
      if (known !== undefined && known.v > e.version) continue;
      if (e.action === 'BOOKING_REMOVE') bookings.delete(id);
      else if (e.action === 'BOOKING_UPSERT') bookings.set(id, { id, start: e.start, end: e.end, titled: e.title !== null, shown: known?.shown ?? false, v: e.version });
      else if (known !== undefined) bookings.set(id, { ...known, shown: e.action === 'JOIN_SHOW', v: e.version });
    }
    return [...bookings.values()].sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1)).map(({ v: _v, ...b }) => b);
  }

  async function snapshot(): Promise<{ expected: unknown; actual: unknown }> {
    const t = clock.now();
    const tenant = scenario.tenants[0]!;
    const expected: Record<string, unknown> = {};
    const actual: Record<string, unknown> = {};
    // One read of the list collection per snapshot (FerretDB scans it whole for any filter but _id).
    const dayDocs = await db.collection(USER_MEETINGS_VIEW).find({}).toArray();
    for (const mailboxId of mailboxes()) {
      expected[`days ${mailboxId}`] = expectedMeetingDays(occurrencesOf(mailboxId), t);
      actual[`days ${mailboxId}`] = actualDays(dayDocs, mailboxId);
    }
    const streams = await deviceStreams();
    const views = new Map((await db.collection(DEVICE_BOOKINGS_VIEW).find({}).toArray()).map((d) => [String(d._id), d]));
    for (const device of tenant.devices.filter((d) => mailboxes().includes(d.mailboxId))) {
      const model = expectedDeviceBookings(occurrencesOf(device.mailboxId), device.mode, LEAD_MINUTES * 60_000, t);
      expected[`stream ${device.id}`] = model;
      actual[`stream ${device.id}`] = fold(streams.get(device.id) ?? []);
      expected[`view ${device.id}`] = model.map((b) => ({ id: b.id, start: b.start, end: b.end, titled: b.titled, shown: b.shown }));
      const doc = views.get(device.id);
      actual[`view ${device.id}`] = ((doc?.['bookings'] as StoredBooking[] | undefined) ?? []).map((b) => ({
        id: b.bookingId.split('/').slice(2).join('/'), start: b.start, end: b.end, titled: b.title !== null, shown: b.joinShown,
      }));
    }
    const presence = new Map((await db.collection(PRESENCE_VIEW).find({}).toArray()).map((d) => [String(d._id), d]));
    for (const mailboxId of tenant.users.filter((m) => mailboxes().includes(m))) {
      const person = tenant.people.find((p) => p.id === mailboxId)!;
      const replies = store.mailboxSettings(store.requireMailbox(tenantId, mailboxId)).automaticRepliesSetting as unknown as RepliesJson;
      const model = expectedPresence(replies, person.iana, t);
      const doc = presence.get(recordKeyOf(tenantId, mailboxId));
      expected[`presence ${mailboxId}`] = model.since === null ? { out: model.out } : model;
      actual[`presence ${mailboxId}`] = model.since === null ? { out: doc?.['outOfOffice'] } : { out: doc?.['outOfOffice'], since: doc?.['since'], until: doc?.['until'] };
    }
    return { expected, actual };
  }

  async function expectConverged(what: string): Promise<void> {
    let last: { expected: unknown; actual: unknown } | undefined;
    occurrenceCache = new Map();
    try {
      await waitFor(what, async () => {
        last = await snapshot();
        return JSON.stringify(last.actual) === JSON.stringify(last.expected) ? true : undefined;
      }, 60_000, 250);
    } catch {
      expect(last?.actual, what).toEqual(last?.expected);
    } finally {
      occurrenceCache = null;
    }
  }

  function start(topology: Topology): void {
    const runtime = new Runtime({
      topology,
      kafka: testKafka(),
      db,
      codec,
      prefix,
      logger,
      clock,
      // Bulk writes of at most 20 ops, as recommended for FerretDB (processors/README.md): the replays also
      // exercise the bulk path's stale (E11000) handling.
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100, commitIntervalMs: 200, drainTimeoutMs: 1_000, timerPollMs: 50, mongoWriteMode: 'bulk', bulkMaxOps: 20 },
    });
    runtimes.push(runtime);
  }

  it('pipeline – a seeded tenant, its edits, cancellations, declines, out-of-office changes, time passing and replays end in views and device streams equal to the model; no canary anywhere', async () => {
    // The registry is seeded before the runtimes start and does not change: its cache may hold.
    const pipeline = definePipelineTopologies({ db, clock, keyring, obtp: { registryCacheMs: 3_600_000 } });
    start(defineMeetingsTopology({ parse: createParseProcessor({ keyring }), keyring }));
    for (const topology of pipeline.all) start(topology);
    await Promise.all(runtimes.map((r) => r.start()));
    const gateway = await collectDeviceEvents();
    closers.unshift(() => gateway.disconnect());

    // ---- Phase 1: the seeded tenant.
    await feed([...(await syncCalendars()), ...(await syncSettings())]);
    await expectConverged('seeded tenant');
    const seeded = await snapshot();
    expect(Object.keys(seeded.expected as object).filter((k) => k.startsWith('stream')).length).toBeGreaterThan(0);

    // ---- Phase 2: edits, cancellations, a deleted series, a room declining, OOO changes.
    const tenant = scenario.tenants[0]!;
    const user = tenant.users.find((m) => mailboxes().includes(m) && store.masters(store.requireMailbox(tenantId, m)).some((e) => e.recurrence === null && e.isOrganizer))!;
    const userMbx = store.requireMailbox(tenantId, user);
    const singles = store.masters(userMbx).filter((e) => e.recurrence === null && e.isOrganizer);
    const soon = new Date(T0 + 2 * HOUR).toISOString().slice(0, 19);
    store.updateEvent(tenantId, user, singles[0]!.id, { start: { dateTime: soon, timeZone: 'UTC' }, end: { dateTime: new Date(T0 + 3 * HOUR).toISOString().slice(0, 19), timeZone: 'UTC' }, location: { displayName: `@webex https://acme.webex.com/meet/${canaries.make('other')}` } });
    if (singles[1] !== undefined) store.cancelEvent(tenantId, user, singles[1].id);
    const withSeries = mailboxes().find((m) => store.masters(store.requireMailbox(tenantId, m)).some((e) => e.recurrence !== null));
    if (withSeries !== undefined) {
      const series = store.masters(store.requireMailbox(tenantId, withSeries)).find((e) => e.recurrence !== null)!;
      store.deleteEvent(tenantId, withSeries, series.id);
    }
    for (const room of tenant.rooms.filter((m) => mailboxes().includes(m))) {
      const roomMbx = store.requireMailbox(tenantId, room);
      const booking = store.expand(roomMbx, T0, T0 + 3 * DAY).find((v) => !v.event.isOrganizer);
      if (booking !== undefined) store.respond(roomMbx, booking.id, 'declined');
    }
    // A private meeting booking a room with a device, and an all-day meeting over three days.
    const roomWithDevice = tenant.devices.find((d) => d.mode === 'shared' && mailboxes().includes(d.mailboxId))!.mailboxId;
    const privateId = store.createEvent(tenantId, roomWithDevice, {
      subject: `Confidential offsite ${canaries.make('subject')}`, sensitivity: 'private',
      start: { dateTime: new Date(T0 + 3 * HOUR).toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: new Date(T0 + 4 * HOUR).toISOString().slice(0, 19), timeZone: 'UTC' },
      location: { displayName: `https://acme.webex.com/meet/${canaries.make('location')}` }, body: { contentType: 'text', content: canaries.make('body') },
    });
    const allDayId = store.createEvent(tenantId, user, {
      subject: `Conference ${canaries.make('subject')}`, isAllDay: true,
      start: { dateTime: '2026-03-04T00:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-03-07T00:00:00', timeZone: 'UTC' },
    });
    const oooUsers = tenant.users.filter((m) => mailboxes().includes(m)).slice(0, 3);
    const person = (id: string): { timeZone: string; iana: string } => tenant.people.find((p) => p.id === id)!;
    const wall = (ms: number, iana: string): string => new Date(ms).toLocaleString('sv-SE', { timeZone: iana }).replace(' ', 'T');
    store.setAutomaticReplies(tenantId, oooUsers[0]!, { status: 'Scheduled' as 'scheduled', externalAudience: 'none', scheduledStartDateTime: { dateTime: wall(T0 + HOUR, person(oooUsers[0]!).iana), timeZone: person(oooUsers[0]!).timeZone }, scheduledEndDateTime: { dateTime: wall(T0 + 5 * HOUR, person(oooUsers[0]!).iana), timeZone: person(oooUsers[0]!).timeZone } });
    store.setAutomaticReplies(tenantId, oooUsers[1]!, { status: 'AlwaysEnabled' as 'alwaysEnabled', externalAudience: 'all' });
    store.setAutomaticReplies(tenantId, oooUsers[2]!, { status: 'disabled', externalAudience: 'none' });
    await feed([...(await syncCalendars()), ...(await syncSettings(oooUsers))]);
    await expectConverged('after edits');
    // The model covers what it must: a private meeting untitled on a shared device, a multi-day
    // all-day meeting on each of its days, a keyword meeting whose intent reached the list.
    const edited = (await snapshot()).expected as Record<string, unknown>;
    const allBookings = Object.entries(edited).filter(([k]) => k.startsWith('stream')).flatMap(([, v]) => v as { id: string; titled: boolean }[]);
    expect(allBookings.find((b) => b.id === privateId)?.titled).toBe(false);
    expect(Object.entries(edited[`days ${user}`] as Record<string, string[]>).filter(([, ids]) => ids.includes(allDayId)).map(([day]) => day)).toEqual(['2026-03-04', '2026-03-05', '2026-03-06']);
    const keywordDay = await db.collection(USER_MEETINGS_VIEW).findOne({ _id: `${tenantId}/${user}/2026-03-02` as never });
    expect((keywordDay?.['meetings'] as { meetingId: string; intent: unknown }[]).find((m) => m.meetingId === singles[0]!.id)?.intent).toEqual({ provider: 'WEBEX', modifier: 'NONE' });

    // ---- Phase 3: time passes (join buttons show and expire, OOO window opens and closes, 72 h and window edges move).
    let shownSeen = 0;
    for (const step of [HOUR + 1_000, HOUR + 30 * 60_000, 3 * HOUR, 2 * DAY, 2 * DAY]) {
      clock.advance(step);
      await expectConverged(`at T0 + ${(clock.now() - T0) / 60_000} min`);
      const at = (await snapshot()).expected as Record<string, unknown>;
      shownSeen += Object.entries(at).filter(([k]) => k.startsWith('stream')).flatMap(([, v]) => v as { shown: boolean }[]).filter((b) => b.shown).length;
    }
    expect(shownSeen).toBeGreaterThan(0);

    // ---- Phase 4: every record again, twice, shuffled across keys (per key in order).
    const byKey = new Map<string, Raw[]>();
    for (const r of produced) byKey.set(`${r.topic}|${r.key}`, [...(byKey.get(`${r.topic}|${r.key}`) ?? []), r]);
    const queues = [...byKey.values()].map((q) => [...q, ...q]);
    const shuffled: Raw[] = [];
    let seed = 14;
    while (queues.some((q) => q.length > 0)) {
      const open = queues.filter((q) => q.length > 0);
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      shuffled.push(open[seed % open.length]!.shift()!);
    }
    await send(shuffled);
    const devicesBefore = await withAdmin(async (admin) => (await admin.fetchTopicOffsets(`${prefix}obtp.devices.v1`)).reduce((s, p) => s + Number(p.high), 0));
    await waitFor('the replays to be consumed', async () => {
      const groups = await withAdmin(async (admin) => Promise.all(runtimes.map(async (r) => admin.fetchOffsets({ groupId: r.groupId, topics: [`${prefix}calendar.raw.v1`] }).catch(() => []))));
      const ends = await withAdmin(async (admin) => admin.fetchTopicOffsets(`${prefix}calendar.raw.v1`));
      const meetings = groups[0]![0]?.partitions ?? [];
      return ends.every((e) => meetings.find((p) => p.partition === e.partition)?.offset === e.high) ? true : undefined;
    }, 60_000, 200);
    await expectConverged('after replays');
    // Replayed meetings were stale everywhere downstream: no device heard anything new. Waits until
    // meeting-views has committed every meeting record the replays produced (a condition, no sleep).
    await waitFor('meeting-views to commit every replayed meeting', async () => {
      const ends = await withAdmin(async (admin) => admin.fetchTopicOffsets(`${prefix}calendar.meetings.v1`));
      const [committed] = await withAdmin(async (admin) => admin.fetchOffsets({ groupId: runtimes[1]!.groupId, topics: [`${prefix}calendar.meetings.v1`] }));
      return ends.every((e) => committed?.partitions.find((p) => p.partition === e.partition)?.offset === e.high) ? true : undefined;
    }, 60_000, 200);
    const devicesAfter = await withAdmin(async (admin) => (await admin.fetchTopicOffsets(`${prefix}obtp.devices.v1`)).reduce((s, p) => s + Number(p.high), 0));
    expect(devicesAfter).toBe(devicesBefore);

    // The list holds ciphertexts that open to the subjects Graph has.
    const someDay = await db.collection(USER_MEETINGS_VIEW).findOne({ mailboxId: user });
    if (someDay !== null) {
      const item = (someDay['meetings'] as { meetingId: string; subject: unknown }[])[0]!;
      const subject = await keyring.decryptField(meetingFieldContext({ tenantId, mailboxId: user, meetingId: item.meetingId }, 'subject'), asBytes(item.subject)!);
      expect(occurrencesOf(user).find((o) => o.id === item.meetingId)?.subject).toBe(subject.toString('utf8'));
    }

    for (const runtime of runtimes.splice(0)) await runtime.stop();

    // ---- Privacy: every topic, collection and log line of the run.
    const presence = await readTopic(kafka, `${prefix}presence.v1`, 1);
    const firstPresence: PresenceChange = await codec.decode('presence.v1', presence[0]!.value!);
    expect(firstPresence.tenantId).toBe(tenantId);
    const scanned = await expectNoLeaks(canaries, { kafka, topicPrefix: prefix, mongo, databases: [dbName], logs });
    expect(scanned.records).toBeGreaterThan(produced.length);
    expect(canaries.values.length).toBeGreaterThan(50);
  }, 600_000);
});
