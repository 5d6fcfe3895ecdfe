import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { CipherKind, DecryptFailedError, Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault, parseEnvelope, sealJson } from '../../../kms/index.js';
import { rawEventSealContext, sealRawEvent, sealRawSettings, unsealRawEvent, unsealRawSettings, type RawEventInput } from '../../../records/index.js';

function setup(options: { cacheMaxEntries?: number; cacheTtlMs?: number } = {}) {
  const clock = new ManualClock();
  const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
  return { clock, keyring: new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock, options }) };
}

const input = (over: Partial<RawEventInput> = {}): RawEventInput => ({
  tenantId: 'tenant-a',
  mailboxId: 'mbx-1',
  eventId: 'AAMk-1',
  changeType: 'UPDATED',
  source: 'DELTA',
  fetchedAt: 1_767_600_000_000,
  event: { subject: 'Quarterly review' },
  ...over,
});

describe('kms sealing of raw records', () => {
  it('kms – a raw record whose change type, source or fetch time was altered on the topic does not open', async () => {
    const { keyring } = setup();
    const record = await sealRawEvent(keyring, input());
    expect(parseEnvelope(record.sealed!).kind).toBe(CipherKind.sealedWithMetadata);
    expect(await unsealRawEvent(keyring, record)).toEqual({ subject: 'Quarterly review' });
    await expect(unsealRawEvent(keyring, { ...record, changeType: 'CREATED' })).rejects.toBeInstanceOf(DecryptFailedError);
    await expect(unsealRawEvent(keyring, { ...record, source: 'NOTIFICATION' })).rejects.toBeInstanceOf(DecryptFailedError);
    await expect(unsealRawEvent(keyring, { ...record, fetchedAt: record.fetchedAt + 1 })).rejects.toBeInstanceOf(DecryptFailedError);
  });

  it('kms – a forged deletion is refused: an update turned into a deletion, an unsealed deletion, a version 1 seal under DELETED', async () => {
    const { keyring } = setup();
    const update = await sealRawEvent(keyring, input());
    await expect(unsealRawEvent(keyring, { ...update, changeType: 'DELETED' })).rejects.toBeInstanceOf(DecryptFailedError);
    await expect(unsealRawEvent(keyring, { ...update, changeType: 'DELETED', sealed: null })).rejects.toBeInstanceOf(DecryptFailedError);
    const v1 = await sealJson(keyring, rawEventSealContext('tenant-a', 'mbx-1', 'AAMk-1'), { subject: 'x' });
    await expect(unsealRawEvent(keyring, { ...update, changeType: 'DELETED', sealed: v1 })).rejects.toBeInstanceOf(DecryptFailedError);
    // A genuine deletion is sealed by the connector and opens as null.
    const deletion = await sealRawEvent(keyring, input({ changeType: 'DELETED', event: null }));
    expect(deletion.sealed).not.toBeNull();
    expect(await unsealRawEvent(keyring, deletion)).toBeNull();
    // Migration switch for version 1 deletions (unsealed), off by default.
    expect(await unsealRawEvent(keyring, { ...update, changeType: 'DELETED', sealed: null }, { acceptUnsealedDeletions: true })).toBeNull();
  });

  it('kms – version 1 seals (no metadata bound) stay readable for created and updated records; settings too', async () => {
    const { keyring } = setup();
    const v1 = await sealJson(keyring, rawEventSealContext('tenant-a', 'mbx-1', 'AAMk-1'), { subject: 'old' });
    expect(parseEnvelope(v1).kind).toBe(CipherKind.sealed);
    expect(await unsealRawEvent(keyring, { ...(await sealRawEvent(keyring, input())), sealed: v1 })).toEqual({ subject: 'old' });
    const settings = await sealRawSettings(keyring, { tenantId: 'tenant-a', mailboxId: 'mbx-1', source: 'DELTA', fetchedAt: 5, settings: { ooo: true } } as never);
    expect(await unsealRawSettings(keyring, settings)).toEqual({ ooo: true });
    await expect(unsealRawSettings(keyring, { ...settings, fetchedAt: 6 })).rejects.toBeInstanceOf(DecryptFailedError);
  });

  it("kms – the keyring's per-tenant maps stay bounded with many tenants and expire with the cache lifetime", async () => {
    const { keyring, clock } = setup({ cacheMaxEntries: 8, cacheTtlMs: 60_000 });
    for (let i = 0; i < 40; i += 1) {
      const record = await sealRawEvent(keyring, input({ tenantId: `tenant-${i}`, eventId: `e-${i}` }));
      expect(await unsealRawEvent(keyring, record)).toEqual({ subject: 'Quarterly review' });
    }
    const sizes = keyring.cacheSizes();
    for (const size of Object.values(sizes)) expect(size).toBeLessThanOrEqual(8);
    clock.advance(60_000);
    // Expired entries are dropped as they are met; a fresh tenant's use keeps working.
    await sealRawEvent(keyring, input({ tenantId: 'tenant-late' }));
    expect(keyring.cacheSizes().chains).toBeLessThanOrEqual(8);
  });
});
