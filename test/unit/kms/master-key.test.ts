import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import {
  FileTenantKeyStore,
  KeyNotFoundError,
  MasterKeyError,
  MemoryTenantKeyStore,
  TenantKeyVault,
  parseKey,
  type TenantKeyStore,
} from '../../../kms/index.js';

const ref = { keyId: 'dk-1', version: 1 };

async function rotationCase(store: TenantKeyStore): Promise<void> {
  const clock = new ManualClock();
  const oldMaster = randomBytes(32);
  const newMaster = randomBytes(32);
  const before = new TenantKeyVault({ masterKey: oldMaster, store, clock });
  const dataKey = randomBytes(32);
  await before.ensureTenant('t1');
  await before.ensureTenant('t2');
  const wrapped = await before.wrapDataKey('t1', ref, dataKey);
  await before.destroyTenant('t2');

  // Only the new master key: tenant keys wrapped by the old one are refused with a clear error.
  await expect(new TenantKeyVault({ masterKey: newMaster, store, clock }).unwrapDataKey('t1', ref, wrapped)).rejects.toBeInstanceOf(KeyNotFoundError);
  // New + previous: readable, then re-wrapped; afterwards the new key alone suffices.
  const during = new TenantKeyVault({ masterKey: newMaster, previousMasterKeys: [oldMaster], store, clock });
  expect((await during.unwrapDataKey('t1', ref, wrapped)).equals(dataKey)).toBe(true);
  expect(await during.rewrapTenantKeys()).toEqual({ rewrapped: 1, current: 0, destroyed: 1 });
  expect(await during.rewrapTenantKeys()).toEqual({ rewrapped: 0, current: 1, destroyed: 1 });
  const after = new TenantKeyVault({ masterKey: newMaster, store, clock });
  expect((await after.unwrapDataKey('t1', ref, wrapped)).equals(dataKey)).toBe(true);
  await expect(new TenantKeyVault({ masterKey: oldMaster, store, clock }).unwrapDataKey('t1', ref, wrapped)).rejects.toBeInstanceOf(KeyNotFoundError);
}

describe('kms master keys', () => {
  it('kms – master key rotation re-wraps tenant keys; data keys stay valid (memory store)', async () => {
    await rotationCase(new MemoryTenantKeyStore());
  });

  it('kms – master key rotation re-wraps tenant keys in the on-premises key directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hycal-kms-unit-'));
    try {
      await rotationCase(new FileTenantKeyStore(dir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kms – master keys are 32 bytes in base64 or hex; anything else is refused naming what to do', () => {
    const key = randomBytes(32);
    expect(parseKey(key.toString('base64')).equals(key)).toBe(true);
    expect(parseKey(`${key.toString('hex')}\n`).equals(key)).toBe(true);
    for (const bad of ['', 'abc', randomBytes(16).toString('base64'), randomBytes(33).toString('hex')]) expect(() => parseKey(bad)).toThrow(MasterKeyError);
  });
});
