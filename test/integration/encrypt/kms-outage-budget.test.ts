import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { createLogger, type Logger } from '../../../common/logger.js';
import { Keyring, KmsUnavailableError, MongoDataKeyStore, MongoTenantKeyStore, TenantKeyVault, recordKeyOf, type DataKeyRef, type KmsProvider } from '../../../kms/index.js';
import { sealRawEvent } from '../../../records/index.js';
import { defineMeetingsTopology } from '../../../app/index.js';
import { decryptMeeting } from '../../../processors/encrypt/index.js';
import { listDeadLetters, replayDeadLetters, Runtime } from '../../../runtime/index.js';
import { createSchemaRegistry, provisionTopics, TopicCodec } from '../../../schemas/index.js';
import { Canaries, expectNoLeaks, LogCapture } from '../../support/canary.js';
import { createStandInParseProcessor } from '../../support/parse-standin.js';
import { readTopic, testKafka, testMongo, testStack, uniqueName, withAdmin } from '../../support/stack.js';
import { waitFor } from '../runtime/helpers.js';
import { linearBackoff, retry } from '../../../common/index.js';

/** A KMS provider that can be switched off: every call fails as `KmsUnavailableError` (retryable). */
class SwitchableKms implements KmsProvider {
  readonly kind = 'cloud' as const;
  down = false;
  failures = 0;
  constructor(readonly inner: KmsProvider) {}
  #check(): void {
    if (this.down) {
      this.failures += 1;
      throw new KmsUnavailableError('test KMS switched off; the work waits and retries.');
    }
  }
  async ensureTenant(tenantId: string): Promise<void> {
    this.#check();
    await this.inner.ensureTenant(tenantId);
  }
  async wrapDataKey(tenantId: string, ref: DataKeyRef, dataKey: Buffer): Promise<Buffer> {
    this.#check();
    return this.inner.wrapDataKey(tenantId, ref, dataKey);
  }
  async unwrapDataKey(tenantId: string, ref: DataKeyRef, wrapped: Buffer): Promise<Buffer> {
    this.#check();
    return this.inner.unwrapDataKey(tenantId, ref, wrapped);
  }
  async destroyTenant(tenantId: string): Promise<void> {
    this.#check();
    await this.inner.destroyTenant(tenantId);
  }
}

/** The first `count` records of a topic (all partitions). */
async function readAll(kafka: Kafka, topic: string, count: number): Promise<{ key: string; value: Buffer }[]> {
  return (await readTopic(kafka, topic, count, { timeoutMs: 20_000 })).map((r) => ({ key: r.key, value: r.value ?? Buffer.alloc(0) }));
}

/**
 * The other side of "the KMS being down is retryable": the runtime retries a transient failure
 * `retry.maxAttempts` times, then dead-letters it like any failure. With the runtime's defaults
 * (100 ms doubling to 10 s, 8 attempts) that is an outage of about 6-13 s (KMS refusing
 * connections; more when each call times out). Here a small budget stands in for it: the records
 * land in the dead-letter topic still sealed (no plaintext anywhere), and `hycal dlq replay`
 * (replayDeadLetters) after the KMS is back turns them into meetings.
 */
