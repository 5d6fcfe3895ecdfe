import type { Clock, Logger } from '../common/index.js';
import { recordKeyOf, type Keyring } from '../kms/index.js';
import { unsealRawEvent, unsealRawSettings } from '../records/index.js';
import { decryptMeeting } from '../processors/encrypt/index.js';
import type { DeviceBookingEvent, MeetingOccurrence, RawCalendarRecord, RawMailboxSettings } from '../schemas/index.js';
import { ReplayGrantError } from './errors.js';
import type { KeyGrant } from './grant.js';

/** The topics whose records carry ciphertext a grant can open. */
export const DECRYPTABLE_TOPICS = ['calendar.raw.v1', 'mailbox.settings.raw.v1', 'calendar.meetings.v1', 'obtp.devices.v1'] as const;

/**
 * Opens the encrypted part of a replayed record, only for the granted tenant (and topics): returns
 * the plaintext fields, or null when the record is not covered (its ciphertext stays ciphertext).
 */
export interface RecordDecryptor {
  readonly grant: KeyGrant;
  decrypt(topic: string, value: unknown): Promise<Record<string, unknown> | null>;
  /** Records opened so far. */
  readonly opened: number;
}

type KeyringForReplay = Keyring;

async function openDeviceEvent(keyring: KeyringForReplay, event: DeviceBookingEvent): Promise<Record<string, unknown>> {
  // A booking's title and join details are the meeting's own ciphertexts (subject, joinDetails).
  const mailboxId = event.mailboxId ?? '';
  const prefix = `${event.tenantId}/${mailboxId}/`;
  const meetingId = event.bookingId.startsWith(prefix) ? event.bookingId.slice(prefix.length) : event.bookingId;
  const ctx = (field: string) => ({ tenantId: event.tenantId, recordKey: recordKeyOf(event.tenantId, mailboxId), entityId: meetingId, field });
  const title = event.title === null ? null : (await keyring.decryptField(ctx('subject'), event.title)).toString('utf8');
  const join = event.joinDetails === null ? null : (JSON.parse((await keyring.decryptField(ctx('joinDetails'), event.joinDetails)).toString('utf8')) as unknown);
  return { title, joinDetails: join };
}

/**
 * A decryptor bound to one key grant: it opens records of the grant's tenant (and topics) only,
 * refuses to open anything once the grant expired, and writes one audit line when first used and
 * one when closed (tenant, purpose, who granted, the grant's fingerprint, counts; never a key or a
 * plaintext).
 */
export function grantedDecryptor(input: { keyring: KeyringForReplay; grant: KeyGrant; topic: string; clock: Clock; logger: Logger }): RecordDecryptor & { close(): void } {
  const { keyring, grant, topic, clock, logger } = input;
  const covered = grant.topics === null ? (DECRYPTABLE_TOPICS as readonly string[]).includes(topic) : grant.topics.includes(topic);
  let opened = 0;
  let skipped = 0;
  const audit = { audit: 'key-grant', tenantId: grant.tenantId, purpose: grant.purpose, grantedBy: grant.grantedBy, grant: grant.fingerprint, expiresAt: new Date(grant.expiresAt).toISOString(), topic };
  logger.info({ ...audit, event: 'grant-used', covered }, 'replay: decrypting with a key grant');
  return {
    grant,
    get opened() {
      return opened;
    },
    async decrypt(t: string, value: unknown): Promise<Record<string, unknown> | null> {
      const tenantId = (value as { tenantId?: unknown } | null)?.tenantId;
      if (!covered || tenantId !== grant.tenantId) {
        skipped += 1;
        return null;
      }
      if (clock.now() >= grant.expiresAt) throw new ReplayGrantError(`The key grant expired at ${new Date(grant.expiresAt).toISOString()} during the replay; ask for a new one and replay the rest.`);
      let plain: Record<string, unknown> | null;
      switch (t) {
        case 'calendar.meetings.v1':
          plain = { ...(await decryptMeeting(value as MeetingOccurrence, keyring)) };
          break;
        case 'calendar.raw.v1':
          plain = { event: await unsealRawEvent(keyring, value as RawCalendarRecord) };
          break;
        case 'mailbox.settings.raw.v1':
          plain = { settings: await unsealRawSettings(keyring, value as RawMailboxSettings) };
          break;
        case 'obtp.devices.v1':
          plain = await openDeviceEvent(keyring, value as DeviceBookingEvent);
          break;
        default:
          plain = null;
      }
      if (plain !== null) opened += 1;
      return plain;
    },
    close(): void {
      logger.info({ ...audit, event: 'grant-closed', opened, notCovered: skipped }, 'replay: key grant use ended');
    },
  };
}
