import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { createLogger, type Logger } from '../../../common/logger.js';
import { createKeyring, generateKeyText, generateKmsCertificates, kmsOptionsSchema, recordKeyOf, startKmsServer, writeKmsCertificates, type Keyring, type KmsOptionsInput, type RunningKmsServer } from '../../../kms/index.js';
import { rawEventSealContext, sealRawEvent } from '../../../records/index.js';
import { defineMeetingsTopology } from '../../../app/index.js';
import { decryptMeeting } from '../../../processors/encrypt/index.js';
import { Runtime } from '../../../runtime/index.js';
import { createSchemaRegistry, provisionTopics, TopicCodec, type MeetingOccurrence, type MeetingSensitiveFields, type RawCalendarRecord } from '../../../schemas/index.js';
import { Canaries, expectNoLeaks, LogCapture } from '../../support/canary.js';
import { createStandInParseProcessor, STANDIN_PARSE_NAME, type StandInGraphEvent } from '../../support/parse-standin.js';
import { readTopic, testKafka, testMongo, testStack, uniqueName, withAdmin } from '../../support/stack.js';
import { waitFor } from '../runtime/helpers.js';
import { linearBackoff, retry } from '../../../common/index.js';

/**
 * Issue 5 point 5: processors/encrypt on the real actor runtime. calendar.raw.v1 (Graph events sealed
 * as the connector seals them) → parse stand-in (test/support/parse-standin.ts, until
 * processors/parse lands) → the real encrypt processor → calendar.meetings.v1, with poison records
 * interleaved in the same partitions and an on-premises KMS outage in the middle. Then every topic
 * of the run, every collection of its database and the captured logs are scanned for canaries.
 */

const PARTITIONS = 3;
const CLOUD_TENANTS = ['tenant-a', 'tenant-b'];
const HDS_TENANT = 'tenant-hds'; // keys in the on-premises KMS (`hycal kms serve`)
const MAILBOXES = ['mbx-0', 'mbx-1', 'mbx-2'];
const CACHE_TTL_MS = 60_000;
const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);

interface GoodEvent {
  readonly tenantId: string;
  readonly mailboxId: string;
  readonly eventId: string;
  readonly event: StandInGraphEvent;
  readonly expected: MeetingSensitiveFields;
  readonly start: number;
  readonly end: number;
}

interface Produced {
  readonly key: string;
  readonly value: Buffer;
  readonly partition: number;
  readonly offset: string;
}

