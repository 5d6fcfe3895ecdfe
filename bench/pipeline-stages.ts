// Benchmark: CPU per record of each stage of the meetings pipeline, in memory (`npm run bench --
// pipeline-stages`): no broker, no MongoDB, no runtime. Each processor runs on a minimal context
// over the same records as `bench/pipeline.ts` (a new meeting on a room with a shared device) and,
// as a second set, meetings with a ~3 kB HTML Teams invitation and eight attendees. CPU time
// (process.cpuUsage, user + system) is what a stage costs wherever it runs, so it holds on a loaded
// machine where wall time does not; the Avro rows are the runtime codec's encode + decode of each
// topic's value (avsc on the topic's schema, as TopicCodec does after its cached schema lookup).
//
// Rows: CPU records/s of one core per stage (1000 / CPU ms per record), against the Avro decode of
// a calendar.raw.v1 record (the cheapest per-record cost the runtime pays anyway).
import { randomBytes } from 'node:crypto';
import avro from 'avsc';
import { ManualClock, silentLogger } from '../common/index.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, recordKeyOf, TenantKeyVault } from '../kms/index.js';
import { sealRawEvent, sealRawSettings } from '../records/index.js';
import { createEncryptProcessor } from '../processors/encrypt/index.js';
import { createMaterializeProcessor } from '../processors/materialize/index.js';
import { createDeviceViewProcessor, createObtpProcessor, type DeviceRegistry } from '../processors/obtp/index.js';
import { createOooProcessor } from '../processors/ooo/index.js';
import { createParseProcessor } from '../processors/parse/index.js';
import type { InputRecord, Processor, ProcessorContext } from '../runtime/index.js';
import { readSchemaFile, TOPICS, type DeviceBookingEvent, type MeetingOccurrence, type RawCalendarRecord, type RawMailboxSettings } from '../schemas/index.js';
import type { BenchOptions, BenchReport, BenchRow } from './report.js';

const TENANT = 'bench-tenant';
const ROOMS = 1_000;

/** What a stage handed on: forwards (next stage of the topology) and emits (topics). */
interface Outputs {
  forwards: unknown[];
  emits: { topic: string; key: string; value: unknown }[];
  views: number;
}

/** A minimal ProcessorContext: per-key state in a map, timers and views counted, nothing durable. */
class StageHarness<S> {
  readonly #states = new Map<string, S>();
  readonly out: Outputs = { forwards: [], emits: [], views: 0 };

  constructor(readonly processor: Processor<unknown, S>, readonly clock: ManualClock) {}

  context(key: string): ProcessorContext<S> {
    const states = this.#states;
    const out = this.out;
    return {
      key,
      clock: this.clock,
      logger: silentLogger,
      metrics: { increment: () => undefined, observe: () => undefined },
      state: { get: () => states.get(key), set: (value) => void states.set(key, value), delete: () => void states.delete(key) },
      views: { upsert: () => void (out.views += 1), remove: () => void (out.views += 1) },
      emit: (topic, k, value) => void out.emits.push({ topic, key: k, value }),
      emitRaw: () => undefined,
      forward: (value) => void out.forwards.push(value),
      schedule: (_at, _payload, id) => id ?? 'timer',
      cancel: () => undefined,
    };
  }

  async run(topic: string, key: string, value: unknown): Promise<void> {
    const record: InputRecord<unknown> = { topic, partition: 0, offset: '0', key, value, raw: null, headers: {}, timestamp: this.clock.now() };
    await this.processor.process(record, this.context(key));
  }
}

interface Measured {
  readonly cpuMsPerRecord: number;
  readonly records: number;
}

async function cpuOf(records: number, fn: () => Promise<void>): Promise<Measured> {
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  return { cpuMsPerRecord: (used.user + used.system) / 1_000 / records, records };
}

