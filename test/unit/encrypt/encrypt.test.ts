import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { ManualClock } from '../../../common/clock.js';
import { createLogger } from '../../../common/logger.js';
import {
  DecryptFailedError,
  KeyDestroyedError,
  Keyring,
  KmsUnavailableError,
  MemoryDataKeyStore,
  MemoryTenantKeyStore,
  TenantKeyVault,
  type KmsProvider,
} from '../../../kms/index.js';
import { createEncryptProcessor, decryptMeeting, encryptMeeting, EncryptInputError } from '../../../processors/encrypt/index.js';
import { CARD_FIELD, MEETING_ENCRYPTED_FIELDS, parseCard, readSchemaFile, type MeetingOccurrence } from '../../../schemas/index.js';
import { Canaries, LogCapture, formatHits } from '../../support/canary.js';
import { buildParsedMeeting } from '../../support/parsed-meetings.js';
import { defineTopology } from '../../../runtime/index.js';
import { TopologyTestDriver } from '../../../runtime/testing/index.js';
import type { Logger } from '../../../common/logger.js';

/** The encrypt processor alone in a topology on the real executor (in memory, manual clock). */
function encryptDriver(ring: Keyring, logger?: Logger): TopologyTestDriver {
  const topology = defineTopology({ name: 'encrypt-unit', inputs: [{ topic: 'calendar.raw.v1' }], stages: [createEncryptProcessor({ keyring: ring })] });
  return new TopologyTestDriver(topology, logger === undefined ? {} : { logger });
}

function keyring(provider?: KmsProvider): { keyring: Keyring; vault: TenantKeyVault } {
  const clock = new ManualClock();
  const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
  return { vault, keyring: new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: provider ?? vault }, clock }) };
}

const meetingType = avro.Type.forSchema(readSchemaFile('calendar.meetings.v1.avsc') as avro.Schema);

