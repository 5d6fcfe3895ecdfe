import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { expect } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { unpackDocument } from '../../../common/index.js';
import { createLogger, type Logger } from '../../../common/logger.js';
import { createKeyring, generateKeyText, kmsOptionsSchema, recordKeyOf, type Keyring } from '../../../kms/index.js';
import { sealRawEvent, sealRawSettings } from '../../../records/index.js';
import { USER_MEETINGS_VIEW } from '../../../processors/materialize/index.js';
import { DEVICE_BOOKINGS_VIEW, registerDevices, setJoinLeadMinutes } from '../../../processors/obtp/index.js';
import { PRESENCE_VIEW } from '../../../processors/ooo/index.js';
import type { RuntimeOptionsInput } from '../../../runtime/index.js';
import { produceInRequests } from '../../../runtime/flush-io.js';
import { createSchemaRegistry, provisionTopics, TopicCodec, type DeviceBookingEvent } from '../../../schemas/index.js';
import { loadScenario, type ScenarioSummary } from '@hybrid-calendar/sim-graph/scenarios';
import { renderEvent, SimStore } from '@hybrid-calendar/sim-graph/store';
import { Canaries, LogCapture } from '../../support/canary.js';
import { testKafka, testMongo, testStack, uniqueName, withAdmin } from '../../support/stack.js';
import { waitFor } from '../runtime/helpers.js';
import { expectedDeviceBookings, expectedMeetingDays, expectedPresence, readGraphEvent, type GraphJson, type GraphOccurrence, type RepliesJson } from './model.js';

/**
 * The pipeline model check's machinery, shared by the in-process run (pipeline.test.ts) and the
 * SIGKILL run (test/reliability/pipeline-kill.test.ts): a seeded sim/graph tenant, the connector's
 * part (what changed since the last sync, sealed), the scenario's edits, the replays, and the
 * comparison of every view and device stream with the independent model in ./model.ts.
 */
export const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
export const DAY = 24 * 3_600_000;
export const HOUR = 3_600_000;
const FEED_FROM = T0 - 7 * DAY;
const FEED_TO = T0 + 40 * DAY;
export const LEAD_MINUTES = 10;

/**
 * The runtimes' options in the model checks. Bulk writes of at most 20 ops, as recommended for
 * FerretDB (processors/README.md): the replays also exercise the bulk path's stale (E11000) handling.
 */
export const PIPELINE_RUNTIME_OPTIONS: RuntimeOptionsInput = {
  sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100, commitIntervalMs: 200, drainTimeoutMs: 1_000, timerPollMs: 50, mongoWriteMode: 'bulk', bulkMaxOps: 20,
};

/** JSON with every object's keys sorted: equal for equal values whatever order a map was filled in (arrays keep their order). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : v));
}

interface StoredBooking {
  readonly bookingId: string;
  readonly start: number;
  readonly end: number;
  readonly title: unknown;
  readonly joinShown: boolean;
}

export interface Raw {
  readonly topic: 'calendar.raw.v1' | 'mailbox.settings.raw.v1';
  readonly key: string;
  readonly value: Buffer;
}

export interface Snapshot {
  readonly expected: Record<string, unknown>;
  readonly actual: Record<string, unknown>;
}

/** What the edits phase made, for the assertions that follow it. */
export interface Edits {
  readonly user: string;
  readonly keywordMeetingId: string;
  readonly privateId: string;
  readonly allDayId: string;
}

export interface ScenarioSize {
  readonly seed: number;
  readonly usersPerTenant: number;
  readonly roomsPerTenant: number;
  readonly meetingsPerMailbox: number;
  readonly recurringShare: number;
}

/**
 * The seeded tenant: 6 users (one unlicensed), 2 rooms, 4 devices (2 shared, 2 personal), 6
 * meetings per mailbox. The generator walks through every kind of meeting first and makes its first
 * series only after about 30 meetings, so setUp adds the recurring series with exceptions itself.
 */
