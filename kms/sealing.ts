import type { RawCalendarRecord, RawChangeType, RawMailboxSettings, RawSource } from '../schemas/index.js';
import { KmsInputError } from './errors.js';
import type { Keyring, SealContext } from './keyring.js';

/**
 * Whole-record sealing for the raw topics (DESIGN.md section 2): the connector seals each Graph
 * payload with the tenant's current data key; processors unseal it in memory only. The seal is
 * bound to the tenant, the record key and the topic (+ event id), so a sealed blob copied into
 * another record, topic or tenant does not open.
 */
export function recordKeyOf(tenantId: string, mailboxId: string): string {
  return `${tenantId}/${mailboxId}`;
}

export function rawEventSealContext(tenantId: string, mailboxId: string, eventId: string): SealContext {
  return { tenantId, recordKey: recordKeyOf(tenantId, mailboxId), purpose: `calendar.raw.v1:${eventId}` };
}

export function settingsSealContext(tenantId: string, mailboxId: string): SealContext {
  return { tenantId, recordKey: recordKeyOf(tenantId, mailboxId), purpose: 'mailbox.settings.raw.v1' };
}

export async function sealJson(keyring: Keyring, ctx: SealContext, value: unknown): Promise<Buffer> {
  return keyring.seal(ctx, Buffer.from(JSON.stringify(value), 'utf8'));
}

export async function unsealJson<T = unknown>(keyring: Keyring, ctx: SealContext, sealed: Uint8Array): Promise<T> {
  const plaintext = await keyring.unseal(ctx, sealed);
  try {
    return JSON.parse(plaintext.toString('utf8')) as T;
  } catch (error) {
    throw new KmsInputError('A sealed payload is not JSON; the writer sealed something else. The record goes to the dead-letter topic.', {
      cause: error instanceof Error ? new Error(error.name) : undefined,
    });
  }
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

/** Connector side: builds a `calendar.raw.v1` value whose Graph event is sealed. */
export async function sealRawEvent(keyring: Keyring, input: RawEventInput): Promise<RawCalendarRecord> {
  return {
    tenantId: input.tenantId,
    mailboxId: input.mailboxId,
    eventId: input.eventId,
    changeType: input.changeType,
    source: input.source,
    fetchedAt: input.fetchedAt,
    sealed: input.event === null ? null : await sealJson(keyring, rawEventSealContext(input.tenantId, input.mailboxId, input.eventId), input.event),
  };
}

/** Processor side: opens the Graph event of a `calendar.raw.v1` value, in memory only. */
export async function unsealRawEvent<T = unknown>(keyring: Keyring, record: RawCalendarRecord): Promise<T | null> {
  if (record.sealed === null) return null;
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
    sealed: await sealJson(keyring, settingsSealContext(input.tenantId, input.mailboxId), input.settings),
  };
}

export async function unsealRawSettings<T = unknown>(keyring: Keyring, record: RawMailboxSettings): Promise<T> {
  return unsealJson<T>(keyring, settingsSealContext(record.tenantId, record.mailboxId), record.sealed);
}
