import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary } from 'mongodb';
import { Keyring } from '../../../kms/index.js';
import { decryptMeeting, encryptMeeting } from '../../../processors/encrypt/index.js';
import { CARD_FIELD, MEETING_ENCRYPTED_FIELDS, parseCard, type MeetingOccurrence } from '../../../schemas/index.js';

/** A meeting document's ciphertexts: the six fields and the card that repeats four of them. */
const SEALED = [...MEETING_ENCRYPTED_FIELDS, CARD_FIELD] as const;
import { buildParsedMeeting } from '../../support/parsed-meetings.js';
import { openHarness, type Harness } from './harness.js';
import { runHycal } from './cli.js';

function toDoc(occurrence: MeetingOccurrence): Record<string, unknown> {
  const doc: Record<string, unknown> = { _id: occurrence.meetingId, ...occurrence };
  for (const field of SEALED) doc[field] = occurrence[field] === null || occurrence[field] === undefined ? null : new Binary(occurrence[field]);
  return doc;
}

function fromDoc(doc: Record<string, unknown>): MeetingOccurrence {
  const out = { ...doc } as Record<string, unknown>;
  for (const field of SEALED) out[field] = doc[field] instanceof Binary ? Buffer.from(doc[field].buffer) : null;
  return out as unknown as MeetingOccurrence;
}

describe('kms rotation and re-encryption on the real stack', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('kmsrotate');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('kms – after `hycal kms rotate` new writes use the new version, old records stay readable, and `hycal kms reencrypt` migrates stored ciphertexts', async () => {
    const env = { MONGODB_DATABASE: h.dbName, HYCAL_KMS_MASTER_KEY: h.masterKeyText };
    const { keyring } = h.keyring({ cacheTtlMs: 1_000 });
    const views = h.db.collection('meeting_views');
    const parsed = [0, 1, 2].map((i) => buildParsedMeeting(null, { tenantId: 'tenant-r', meetingId: `r-${i}` }));
    const old = await Promise.all(parsed.map((p) => encryptMeeting(p, keyring)));
    for (const occurrence of old) await views.insertOne(toDoc(occurrence));
    await h.produce('calendar.meetings.v1', 'tenant-r/mbx-1', await h.codec.encode('calendar.meetings.v1', old[0]!));
    await views.insertOne(toDoc(await encryptMeeting(buildParsedMeeting(null, { tenantId: 'tenant-other' }), keyring)));
    expect(old.every((o) => o.keyRef.version === 1)).toBe(true);

    const rotate = await runHycal(['kms', 'rotate', '--tenant', 'tenant-r'], env);
    expect(rotate.code).toBe(0);
    expect(rotate.stdout).toMatch(/version 2/);

    h.clock.advance(1_000); // this process's cached chain expires
    const fresh = await encryptMeeting(buildParsedMeeting(null, { tenantId: 'tenant-r' }), keyring);
    expect(fresh.keyRef.version).toBe(2);
    // Old topic records stay readable.
    const [record] = await h.readAll('calendar.meetings.v1', 1);
    expect(await decryptMeeting(await h.codec.decode('calendar.meetings.v1', record!.value!), keyring)).toEqual(parsed[0]!.sensitive);

    const reencrypt = await runHycal(['kms', 'reencrypt', '--tenant', 'tenant-r', '--collection', 'meeting_views'], env);
    expect(reencrypt.stderr).toBe('');
    // Seven ciphertexts a document: the six fields and the card.
    expect(reencrypt.stdout).toContain('meeting_views: 3 documents, 21 fields re-encrypted, 0 already current, 0 failed');
    const docs = await views.find({ tenantId: 'tenant-r' }).toArray();
    for (const doc of docs) {
      const occurrence = fromDoc(doc);
      for (const field of SEALED) {
        const bytes = occurrence[field];
        if (bytes !== null && bytes !== undefined) expect(Keyring.keyRefOf(bytes).version).toBe(2);
      }
      expect(occurrence.keyRef.version).toBe(2);
      const sensitive = parsed.find((p) => p.meetingId === occurrence.meetingId)!.sensitive;
      expect(await decryptMeeting(occurrence, keyring)).toEqual(sensitive);
      const card = await keyring.decryptField({ tenantId: 'tenant-r', recordKey: `tenant-r/${occurrence.mailboxId}`, entityId: occurrence.meetingId, field: CARD_FIELD }, occurrence.card!);
      expect(JSON.parse(JSON.stringify(parseCard(card.toString('utf8'))))).toEqual(JSON.parse(JSON.stringify({ subject: sensitive.subject, location: sensitive.location, organizer: sensitive.organizer, joinDetails: sensitive.joinDetails })));
    }
    // Another tenant's documents are untouched; running it again is a no-op.
    const other = await views.findOne({ tenantId: 'tenant-other' });
    expect((other?.['keyRef'] as { version: number }).version).toBe(1);
    const again = await runHycal(['kms', 'reencrypt', '--tenant', 'tenant-r', '--collection', 'meeting_views'], env);
    expect(again.stdout).toContain('0 fields re-encrypted, 21 already current');
  });
});
