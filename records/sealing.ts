import { CipherKind, DecryptFailedError, parseEnvelope, recordKeyOf, sealJson, unsealJson, type Keyring, type SealContext } from '../kms/index.js';
import type { RawCalendarRecord, RawChangeType, RawMailboxSettings, RawSource } from '../schemas/index.js';

/**
 * Whole-record sealing for the raw topics: the connector seals each Graph payload with the
 * tenant's current data key; processors unseal it in memory only. The seal is bound to the tenant,
 * the record key and the topic (+ event id), and (seal format 2) to the record's metadata, so a
 * sealed blob copied into another record, topic or tenant, or under altered metadata, does not open.
 */
export function rawEventSealContext(tenantId: string, mailboxId: string, eventId: string): SealContext {
  return { tenantId, recordKey: recordKeyOf(tenantId, mailboxId), purpose: `calendar.raw.v1:${eventId}` };
}

export function settingsSealContext(tenantId: string, mailboxId: string): SealContext {
  return { tenantId, recordKey: recordKeyOf(tenantId, mailboxId), purpose: 'mailbox.settings.raw.v1' };
}

/** Seal format 2 of a raw event: also bound to the record's change type, source and fetch time. */
export function rawRecordSealContext(record: Pick<RawCalendarRecord, 'tenantId' | 'mailboxId' | 'eventId' | 'changeType' | 'source' | 'fetchedAt'>): SealContext {
  return { ...rawEventSealContext(record.tenantId, record.mailboxId, record.eventId), metadata: [record.changeType, record.source, String(record.fetchedAt)] };
}

/** Seal format 2 of mailbox settings: also bound to the record's source and fetch time. */
export function settingsRecordSealContext(record: Pick<RawMailboxSettings, 'tenantId' | 'mailboxId' | 'source' | 'fetchedAt'>): SealContext {
  return { ...settingsSealContext(record.tenantId, record.mailboxId), metadata: [record.source, String(record.fetchedAt)] };
}

/** Reading raw records: what to accept of the version 1 sealing (before metadata was bound). */
export interface UnsealOptions {
  /**
   * Accept deletions without a seal, as version 1 writers made them (migration only: anyone able
   * to write to the topic can forge such a deletion). Default false.
   */
  readonly acceptUnsealedDeletions?: boolean;
}

function isMetadataSeal(sealed: Uint8Array): boolean {
  return parseEnvelope(sealed).kind === CipherKind.sealedWithMetadata;
}

export interface RawEventInput {
  readonly tenantId: string;
  readonly mailboxId: string;
  readonly eventId: string;
  readonly changeType: RawChangeType;
  readonly source: RawSource;
  readonly fetchedAt: number;
  /** The Graph event JSON; null for deletions. */
  readonly event: unknown;
}

/**
 * Connector side: builds a `calendar.raw.v1` value whose Graph event is sealed, bound to the
 * record's metadata (seal format 2). Deletions are sealed too (the payload is JSON `null`), so a
 * deletion that the connector did not write is refused.
 */
export async function sealRawEvent(keyring: Keyring, input: RawEventInput): Promise<RawCalendarRecord> {
  const record = {
    tenantId: input.tenantId,
    mailboxId: input.mailboxId,
    eventId: input.eventId,
    changeType: input.changeType,
    source: input.source,
    fetchedAt: input.fetchedAt,
  };
  return { ...record, sealed: await sealJson(keyring, rawRecordSealContext(record), input.changeType === 'DELETED' ? null : input.event) };
}

/**
 * Processor side: opens the Graph event of a `calendar.raw.v1` value, in memory only; null for a
 * deletion. A format 2 seal opens only with the metadata it was made with (a change type, source
 * or fetch time altered on the topic fails with `HC_ERR_KMS_DECRYPT_FAILED`). Version 1 records
 * (seal kind 2, metadata not bound) stay readable except as deletions: version 1 never sealed
 * deletions, so a version 1 seal under DELETED, or an unsealed deletion (unless
 * `acceptUnsealedDeletions`), is refused.
 */
export async function unsealRawEvent<T = unknown>(keyring: Keyring, record: RawCalendarRecord, options: UnsealOptions = {}): Promise<T | null> {
  const deleted = record.changeType === 'DELETED';
  if (record.sealed === null) {
    if (deleted && options.acceptUnsealedDeletions === true) return null;
    throw new DecryptFailedError(
      'A raw record without a seal is refused: every record the connector writes is sealed (a forged or version 1 deletion). The record goes to the dead-letter topic.',
    );
  }
  if (isMetadataSeal(record.sealed)) {
    const event = await unsealJson<T | null>(keyring, rawRecordSealContext(record), record.sealed);
    return deleted ? null : event;
  }
  if (deleted) {
    throw new DecryptFailedError('A deletion carrying a version 1 seal is refused: version 1 never sealed deletions (forged change type). The record goes to the dead-letter topic.');
  }
  return unsealJson<T>(keyring, rawEventSealContext(record.tenantId, record.mailboxId, record.eventId), record.sealed);
}

export interface RawSettingsInput {
  readonly tenantId: string;
  readonly mailboxId: string;
  readonly source: RawMailboxSettings['source'];
  readonly fetchedAt: number;
  readonly settings: unknown;
}

export async function sealRawSettings(keyring: Keyring, input: RawSettingsInput): Promise<RawMailboxSettings> {
  return {
    tenantId: input.tenantId,
    mailboxId: input.mailboxId,
    source: input.source,
    fetchedAt: input.fetchedAt,
    sealed: await sealJson(keyring, settingsRecordSealContext(input), input.settings),
  };
}

/** Opens mailbox settings: format 2 seals are bound to source and fetch time; version 1 seals stay readable. */
export async function unsealRawSettings<T = unknown>(keyring: Keyring, record: RawMailboxSettings): Promise<T> {
  const ctx = isMetadataSeal(record.sealed) ? settingsRecordSealContext(record) : settingsSealContext(record.tenantId, record.mailboxId);
  return unsealJson<T>(keyring, ctx, record.sealed);
}
