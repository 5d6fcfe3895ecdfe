import { recordKeyOf, type EncryptionLease, type FieldContext, type Keyring } from '../../kms/index.js';
import {
  CARD_FIELD,
  cardPlaintext,
  MEETING_ENCRYPTED_FIELDS,
  type MeetingEncryptedField,
  type MeetingOccurrence,
  type MeetingSensitiveFields,
  type ParsedMeeting,
} from '../../schemas/index.js';
import { EncryptInputError } from './errors.js';

/** What encryptMeeting needs from kms/ (a `Keyring` fits). */
export type MeetingEncryptor = Pick<Keyring, 'lease'>;
export type MeetingDecryptor = Pick<Keyring, 'decryptField'>;

function serialize(field: MeetingEncryptedField, sensitive: MeetingSensitiveFields): Buffer | null {
  switch (field) {
    case 'subject':
    case 'body':
    case 'location': {
      const text = sensitive[field];
      return text === null ? null : Buffer.from(text, 'utf8');
    }
    case 'organizer':
    case 'joinDetails': {
      const value = sensitive[field];
      return value === null ? null : Buffer.from(JSON.stringify(value), 'utf8');
    }
    case 'attendees':
      return Buffer.from(JSON.stringify(sensitive.attendees), 'utf8');
  }
}

export function meetingFieldContext(meeting: Pick<MeetingOccurrence, 'tenantId' | 'mailboxId' | 'meetingId'>, field: MeetingEncryptedField | typeof CARD_FIELD): FieldContext {
  return { tenantId: meeting.tenantId, recordKey: recordKeyOf(meeting.tenantId, meeting.mailboxId), entityId: meeting.meetingId, field };
}

/**
 * ParsedMeeting → calendar.meetings.v1 value. The plaintext part is copied field by field from an
 * explicit list (ids, times, flags, provider kind, counts, versions: DESIGN.md section 3); every
 * sensitive field is encrypted on its own under one data key version, with associated data
 * binding tenant, record key (tenantId/mailboxId), meeting id and field name; and the four fields a
 * meeting list shows once more as one `card` (schemas/card.ts). Pure apart from the key lease and
 * the random nonces.
 */
export async function encryptMeeting(parsed: ParsedMeeting, keyring: MeetingEncryptor): Promise<MeetingOccurrence> {
  const plaintexts = MEETING_ENCRYPTED_FIELDS.map((field) => [field, serialize(field, parsed.sensitive)] as const);
  const lease: EncryptionLease = await keyring.lease(parsed.tenantId, MEETING_ENCRYPTED_FIELDS.length + 1);
  const encrypted = {} as Record<MeetingEncryptedField, Buffer | null>;
  for (const [field, plaintext] of plaintexts) {
    encrypted[field] = plaintext === null ? null : lease.encryptField(meetingFieldContext(parsed, field), plaintext);
  }
  // The list fields once more, together (schemas/card.ts): a meeting list opens one ciphertext per meeting.
  const card = lease.encryptField(meetingFieldContext(parsed, CARD_FIELD), cardPlaintext(parsed.sensitive));
  return {
    tenantId: parsed.tenantId,
    mailboxId: parsed.mailboxId,
    meetingId: parsed.meetingId,
    seriesMasterId: parsed.seriesMasterId,
    version: parsed.version,
    op: parsed.op,
    start: parsed.start,
    end: parsed.end,
    isAllDay: parsed.isAllDay,
    isCancelled: parsed.isCancelled,
    isPrivate: parsed.isPrivate,
    isOrganizer: parsed.isOrganizer,
    showAs: parsed.showAs,
    providerKind: parsed.providerKind,
    intent: parsed.intent === null ? null : { provider: parsed.intent.provider, modifier: parsed.intent.modifier },
    attendeeCount: parsed.attendeeCount,
    roomMailboxIds: [...parsed.roomMailboxIds],
    keyRef: { keyId: lease.ref.keyId, version: lease.ref.version },
    subject: encrypted.subject,
    body: encrypted.body,
    location: encrypted.location,
    organizer: encrypted.organizer,
    attendees: encrypted.attendees,
    joinDetails: encrypted.joinDetails,
    sourceFetchedAt: parsed.sourceFetchedAt,
    responseStatus: parsed.responseStatus ?? 'NONE',
    card,
  };
}

/** Decrypts the sensitive fields of a calendar.meetings.v1 value (downstream processors, tests). */
export async function decryptMeeting(meeting: MeetingOccurrence, keyring: MeetingDecryptor): Promise<MeetingSensitiveFields> {
  const open = async (field: MeetingEncryptedField): Promise<string | null> => {
    const bytes = meeting[field];
    return bytes === null ? null : (await keyring.decryptField(meetingFieldContext(meeting, field), bytes)).toString('utf8');
  };
  const json = <T>(text: string | null): T | null => {
    if (text === null) return null;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new EncryptInputError('An encrypted meeting field does not hold the expected JSON; the writer is broken.');
    }
  };
  return {
    subject: await open('subject'),
    body: await open('body'),
    location: await open('location'),
    organizer: json<MeetingSensitiveFields['organizer']>(await open('organizer')),
    attendees: json<MeetingSensitiveFields['attendees']>(await open('attendees')) ?? [],
    joinDetails: json<MeetingSensitiveFields['joinDetails']>(await open('joinDetails')),
  };
}
