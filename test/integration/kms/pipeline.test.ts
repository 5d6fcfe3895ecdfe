import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keyring } from '../../../kms/index.js';
import { sealRawEvent, unsealRawEvent } from '../../../records/index.js';
import { createEncryptProcessor, decryptMeeting, toParsedMeeting } from '../../../processors/encrypt/index.js';
import type { Processor } from '../../../runtime/contract.js';
import type { MeetingOccurrence, ParsedMeeting, RawCalendarRecord } from '../../../schemas/index.js';
import { Canaries, expectNoLeaks, formatHits } from '../../support/canary.js';
import { buildParsedMeeting } from '../../support/parsed-meetings.js';
import { MiniDriver, inputRecord } from '../../unit/encrypt/driver.js';
import { openHarness, type Harness } from './harness.js';

/**
 * The sealing and encrypt paths end to end on the real stack: the connector side seals Graph
 * payloads onto calendar.raw.v1; the processor side unseals them in memory, hands the parsed
 * meeting to processors/encrypt, and writes calendar.meetings.v1 or a dead letter. Then every
 * topic of the run, every collection of its database and the logs are byte-scanned for canaries.
 */
describe('kms sealing and encrypt paths on the real stack', () => {
  let h: Harness;
  let keyring: Keyring;
  const canaries = new Canaries();
  const tenantId = 'tenant-canary';
  const mailboxId = 'mbx-1';
  const recordKey = `${tenantId}/${mailboxId}`;
  const good: ParsedMeeting[] = [];

  beforeAll(async () => {
    h = await openHarness('kmspipe');
    keyring = h.keyring().keyring;
    // The master key must never leak either (logs, topics, collections), in any encoding.
    canaries.watch('other', h.masterKeyText);
    canaries.watchBytes('master key', Buffer.from(h.masterKeyText, 'base64'));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('kms – sealed raw records flow to field-encrypted meetings; bad records end in dead letters; no canary anywhere', async () => {
    // Connector side: seal each Graph payload whole.
    for (let i = 0; i < 5; i += 1) {
      const meeting = buildParsedMeeting(canaries, { tenantId, mailboxId, meetingId: `evt-${i}` });
      good.push(meeting);
      const value = await sealRawEvent(keyring, { tenantId, mailboxId, eventId: meeting.meetingId, changeType: 'CREATED', source: 'DELTA', fetchedAt: h.clock.now(), event: meeting });
      await h.produce('calendar.raw.v1', recordKey, await h.codec.encode('calendar.raw.v1', value));
    }
    // Bad records: a tampered seal, a seal moved to another event, an unparseable meeting, foreign bytes.
    const victim = buildParsedMeeting(canaries, { tenantId, mailboxId, meetingId: 'evt-tampered' });
    const tampered = await sealRawEvent(keyring, { tenantId, mailboxId, eventId: 'evt-tampered', changeType: 'UPDATED', source: 'NOTIFICATION', fetchedAt: h.clock.now(), event: victim });
    tampered.sealed![40] = tampered.sealed![40]! ^ 0x01;
    await h.produce('calendar.raw.v1', recordKey, await h.codec.encode('calendar.raw.v1', tampered));
    const moved = await sealRawEvent(keyring, { tenantId, mailboxId, eventId: 'evt-a', changeType: 'UPDATED', source: 'DELTA', fetchedAt: h.clock.now(), event: buildParsedMeeting(canaries, { tenantId, mailboxId }) });
    await h.produce('calendar.raw.v1', recordKey, await h.codec.encode('calendar.raw.v1', { ...moved, eventId: 'evt-b' }));
    const invalid = { ...buildParsedMeeting(canaries, { tenantId, mailboxId, meetingId: 'evt-invalid' }), showAs: canaries.make('other') };
    const invalidValue = await sealRawEvent(keyring, { tenantId, mailboxId, eventId: 'evt-invalid', changeType: 'CREATED', source: 'DELTA', fetchedAt: h.clock.now(), event: invalid });
    await h.produce('calendar.raw.v1', recordKey, await h.codec.encode('calendar.raw.v1', invalidValue));
    const garbage: RawCalendarRecord = { tenantId, mailboxId, eventId: 'evt-garbage', changeType: 'CREATED', source: 'DELTA', fetchedAt: h.clock.now(), sealed: Buffer.from('not a ciphertext at all') };
    await h.produce('calendar.raw.v1', recordKey, await h.codec.encode('calendar.raw.v1', garbage));

    // Processor side: unseal in memory, forward the parsed meeting to encrypt, dead-letter failures.
    const encrypt = createEncryptProcessor({ keyring });
    const stage: Processor<RawCalendarRecord, never> = {
      name: 'test-parse-then-encrypt',
      async process(record, ctx) {
        const event = await unsealRawEvent(keyring, record.value);
        await encrypt.process({ ...record, value: toParsedMeeting(event) }, ctx);
      },
    };
    const driver = new MiniDriver(h.logger);
    const raw = await h.readAll('calendar.raw.v1', 9);
    for (const record of raw) {
      const value = await h.codec.decode('calendar.raw.v1', record.value!);
      const result = await driver.deliver(stage, inputRecord(`${h.prefix}calendar.raw.v1`, record.key, value, record.value, Number(record.offset)));
      if (result.error !== undefined) h.logger.warn({ err: result.error, offset: record.offset }, 'dead-lettered a raw record');
    }
    for (const e of driver.emitted) await h.produce('calendar.meetings.v1', e.key, await h.codec.encode('calendar.meetings.v1', e.value as MeetingOccurrence));
    for (const d of driver.deadLetters) await h.produce('calendar.raw.v1.dlq.v1', d.key, d.raw, d.headers);

    expect(driver.emitted).toHaveLength(5);
    expect(driver.deadLetters.map((d) => d.headers['hc-error-code'])).toEqual([
      'HC_ERR_KMS_DECRYPT_FAILED',
      'HC_ERR_KMS_DECRYPT_FAILED',
      'HC_ERR_ENCRYPT_INPUT',
      'HC_ERR_KMS_CIPHERTEXT_MALFORMED',
    ]);

    // The meetings on Kafka decrypt back to exactly what was parsed (the canaries were really there).
    const meetings = await h.readAll('calendar.meetings.v1', 5);
    for (const [i, record] of meetings.entries()) {
      const occurrence = await h.codec.decode('calendar.meetings.v1', record.value!);
      expect(occurrence.meetingId).toBe(`evt-${i}`);
      expect(await decryptMeeting(occurrence, keyring)).toEqual(good[i]!.sensitive);
    }
    const deadLetters = await h.readAll('calendar.raw.v1.dlq.v1', 4);
    expect(deadLetters.map((d) => d.value)).toEqual(driver.deadLetters.map((d) => d.raw));

    // The scan: every topic of the run (dead letters included), every collection, the logs.
    const kafkaScan = await canaries.scanKafka(h.kafka, h.prefix);
    expect(kafkaScan.records).toBe(9 + 5 + 4);
    expect(kafkaScan.topics).toContain(`${h.prefix}calendar.raw.v1.dlq.v1`);
    const mongoScan = await canaries.scanMongo(h.mongo, [h.dbName]);
    expect(mongoScan.documents).toBeGreaterThanOrEqual(3);
    const hits = [...kafkaScan.hits, ...mongoScan.hits, ...canaries.scanLogs(h.logs)];
    expect(hits, formatHits(hits)).toEqual([]);
    // The same through the one-call helper later end-to-end tests use.
    const scanned = await expectNoLeaks(canaries, { kafka: h.kafka, topicPrefix: h.prefix, mongo: h.mongo, databases: [h.dbName], logs: h.logs });
    expect(scanned.records).toBe(18);
    expect(h.logs.lines.some((line) => line.includes('dead-lettered a raw record'))).toBe(true);
    expect(canaries.values.length).toBeGreaterThan(40);
  });

  it('kms – the scan does find canaries that leak into a topic, a collection or the logs (positive control)', async () => {
    const control = new Canaries();
    const leaked = control.make('subject');
    const address = control.make('address');
    await h.produce('calendar.meetings.v1.dlq.v1', 'k', Buffer.from(`{"x":"${Buffer.from(`..${leaked}..`).toString('base64')}"}`));
    await h.db.collection('control').insertOne({ _id: 'c1' as never, note: Buffer.from(address, 'utf16le') });
    h.logger.info(`oops ${leaked}`);
    const kafkaScan = await control.scanKafka(h.kafka, h.prefix);
    expect(kafkaScan.hits.map((hit) => hit.encoding)).toContain('base64');
    await expect(expectNoLeaks(control, { kafka: h.kafka, topicPrefix: h.prefix })).rejects.toThrow(/canary leak/);
    const mongoScan = await control.scanMongo(h.mongo, [h.dbName]);
    expect(mongoScan.hits.map((hit) => hit.encoding)).toContain('utf16le');
    expect(control.scanLogs(h.logs).length).toBeGreaterThan(0);
  });
});
