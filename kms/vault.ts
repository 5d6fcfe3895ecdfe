import { randomBytes } from 'node:crypto';
import type { Clock } from '../common/index.js';
import { KeyCache } from './cache.js';
import { KeyDestroyedError, KeyNotFoundError, KmsInputError } from './errors.js';
import { CipherKind, KEY_BYTES, contextAd, decryptEnvelope, encryptEnvelope, parseEnvelope } from './format.js';
import { keyFingerprint } from './master-key.js';
import type { DataKeyRef, KmsProvider } from './provider.js';
import type { StoredTenantKey, TenantKeyStore } from './tenant-key-store.js';
import { KeyedSerializer } from './serial.js';

export interface TenantKeyVaultOptions {
  readonly masterKey: Buffer;
  /** Earlier master keys, still accepted for reading until `rewrapTenantKeys` moved every KEK. */
  readonly previousMasterKeys?: readonly Buffer[];
  readonly store: TenantKeyStore;
  readonly clock: Clock;
  readonly kind?: 'cloud' | 'remote';
  readonly cacheTtlMs?: number;
  readonly cacheMaxEntries?: number;
}

function checkTenant(tenantId: string): void {
  if (typeof tenantId !== 'string' || tenantId.length === 0 || tenantId.length > 256) {
    throw new KmsInputError('A tenant id must be a non-empty string of at most 256 characters.');
  }
}

/**
 * Holds per-tenant key-encryption keys (KEKs): random 256-bit keys, stored wrapped by the master key
 * (AES-256-GCM, bound to the tenant and the KEK id), unwrapped only in memory for a bounded time.
 * It wraps and unwraps data keys; it never returns a KEK. The built-in cloud KMS is this vault over
 * MongoDB; `hycal kms serve` is this vault over a key directory behind mutual TLS.
 */
export class TenantKeyVault implements KmsProvider {
  readonly kind: 'cloud' | 'remote';
  readonly #master: Buffer;
  readonly #masterId: string;
  readonly #previous: ReadonlyMap<string, Buffer>;
  readonly #store: TenantKeyStore;
  readonly #clock: Clock;
  readonly #keks: KeyCache<Buffer>;
  readonly #serializer = new KeyedSerializer();

  constructor(options: TenantKeyVaultOptions) {
    if (options.masterKey.length !== KEY_BYTES) throw new KmsInputError('The master key must be 32 bytes.');
    this.kind = options.kind ?? 'cloud';
    this.#master = Buffer.from(options.masterKey);
    this.#masterId = keyFingerprint(this.#master);
    this.#previous = new Map((options.previousMasterKeys ?? []).map((key) => [keyFingerprint(key), Buffer.from(key)] as const));
    this.#store = options.store;
    this.#clock = options.clock;
    this.#keks = new KeyCache({ clock: options.clock, ttlMs: options.cacheTtlMs ?? 5 * 60_000, maxEntries: options.cacheMaxEntries ?? 10_000 });
  }

