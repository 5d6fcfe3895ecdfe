import { KmsInputError } from './errors.js';
import type { Keyring, SealContext } from './keyring.js';

/**
 * Generic sealing of JSON values: whole values sealed with the tenant's current data key, bound to
 * a `SealContext` (tenant, record key, purpose, metadata), so a sealed blob copied into another
 * record, topic or tenant does not open. kms/ knows nothing of the records that carry such seals:
 * the raw topics' sealing (which context binds which record fields) lives in records/.
 */
export function recordKeyOf(tenantId: string, mailboxId: string): string {
  return `${tenantId}/${mailboxId}`;
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