const TEAMS_BODY = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div>
<p>Agenda: quarterly planning, budget review, hiring plan, open questions from the last review.</p>
${'<p>Notes from the previous session are in the shared folder; please read them before we meet.</p>\n'.repeat(12)}
<div style="width:100%"><span style="white-space:nowrap;color:#5F5F5F">________________________________________________________________________________</span></div>
<div class="me-email-text" lang="en-US" style="color:#252424;font-family:'Segoe UI','Helvetica Neue',Helvetica,Arial,sans-serif">
<div style="margin-top:24px;margin-bottom:20px"><span style="font-size:24px;color:#252424">Microsoft Teams meeting</span></div>
<div style="margin-bottom:20px"><div style="margin-top:0;margin-bottom:0;font-weight:bold"><span style="font-size:14px;color:#252424">Join on your computer, mobile app or room device</span></div>
<a class="me-email-headline" href="https://teams.microsoft.com/l/meetup-join/19%3ameeting_NTg0MmFlN2UtZjA2OS00MTk3LWE0ZmMtZjk4MDJiMTAwOTQz%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf%22%2c%22Oid%22%3a%22a1b2%22%7d" style="font-size:14px;font-family:'Segoe UI Semibold','Segoe UI',sans-serif;text-decoration:underline;color:#6264a7">Click here to join the meeting</a></div>
<div style="margin-bottom:20px;margin-top:20px"><div style="margin-bottom:4px"><span style="font-size:14px;color:#252424">Meeting ID: <span style="font-size:16px;color:#252424">245 371 849 605</span></span><br><span style="font-size:14px;color:#252424">Passcode: </span><span style="font-size:16px;color:#252424">Ab3xYz</span></div></div>
<div style="margin-bottom:24px;margin-top:20px"><a class="me-email-link" href="https://aka.ms/JoinTeamsMeeting">Learn More</a> | <a class="me-email-link" href="https://teams.microsoft.com/meetingOptions/">Meeting options</a></div>
</div></div></body></html>`;

function graphEvent(i: number, now: number, rich: boolean): Record<string, unknown> {
  const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000');
  const base = {
    id: `evt-${i}`, start: { dateTime: iso(now + 60_000), timeZone: 'UTC' }, end: { dateTime: iso(now + 3_600_000), timeZone: 'UTC' },
    lastModifiedDateTime: new Date(now).toISOString(), showAs: 'busy', responseStatus: { response: 'accepted' },
    organizer: { emailAddress: { name: 'Organizer', address: 'organizer@example.com' } },
  };
  if (!rich) return { ...base, subject: 'Weekly sync', location: { displayName: 'https://acme.webex.com/meet/bench' }, body: { contentType: 'text', content: 'agenda' } };
  return {
    ...base,
    subject: `Quarterly planning ${i}`,
    location: { displayName: 'Microsoft Teams Meeting; Room 4.12' },
    body: { contentType: 'html', content: TEAMS_BODY },
    isOnlineMeeting: true,
    onlineMeetingProvider: 'teamsForBusiness',
    onlineMeeting: { joinUrl: 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_NTg0MmFlN2UtZjA2OS00MTk3LWE0ZmMtZjk4MDJiMTAwOTQz%40thread.v2/0' },
    attendees: Array.from({ length: 8 }, (_, a) => ({
      type: a === 7 ? 'resource' : 'required', status: { response: a % 3 === 0 ? 'accepted' : 'none' },
      emailAddress: { name: `Person ${a}`, address: `person${a}@example.com` },
    })),
  };
}

function avroType(topic: string): avro.Type {
  const spec = TOPICS.find((t) => t.name === topic);
  if (spec?.valueSchema == null) throw new Error(`no schema for ${topic}`);
  return avro.Type.forSchema(readSchemaFile(spec.valueSchema) as avro.Schema);
}

/** Encode + decode of every value with the topic's schema (the runtime codec's per-record work). */
async function avroCost(topic: string, values: readonly unknown[]): Promise<Measured> {
  const type = avroType(topic);
  for (const v of values.slice(0, 200)) type.fromBuffer(type.toBuffer(v));
  return cpuOf(values.length, () => {
    for (const v of values) type.fromBuffer(type.toBuffer(v));
    return Promise.resolve();
  });
}

interface SetResult {
  readonly label: string;
  readonly stages: { name: string; m: Measured; note: string }[];
}

async function measureSet(label: string, count: number, rich: boolean, keyring: Keyring, clock: ManualClock): Promise<SetResult> {
  const now = clock.now();
  const raws: { key: string; value: RawCalendarRecord }[] = [];
  for (let i = 0; i < count; i += 1) {
    const mailboxId = `room-${i % ROOMS}`;
    const value = await sealRawEvent(keyring, { tenantId: TENANT, mailboxId, eventId: `evt-${i}`, changeType: 'CREATED', source: 'DELTA', fetchedAt: now, event: graphEvent(i, now, rich) });
    raws.push({ key: recordKeyOf(TENANT, mailboxId), value });
  }
  const registry: DeviceRegistry = {
    devicesOf: (_t, mailboxId) => Promise.resolve([{ deviceId: `dev-${mailboxId}`, mode: 'shared' }]),
    leadMsOf: () => Promise.resolve(5 * 60_000),
  };
  const parse = new StageHarness(createParseProcessor({ keyring }), clock);
  const encrypt = new StageHarness(createEncryptProcessor({ keyring }), clock);
  const obtp = new StageHarness(createObtpProcessor({ registry, horizonMs: 72 * 3_600_000 }), clock);
  const materialize = new StageHarness(createMaterializeProcessor({ days: { read: () => Promise.resolve([]) } }), clock);
  const deviceView = new StageHarness(createDeviceViewProcessor({ reader: { read: () => Promise.resolve(null) } }), clock);

  // Warm-up on a separate tenant's worth of records would change key state; instead the first
  // pass of parse and encrypt (stateless) is run twice and only the second is measured.
  for (const r of raws.slice(0, 200)) await parse.run('calendar.raw.v1', r.key, r.value);
  parse.out.forwards.length = 0;
  const parseM = await cpuOf(raws.length, async () => {
    for (const r of raws) await parse.run('calendar.raw.v1', r.key, r.value);
  });
  const parsed = parse.out.forwards;
  for (const p of parsed.slice(0, 200)) await encrypt.run('calendar.raw.v1', (p as { tenantId: string; mailboxId: string }).tenantId + '/' + (p as { mailboxId: string }).mailboxId, p);
  encrypt.out.emits.length = 0;
  const encryptM = await cpuOf(parsed.length, async () => {
    for (const p of parsed) {
      const m = p as { tenantId: string; mailboxId: string };
      await encrypt.run('calendar.raw.v1', recordKeyOf(m.tenantId, m.mailboxId), p);
    }
  });
  const meetings = encrypt.out.emits.map((e) => e.value as MeetingOccurrence);
  const obtpM = await cpuOf(meetings.length, async () => {
    for (const m of meetings) await obtp.run('calendar.meetings.v1', `${m.tenantId}/${m.mailboxId}`, m);
  });
  const materializeM = await cpuOf(meetings.length, async () => {
    for (const m of meetings) await materialize.run('calendar.meetings.v1', `${m.tenantId}/${m.mailboxId}`, m);
  });
  const deviceEvents = obtp.out.emits.map((e) => ({ key: e.key, value: e.value as DeviceBookingEvent }));
  const deviceM = await cpuOf(deviceEvents.length, async () => {
    for (const e of deviceEvents) await deviceView.run('obtp.devices.v1', e.key, e.value);
  });
  const rawAvro = await avroCost('calendar.raw.v1', raws.map((r) => r.value));
  const meetingAvro = await avroCost('calendar.meetings.v1', meetings);
  const deviceAvro = await avroCost('obtp.devices.v1', deviceEvents.map((e) => e.value));
  const perMeeting = (m: Measured, n: number): string => `${((m.cpuMsPerRecord * n) / count).toFixed(3)} ms per meeting`;
  return {
    label,
    stages: [
      { name: 'avro calendar.raw.v1 (encode + decode)', m: rawAvro, note: `${raws[0]!.value.sealed!.length} B sealed` },
      { name: 'parse (unseal + parse)', m: parseM, note: '' },
      { name: 'encrypt (6 fields)', m: encryptM, note: '' },
      { name: 'avro calendar.meetings.v1 (encode + decode)', m: meetingAvro, note: '' },
      { name: 'meeting-views: obtp', m: obtpM, note: `${deviceEvents.length} device events` },
      { name: 'meeting-views: materialize', m: materializeM, note: `${materialize.out.views} view writes` },
      { name: 'avro obtp.devices.v1 (encode + decode)', m: deviceAvro, note: perMeeting(deviceAvro, deviceEvents.length) },
      { name: 'obtp-device-view', m: deviceM, note: perMeeting(deviceM, deviceEvents.length) },
    ],
  };
}

async function measureOoo(count: number, keyring: Keyring, clock: ManualClock): Promise<{ name: string; m: Measured; note: string }> {
  const now = clock.now();
  const records: { key: string; value: RawMailboxSettings }[] = [];
  for (let i = 0; i < count; i += 1) {
    const mailboxId = `user-${i}`;
    const scheduled = i % 2 === 0;
    const settings = {
      timeZone: 'W. Europe Standard Time',
      automaticRepliesSetting: scheduled
        ? { status: 'Scheduled', scheduledStartDateTime: { dateTime: '2026-12-10T08:00:00.0000000', timeZone: 'W. Europe Standard Time' }, scheduledEndDateTime: { dateTime: '2026-12-12T18:00:00.0000000', timeZone: 'W. Europe Standard Time' } }
        : { status: 'alwaysEnabled' },
    };
    records.push({ key: recordKeyOf(TENANT, mailboxId), value: await sealRawSettings(keyring, { tenantId: TENANT, mailboxId, source: 'POLL', fetchedAt: now, settings }) });
  }
  const ooo = new StageHarness(createOooProcessor({ keyring }), clock);
  const m = await cpuOf(records.length, async () => {
    for (const r of records) await ooo.run('mailbox.settings.raw.v1', r.key, r.value);
  });
  return { name: 'ooo (unseal + presence)', m, note: 'half scheduled (Windows time zone), half alwaysEnabled' };
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const count = options.quick ? 3_000 : 10_000;
  const clock = new ManualClock(Date.UTC(2026, 11, 3, 9, 0, 0));
  const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
  const keyring = new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock, options: { reserveBlock: 65_536 } });
  const sets: SetResult[] = [];
  options.progress(0, 3, 'bench records');
  sets.push(await measureSet('bench record', count, false, keyring, clock));
  options.progress(1, 3, 'Teams invitation');
  sets.push(await measureSet('Teams invitation', count, true, keyring, clock));
  options.progress(2, 3, 'ooo');
  const ooo = await measureOoo(count, keyring, clock);
  options.progress(3, 3, 'done');
  const rows: BenchRow[] = [];
  for (const set of sets) {
    const base = `${set.label}: ${set.stages[0]!.name}`;
    const total = set.stages.reduce((sum, s) => sum + (s.name.startsWith('avro') || s.name.includes('device') ? 0 : s.m.cpuMsPerRecord), 0);
    for (const [i, s] of set.stages.entries()) {
      rows.push({
        case: `${set.label}: ${s.name}`,
        opsPerSec: Math.round(1_000 / s.m.cpuMsPerRecord),
        ...(i === 0 ? {} : { baseline: base }),
        note: `CPU ${s.m.cpuMsPerRecord.toFixed(3)} ms per record${s.note === '' ? '' : `; ${s.note}`}`,
      });
    }
    rows.push({ case: `${set.label}: parse + encrypt + obtp + materialize`, opsPerSec: Math.round(1_000 / total), baseline: base, note: `CPU ${total.toFixed(3)} ms per meeting (processors only)` });
  }
  rows.push({ case: ooo.name, opsPerSec: Math.round(1_000 / ooo.m.cpuMsPerRecord), note: `CPU ${ooo.m.cpuMsPerRecord.toFixed(3)} ms per record; ${ooo.note}` });
  return { name: 'pipeline-stages', rows };
}