describe('encrypt – a KMS outage longer than the runtime retry budget', () => {
  const canaries = new Canaries();
  const prefix = `${uniqueName('encbudget')}.`;
  const dbName = prefix.replace(/[.-]/g, '_');
  const logs = new LogCapture();
  let logger: Logger;
  let mongo: MongoClient;
  let db: Db;
  let codec: TopicCodec;
  let runtime: Runtime | undefined;

  beforeAll(async () => {
    logger = createLogger({ name: 'encrypt-kms-budget', level: 'trace', destination: logs });
    await retry(() => withAdmin((admin) => provisionTopics(admin, { prefix, partitions: 2 })), { attempts: 5, delayMs: linearBackoff(1_000) });
    codec = await new TopicCodec(createSchemaRegistry(testStack().schemaRegistryUrl), { prefix }).init();
    mongo = await testMongo();
    db = mongo.db(dbName);
  });
  afterAll(async () => {
    await runtime?.stop();
    await mongo?.db(dbName).dropDatabase().catch(() => undefined);
    await mongo?.close();
  });

  it('encrypt – records whose retries run out while the KMS is down are dead-lettered still sealed, and a replay after the KMS is back completes them', async () => {
    const masterKey = randomBytes(32);
    canaries.watchBytes('master key', masterKey);
    const clock = new ManualClock(Date.UTC(2026, 2, 2));
    const vault = (): TenantKeyVault => new TenantKeyVault({ masterKey, store: new MongoTenantKeyStore(db), clock });
    const connector = new Keyring({ store: new MongoDataKeyStore(db), providers: { cloud: vault() }, clock, logger });
    const kms = new SwitchableKms(vault());
    const processorKeyring = new Keyring({ store: new MongoDataKeyStore(db), providers: { cloud: kms }, clock, logger });

    const tenantId = 'tenant-budget';
    const goods = ['mbx-0', 'mbx-1', 'mbx-2'].map((mailboxId, n) => {
      const eventId = `AAMk-budget-${n}`;
      const subject = canaries.make('subject');
      const address = canaries.make('address');
      const location = canaries.make('location');
      return {
        mailboxId,
        eventId,
        expected: { subject, body: null, location, organizer: { name: null, address }, attendees: [], joinDetails: null },
        event: {
          id: eventId,
          subject,
          start: { dateTime: '2026-03-03T09:00:00.0000000', timeZone: 'UTC' },
          end: { dateTime: '2026-03-03T09:30:00.0000000', timeZone: 'UTC' },
          lastModifiedDateTime: '2026-03-01T00:00:00Z',
          location: { displayName: location },
          organizer: { emailAddress: { address } },
        },
      };
    });
    const producer = testKafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const sent: { key: string; value: Buffer }[] = [];
    for (const good of goods) {
      const value = await codec.encode('calendar.raw.v1', await sealRawEvent(connector, { tenantId, mailboxId: good.mailboxId, eventId: good.eventId, changeType: 'CREATED', source: 'DELTA', fetchedAt: clock.now(), event: good.event }));
      sent.push({ key: recordKeyOf(tenantId, good.mailboxId), value });
    }
    kms.down = true;
    await producer.send({ topic: `${prefix}calendar.raw.v1`, acks: -1, messages: sent });
    await producer.disconnect();

    runtime = new Runtime({
      topology: defineMeetingsTopology({ parse: createStandInParseProcessor({ keyring: processorKeyring }), keyring: processorKeyring }),
      kafka: testKafka(),
      db,
      codec,
      prefix,
      logger,
      // unavailableMaxWaitMs 0: KMS-unavailable failures use the attempt budget (by default they wait up to an hour).
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100, commitIntervalMs: 200, retry: { initialMs: 20, maxMs: 50, maxAttempts: 4, unavailableMaxWaitMs: 0 } },
    });
    await runtime.start();
    const kafka = testKafka();
    const count = async (topic: string): Promise<number> =>
      withAdmin(async (admin) => (await admin.fetchTopicOffsets(`${prefix}${topic}`)).reduce((sum, p) => sum + Number(p.high), 0));

    await waitFor('the retry budget to run out', async () => ((await count('calendar.raw.v1.dlq.v1')) >= goods.length ? true : undefined), 30_000, 100);
    expect(await count('calendar.meetings.v1')).toBe(0);
    // Every attempt reached the KMS. Concurrent records of one tenant share one lookup of a cold key
    // (single-flight in the keyring), so the KMS sees at least one failed call per attempt round, not
    // one per record and attempt; each record's own 4 attempts are checked on its dead letter below.
    expect(kms.failures).toBeGreaterThanOrEqual(4);
    const letters = await listDeadLetters(kafka, { topic: 'calendar.raw.v1', prefix });
    expect(letters).toHaveLength(goods.length);
    for (const letter of letters) expect(letter.error).toMatchObject({ code: 'HC_ERR_KMS_UNAVAILABLE', attempts: 4, processor: 'parse-standin' });
    // The dead letters carry the original bytes: the event is still sealed there.
    const dlq = await readAll(kafka, `${prefix}calendar.raw.v1.dlq.v1`, goods.length);
    for (const original of sent) expect(dlq.some((d) => d.key === original.key && d.value.equals(original.value))).toBe(true);

    // The KMS is back: an operator replays the dead letters (`hycal dlq replay calendar.raw.v1`).
    kms.down = false;
    const replay = await replayDeadLetters(kafka, { topic: 'calendar.raw.v1', prefix });
    expect(replay.replayed).toBe(goods.length);
    await waitFor('the replayed records to become meetings', async () => ((await count('calendar.meetings.v1')) >= goods.length ? true : undefined), 30_000, 100);
    expect(await count('calendar.meetings.v1')).toBe(goods.length);
    expect(await count('calendar.raw.v1.dlq.v1')).toBe(goods.length);

    const meetings = await readAll(kafka, `${prefix}calendar.meetings.v1`, goods.length);
    for (const good of goods) {
      const record = meetings.find((m) => m.key === recordKeyOf(tenantId, good.mailboxId));
      expect(record).toBeDefined();
      const occurrence = await codec.decode('calendar.meetings.v1', record!.value);
      expect(occurrence.meetingId).toBe(good.eventId);
      expect(await decryptMeeting(occurrence, connector)).toEqual(good.expected);
    }
    await runtime.stop();
    runtime = undefined;
    const scanned = await expectNoLeaks(canaries, { kafka, topicPrefix: prefix, mongo, databases: [dbName], logs });
    expect(scanned.records).toBe(goods.length * 4); // raw + replayed raw + dead letters + meetings
  }, 60_000);
});