interface Poison extends Produced {
  readonly label: string;
  readonly code: string;
  readonly processor: string;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000');

/** A Graph event with a fresh canary in every sensitive place, and what parse + encrypt must keep of it. */
function graphEvent(canaries: Canaries, tenantId: string, mailboxId: string, n: number): GoodEvent {
  const eventId = `AAMk-${tenantId}-${mailboxId}-${n}-${randomBytes(3).toString('hex')}`;
  const start = T0 + n * 3_600_000;
  const end = start + 30 * 60_000;
  const subject = `Design review ${canaries.make('subject')}`;
  const body = `<html><body><p>Agenda: ${canaries.make('body')}</p><p>Join: https://acme.webex.com/meet/${canaries.make('other')}</p></body></html>`;
  const location = `Room 4.${n} / ${canaries.make('location')}`;
  const organizer = { name: canaries.make('name'), address: canaries.make('address') };
  const attendee1 = { name: canaries.make('name'), address: canaries.make('address') };
  const attendee2 = { address: canaries.make('address') };
  const joinUrl = /https:\/\/acme\.webex\.com\/meet\/\S+?(?=<)/.exec(body)![0];
  return {
    tenantId,
    mailboxId,
    eventId,
    start,
    end,
    event: {
      id: eventId,
      subject,
      body: { contentType: 'html', content: body },
      start: { dateTime: iso(start), timeZone: 'UTC' },
      end: { dateTime: iso(end), timeZone: 'UTC' },
      isOrganizer: true,
      showAs: 'busy',
      sensitivity: 'normal',
      lastModifiedDateTime: new Date(T0 - 60_000 + n).toISOString(),
      location: { displayName: location },
      organizer: { emailAddress: organizer },
      attendees: [
        { type: 'required', emailAddress: attendee1, status: { response: 'accepted' } },
        { type: 'optional', emailAddress: attendee2 },
      ],
    },
    expected: {
      subject,
      body,
      location,
      organizer,
      attendees: [
        { ...attendee1, type: 'required', response: 'accepted' },
        { name: null, ...attendee2, type: 'optional', response: 'none' },
      ],
      joinDetails: { provider: 'WEBEX', url: joinUrl, sipUri: null, meetingNumber: null, foundIn: 'body' },
    },
  };
}

describe('encrypt – processors/encrypt on the actor runtime (real stack)', () => {
  const canaries = new Canaries();
  const prefix = `${uniqueName('encrt')}.`;
  const dbName = prefix.replace(/[.-]/g, '_');
  const logs = new LogCapture();
  let logger: Logger;
  let kafka: Kafka;
  let producer: Producer;
  let codec: TopicCodec;
  let mongo: MongoClient;
  let db: Db;
  let dir: string;
  let kmsServer: RunningKmsServer;
  let startServer: (port: number) => Promise<RunningKmsServer>;
  let connector: Keyring;
  let processorKeyring: Keyring;
  let kmsClock: ManualClock;
  const kmsCounts = new Map<string, number>();
  let runtime: Runtime | undefined;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    logger = createLogger({ name: 'encrypt-on-runtime', level: 'trace', destination: logs });
    kafka = testKafka();
    await retry(() => withAdmin((admin) => provisionTopics(admin, { prefix, partitions: PARTITIONS })), { attempts: 5, delayMs: linearBackoff(1_000) });
    codec = await new TopicCodec(createSchemaRegistry(testStack().schemaRegistryUrl), { prefix }).init();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    mongo = await testMongo();
    db = mongo.db(dbName);

    // The on-premises KMS of the HDS tenant, in process, with its own master key.
    dir = await mkdtemp(join(tmpdir(), 'hycal-encrt-'));
    const certs = await generateKmsCertificates({ clientCn: 'hycal-service' });
    const files = await writeKmsCertificates(join(dir, 'tls'), certs);
    const serverMasterKey = randomBytes(32);
    canaries.watchBytes('on-premises KMS master key', serverMasterKey);
    startServer = (port) =>
      startKmsServer({ host: '127.0.0.1', port, masterKey: Buffer.from(serverMasterKey), dataDir: join(dir, 'kms-data'), tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert }, clients: { 'hycal-service': ['*'] }, clock: new ManualClock(T0), logger });
    kmsServer = await startServer(0);

    // Connector side and processor side are different processes in production: separate keyrings
    // (separate caches), one key store (this run's database), one cloud master key.
    const masterKeyText = generateKeyText();
    canaries.watch('other', masterKeyText);
    canaries.watchBytes('cloud master key', Buffer.from(masterKeyText, 'base64'));
    const options: KmsOptionsInput = {
      tenantProviders: { [HDS_TENANT]: 'remote' },
      remote: { url: kmsServer.url, caFile: files.caCert, certFile: files.clientCert, keyFile: files.clientKey, timeoutMs: 2_000 },
      cacheTtlMs: CACHE_TTL_MS,
    };
    const env = { HYCAL_KMS_MASTER_KEY: masterKeyText };
    const made = createKeyring({ db, options: kmsOptionsSchema.parse(options), clock: new ManualClock(T0), logger, env });
    connector = made.keyring;
    closers.push(made.close);
    kmsClock = new ManualClock(T0);
    const processorSide = createKeyring({
      db,
      options: kmsOptionsSchema.parse(options),
      clock: kmsClock,
      logger,
      env,
      metrics: { increment: (name) => kmsCounts.set(name, (kmsCounts.get(name) ?? 0) + 1) },
    });
    processorKeyring = processorSide.keyring;
    closers.push(processorSide.close);
  });

  afterAll(async () => {
    await runtime?.stop();
    await producer?.disconnect();
    for (const close of closers) await close();
    await kmsServer?.close().catch(() => undefined);
    await mongo?.db(dbName).dropDatabase().catch(() => undefined);
    await mongo?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function send(key: string, value: Buffer): Promise<Produced> {
    const [meta] = await producer.send({ topic: `${prefix}calendar.raw.v1`, acks: -1, messages: [{ key, value }] });
    return { key, value, partition: meta!.partition, offset: meta!.baseOffset! };
  }

  async function encodeRaw(value: RawCalendarRecord): Promise<Buffer> {
    return codec.encode('calendar.raw.v1', value);
  }

  async function sealGood(good: GoodEvent): Promise<Buffer> {
    return encodeRaw(await sealRawEvent(connector, { tenantId: good.tenantId, mailboxId: good.mailboxId, eventId: good.eventId, changeType: 'CREATED', source: 'DELTA', fetchedAt: T0, event: good.event }));
  }

  async function highWatermark(topic: string): Promise<number> {
    return withAdmin(async (admin) => (await admin.fetchTopicOffsets(`${prefix}${topic}`)).reduce((sum, p) => sum + Number(p.high), 0));
  }

  /** Every record of a topic, partition by partition in offset order. */
  async function readTopicSorted(topic: string, count: number): Promise<{ partition: number; offset: string; key: string; value: Buffer; headers: Record<string, string> }[]> {
    const records = await readTopic(kafka, `${prefix}${topic}`, count, { timeoutMs: 20_000, sorted: true });
    return records.map((r) => ({ ...r, value: r.value ?? Buffer.alloc(0) }));
  }

  async function meetingsByEvent(expectedCount: number): Promise<Map<string, { occurrence: MeetingOccurrence; key: string; partition: number; offset: number }>> {
    const out = new Map<string, { occurrence: MeetingOccurrence; key: string; partition: number; offset: number }>();
    for (const record of await readTopicSorted('calendar.meetings.v1', expectedCount)) {
      const occurrence = await codec.decode('calendar.meetings.v1', record.value);
      expect(out.has(occurrence.meetingId), `meeting ${occurrence.meetingId} emitted twice`).toBe(false);
      out.set(occurrence.meetingId, { occurrence, key: record.key, partition: record.partition, offset: Number(record.offset) });
    }
    return out;
  }

  async function expectMeetingsMatch(goods: readonly GoodEvent[], meetings: Map<string, { occurrence: MeetingOccurrence; key: string }>): Promise<void> {
    for (const good of goods) {
      const found = meetings.get(good.eventId);
      expect(found, `no meeting for ${good.eventId}`).toBeDefined();
      const { occurrence, key } = found!;
      expect(key).toBe(recordKeyOf(good.tenantId, good.mailboxId));
      expect(occurrence).toMatchObject({ tenantId: good.tenantId, mailboxId: good.mailboxId, start: good.start, end: good.end, op: 'UPSERT', showAs: 'BUSY', providerKind: 'WEBEX', attendeeCount: 2, isPrivate: false });
      // The sensitive fields are ciphertext on the topic and decrypt to exactly the input values.
      for (const field of ['subject', 'body', 'location', 'organizer', 'attendees', 'joinDetails'] as const) expect(Buffer.isBuffer(occurrence[field])).toBe(true);
      expect(await decryptMeeting(occurrence, connector)).toEqual(good.expected);
    }
  }

  function newRuntime(): Runtime {
    return new Runtime({
      topology: defineMeetingsTopology({ parse: createStandInParseProcessor({ keyring: processorKeyring }), keyring: processorKeyring }),
      kafka: testKafka(),
      db,
      codec,
      prefix,
      logger,
      options: {
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 1_000,
        maxWaitTimeMs: 100,
        commitIntervalMs: 200,
        drainTimeoutMs: 1_000,
        // No KMS outage here may outlast the retry budget (with the default budget, about 6-13 s of
        // outage dead-letters the records: see the report).
        retry: { initialMs: 50, maxMs: 250, maxAttempts: 100_000 },
      },
    });
  }

  /** Per mailbox, meetings come out in the order their raw records went in. */
  function expectInOrder(goods: readonly GoodEvent[], meetings: Map<string, { key: string; offset: number }>): void {
    for (const key of new Set(goods.map((g) => recordKeyOf(g.tenantId, g.mailboxId)))) {
      const inOrder = goods.filter((g) => recordKeyOf(g.tenantId, g.mailboxId) === key).map((g) => g.eventId);
      const outOrder = [...meetings.entries()].filter(([, m]) => m.key === key).sort(([, x], [, y]) => x.offset - y.offset).map(([id]) => id);
      expect(outOrder, key).toEqual(inOrder);
    }
  }


  it('encrypt – sealed raw events of several tenants and mailboxes become field-encrypted meetings on the runtime; poison records are dead-lettered with their original bytes while their partitions keep flowing; a KMS outage holds records (also across a worker restart) until the KMS is back, with nothing emitted twice; no canary anywhere', async () => {
    // ---- Phase A: good records of every tenant × mailbox, poison records interleaved on the same keys.
    const goodsA: GoodEvent[] = [];
    const producedGood = new Map<string, Produced>();
    const poisons: Poison[] = [];
    const a0 = (m: string): string => recordKeyOf('tenant-a', m);
    const poisonMakers: (() => Promise<Omit<Poison, 'partition' | 'offset'> & { value: Buffer }>)[] = [
      async () => {
        // A bit flipped in the ciphertext of an otherwise genuine record.
        const victim = graphEvent(canaries, 'tenant-a', 'mbx-0', 90);
        const sealed = await sealRawEvent(connector, { tenantId: 'tenant-a', mailboxId: 'mbx-0', eventId: victim.eventId, changeType: 'UPDATED', source: 'NOTIFICATION', fetchedAt: T0, event: victim.event });
        sealed.sealed![sealed.sealed!.length - 20]! ^= 0x01;
        return { label: 'tampered seal', key: a0('mbx-0'), value: await encodeRaw(sealed), code: 'HC_ERR_KMS_DECRYPT_FAILED', processor: STANDIN_PARSE_NAME };
      },
      async () => {
        // mbx-0's sealed event copied into a record of mbx-1 (same tenant).
        const victim = graphEvent(canaries, 'tenant-a', 'mbx-0', 91);
        const sealed = await sealRawEvent(connector, { tenantId: 'tenant-a', mailboxId: 'mbx-0', eventId: victim.eventId, changeType: 'UPDATED', source: 'DELTA', fetchedAt: T0, event: victim.event });
        return { label: 'seal moved to another mailbox', key: a0('mbx-1'), value: await encodeRaw({ ...sealed, mailboxId: 'mbx-1' }), code: 'HC_ERR_KMS_DECRYPT_FAILED', processor: STANDIN_PARSE_NAME };
      },
      async () => {
        // tenant-a's sealed event copied into a record of tenant-b.
        const victim = graphEvent(canaries, 'tenant-a', 'mbx-2', 92);
        const sealed = await sealRawEvent(connector, { tenantId: 'tenant-a', mailboxId: 'mbx-2', eventId: victim.eventId, changeType: 'UPDATED', source: 'DELTA', fetchedAt: T0, event: victim.event });
        return { label: 'seal moved to another tenant', key: recordKeyOf('tenant-b', 'mbx-2'), value: await encodeRaw({ ...sealed, tenantId: 'tenant-b' }), code: 'HC_ERR_KMS_KEY_NOT_FOUND', processor: STANDIN_PARSE_NAME };
      },
      () => Promise.resolve({ label: 'garbage bytes (not Avro)', key: recordKeyOf('tenant-b', 'mbx-0'), value: Buffer.concat([Buffer.from([0xff]), randomBytes(63)]), code: 'HC_ERR_RECORD_DECODE', processor: 'decode' }),
      async () => ({
        label: 'garbage instead of a seal',
        key: recordKeyOf('tenant-b', 'mbx-1'),
        value: await encodeRaw({ tenantId: 'tenant-b', mailboxId: 'mbx-1', eventId: 'AAMk-garbage', changeType: 'CREATED', source: 'DELTA', fetchedAt: T0, sealed: randomBytes(80) }),
        code: 'HC_ERR_KMS_CIPHERTEXT_MALFORMED',
        processor: STANDIN_PARSE_NAME,
      }),
      async () => {
        // Genuinely sealed, but the Graph event has no start: parse cannot make a meeting of it.
        const broken = graphEvent(canaries, HDS_TENANT, 'mbx-0', 93);
        const { start: _dropped, ...event } = broken.event;
        const sealed = await sealRawEvent(connector, { tenantId: HDS_TENANT, mailboxId: 'mbx-0', eventId: broken.eventId, changeType: 'CREATED', source: 'DELTA', fetchedAt: T0, event });
        return { label: 'unparseable event', key: recordKeyOf(HDS_TENANT, 'mbx-0'), value: await encodeRaw(sealed), code: 'HC_ERR_TEST_PARSE_STANDIN', processor: STANDIN_PARSE_NAME };
      },
      async () => {
        // Genuinely sealed bytes that are not JSON at all.
        const eventId = 'AAMk-notjson';
        const sealed = await connector.seal(rawEventSealContext(HDS_TENANT, 'mbx-1', eventId), Buffer.from(`subject=${canaries.make('subject')}`));
        return { label: 'sealed non-JSON', key: recordKeyOf(HDS_TENANT, 'mbx-1'), value: await encodeRaw({ tenantId: HDS_TENANT, mailboxId: 'mbx-1', eventId, changeType: 'CREATED', source: 'DELTA', fetchedAt: T0, sealed }), code: 'HC_ERR_KMS_INPUT', processor: STANDIN_PARSE_NAME };
      },
      async () => {
        // Parses, but ends before it starts: encrypt (the second stage) refuses it; the raw record is dead-lettered.
        const bad = graphEvent(canaries, HDS_TENANT, 'mbx-2', 94);
        const event = { ...bad.event, start: bad.event.end, end: bad.event.start };
        const sealed = await sealRawEvent(connector, { tenantId: HDS_TENANT, mailboxId: 'mbx-2', eventId: bad.eventId, changeType: 'CREATED', source: 'DELTA', fetchedAt: T0, event });
        return { label: 'meeting ends before it starts', key: recordKeyOf(HDS_TENANT, 'mbx-2'), value: await encodeRaw(sealed), code: 'HC_ERR_ENCRYPT_INPUT', processor: 'encrypt' };
      },
    ];

    runtime = newRuntime();
    await runtime.start();

    // Round 0: one good event per mailbox. Round 1: a poison record in front of its key's good
    // event (every poison has its own key). Round 2: good events again, so every poison has good
    // records of its own key, in its own partition, behind it.
    const tenants = [...CLOUD_TENANTS, HDS_TENANT];
    const pending = await Promise.all(poisonMakers.map((make) => make()));
    for (let round = 0; round < 3; round += 1) {
      for (const tenantId of tenants) {
        for (const mailboxId of MAILBOXES) {
          const key = recordKeyOf(tenantId, mailboxId);
          const poison = round === 1 ? pending.find((p) => p.key === key) : undefined;
          if (poison !== undefined) poisons.push({ ...poison, ...(await send(poison.key, poison.value)) });
          const good = graphEvent(canaries, tenantId, mailboxId, round);
          goodsA.push(good);
          producedGood.set(good.eventId, await send(key, await sealGood(good)));
        }
      }
    }
    expect(poisons).toHaveLength(poisonMakers.length);
    expect(new Set([...producedGood.values()].map((p) => p.partition)).size).toBe(PARTITIONS);

    await waitFor('phase A meetings and dead letters', async () =>
      (await highWatermark('calendar.meetings.v1')) >= goodsA.length && (await highWatermark('calendar.raw.v1.dlq.v1')) >= poisons.length ? true : undefined,
    30_000, 200);
    expect(await highWatermark('calendar.meetings.v1')).toBe(goodsA.length);
    expect(await highWatermark('calendar.raw.v1.dlq.v1')).toBe(poisons.length);

    const meetingsA = await meetingsByEvent(goodsA.length);
    expect(meetingsA.size).toBe(goodsA.length);
    await expectMeetingsMatch(goodsA, meetingsA);
    expectInOrder(goodsA, meetingsA);

    const deadLetters = await readTopicSorted('calendar.raw.v1.dlq.v1', poisons.length);
    expect(deadLetters).toHaveLength(poisons.length);
    for (const poison of poisons) {
      const letter = deadLetters.find((d) => d.headers['hc-source-partition'] === String(poison.partition) && d.headers['hc-source-offset'] === poison.offset);
      expect(letter, `dead letter of ${poison.label}`).toBeDefined();
      expect(letter!.key).toBe(poison.key);
      expect(letter!.value.equals(poison.value), `${poison.label}: original bytes`).toBe(true);
      expect(letter!.headers, poison.label).toMatchObject({ 'hc-error-code': poison.code, 'hc-processor': poison.processor, 'hc-source-topic': 'calendar.raw.v1', 'hc-attempts': '1' });
      expect(letter!.headers['hc-error-message']?.length).toBeGreaterThan(0);
      // The partition kept flowing: a good record of the same key, behind the poison, became a meeting.
      const after = [...producedGood.entries()].filter(([, p]) => p.key === poison.key && p.partition === poison.partition && Number(p.offset) > Number(poison.offset));
      expect(after.length, `${poison.label}: good records behind it`).toBeGreaterThan(0);
      for (const [eventId] of after) expect(meetingsA.has(eventId)).toBe(true);
    }
    expect(kmsCounts.get('kms_unavailable_total') ?? 0).toBe(0);

    // ---- Phase B: the on-premises KMS goes down. The processor's cached keys expire (its clock
    // moves past the cache lifetime), so the HDS tenant's records need the KMS; cloud tenants do not.
    const hdsGoods = MAILBOXES.flatMap((mailboxId) => [20, 21].map((n) => graphEvent(canaries, HDS_TENANT, mailboxId, n)));
    const cloudGoods = MAILBOXES.map((mailboxId) => graphEvent(canaries, 'tenant-a', mailboxId, 22));
    const phaseB = await Promise.all([...hdsGoods, ...cloudGoods].map(async (good) => ({ key: recordKeyOf(good.tenantId, good.mailboxId), value: await sealGood(good) })));
    const dlqBefore = await highWatermark('calendar.raw.v1.dlq.v1');
    const port = kmsServer.port;
    await kmsServer.close();
    kmsClock.advance(CACHE_TTL_MS + 1);
    await producer.send({ topic: `${prefix}calendar.raw.v1`, acks: -1, messages: phaseB });

    await waitFor('HDS records to be retried against the stopped KMS', () => ((kmsCounts.get('kms_unavailable_total') ?? 0) >= 30 ? true : undefined), 20_000, 100);
    // While the KMS is down: no HDS record came out (in any form), nothing was dead-lettered.
    // Cloud records may or may not have passed meanwhile: only those fetched together with the held
    // records do (kafkajs head-of-line blocking, see the todo above and the report).
    const during = await highWatermark('calendar.meetings.v1');
    expect(during).toBeGreaterThanOrEqual(goodsA.length);
    expect(during).toBeLessThanOrEqual(goodsA.length + cloudGoods.length);
    const emittedDuring = await meetingsByEvent(during);
    for (const good of hdsGoods) expect(emittedDuring.has(good.eventId)).toBe(false);
    expect(await highWatermark('calendar.raw.v1.dlq.v1')).toBe(dlqBefore);
    const waiting = await runtime.metricsText();
    expect(waiting).toMatch(new RegExp(`hycal_runtime_retries_total\\{processor="${STANDIN_PARSE_NAME}",kind="transient"\\} \\d+`));
    expect(logs.lines.some((line) => line.includes('transient processor failure; retrying') && line.includes('on-premises KMS'))).toBe(true);

    // The KMS comes back (same port, same key files): the held records complete.
    kmsServer = await startServer(port);
    await waitFor('HDS records after the KMS is back', async () =>
      (await highWatermark('calendar.meetings.v1')) >= goodsA.length + cloudGoods.length + hdsGoods.length ? true : undefined,
    20_000, 100);
    const all = await meetingsByEvent(goodsA.length + cloudGoods.length + hdsGoods.length);
    expect(all.size).toBe(goodsA.length + cloudGoods.length + hdsGoods.length);
    await expectMeetingsMatch([...hdsGoods, ...cloudGoods], all);
    // The held records came out in order with the rest of their mailbox (phase A, then 20, then 21).
    expectInOrder([...goodsA, ...cloudGoods, ...hdsGoods], all);
    expect(await highWatermark('calendar.raw.v1.dlq.v1')).toBe(dlqBefore);
    const text = await runtime.metricsText();
    expect(text).toContain(`hycal_runtime_records_total{topology="meetings",outcome="dead_lettered"} ${poisons.length}`);

    // ---- Phase C: the KMS goes down again and the worker is stopped while HDS records are held.
    // The held records are not committed; a new worker (fresh key caches, as a new process) picks
    // them up once the KMS is back. Records behind them that were applied already are re-read and
    // skipped (the state documents' offsets), so nothing is emitted twice.
    const hdsLater = MAILBOXES.map((mailboxId) => graphEvent(canaries, HDS_TENANT, mailboxId, 30));
    const cloudLater = MAILBOXES.map((mailboxId) => graphEvent(canaries, 'tenant-b', mailboxId, 31));
    const phaseC = await Promise.all([...hdsLater, ...cloudLater].map(async (good) => ({ key: recordKeyOf(good.tenantId, good.mailboxId), value: await sealGood(good) })));
    const unavailableBeforeC = kmsCounts.get('kms_unavailable_total') ?? 0;
    const beforeC = await highWatermark('calendar.meetings.v1');
    await kmsServer.close();
    kmsClock.advance(CACHE_TTL_MS + 1);
    await producer.send({ topic: `${prefix}calendar.raw.v1`, acks: -1, messages: phaseC });
    await waitFor('HDS records to be held again', () => ((kmsCounts.get('kms_unavailable_total') ?? 0) >= unavailableBeforeC + 10 ? true : undefined), 20_000, 100);
    await runtime.stop();
    runtime = undefined;
    const afterStop = await meetingsByEvent(await highWatermark('calendar.meetings.v1'));
    for (const good of hdsLater) expect(afterStop.has(good.eventId)).toBe(false);
    expect(await highWatermark('calendar.raw.v1.dlq.v1')).toBe(dlqBefore);

    processorKeyring.clearCaches();
    kmsServer = await startServer(port);
    runtime = newRuntime();
    await runtime.start();
    await waitFor('the held records, completed by the new worker', async () =>
      (await highWatermark('calendar.meetings.v1')) >= beforeC + cloudLater.length + hdsLater.length ? true : undefined,
    30_000, 100);
    // Wait until the new worker has committed the whole input (it re-read the records behind the
    // held ones; those already applied are skipped by the state documents), then check nothing
    // came out twice.
    const groupId = runtime.groupId;
    await waitFor('the new worker to commit the end of the input', async () => {
      const [ends, committed] = await withAdmin(async (admin) => [await admin.fetchTopicOffsets(`${prefix}calendar.raw.v1`), await admin.fetchOffsets({ groupId, topics: [`${prefix}calendar.raw.v1`] })] as const);
      const byPartition = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
      return ends.every((end) => byPartition.get(end.partition) === end.high) ? true : undefined;
    }, 20_000, 100);
    const final = await meetingsByEvent(beforeC + cloudLater.length + hdsLater.length);
    expect(await highWatermark('calendar.meetings.v1')).toBe(all.size + cloudLater.length + hdsLater.length);
    await expectMeetingsMatch([...hdsLater, ...cloudLater], final);
    expectInOrder([...goodsA, ...cloudGoods, ...hdsGoods, ...hdsLater, ...cloudLater], final);
    expect(await highWatermark('calendar.raw.v1.dlq.v1')).toBe(dlqBefore);
    await runtime.stop();
    runtime = undefined;

    // ---- The scan: every topic of the run (raw, meetings, dead letters), every collection of the
    // run's database (runtime state, kms keys), the captured logs.
    const collections = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    expect(collections).toEqual(expect.arrayContaining(['rt_meetings_state', 'kms_data_keys', 'kms_keychains', 'kms_tenant_keys']));
    const rawCount = await highWatermark('calendar.raw.v1');
    const scanned = await expectNoLeaks(canaries, { kafka, topicPrefix: prefix, mongo, databases: [dbName], logs });
    expect(scanned.records).toBe(rawCount + final.size + poisons.length);
    expect(scanned.documents).toBeGreaterThanOrEqual(MAILBOXES.length * 3 + 4);
    expect(logs.lines.some((line) => line.includes('record dead-lettered'))).toBe(true);
    // The on-premises KMS's own files (wrapped tenant KEKs) hold no canary and no master key either.
    const kmsFiles = await readdir(join(dir, 'kms-data'), { recursive: true, withFileTypes: true });
    const fileHits = [];
    for (const entry of kmsFiles.filter((e) => e.isFile())) {
      const path = join(entry.parentPath, entry.name);
      fileHits.push(...canaries.scan(await readFile(path), path));
    }
    expect(kmsFiles.filter((e) => e.isFile()).length).toBeGreaterThan(0);
    expect(fileHits).toEqual([]);
    expect(canaries.values.length).toBeGreaterThan(300);
  }, 90_000);
  // Runs after the test above (same topics; it counts from where that one ended). The runtime
  // returns from eachBatch after batchHoldMs and leaves a waiting record with its actor, so records
  // fetched later, of other keys on the same partition and on the other partitions, flow (point 5:
  // tenants isolated from each other's KMS).
  it('encrypt – an on-premises KMS outage of one tenant does not hold records of other tenants fetched after it, on its partitions or others; the held records complete in order once the KMS is back', async () => {
    const meetingsBefore = await highWatermark('calendar.meetings.v1');
    const dlqBefore = await highWatermark('calendar.raw.v1.dlq.v1');
    runtime = newRuntime();
    await runtime.start();

    const hds = MAILBOXES.flatMap((mailboxId) => [50, 51].map((n) => graphEvent(canaries, HDS_TENANT, mailboxId, n)));
    const cloud = CLOUD_TENANTS.flatMap((tenantId) => MAILBOXES.map((mailboxId) => graphEvent(canaries, tenantId, mailboxId, 52)));
    const hdsSealed = await Promise.all(hds.map(async (good) => ({ good, value: await sealGood(good) })));
    const cloudSealed = await Promise.all(cloud.map(async (good) => ({ good, value: await sealGood(good) })));
    const port = kmsServer.port;
    await kmsServer.close();
    kmsClock.advance(CACHE_TTL_MS + 1);
    const unavailableBefore = kmsCounts.get('kms_unavailable_total') ?? 0;
    const hdsProduced: Produced[] = [];
    for (const { good, value } of hdsSealed) hdsProduced.push(await send(recordKeyOf(good.tenantId, good.mailboxId), value));
    await waitFor('HDS records to wait for the stopped KMS', () => ((kmsCounts.get('kms_unavailable_total') ?? 0) >= unavailableBefore + 10 ? true : undefined), 20_000, 100);

    // Fetched after the HDS records started waiting.
    const cloudProduced: Produced[] = [];
    for (const { good, value } of cloudSealed) cloudProduced.push(await send(recordKeyOf(good.tenantId, good.mailboxId), value));
    const hdsPartitions = new Set(hdsProduced.map((p) => p.partition));
    // Both cases are covered: other keys on a partition holding a waiting record, and other partitions.
    expect(cloudProduced.some((p) => hdsPartitions.has(p.partition))).toBe(true);
    expect(hdsPartitions.size).toBeLessThan(PARTITIONS);
    await waitFor('cloud records while the on-premises KMS is down', async () =>
      (await highWatermark('calendar.meetings.v1')) >= meetingsBefore + cloud.length ? true : undefined,
    20_000, 100);
    const during = await meetingsByEvent(await highWatermark('calendar.meetings.v1'));
    for (const good of cloud) expect(during.has(good.eventId), `cloud meeting ${good.eventId}`).toBe(true);
    for (const good of hds) expect(during.has(good.eventId)).toBe(false);
    expect(await highWatermark('calendar.meetings.v1')).toBe(meetingsBefore + cloud.length);
    expect(await highWatermark('calendar.raw.v1.dlq.v1')).toBe(dlqBefore);
    // Still waiting (the KMS is down), never dead-lettered.
    expect(kmsCounts.get('kms_unavailable_total') ?? 0).toBeGreaterThan(unavailableBefore + 10);

    kmsServer = await startServer(port);
    await waitFor('HDS records after the KMS is back', async () =>
      (await highWatermark('calendar.meetings.v1')) >= meetingsBefore + cloud.length + hds.length ? true : undefined,
    30_000, 100);
    const all = await meetingsByEvent(meetingsBefore + cloud.length + hds.length);
    expect(await highWatermark('calendar.meetings.v1')).toBe(meetingsBefore + cloud.length + hds.length);
    await expectMeetingsMatch([...hds, ...cloud], all);
    // Per mailbox the HDS records came out in the order they went in (50 before 51).
    expectInOrder(hds, new Map([...all].filter(([id]) => hds.some((g) => g.eventId === id))));
    expect(await highWatermark('calendar.raw.v1.dlq.v1')).toBe(dlqBefore);
    await runtime.stop();
    runtime = undefined;
  }, 90_000);
});
