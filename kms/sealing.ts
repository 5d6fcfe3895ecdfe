import { KmsInputError } from './errors.js';
import { CipherKind, parseEnvelope } from './format.js';
import type { Keyring, SealContext } from './keyring.js';

/**
 * Seal contexts of the raw topics: the connector seals each Graph payload with the tenant's current
 * data key; processors unseal it in memory only. The seal is bound to the tenant, the record key
 * and the topic (+ event id), so a sealed blob copied into another record, topic or tenant does
 * not open. kms/ knows the fields a seal is bound to, not the records: building and opening the
 * raw records is `schemas/sealed-records.ts`.
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

/** Seal format 2 of a raw event: also bound to the record's change type, source and fetch time. */
export function rawRecordSealContext(record: { readonly tenantId: string; readonly mailboxId: string; readonly eventId: string; readonly changeType: string; readonly source: string; readonly fetchedAt: number }): SealContext {
  return { ...rawEventSealContext(record.tenantId, record.mailboxId, record.eventId), metadata: [record.changeType, record.source, String(record.fetchedAt)] };
}

/** Seal format 2 of mailbox settings: also bound to the record's source and fetch time. */
export function settingsRecordSealContext(record: { readonly tenantId: string; readonly mailboxId: string; readonly source: string; readonly fetchedAt: number }): SealContext {
  return { ...settingsSealContext(record.tenantId, record.mailboxId), metadata: [record.source, String(record.fetchedAt)] };
}

/** Seal format 2 (bound to the record's metadata) rather than version 1. */
export function isMetadataSeal(sealed: Uint8Array): boolean {
  return parseEnvelope(sealed).kind === CipherKind.sealedWithMetadata;
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
