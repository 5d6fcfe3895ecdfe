import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../../common/clock.js';
import { HcError } from '../../../common/errors.js';
import { Keyring, KmsInputError, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault, type FieldContext } from '../../../kms/index.js';
import { sealRawEvent, sealRawSettings, unsealRawEvent, unsealRawSettings } from '../../../records/index.js';

function makeKeyring(): Keyring {
  const clock = new ManualClock();
  const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
  return new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock, options: { dataKeyMaxUses: 50, reserveBlock: 10 } });
}

const TYPED = ['HC_ERR_KMS_CIPHERTEXT_MALFORMED', 'HC_ERR_KMS_DECRYPT_FAILED', 'HC_ERR_KMS_KEY_NOT_FOUND'];

describe('kms keyring against bad input', () => {
  const keyring = makeKeyring();
  const ctx: FieldContext = { tenantId: 'tenant-p', recordKey: 'tenant-p/m', entityId: 'e', field: 'subject' };

  it('kms – any single-bit flip of a field ciphertext (even across rotations) gives a typed error, never garbage', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.integer({ min: 0, max: 7 }), async (plaintext, at, bit) => {
        const ciphertext = await keyring.encryptField(ctx, plaintext);
        const tampered = Buffer.from(ciphertext);
        const index = at % tampered.length;
        tampered[index] = tampered[index]! ^ (1 << bit);
        const error = await keyring.decryptField(ctx, tampered).then(() => null, (e: unknown) => e);
        expect(error).toBeInstanceOf(HcError);
        expect(TYPED).toContain((error as HcError).code);
      }),
      { numRuns: 300 },
    );
  });

  it('kms – any truncation of a sealed record gives a typed error', async () => {
    const sealCtx = { tenantId: 'tenant-p', recordKey: 'tenant-p/m', purpose: 'calendar.raw.v1:e' };
    const sealed = await keyring.seal(sealCtx, Buffer.from(JSON.stringify({ subject: 'x'.repeat(100) })));
    for (let cut = 0; cut < sealed.length; cut += 1) {
      const error = await keyring.unseal(sealCtx, sealed.subarray(0, cut)).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(HcError);
      expect(TYPED).toContain((error as HcError).code);
    }
  });

  it('kms – sealed raw events and settings open only for their own record; deletions are sealed too (so a forged one is refused)', async () => {
    const base = { tenantId: 'tenant-p', mailboxId: 'm', changeType: 'CREATED' as const, source: 'DELTA' as const, fetchedAt: 1 };
    const event = { subject: 'hello', attendees: [{ emailAddress: { address: 'a@b.c' } }] };
    const record = await sealRawEvent(keyring, { ...base, eventId: 'e1', event });
    expect(record.sealed!.includes(Buffer.from('hello'))).toBe(false);
    expect(await unsealRawEvent(keyring, record)).toEqual(event);
    await expect(unsealRawEvent(keyring, { ...record, eventId: 'e2' })).rejects.toMatchObject({ code: 'HC_ERR_KMS_DECRYPT_FAILED' });
    await expect(unsealRawEvent(keyring, { ...record, mailboxId: 'other' })).rejects.toMatchObject({ code: 'HC_ERR_KMS_DECRYPT_FAILED' });
    const deletion = await sealRawEvent(keyring, { ...base, eventId: 'e3', changeType: 'DELETED', event: null });
    expect(deletion.sealed).not.toBeNull();
    expect(await unsealRawEvent(keyring, deletion)).toBeNull();
    const settings = await sealRawSettings(keyring, { tenantId: 'tenant-p', mailboxId: 'm', source: 'POLL', fetchedAt: 1, settings: { automaticRepliesSetting: { status: 'alwaysEnabled' } } });
    expect(await unsealRawSettings(keyring, settings)).toEqual({ automaticRepliesSetting: { status: 'alwaysEnabled' } });
    // A sealed event is not accepted as settings (other purpose), and vice versa.
    await expect(unsealRawSettings(keyring, { ...settings, sealed: record.sealed! })).rejects.toMatchObject({ code: 'HC_ERR_KMS_DECRYPT_FAILED' });
  });

  it('kms – tenant ids with control characters are refused', async () => {
    await expect(keyring.encryptField({ ...ctx, tenantId: 'a\u0000b' }, Buffer.from('x'))).rejects.toBeInstanceOf(KmsInputError);
  });
});