export const MODEL_SCENARIO: ScenarioSize = { seed: 1414, usersPerTenant: 6, roomsPerTenant: 2, meetingsPerMailbox: 6, recurringShare: 0.4 };

/**
 * A held-out tenant for the same model check: another seed and a larger size (9 users, 3 rooms,
 * 10 meetings per mailbox, so the generator's own recurring series appear too), chosen on
 * 2026-12-06 after the processors and the model were written and never used to tune either. Its
 * result is reported apart from the seeded tenant's (pipeline.test.ts names it).
 */
export const HELD_OUT_SCENARIO: ScenarioSize = { seed: 60_221, usersPerTenant: 9, roomsPerTenant: 3, meetingsPerMailbox: 10, recurringShare: 0.4 };

/** The tenants the model checks run on (pipeline.test.ts, test/reliability/pipeline-kill.test.ts), each reported apart. */
export const MODEL_TENANTS: readonly { readonly tenant: string; readonly size: ScenarioSize; readonly heldOut: boolean }[] = [
  { tenant: 'the seeded tenant', size: MODEL_SCENARIO, heldOut: false },
  { tenant: 'a held-out tenant', size: HELD_OUT_SCENARIO, heldOut: true },
];

export class PipelineHarness {
  readonly canaries = new Canaries();
  readonly prefix: string;
  readonly dbName: string;
  readonly logs = new LogCapture();
  readonly clock = new ManualClock(T0);
  readonly store = new SimStore(this.clock);
  readonly masterKey = generateKeyText();
  readonly produced: Raw[] = [];
  logger!: Logger;
  kafka!: Kafka;
  codec!: TopicCodec;
  mongo!: MongoClient;
  db!: Db;
  keyring!: Keyring;
  scenario!: ScenarioSummary;
  tenantId!: string;
  #producer: Producer | undefined;
  readonly #closers: (() => Promise<void>)[] = [];
  /** What the connector last sent per mailbox: occurrence id → lastModifiedDateTime (and master). */
  readonly #sent = new Map<string, Map<string, { modified: string; master: string | null }>>();
  /** Set while a phase waits for convergence: the scenario does not change then, so the model is read once. */
  #occurrenceCache: Map<string, GraphOccurrence[]> | null = null;
  /** Every obtp.devices.v1 record so far, per device in offset order (a gateway's view of the topic). */
  readonly deviceEvents = new Map<string, DeviceBookingEvent[]>();
  deviceRecords = 0;

  constructor(label: string) {
    this.prefix = `${uniqueName(label)}.`;
    this.dbName = this.prefix.replace(/[.-]/g, '_');
  }

  /** Topics, codec, store, keyring, the seeded scenario and the device registry. */
  async setUp(size: ScenarioSize = MODEL_SCENARIO, partitions = 3): Promise<void> {
    this.logger = createLogger({ name: 'pipeline', level: 'debug', destination: this.logs });
    this.kafka = testKafka();
    await withAdmin((admin) => provisionTopics(admin, { prefix: this.prefix, partitions }));
    this.codec = await new TopicCodec(createSchemaRegistry(testStack().schemaRegistryUrl), { prefix: this.prefix }).init();
    // One request in flight, so the requests `send` issues keep each partition in order (as the runtime's producer).
    this.#producer = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    await this.#producer.connect();
    this.mongo = await testMongo();
    this.db = this.mongo.db(this.dbName);
    this.canaries.watch('other', this.masterKey);
    const made = createKeyring({ db: this.db, options: kmsOptionsSchema.parse({ cacheTtlMs: 3_600_000 }), clock: this.clock, logger: this.logger, env: { HYCAL_KMS_MASTER_KEY: this.masterKey } });
    this.keyring = made.keyring;
    this.#closers.push(made.close);
    this.scenario = loadScenario(this.store, { ...size, anchorMs: T0, canary: (kind) => this.canaries.make(kind) });
    const tenant = this.scenario.tenants[0]!;
    this.tenantId = tenant.id;
    // Recurring series with exceptions: a daily Webex stand-up in a room with a shared device and
    // in a user's calendar with a personal device, one occurrence moved, one cancelled.
    const withDevice = (mode: 'shared' | 'personal'): string => tenant.devices.find((d) => d.mode === mode && this.mailboxes().includes(d.mailboxId))!.mailboxId;
    for (const mailboxId of [withDevice('personal'), withDevice('shared')]) this.addSeriesWithExceptions(mailboxId);
    for (const mailboxId of [...tenant.users, ...tenant.rooms]) {
      const devices = tenant.devices.filter((d) => d.mailboxId === mailboxId).map((d) => ({ deviceId: d.id, mode: d.mode }));
      if (devices.length > 0) await registerDevices(this.db, this.tenantId, mailboxId, devices);
    }
    await setJoinLeadMinutes(this.db, this.tenantId, LEAD_MINUTES);
  }

