import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary } from 'mongodb';
import { KeyDestroyedError, type Keyring } from '../../../kms/index.js';
import { sealRawEvent, unsealRawEvent } from '../../../records/index.js';
import { decryptMeeting, encryptMeeting } from '../../../processors/encrypt/index.js';
import { MEETING_ENCRYPTED_FIELDS, type MeetingOccurrence } from '../../../schemas/index.js';
import { buildParsedMeeting } from '../../support/parsed-meetings.js';
import { openHarness, type Harness } from './harness.js';
import { runHycal } from './cli.js';

function toViewDocument(occurrence: MeetingOccurrence): Record<string, unknown> {
  const doc: Record<string, unknown> = { _id: `${occurrence.tenantId}/${occurrence.meetingId}`, ...occurrence };
  for (const field of MEETING_ENCRYPTED_FIELDS) {
    const bytes = occurrence[field];
    doc[field] = bytes === null ? null : new Binary(bytes);
  }
  return doc;
}

function fromViewDocument(doc: Record<string, unknown>): MeetingOccurrence {
  const occurrence = { ...doc } as Record<string, unknown>;
  for (const field of MEETING_ENCRYPTED_FIELDS) {
    const value = doc[field];
    occurrence[field] = value instanceof Binary ? Buffer.from(value.buffer) : null;
  }
  return occurrence as unknown as MeetingOccurrence;
}

/**
 * Crypto-shredding on real Kafka + MongoDB data: a tenant's raw records, meetings, dead letters and
 * view documents are written; `hycal kms shred` (a separate process) destroys its keys; then a
 * fresh process and the original one (after its cache lifetime) can read nothing of that tenant,
 * while another tenant stays readable.
 */
describe('kms crypto-shredding on the real stack', () => {
  let h: Harness;
  let writer: Keyring;
  const tenants = ['tenant-gone', 'tenant-kept'] as const;

  beforeAll(async () => {
    h = await openHarness('kmsshred');
    writer = h.keyring({ cacheTtlMs: 60_000 }).keyring;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('kms – offboarding a tenant makes its views, topic records and dead letters unreadable for good', async () => {
    const views = h.db.collection('meeting_views');
    for (const tenantId of tenants) {
      const key = `${tenantId}/mbx-1`;
      for (let i = 0; i < 3; i += 1) {
        const parsed = buildParsedMeeting(null, { tenantId, mailboxId: 'mbx-1', meetingId: `${tenantId}-evt-${i}` });
        const raw = await sealRawEvent(writer, { tenantId, mailboxId: 'mbx-1', eventId: parsed.meetingId, changeType: 'CREATED', source: 'DELTA', fetchedAt: h.clock.now(), event: parsed });
        const rawBytes = await h.codec.encode('calendar.raw.v1', raw);
        await h.produce('calendar.raw.v1', key, rawBytes);
        if (i === 0) await h.produce('calendar.raw.v1.dlq.v1', key, rawBytes, { 'hc-error-code': 'HC_ERR_TEST' });
        const occurrence = await encryptMeeting(parsed, writer);
        await h.produce('calendar.meetings.v1', key, await h.codec.encode('calendar.meetings.v1', occurrence));
        await views.insertOne(toViewDocument(occurrence));
      }
    }

    const shred = await runHycal(['kms', 'shred', '--tenant', 'tenant-gone', '--yes'], { MONGODB_DATABASE: h.dbName, HYCAL_KMS_MASTER_KEY: h.masterKeyText });
    expect(shred.stderr).toBe('');
    expect(shred.code).toBe(0);
    expect(shred.stdout).toContain('keys destroyed (1 data keys deleted)');
    // It says truthfully what it does not reach: backups taken before it, until the master key is rotated.
    expect(shred.stdout).toContain('Backups: a backup taken before now');
    expect(shred.stdout).toContain('rotate the master key');

    // The wrapped keys are gone from MongoDB: the KEK is a tombstone, no data key of the tenant remains.
    const kek = await h.db.collection('kms_tenant_keys').findOne({ _id: 'tenant-gone' as never });
    expect(kek?.['wrapped']).toBeNull();
    expect(await h.db.collection('kms_data_keys').countDocuments({ tenantId: 'tenant-gone' })).toBe(0);

    const fresh = h.keyring().keyring;
    h.clock.advance(60_000); // the writer's caches expire
    const raw = await h.readAll('calendar.raw.v1', 6);
    const meetings = await h.readAll('calendar.meetings.v1', 6);
    const deadLetters = await h.readAll('calendar.raw.v1.dlq.v1', 2);
    const docs = await views.find({}).toArray();
    expect(docs).toHaveLength(6);

    for (const reader of [fresh, writer]) {
      const outcomes: Record<string, string[]> = { 'tenant-gone': [], 'tenant-kept': [] };
      const attempt = async (tenantId: string, fn: () => Promise<unknown>): Promise<void> => {
        try {
          await fn();
          outcomes[tenantId]!.push('read');
        } catch (error) {
          expect(error).toBeInstanceOf(KeyDestroyedError);
          outcomes[tenantId]!.push('destroyed');
        }
      };
      for (const record of [...raw, ...deadLetters]) {
        const value = await h.codec.decode('calendar.raw.v1', record.value!);
        await attempt(value.tenantId, () => unsealRawEvent(reader, value));
      }
      for (const record of meetings) {
        const value = await h.codec.decode('calendar.meetings.v1', record.value!);
        await attempt(value.tenantId, () => decryptMeeting(value, reader));
      }
      for (const doc of docs) {
        const occurrence = fromViewDocument(doc);
        await attempt(occurrence.tenantId, () => decryptMeeting(occurrence, reader));
      }
      expect(outcomes['tenant-gone']).toEqual(Array(3 + 1 + 3 + 3).fill('destroyed'));
      expect(outcomes['tenant-kept']).toEqual(Array(3 + 1 + 3 + 3).fill('read'));
    }
    // And nothing new can be written for the offboarded tenant.
    await expect(encryptMeeting(buildParsedMeeting(null, { tenantId: 'tenant-gone' }), fresh)).rejects.toBeInstanceOf(KeyDestroyedError);
  });
});