describe('encrypt', () => {
  it('encrypt – keeps the scheduling fields in plaintext and encrypts every sensitive field', async () => {
    const canaries = new Canaries();
    const parsed = buildParsedMeeting(canaries);
    const { keyring: ring } = keyring();
    const occurrence = await encryptMeeting(parsed, ring);
    const { sensitive, ...plain } = parsed;
    expect(occurrence).toMatchObject({ ...plain, roomMailboxIds: ['room-7'] });
    for (const field of MEETING_ENCRYPTED_FIELDS) expect(Buffer.isBuffer(occurrence[field])).toBe(true);
    expect(Object.keys(occurrence).sort()).toEqual(Object.keys(meetingType.fromBuffer(meetingType.toBuffer(occurrence)) as object).sort());
    // No canary in the Avro bytes of the record, in any encoding.
    const hits = canaries.scan(meetingType.toBuffer(occurrence), 'avro');
    expect(hits, formatHits(hits)).toEqual([]);
    expect(await decryptMeeting(occurrence, ring)).toEqual(sensitive);
    expect(occurrence.keyRef).toEqual(Keyring.keyRefOf(occurrence.subject!));
  });

  it('encrypt – seals the card: subject, location, organizer and join details together, opened only under the name card, and a value without a card still decodes', async () => {
    const canaries = new Canaries();
    const parsed = buildParsedMeeting(canaries);
    const { keyring: ring } = keyring();
    const occurrence = await encryptMeeting(parsed, ring);
    const ctx = { tenantId: occurrence.tenantId, recordKey: `${occurrence.tenantId}/${occurrence.mailboxId}`, entityId: occurrence.meetingId };
    const opened = parseCard((await ring.decryptField({ ...ctx, field: CARD_FIELD }, occurrence.card!)).toString('utf8'));
    const { subject, location, organizer, joinDetails } = parsed.sensitive;
    expect(JSON.parse(JSON.stringify(opened))).toEqual(JSON.parse(JSON.stringify({ subject, location, organizer, joinDetails })));
    // Bound to its name and its meeting: it does not open as a subject, nor as another meeting's card.
    await expect(ring.decryptField({ ...ctx, field: 'subject' }, occurrence.card!)).rejects.toBeInstanceOf(DecryptFailedError);
    await expect(ring.decryptField({ ...ctx, entityId: 'another', field: CARD_FIELD }, occurrence.card!)).rejects.toBeInstanceOf(DecryptFailedError);
    const hits = canaries.scan(occurrence.card!, 'card');
    expect(hits, formatHits(hits)).toEqual([]);
    // A value written with the schema before cards reads with card null (the registry's BACKWARD rule).
    const schema = readSchemaFile('calendar.meetings.v1.avsc') as { fields: { name: string }[] };
    const before = avro.Type.forSchema({ ...schema, fields: schema.fields.filter((f) => f.name !== CARD_FIELD) } as avro.Schema);
    const { card: _card, ...older } = occurrence;
    const read = meetingType.fromBuffer(before.toBuffer(older), meetingType.createResolver(before)) as MeetingOccurrence;
    expect(read.card).toBeNull();
    expect(read.subject).toEqual(occurrence.subject);
  });

  it('encrypt – the plaintext part is exactly the DESIGN.md section 3 allowlist (a new schema field forces a decision here)', async () => {
    const occurrence = await encryptMeeting(buildParsedMeeting(null), keyring().keyring);
    // Encrypted: the six sensitive fields, and the card that seals four of them again for lists.
    const encrypted: readonly string[] = [...MEETING_ENCRYPTED_FIELDS, CARD_FIELD];
    const plaintext = Object.keys(occurrence).filter((key) => !encrypted.includes(key)).sort();
    expect(plaintext).toEqual(
      [
        'tenantId', 'mailboxId', 'meetingId', 'seriesMasterId', 'version', 'op', 'start', 'end', 'isAllDay', 'isCancelled',
        'isPrivate', 'isOrganizer', 'showAs', 'providerKind', 'intent', 'attendeeCount', 'roomMailboxIds', 'keyRef', 'sourceFetchedAt',
        // The mailbox owner's own response (a room's acceptance): an enum flag, needed by obtp and the lists.
        'responseStatus',
      ].sort(),
    );
    const schemaFields = (readSchemaFile('calendar.meetings.v1.avsc')['fields'] as { name: string }[]).map((f) => f.name).sort();
    expect([...plaintext, ...encrypted].sort()).toEqual(schemaFields);
  });

  it('encrypt – null text fields stay null; an empty attendee list is still encrypted', async () => {
    const parsed = buildParsedMeeting(null, { sensitive: { subject: null, body: null, location: null, organizer: null, attendees: [], joinDetails: null } });
    const { keyring: ring } = keyring();
    const occurrence = await encryptMeeting(parsed, ring);
    expect([occurrence.subject, occurrence.body, occurrence.location, occurrence.organizer, occurrence.joinDetails]).toEqual([null, null, null, null, null]);
    expect(occurrence.attendees).not.toBeNull();
    expect((await decryptMeeting(occurrence, ring)).attendees).toEqual([]);
  });

  it('encrypt – a field ciphertext swapped into another field or another meeting does not decrypt', async () => {
    const { keyring: ring } = keyring();
    const a = await encryptMeeting(buildParsedMeeting(null), ring);
    const b = await encryptMeeting(buildParsedMeeting(null), ring);
    const swappedField: MeetingOccurrence = { ...a, location: a.subject };
    const swappedMeeting: MeetingOccurrence = { ...a, subject: b.subject };
    await expect(decryptMeeting(swappedField, ring)).rejects.toBeInstanceOf(DecryptFailedError);
    await expect(decryptMeeting(swappedMeeting, ring)).rejects.toBeInstanceOf(DecryptFailedError);
  });

  it('encrypt – the processor emits one calendar.meetings.v1 record under the same key and logs no plaintext', async () => {
    const canaries = new Canaries();
    const capture = new LogCapture();
    const logger = createLogger({ name: 'test', level: 'trace', destination: capture });
    const { keyring: ring } = keyring();
    const driver = encryptDriver(ring, logger);
    const parsed = buildParsedMeeting(canaries);
    await driver.pipeInput('calendar.raw.v1', 'tenant-a/mbx-1', parsed);
    expect(driver.deadLetters('calendar.raw.v1')).toEqual([]);
    const emitted = driver.outputs('calendar.meetings.v1');
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({ topic: 'calendar.meetings.v1', key: 'tenant-a/mbx-1' });
    expect(await driver.counter('encrypt_meetings_total')).toBe(1);
    expect(capture.lines.length).toBeGreaterThan(0);
    const hits = [...canaries.scanLogs(capture), ...canaries.scan(meetingType.toBuffer(emitted[0]!.value), 'emitted')];
    expect(hits, formatHits(hits)).toEqual([]);
  });

  it('encrypt – an invalid input or one under another key is a permanent error (dead letter), and the error names no values', async () => {
    const canaries = new Canaries();
    const driver = encryptDriver(keyring().keyring);
    const bad = { ...buildParsedMeeting(canaries), start: canaries.make('subject') };
    await driver.pipeInput('calendar.raw.v1', 'tenant-a/mbx-1', bad, { raw: Buffer.from('sealed-bytes') });
    await driver.pipeInput('calendar.raw.v1', 'tenant-a/other', buildParsedMeeting(canaries));
    const dead = driver.deadLetters('calendar.raw.v1');
    // EncryptInputError (HC_ERR_ENCRYPT_INPUT) is permanent: dead-lettered at the first attempt.
    const code = new EncryptInputError('probe').code;
    expect(dead.map((d) => [d.headers['hc-error-code'], d.headers['hc-attempts']])).toEqual([[code, '1'], [code, '1']]);
    expect(code).toBe('HC_ERR_ENCRYPT_INPUT');
    expect(driver.outputs('calendar.meetings.v1')).toEqual([]);
    expect(dead[0]!.bytes).toEqual(Buffer.from('sealed-bytes'));
    const hits = canaries.scan(Buffer.from(JSON.stringify(dead)), 'dead letters');
    expect(hits, formatHits(hits)).toEqual([]);
  });

  it('encrypt – when the KMS is down the work waits and retries, emits nothing meanwhile, and never plaintext', async () => {
    const clock = new ManualClock();
    const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
    const seenErrors: unknown[] = [];
    const emittedWhileDown: number[] = [];
    const watched: { driver?: TopologyTestDriver } = {};
    const down = (): never => {
      const error = new KmsUnavailableError('down');
      seenErrors.push(error);
      emittedWhileDown.push(watched.driver?.outputs('calendar.meetings.v1').length ?? 0);
      throw error;
    };
    const up = (): boolean => seenErrors.length >= 3;
    const flaky: KmsProvider = {
      kind: 'cloud',
      ensureTenant: async (t) => (up() ? vault.ensureTenant(t) : down()),
      wrapDataKey: async (t, r, k) => (up() ? vault.wrapDataKey(t, r, k) : down()),
      unwrapDataKey: async (t, r, w) => (up() ? vault.unwrapDataKey(t, r, w) : down()),
      destroyTenant: (t) => vault.destroyTenant(t),
    };
    const ring = new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: flaky }, clock });
    const driver = encryptDriver(ring);
    watched.driver = driver;
    await driver.pipeInput('calendar.raw.v1', 'tenant-a/mbx-1', buildParsedMeeting(null));
    // Three failed attempts (KMS down, nothing emitted meanwhile), then the fourth succeeded.
    expect(seenErrors).toHaveLength(3);
    for (const error of seenErrors) expect(error).toBeInstanceOf(KmsUnavailableError);
    expect(emittedWhileDown).toEqual([0, 0, 0]);
    expect(driver.outputs('calendar.meetings.v1')).toHaveLength(1);
    expect(driver.deadLetters('calendar.raw.v1')).toEqual([]);
  });

  it('encrypt – meetings of a shredded tenant are dead-lettered, not emitted', async () => {
    const { keyring: ring } = keyring();
    await ring.encryptField({ tenantId: 'tenant-a', recordKey: 'tenant-a/mbx-1', entityId: 'x', field: 'subject' }, Buffer.from('x'));
    await ring.shred('tenant-a');
    const driver = encryptDriver(ring);
    await driver.pipeInput('calendar.raw.v1', 'tenant-a/mbx-1', buildParsedMeeting(null));
    expect(driver.outputs('calendar.meetings.v1')).toEqual([]);
    expect(driver.deadLetters('calendar.raw.v1').map((d) => d.headers['hc-error-code'])).toEqual([new KeyDestroyedError('probe').code]);
  });
});