  #serial<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return this.#serializer.run(tenantId, fn);
  }

  async ensureTenant(tenantId: string): Promise<void> {
    checkTenant(tenantId);
    await this.#serial(tenantId, async () => {
      const existing = await this.#store.get(tenantId);
      if (existing !== null) {
        this.#assertLive(existing);
        return;
      }
      const kek = randomBytes(KEY_BYTES);
      const kekId = `kek-${randomBytes(8).toString('hex')}`;
      const wrapped = encryptEnvelope(
        { kind: CipherKind.tenantKey, key: this.#master, keyId: this.#masterId, keyVersion: 1, context: contextAd('kek', [tenantId, kekId]) },
        kek,
      );
      const stored = await this.#store.createIfAbsent({ tenantId, kekId, wrapped, createdAt: this.#clock.now(), destroyedAt: null });
      this.#assertLive(stored);
      kek.fill(0);
    });
  }

  #assertLive(stored: StoredTenantKey): asserts stored is StoredTenantKey & { wrapped: Buffer } {
    if (stored.wrapped === null || stored.destroyedAt !== null) {
      throw new KeyDestroyedError(
        `The keys of tenant ${stored.tenantId} were destroyed (offboarded, crypto-shredded); its data cannot be read or written. ` +
          'The record goes to the dead-letter topic.',
      );
    }
  }

  async #kek(tenantId: string): Promise<{ kekId: string; key: Buffer }> {
    checkTenant(tenantId);
    const cached = this.#keks.get(tenantId);
    const stored = await this.#store.get(tenantId);
    if (stored === null) {
      throw new KeyNotFoundError(`Tenant ${tenantId} has no key in this KMS; onboard the tenant (its key is created on first write).`);
    }
    this.#assertLive(stored);
    if (cached !== undefined) return { kekId: stored.kekId, key: cached };
    const key = this.#unwrapKek(tenantId, stored.kekId, stored.wrapped);
    this.#keks.set(tenantId, key);
    return { kekId: stored.kekId, key };
  }

  #unwrapKek(tenantId: string, kekId: string, wrapped: Buffer): Buffer {
    const envelope = parseEnvelope(wrapped, CipherKind.tenantKey);
    const master = envelope.keyId === this.#masterId ? this.#master : this.#previous.get(envelope.keyId);
    if (master === undefined) {
      throw new KeyNotFoundError(`The key of tenant ${tenantId} was wrapped by another master key (${envelope.keyId}); start this KMS with that master key.`);
    }
    return decryptEnvelope(envelope, master, contextAd('kek', [tenantId, kekId]));
  }

  /**
   * Master key rotation: re-wraps every live tenant key that is still wrapped by a previous master
   * key under the current one. Idempotent; afterwards the previous master keys can be retired.
   */
  async rewrapTenantKeys(): Promise<{ rewrapped: number; current: number; destroyed: number }> {
    let rewrapped = 0;
    let current = 0;
    let destroyed = 0;
    for (const tenantId of await this.#store.listTenants()) {
      await this.#serial(tenantId, async () => {
        const stored = await this.#store.get(tenantId);
        if (stored?.wrapped == null) {
          destroyed += 1;
          return;
        }
        if (parseEnvelope(stored.wrapped, CipherKind.tenantKey).keyId === this.#masterId) {
          current += 1;
          return;
        }
        const kek = this.#unwrapKek(tenantId, stored.kekId, stored.wrapped);
        const wrapped = encryptEnvelope(
          { kind: CipherKind.tenantKey, key: this.#master, keyId: this.#masterId, keyVersion: 1, context: contextAd('kek', [tenantId, stored.kekId]) },
          kek,
        );
        if (await this.#store.rewrap(tenantId, stored.wrapped, wrapped)) rewrapped += 1;
      });
    }
    return { rewrapped, current, destroyed };
  }

  async wrapDataKey(tenantId: string, ref: DataKeyRef, dataKey: Buffer): Promise<Buffer> {
    const { kekId, key } = await this.#kek(tenantId);
    return encryptEnvelope(
      { kind: CipherKind.dataKey, key, keyId: kekId, keyVersion: 1, context: contextAd('dek', [tenantId, ref.keyId, String(ref.version)]) },
      dataKey,
    );
  }

  async unwrapDataKey(tenantId: string, ref: DataKeyRef, wrapped: Buffer): Promise<Buffer> {
    const envelope = parseEnvelope(wrapped, CipherKind.dataKey);
    const { kekId, key } = await this.#kek(tenantId);
    if (envelope.keyId !== kekId) {
      throw new KeyNotFoundError(`A data key of tenant ${tenantId} was wrapped by a tenant key this KMS does not hold.`);
    }
    return decryptEnvelope(envelope, key, contextAd('dek', [tenantId, ref.keyId, String(ref.version)]));
  }

  async destroyTenant(tenantId: string): Promise<void> {
    checkTenant(tenantId);
    await this.#serial(tenantId, async () => {
      this.#keks.delete(tenantId);
      const existing = await this.#store.get(tenantId);
      if (existing === null) {
        // Leave a tombstone so a late writer cannot create a fresh key for an offboarded tenant.
        await this.#store.createIfAbsent({ tenantId, kekId: 'kek-destroyed', wrapped: null, createdAt: this.#clock.now(), destroyedAt: this.#clock.now() });
        return;
      }
      await this.#store.destroy(tenantId, this.#clock.now());
    });
  }

  close(): Promise<void> {
    this.#keks.clear();
    this.#master.fill(0);
    for (const key of this.#previous.values()) key.fill(0);
    return Promise.resolve();
  }
}