  /** A daily 09:00 UTC stand-up from T0 − 2 d to T0 + 10 d with a Webex link; the 3 March occurrence moved to 11:00, the 4 March one cancelled. */
  addSeriesWithExceptions(mailboxId: string): string {
    const day = (d: number, h: number, m = 0): { dateTime: string; timeZone: string } => ({ dateTime: new Date(Date.UTC(2026, 2, d, h, m)).toISOString().slice(0, 19), timeZone: 'UTC' });
    const masterId = this.store.addEvent(this.tenantId, mailboxId, {
      subject: `Stand-up ${this.canaries.make('subject')}`, start: day(0, 9), end: day(0, 9, 30),
      location: { displayName: `https://acme.webex.com/meet/${this.canaries.make('location')}` },
      recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'endDate', startDate: '2026-02-28', endDate: '2026-03-12', recurrenceTimeZone: 'UTC' } },
    });
    this.store.addOccurrenceException(this.tenantId, mailboxId, masterId, Date.UTC(2026, 2, 3, 9), { cancelled: false, patch: { start: day(3, 11), end: day(3, 11, 30) } });
    this.store.addOccurrenceException(this.tenantId, mailboxId, masterId, Date.UTC(2026, 2, 4, 9), { cancelled: true });
    return masterId;
  }

  /** Closes what setUp and the test opened and drops the test's database. */
  async tearDown(): Promise<void> {
    await this.#producer?.disconnect();
    for (const close of this.#closers) await close();
    await this.mongo?.db(this.dbName).dropDatabase().catch(() => undefined);
    await this.mongo?.close();
  }

  onTearDown(close: () => Promise<void>): void {
    this.#closers.push(close);
  }

  get tenant(): ScenarioSummary['tenants'][number] {
    return this.scenario.tenants[0]!;
  }

  mailboxes(): string[] {
    return [...this.tenant.users, ...this.tenant.rooms].filter((m) => !this.tenant.unlicensed.includes(m));
  }

  /** Licensed users (mailboxes with settings and presence). */
  users(): string[] {
    return this.tenant.users.filter((m) => this.mailboxes().includes(m));
  }

  renders(mailboxId: string): GraphJson[] {
    const mbx = this.store.requireMailbox(this.tenantId, mailboxId);
    return this.store.expand(mbx, FEED_FROM, FEED_TO).map((view) => renderEvent(view) as unknown as GraphJson);
  }

  /** Produces `records` in order, in requests under the broker's 1 MiB, the way the runtime (and so the connector) produces. */
  async send(records: readonly Raw[]): Promise<void> {
    await produceInRequests(this.#producer!, records.map((r) => ({ topic: `${this.prefix}${r.topic}`, key: r.key, value: r.value })), 900_000, null);
  }

  /** The connector's part: what changed in each calendar since the last sync, as sealed raw records. */
  async syncCalendars(): Promise<Raw[]> {
    const { clock, store, keyring, codec, tenantId } = this;
    clock.advance(1_000);
    const out: Raw[] = [];
    for (const mailboxId of this.mailboxes()) {
      const key = recordKeyOf(tenantId, mailboxId);
      const before = this.#sent.get(mailboxId) ?? new Map<string, { modified: string; master: string | null }>();
      const now = new Map<string, { modified: string; master: string | null }>();
      for (const event of this.renders(mailboxId)) {
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
      this.#sent.set(mailboxId, now);
    }
    return out;
  }

  async syncSettings(only?: readonly string[]): Promise<Raw[]> {
    const out: Raw[] = [];
    for (const mailboxId of only ?? this.users()) {
      const settings = this.store.mailboxSettings(this.store.requireMailbox(this.tenantId, mailboxId));
      const sealed = await sealRawSettings(this.keyring, { tenantId: this.tenantId, mailboxId, source: 'POLL', fetchedAt: this.clock.now(), settings });
      out.push({ topic: 'mailbox.settings.raw.v1', key: recordKeyOf(this.tenantId, mailboxId), value: await this.codec.encode('mailbox.settings.raw.v1', sealed) });
    }
    return out;
  }

  async feed(records: Raw[]): Promise<void> {
    this.produced.push(...records);
    await this.send(records);
  }

  /**
   * The edits phase's changes to the scenario: a moved single meeting that gets a `@webex` keyword,
   * a cancelled one, a deleted series, each room declining a booking, a private meeting booking a
   * room with a shared device, an all-day meeting over three days, and three users' automatic
   * replies (scheduled in their own zone, always on, off; Graph's casing varies).
   */
  edit(): Edits {
    const { store, tenantId, canaries, tenant } = this;
    const mailboxes = this.mailboxes();
    const user = tenant.users.find((m) => mailboxes.includes(m) && store.masters(store.requireMailbox(tenantId, m)).some((e) => e.recurrence === null && e.isOrganizer))!;
    const userMbx = store.requireMailbox(tenantId, user);
    const singles = store.masters(userMbx).filter((e) => e.recurrence === null && e.isOrganizer);
    const at = (ms: number): string => new Date(ms).toISOString().slice(0, 19);
    store.updateEvent(tenantId, user, singles[0]!.id, { start: { dateTime: at(T0 + 2 * HOUR), timeZone: 'UTC' }, end: { dateTime: at(T0 + 3 * HOUR), timeZone: 'UTC' }, location: { displayName: `@webex https://acme.webex.com/meet/${canaries.make('other')}` } });
    if (singles[1] !== undefined) store.cancelEvent(tenantId, user, singles[1].id);
    const withSeries = mailboxes.find((m) => store.masters(store.requireMailbox(tenantId, m)).some((e) => e.recurrence !== null));
    expect(withSeries, 'the seeded tenant has a recurring series to delete').toBeDefined();
    const series = store.masters(store.requireMailbox(tenantId, withSeries!)).find((e) => e.recurrence !== null)!;
    store.deleteEvent(tenantId, withSeries!, series.id);
    for (const room of tenant.rooms.filter((m) => mailboxes.includes(m))) {
      const roomMbx = store.requireMailbox(tenantId, room);
      const booking = store.expand(roomMbx, T0, T0 + 3 * DAY).find((v) => !v.event.isOrganizer);
      if (booking !== undefined) store.respond(roomMbx, booking.id, 'declined');
    }
    const roomWithDevice = tenant.devices.find((d) => d.mode === 'shared' && mailboxes.includes(d.mailboxId))!.mailboxId;
    const privateId = store.createEvent(tenantId, roomWithDevice, {
      subject: `Confidential offsite ${canaries.make('subject')}`, sensitivity: 'private',
      start: { dateTime: at(T0 + 3 * HOUR), timeZone: 'UTC' }, end: { dateTime: at(T0 + 4 * HOUR), timeZone: 'UTC' },
      location: { displayName: `https://acme.webex.com/meet/${canaries.make('location')}` }, body: { contentType: 'text', content: canaries.make('body') },
    });
    const allDayId = store.createEvent(tenantId, user, {
      subject: `Conference ${canaries.make('subject')}`, isAllDay: true,
      start: { dateTime: '2026-03-04T00:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-03-07T00:00:00', timeZone: 'UTC' },
    });
    const ooo = this.oooUsers();
    const person = (id: string): { timeZone: string; iana: string } => tenant.people.find((p) => p.id === id)!;
    const wall = (ms: number, iana: string): string => new Date(ms).toLocaleString('sv-SE', { timeZone: iana }).replace(' ', 'T');
    store.setAutomaticReplies(tenantId, ooo[0]!, { status: 'Scheduled' as 'scheduled', externalAudience: 'none', scheduledStartDateTime: { dateTime: wall(T0 + HOUR, person(ooo[0]!).iana), timeZone: person(ooo[0]!).timeZone }, scheduledEndDateTime: { dateTime: wall(T0 + 5 * HOUR, person(ooo[0]!).iana), timeZone: person(ooo[0]!).timeZone } });
    store.setAutomaticReplies(tenantId, ooo[1]!, { status: 'AlwaysEnabled' as 'alwaysEnabled', externalAudience: 'all' });
    store.setAutomaticReplies(tenantId, ooo[2]!, { status: 'disabled', externalAudience: 'none' });
    return { user, keywordMeetingId: singles[0]!.id, privateId, allDayId };
  }

  /** The users whose automatic replies the edits phase changes. */
  oooUsers(): string[] {
    return this.users().slice(0, 3);
  }

  /** Every record produced so far, twice, shuffled across keys (per key in order). */
  replays(seed = 14): Raw[] {
    const byKey = new Map<string, Raw[]>();
    for (const r of this.produced) byKey.set(`${r.topic}|${r.key}`, [...(byKey.get(`${r.topic}|${r.key}`) ?? []), r]);
    const queues = [...byKey.values()].map((q) => [...q, ...q]);
    const shuffled: Raw[] = [];
    let x = seed;
    while (queues.some((q) => q.length > 0)) {
      const open = queues.filter((q) => q.length > 0);
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
      shuffled.push(open[x % open.length]!.shift()!);
    }
    return shuffled;
  }

  // ---- What the system holds, in the model's terms.

  occurrencesOf(mailboxId: string): GraphOccurrence[] {
    const known = this.#occurrenceCache?.get(mailboxId);
    if (known !== undefined) return known;
    const occurrences = this.renders(mailboxId).map(readGraphEvent);
    this.#occurrenceCache?.set(mailboxId, occurrences);
    return occurrences;
  }

  /** A gateway: reads obtp.devices.v1 from the beginning into `deviceEvents`, per device in offset order. */
  async collectDeviceEvents(): Promise<void> {
    const consumer: Consumer = this.kafka.consumer({ groupId: uniqueName('gateway'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${this.prefix}obtp.devices.v1`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = await this.codec.decode('obtp.devices.v1', message.value!);
        expect(message.key?.toString()).toBe(value.deviceId);
        this.deviceEvents.set(value.deviceId, [...(this.deviceEvents.get(value.deviceId) ?? []), value]);
        this.deviceRecords += 1;
      },
    });
    this.#closers.unshift(() => consumer.disconnect());
  }

  async topicEnd(topic: string): Promise<number> {
    return withAdmin(async (admin) => (await admin.fetchTopicOffsets(`${this.prefix}${topic}`)).reduce((sum, p) => sum + Number(p.high), 0));
  }

  /** The device streams once the gateway has read every record written so far (else empty). */
  async deviceStreams(): Promise<Map<string, DeviceBookingEvent[]>> {
    return this.deviceRecords >= (await this.topicEnd('obtp.devices.v1')) ? this.deviceEvents : new Map();
  }

  async snapshot(): Promise<Snapshot> {
    const { clock, tenant, db } = this;
    const t = clock.now();
    const expected: Record<string, unknown> = {};
    const actual: Record<string, unknown> = {};
    const mailboxes = this.mailboxes();
    // One read of the list collection per snapshot (FerretDB scans it whole for any filter but _id).
    const dayDocs = (await db.collection(USER_MEETINGS_VIEW).find({}).toArray()).map((d) => unpackDocument(d));
    for (const mailboxId of mailboxes) {
      expected[`days ${mailboxId}`] = expectedMeetingDays(this.occurrencesOf(mailboxId), t);
      actual[`days ${mailboxId}`] = actualDays(dayDocs, mailboxId);
    }
    const streams = await this.deviceStreams();
    const views = new Map((await db.collection(DEVICE_BOOKINGS_VIEW).find({}).toArray()).map((d) => [String(d._id), unpackDocument(d)]));
    for (const device of tenant.devices.filter((d) => mailboxes.includes(d.mailboxId))) {
      const model = expectedDeviceBookings(this.occurrencesOf(device.mailboxId), device.mode, LEAD_MINUTES * 60_000, t);
      expected[`stream ${device.id}`] = model;
      actual[`stream ${device.id}`] = fold(streams.get(device.id) ?? []);
      expected[`view ${device.id}`] = model.map((b) => ({ id: b.id, start: b.start, end: b.end, titled: b.titled, shown: b.shown }));
      const doc = views.get(device.id);
      actual[`view ${device.id}`] = ((doc?.['bookings'] as StoredBooking[] | undefined) ?? []).map((b) => ({
        id: b.bookingId.split('/').slice(2).join('/'), start: b.start, end: b.end, titled: b.title !== null, shown: b.joinShown,
      }));
    }
    const presence = new Map((await db.collection(PRESENCE_VIEW).find({}).toArray()).map((d) => [String(d._id), d]));
    for (const mailboxId of this.users()) {
      const person = tenant.people.find((p) => p.id === mailboxId)!;
      const replies = this.store.mailboxSettings(this.store.requireMailbox(this.tenantId, mailboxId)).automaticRepliesSetting as unknown as RepliesJson;
      const model = expectedPresence(replies, person.iana, t);
      const doc = presence.get(recordKeyOf(this.tenantId, mailboxId));
      expected[`presence ${mailboxId}`] = model.since === null ? { out: model.out } : model;
      actual[`presence ${mailboxId}`] = model.since === null ? { out: doc?.['outOfOffice'] } : { out: doc?.['outOfOffice'], since: doc?.['since'], until: doc?.['until'] };
    }
    return { expected, actual };
  }

  /** Waits until every view and device stream equals the model; after `timeoutMs`, the last snapshot and `equal: false`. */
  async converge(what: string, timeoutMs = 60_000): Promise<Snapshot & { readonly equal: boolean }> {
    let last: Snapshot | undefined;
    this.#occurrenceCache = new Map();
    try {
      await waitFor(what, async () => {
        last = await this.snapshot();
        return canonical(last.actual) === canonical(last.expected) ? true : undefined;
      }, timeoutMs, 100);
      return { ...last!, equal: true };
    } catch {
      return { ...last!, equal: false };
    } finally {
      this.#occurrenceCache = null;
    }
  }

  /** Waits until every view and device stream equals the model and asserts it (the last difference after `timeoutMs`). */
  async expectConverged(what: string, timeoutMs = 60_000): Promise<Snapshot> {
    const last = await this.converge(what, timeoutMs);
    expect(last.actual, what).toEqual(last.expected);
    return last;
  }
}

function actualDays(docs: readonly Record<string, unknown>[], mailboxId: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const doc of docs) {
    if (doc['mailboxId'] !== mailboxId || doc['deleted'] === true || !Array.isArray(doc['meetings'])) continue;
    out[doc['day'] as string] = (doc['meetings'] as { meetingId: string }[]).map((m) => m.meetingId);
  }
  return out;
}

/** A device stream folded in order: the bookings a gateway would hold and the buttons it shows. */
export function fold(events: readonly DeviceBookingEvent[]): { id: string; start: number; end: number; titled: boolean; shown: boolean }[] {
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
