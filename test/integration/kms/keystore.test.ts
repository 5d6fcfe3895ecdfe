import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, MasterKeyError, createKeyring, generateKeyText, KMS_DEFAULTS } from '../../../kms/index.js';
import { runHycal } from './cli.js';
import { openHarness, type Harness } from './harness.js';

const ctx = (i: number) => ({ tenantId: 'tenant-c', recordKey: 'tenant-c/m', entityId: `e${i}`, field: 'subject' });

describe('kms key store in MongoDB', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness('kmsstore');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('kms – processes sharing the key store never exceed a data key use bound, even encrypting concurrently', async () => {
    const options = { dataKeyMaxUses: 20, reserveBlock: 7 };
    const processes = [h.keyring(options).keyring, h.keyring(options).keyring, h.keyring(options).keyring];
    const ciphertexts = await Promise.all(
      Array.from({ length: 90 }, (_, i) => processes[i % 3]!.encryptField(ctx(i), Buffer.from(`m${i}`))),
    );
    const perVersion = new Map<number, number>();
    for (const c of ciphertexts) {
      const { version } = Keyring.keyRefOf(c);
      perVersion.set(version, (perVersion.get(version) ?? 0) + 1);
    }
    for (const count of perVersion.values()) expect(count).toBeLessThanOrEqual(20);
    const stored = await h.db.collection('kms_data_keys').find({ tenantId: 'tenant-c' }).toArray();
    for (const key of stored) expect(key['usesReserved']).toBeLessThanOrEqual(20);
    expect(new Set(stored.map((key) => key['version'] as number)).size).toBe(stored.length);
    // Every ciphertext opens in a fresh process.
    const reader = h.keyring().keyring;
    for (const [i, c] of ciphertexts.entries()) expect((await reader.decryptField(ctx(i), c)).toString()).toBe(`m${i}`);
  });

  it('kms – no master key, or a malformed one, fails at start naming what to set', () => {
    expect(() => createKeyring({ db: h.db, options: KMS_DEFAULTS, clock: h.clock, env: {} })).toThrow(MasterKeyError);
    expect(() => createKeyring({ db: h.db, options: KMS_DEFAULTS, clock: h.clock, env: { HYCAL_KMS_MASTER_KEY: 'short' } })).toThrow(/32 random bytes/);
  });

  it('kms – nothing stored in MongoDB holds key material in the clear', async () => {
    const { keyring } = h.keyring();
    await keyring.encryptField(ctx(1), Buffer.from('x'));
    for (const name of ['kms_tenant_keys', 'kms_data_keys']) {
      for (const doc of await h.db.collection(name).find({}).toArray()) {
        const wrapped = doc['wrapped'] as { buffer: Uint8Array } | null;
        if (wrapped === null) continue;
        // A wrapped key is a kms ciphertext: header + 32 encrypted bytes + tag.
        expect(Buffer.from(wrapped.buffer)[0]).toBe(0xc7);
        expect(Buffer.from(wrapped.buffer).length).toBeGreaterThan(32 + 16 + 20);
      }
    }
  });

  it('kms – `hycal kms rewrap-master` moves every tenant key to a new master key; data stays readable with the new key alone', async () => {
    const { keyring } = h.keyring();
    const ciphertext = await keyring.encryptField({ ...ctx(7), tenantId: 'tenant-m', recordKey: 'tenant-m/x' }, Buffer.from('kept'));
    const dir = await mkdtemp(join(tmpdir(), 'hycal-rewrap-'));
    try {
      const previous = join(dir, 'old.key');
      await writeFile(previous, h.masterKeyText, { mode: 0o600 });
      const newKey = generateKeyText();
      const result = await runHycal(['kms', 'rewrap-master'], { MONGODB_DATABASE: h.dbName, HYCAL_KMS_MASTER_KEY: newKey, HYCAL_KMS_PREVIOUS_MASTER_KEY_FILES: previous });
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/tenant keys: [1-9]\d* re-wrapped, 0 already current/);
      const reader = h.keyring({}, { HYCAL_KMS_MASTER_KEY: newKey }).keyring;
      expect((await reader.decryptField({ ...ctx(7), tenantId: 'tenant-m', recordKey: 'tenant-m/x' }, ciphertext)).toString()).toBe('kept');
      const stale = h.keyring({}, { HYCAL_KMS_MASTER_KEY: h.masterKeyText }).keyring;
      await expect(stale.decryptField({ ...ctx(7), tenantId: 'tenant-m', recordKey: 'tenant-m/x' }, ciphertext)).rejects.toMatchObject({ code: 'HC_ERR_KMS_KEY_NOT_FOUND' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
