import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { isRetryable } from '../../../common/errors.js';
import {
  DecryptFailedError,
  KeyCache,
  KeyDestroyedError,
  KeyNotFoundError,
  Keyring,
  KmsUnavailableError,
  MemoryDataKeyStore,
  MemoryTenantKeyStore,
  TenantKeyVault,
  parseEnvelope,
  type FieldContext,
  type KmsOptionsInput,
  type KmsProvider,
} from '../../../kms/index.js';

function setup(options: KmsOptionsInput = {}) {
  const clock = new ManualClock();
  const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
  const store = new MemoryDataKeyStore();
  const keyring = new Keyring({ store, providers: { cloud: vault }, clock, options });
  return { clock, vault, store, keyring };
}

const ctx = (over: Partial<FieldContext> = {}): FieldContext => ({
  tenantId: 'tenant-a',
  recordKey: 'tenant-a/mbx-1',
  entityId: 'evt-1',
  field: 'subject',
  ...over,
});

/** A KMS that can be switched off, around a real vault. */
class SwitchableKms implements KmsProvider {
  readonly kind = 'cloud' as const;
  up = true;
  calls = 0;
  constructor(private readonly inner: KmsProvider) {}
  #check(): void {
    this.calls += 1;
    if (!this.up) throw new KmsUnavailableError('test: KMS is down');
  }
  async ensureTenant(t: string) { this.#check(); return this.inner.ensureTenant(t); }
  async wrapDataKey(t: string, r: { keyId: string; version: number }, k: Buffer) { this.#check(); return this.inner.wrapDataKey(t, r, k); }
  async unwrapDataKey(t: string, r: { keyId: string; version: number }, w: Buffer) { this.#check(); return this.inner.unwrapDataKey(t, r, w); }
  async destroyTenant(t: string) { this.#check(); return this.inner.destroyTenant(t); }
}

describe('kms keyring', () => {
  it('kms – encrypts and decrypts a field; the ciphertext names the tenant key and version', async () => {
    const { keyring } = setup();
    const ciphertext = await keyring.encryptField(ctx(), Buffer.from('Quarterly review'));
    expect((await keyring.decryptField(ctx(), ciphertext)).toString()).toBe('Quarterly review');
    const ref = await keyring.currentRef('tenant-a');
    expect(Keyring.keyRefOf(ciphertext)).toEqual(ref);
    expect(ref.version).toBe(1);
  });

  it('kms – a ciphertext moved to another field, record, meeting or tenant fails to decrypt', async () => {
    const { keyring } = setup();
    await keyring.encryptField(ctx({ tenantId: 'tenant-b', recordKey: 'tenant-b/mbx-1' }), Buffer.from('x'));
    const ciphertext = await keyring.encryptField(ctx(), Buffer.from('secret'));
    await expect(keyring.decryptField(ctx({ field: 'body' }), ciphertext)).rejects.toBeInstanceOf(DecryptFailedError);
    await expect(keyring.decryptField(ctx({ recordKey: 'tenant-a/mbx-2' }), ciphertext)).rejects.toBeInstanceOf(DecryptFailedError);
    await expect(keyring.decryptField(ctx({ entityId: 'evt-2' }), ciphertext)).rejects.toBeInstanceOf(DecryptFailedError);
    // Another tenant: its chain has another key id, so the ciphertext is recognised as foreign.
    await expect(keyring.decryptField(ctx({ tenantId: 'tenant-b', recordKey: 'tenant-a/mbx-1' }), ciphertext)).rejects.toBeInstanceOf(KeyNotFoundError);
  });

  it('kms – opens a batch of fields (a meeting list) with the same checks as one by one; one misplaced field fails the batch', async () => {
    const { keyring } = setup();
    const fields = await Promise.all(['subject', 'location', 'organizer'].map(async (field, i) => ({ ctx: { recordKey: 'tenant-a/mbx-1', entityId: `evt-${i}`, field }, ciphertext: await keyring.encryptField(ctx({ entityId: `evt-${i}`, field }), Buffer.from(`text ${i}`)) })));
    await keyring.rotate('tenant-a');
    const newer = await keyring.encryptField(ctx({ entityId: 'evt-9' }), Buffer.from('after rotation'));
    const batch = [...fields, { ctx: { recordKey: 'tenant-a/mbx-1', entityId: 'evt-9', field: 'subject' }, ciphertext: newer }];
    expect((await keyring.decryptFields('tenant-a', batch)).map((b) => b.toString())).toEqual(['text 0', 'text 1', 'text 2', 'after rotation']);
    expect(await keyring.decryptFields('tenant-a', [])).toEqual([]);
    await expect(keyring.decryptFields('tenant-a', [...batch, { ...batch[0]!, ctx: { ...batch[0]!.ctx, field: 'body' } }])).rejects.toBeInstanceOf(DecryptFailedError);
    await expect(keyring.decryptFields('tenant-a', [{ ...batch[1]!, ctx: { ...batch[1]!.ctx, recordKey: 'tenant-a/mbx-2' } }])).rejects.toBeInstanceOf(DecryptFailedError);
    await keyring.encryptField(ctx({ tenantId: 'tenant-b', recordKey: 'tenant-b/mbx-1' }), Buffer.from('x'));
    await expect(keyring.decryptFields('tenant-b', batch)).rejects.toBeInstanceOf(KeyNotFoundError);
  });

  it('kms – concurrent reads of a cold data key share one key store lookup and one unwrap', async () => {
    const clock = new ManualClock();
    const kms = new SwitchableKms(new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock }));
    const store = new MemoryDataKeyStore();
    const writer = new Keyring({ store, providers: { cloud: kms }, clock });
    const ciphertext = await writer.encryptField(ctx(), Buffer.from('cold'));
    const reader = new Keyring({ store, providers: { cloud: kms }, clock });
    let chainReads = 0;
    const getChain = store.getChain.bind(store);
    store.getChain = async (tenantId: string) => { chainReads += 1; return getChain(tenantId); };
    const before = kms.calls;
    const opened = await Promise.all(Array.from({ length: 50 }, () => reader.decryptField(ctx(), ciphertext)));
    expect(opened.every((b) => b.toString() === 'cold')).toBe(true);
    expect(chainReads).toBe(1);
    expect(kms.calls - before).toBe(1);
  });

  it('kms – a ciphertext of another deployment (same key id shape, other keys) is refused with a typed error', async () => {
    const one = setup();
    const two = setup();
    const foreign = await one.keyring.encryptField(ctx(), Buffer.from('secret'));
    await two.keyring.encryptField(ctx(), Buffer.from('own'));
    await expect(two.keyring.decryptField(ctx(), foreign)).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(two.keyring.decryptField(ctx({ tenantId: 'never-seen' }), foreign)).rejects.toBeInstanceOf(KeyNotFoundError);
  });

  it('kms – rotates the data key automatically after the configured number of encryptions', async () => {
    const { keyring } = setup({ dataKeyMaxUses: 10, reserveBlock: 4 });
    const ciphertexts: Buffer[] = [];
    for (let i = 0; i < 35; i += 1) ciphertexts.push(await keyring.encryptField(ctx({ entityId: `e${i}` }), Buffer.from(`m${i}`)));
    const versions = ciphertexts.map((c) => Keyring.keyRefOf(c).version);
    const perVersion = new Map<number, number>();
    for (const v of versions) perVersion.set(v, (perVersion.get(v) ?? 0) + 1);
    for (const count of perVersion.values()) expect(count).toBeLessThanOrEqual(10);
    expect(Math.max(...versions)).toBeGreaterThanOrEqual(4);
    // Versions only move forward, and every old version stays readable.
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    for (const [i, c] of ciphertexts.entries()) expect((await keyring.decryptField(ctx({ entityId: `e${i}` }), c)).toString()).toBe(`m${i}`);
  });

  it('kms – counts every reserved use across keyrings sharing one store (two processes never exceed the bound)', async () => {
    const clock = new ManualClock();
    const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
    const store = new MemoryDataKeyStore();
    const options = { dataKeyMaxUses: 8, reserveBlock: 3 };
    const a = new Keyring({ store, providers: { cloud: vault }, clock, options });
    const b = new Keyring({ store, providers: { cloud: vault }, clock, options });
    const refs: number[] = [];
    for (let i = 0; i < 30; i += 1) refs.push(Keyring.keyRefOf(await (i % 2 === 0 ? a : b).encryptField(ctx(), Buffer.from('x'))).version);
    const counts = new Map<number, number>();
    for (const v of refs) counts.set(v, (counts.get(v) ?? 0) + 1);
    for (const count of counts.values()) expect(count).toBeLessThanOrEqual(8);
    for (const key of await store.listKeys('tenant-a')) expect(key.usesReserved).toBeLessThanOrEqual(8);
  });

  it('kms – rotates the data key when it is older than the configured age', async () => {
    const { keyring, clock } = setup({ dataKeyMaxAgeMs: 3_600_000, cacheTtlMs: 60_000 });
    const first = await keyring.encryptField(ctx(), Buffer.from('a'));
    clock.advance(3_600_000 + 1);
    const second = await keyring.encryptField(ctx(), Buffer.from('b'));
    expect(Keyring.keyRefOf(first).version).toBe(1);
    expect(Keyring.keyRefOf(second).version).toBe(2);
    expect((await keyring.decryptField(ctx(), first)).toString()).toBe('a');
  });

  it('kms – rotation on demand: new writes use the new version, old data stays readable', async () => {
    const { keyring } = setup();
    const old = await keyring.encryptField(ctx(), Buffer.from('old'));
    const rotated = await keyring.rotate('tenant-a');
    expect(rotated.version).toBe(2);
    const fresh = await keyring.encryptField(ctx(), Buffer.from('new'));
    expect(Keyring.keyRefOf(fresh)).toEqual(rotated);
    expect((await keyring.decryptField(ctx(), old)).toString()).toBe('old');
    expect((await keyring.versions('tenant-a')).map((v) => v.version)).toEqual([1, 2]);
  });

  it('kms – shredding a tenant makes its ciphertexts unreadable and refuses new writes', async () => {
    const { keyring, store } = setup();
    const ciphertext = await keyring.encryptField(ctx(), Buffer.from('secret'));
    const other = await keyring.encryptField(ctx({ tenantId: 'tenant-b', recordKey: 'tenant-b/m' }), Buffer.from('kept'));
    expect((await keyring.shred('tenant-a')).dataKeysDeleted).toBe(1);
    await expect(keyring.decryptField(ctx(), ciphertext)).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(keyring.encryptField(ctx(), Buffer.from('again'))).rejects.toBeInstanceOf(KeyDestroyedError);
    expect(await store.listKeys('tenant-a')).toEqual([]);
    expect((await keyring.decryptField(ctx({ tenantId: 'tenant-b', recordKey: 'tenant-b/m' }), other)).toString()).toBe('kept');
  });

  it('kms – a shredded tenant stays unreadable even for a process that still had the keys (after its cache lifetime)', async () => {
    const clock = new ManualClock();
    const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
    const store = new MemoryDataKeyStore();
    const options = { cacheTtlMs: 30_000 };
    const writer = new Keyring({ store, providers: { cloud: vault }, clock, options });
    const admin = new Keyring({ store, providers: { cloud: vault }, clock, options });
    const ciphertext = await writer.encryptField(ctx(), Buffer.from('secret'));
    await admin.shred('tenant-a');
    clock.advance(30_000);
    await expect(writer.decryptField(ctx(), ciphertext)).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(writer.encryptField(ctx(), Buffer.from('late'))).rejects.toBeInstanceOf(KeyDestroyedError);
  });

  it('kms – the KMS being down is a retryable typed error and never yields plaintext; work succeeds once it is back', async () => {
    const clock = new ManualClock();
    const kms = new SwitchableKms(new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock }));
    const keyring = new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: kms }, clock, options: { cacheTtlMs: 1_000 } });
    kms.up = false;
    const failure = await keyring.encryptField(ctx(), Buffer.from('secret')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(KmsUnavailableError);
    expect(isRetryable(failure)).toBe(true);
    kms.up = true;
    const ciphertext = await keyring.encryptField(ctx(), Buffer.from('secret'));
    expect(ciphertext.includes(Buffer.from('secret'))).toBe(false);
    // After the cache lifetime a decrypt needs the KMS again.
    clock.advance(1_001);
    kms.up = false;
    await expect(keyring.decryptField(ctx(), ciphertext)).rejects.toBeInstanceOf(KmsUnavailableError);
    kms.up = true;
    expect((await keyring.decryptField(ctx(), ciphertext)).toString()).toBe('secret');
  });

  it('kms – unwrapped data keys are cached: repeated decrypts do not call the KMS within the lifetime', async () => {
    const clock = new ManualClock();
    const kms = new SwitchableKms(new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock }));
    const counts = new Map<string, number>();
    const metrics = { increment: (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1) };
    const keyring = new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: kms }, clock, options: { cacheTtlMs: 10_000 }, metrics });
    const ciphertext = await keyring.encryptField(ctx(), Buffer.from('x'));
    const before = kms.calls;
    for (let i = 0; i < 20; i += 1) await keyring.decryptField(ctx(), ciphertext);
    expect(kms.calls).toBe(before);
    expect(counts.get('kms_key_unwraps_total')).toBe(1);
    expect(counts.get('kms_data_keys_created_total')).toBe(1);
    kms.up = false;
    clock.advance(10_000);
    await expect(keyring.decryptField(ctx(), ciphertext)).rejects.toBeInstanceOf(KmsUnavailableError);
    expect(counts.get('kms_unavailable_total')).toBe(1);
  });

  it('kms – the key cache is bounded in size and lifetime', () => {
    const clock = new ManualClock();
    const cache = new KeyCache<Buffer>({ clock, ttlMs: 1_000, maxEntries: 3 });
    for (let i = 0; i < 5; i += 1) cache.set(`k${i}`, Buffer.alloc(32, i));
    expect(cache.size).toBe(3);
    expect(cache.get('k0')).toBeUndefined();
    expect(cache.get('k4')?.[0]).toBe(4);
    clock.advance(1_000);
    expect(cache.get('k4')).toBeUndefined();
  });

  it('kms – seal and unseal a whole record; a seal moved to another record or purpose does not open', async () => {
    const { keyring } = setup();
    const sealCtx = { tenantId: 'tenant-a', recordKey: 'tenant-a/mbx-1', purpose: 'calendar.raw.v1:evt-1' };
    const sealed = await keyring.seal(sealCtx, Buffer.from('{"subject":"x"}'));
    expect((await keyring.unseal(sealCtx, sealed)).toString()).toBe('{"subject":"x"}');
    await expect(keyring.unseal({ ...sealCtx, purpose: 'calendar.raw.v1:evt-2' }, sealed)).rejects.toBeInstanceOf(DecryptFailedError);
    await expect(keyring.unseal({ ...sealCtx, recordKey: 'tenant-a/mbx-2' }, sealed)).rejects.toBeInstanceOf(DecryptFailedError);
    expect(parseEnvelope(sealed).kind).toBe(2);
  });

  it('kms – a key is never used for more encryptions than its lease reserved', async () => {
    const { keyring } = setup();
    const lease = await keyring.lease('tenant-a', 2);
    lease.encryptField(ctx(), Buffer.from('a'));
    lease.encryptField(ctx(), Buffer.from('b'));
    expect(() => lease.encryptField(ctx(), Buffer.from('c'))).toThrow(/no encryptions left/);
    expect(() => lease.seal({ tenantId: 'tenant-b', recordKey: 'x', purpose: 'p' }, Buffer.from('c'))).toThrow();
  });
});
