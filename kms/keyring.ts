import { randomBytes } from 'node:crypto';
import type { Clock } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { retry, silentLogger } from '../common/index.js';
import { KeyCache } from './cache.js';
import type { DataKeyRecord, DataKeyStore, KeychainRecord } from './data-key-store.js';
import { KeyDestroyedError, KeyNotFoundError, KmsInputError, KmsUnavailableError } from './errors.js';
import { CipherKind, FieldAdBuilder, KEY_BYTES, contextAd, contextAdAfter, decryptEnvelope, decryptEnvelopeWithAd, encryptEnvelope, parseEnvelope, type Envelope } from './format.js';
import { withDefaults, type KmsOptions, type KmsOptionsInput } from './options.js';
import type { KmsProvider } from './provider.js';
import { KeyedSerializer } from './serial.js';

/** Where an encrypted field belongs: the associated data binds all four. */
/** Which data key, and which version of it, encrypted a value (kms/'s own; records carry the same shape). */
export interface KeyRef {
  keyId: string;
  version: number;
}

export interface FieldContext {
  readonly tenantId: string;
  /** The Kafka record key (tenantId/mailboxId). */
  readonly recordKey: string;
  /** The entity inside the record (the meeting id). */
  readonly entityId: string;
  /** The field name (subject, body, ...). */
  readonly field: string;
}

/** Where a sealed record belongs: tenant, record key and purpose (topic and event id). */
export interface SealContext {
  readonly tenantId: string;
  readonly recordKey: string;
  readonly purpose: string;
  /**
   * The record's plaintext metadata (change type, source, fetch time) bound into the associated
   * data: a seal then opens only with the metadata it was made with (ciphertext kind 5, label
   * `hycal/seal-meta/v1`). Absent: the version 1 seal (kind 2), kept readable.
   */
  readonly metadata?: readonly string[];
}

function fieldParts(ctx: FieldContext): string[] {
  return [ctx.tenantId, ctx.recordKey, ctx.entityId, ctx.field];
}

export function fieldAd(ctx: FieldContext): Buffer {
  return contextAd('field', fieldParts(ctx));
}

export function sealAd(ctx: SealContext): Buffer {
  if (ctx.metadata !== undefined) return contextAd('seal-meta', [ctx.tenantId, ctx.recordKey, ctx.purpose, ...ctx.metadata]);
  return contextAd('seal', [ctx.tenantId, ctx.recordKey, ctx.purpose]);
}

function sealKind(ctx: SealContext): CipherKind {
  return ctx.metadata === undefined ? CipherKind.sealed : CipherKind.sealedWithMetadata;
}

/**
 * A bounded number of encryptions under one data key version, reserved up front from the shared
 * counter. Every ciphertext made through one lease carries the same key reference.
 */
export interface EncryptionLease {
  readonly ref: KeyRef;
  encryptField(ctx: FieldContext, plaintext: Uint8Array): Buffer;
  seal(ctx: SealContext, plaintext: Uint8Array): Buffer;
}

interface ActiveKey {
  readonly ref: KeyRef;
  readonly key: Buffer;
  remaining: number;
  readonly validUntil: number;
}

/** Counters the keyring reports (the service maps them to Prometheus; names are stable). */
export interface KmsMetrics {
  increment(name: 'kms_data_keys_created_total' | 'kms_key_unwraps_total' | 'kms_unavailable_total', labels?: Record<string, string>): void;
}

export interface KeyringDeps {
  readonly store: DataKeyStore;
  readonly providers: { readonly cloud?: KmsProvider; readonly remote?: KmsProvider };
  readonly clock: Clock;
  /** Validated options (the configuration's `kms` section); what is left out takes its default. */
  readonly options?: KmsOptionsInput;
  readonly logger?: Logger;
  readonly metrics?: KmsMetrics;
}

function checkContext(tenantId: string): void {
  // eslint-disable-next-line no-control-regex
  if (typeof tenantId !== 'string' || tenantId.length === 0 || tenantId.length > 256 || /[\u0000-\u001f]/.test(tenantId)) {
    throw new KmsInputError('A tenant id must be 1-256 characters without control characters.');
  }
}

/**
 * Envelope encryption for the service. Each tenant has a chain of data keys (DEKs, AES-256,
 * versioned), each wrapped by the tenant's KEK in its KMS (cloud or on-premises). New writes use
 * the chain's current version; any version stays readable until the tenant is shredded.
 *
 * Nonces are random 96-bit values; a data key is used for at most `dataKeyMaxUses` encryptions
 * (default 2^30, never above 2^32: NIST SP 800-38D's bound for random nonces), counted by blocks
 * that processes claim with unique inserts in the key store (no two processes share a block), and for at most
 * `dataKeyMaxAgeMs`. Either bound reached ⇒ a new version is created (rotation) automatically.
 *
 * Unwrapped data keys are cached for `cacheTtlMs` (bounded count). The KMS or key store being
 * down raises `KmsUnavailableError` (retryable); nothing here ever returns or stores plaintext in
 * place of a ciphertext.
 */
export class Keyring {
  readonly #store: DataKeyStore;
  readonly #providers: KeyringDeps['providers'];
  readonly #clock: Clock;
  readonly #options: KmsOptions;
  readonly #logger: Logger;
  readonly #metrics: KmsMetrics | undefined;
  readonly #dataKeys: KeyCache<Buffer>;
  // Every per-tenant map is bounded (cacheMaxEntries, least recently used first) and expires
  // (cacheTtlMs): a process serving many tenants over time does not grow without bound.
  readonly #active: KeyCache<ActiveKey>;
  readonly #chains: KeyCache<KeychainRecord>;
  readonly #serializer = new KeyedSerializer();
  /** Next block index to try per data key (claims are dense, so this saves lookups). */
  readonly #claimHints: KeyCache<number>;
  /** Data keys being looked up for decryption: concurrent reads of a cold key share one lookup. */
  readonly #keyLoads = new Map<string, Promise<Buffer>>();

  constructor(deps: KeyringDeps) {
    this.#store = deps.store;
    this.#providers = deps.providers;
    this.#clock = deps.clock;
    this.#options = withDefaults(deps.options);
    this.#logger = deps.logger ?? silentLogger;
    this.#metrics = deps.metrics;
    const bounds = { clock: deps.clock, ttlMs: this.#options.cacheTtlMs, maxEntries: this.#options.cacheMaxEntries };
    this.#dataKeys = new KeyCache(bounds);
    this.#active = new KeyCache(bounds);
    this.#chains = new KeyCache(bounds);
    this.#claimHints = new KeyCache(bounds);
  }

  get options(): KmsOptions {
    return this.#options;
  }

  #serial<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return this.#serializer.run(tenantId, fn);
  }

  #providerNamed(kind: 'cloud' | 'remote'): KmsProvider {
    const provider = this.#providers[kind];
    if (provider === undefined) {
      throw new KmsUnavailableError(`The ${kind} KMS is not configured in this process; configure it (kms.${kind === 'remote' ? 'remote' : 'masterKeyFile'}) and restart.`);
    }
    return provider;
  }

  /** Which KMS a new tenant's keys go to (existing tenants keep the one recorded in their chain). */
  configuredProvider(tenantId: string): 'cloud' | 'remote' {
    return this.#options.tenantProviders[tenantId] ?? this.#options.defaultProvider;
  }

  async #loadChain(tenantId: string, create: boolean): Promise<KeychainRecord> {
    const cached = this.#chains.get(tenantId);
    if (cached !== undefined) return cached;
    let chain = await this.#store.getChain(tenantId);
    if (chain === null) {
      if (!create) throw new KeyNotFoundError(`Tenant ${tenantId} has no keys yet, so nothing of it can be decrypted.`);
      const kind = this.configuredProvider(tenantId);
      await this.#providerNamed(kind).ensureTenant(tenantId);
      chain = await this.#store.createChain({
        tenantId,
        keyId: `dk-${randomBytes(8).toString('hex')}`,
        provider: kind,
        current: 0,
        createdAt: this.#clock.now(),
        destroyedAt: null,
      });
    }
    if (chain.destroyedAt !== null) {
      this.#forget(tenantId);
      throw new KeyDestroyedError(`The keys of tenant ${tenantId} were destroyed (offboarded); its data is unreadable. The record goes to the dead-letter topic.`);
    }
    this.#chains.set(tenantId, chain);
    return chain;
  }

  #forget(tenantId: string): void {
    this.#active.delete(tenantId);
    this.#chains.delete(tenantId);
    this.#dataKeys.deletePrefix(`${tenantId}\u0000`);
    this.#claimHints.deletePrefix(`${tenantId}\u0000`);
  }

  async #createVersion(chain: KeychainRecord, version: number): Promise<void> {
    const dataKey = randomBytes(KEY_BYTES);
    const ref = { keyId: chain.keyId, version };
    const wrapped = await this.#counted(chain.provider, () => this.#providerNamed(chain.provider).wrapDataKey(chain.tenantId, ref, dataKey));
    this.#metrics?.increment('kms_data_keys_created_total', { provider: chain.provider });
    const maxUses = this.#options.dataKeyMaxUses;
    await this.#store.createKey({
      tenantId: chain.tenantId,
      keyId: chain.keyId,
      version,
      wrapped,
      createdAt: this.#clock.now(),
      maxUses,
      blockSize: Math.min(this.#options.reserveBlock, maxUses),
      usesReserved: 0,
    });
    this.#logger.info({ tenantId: chain.tenantId, keyId: chain.keyId, keyVersion: version }, 'kms: created data key version');
  }

  /** Moves the chain to a new data key version (if nobody did yet) and returns the fresh chain. */
  async #rotateFrom(chain: KeychainRecord, from: number): Promise<KeychainRecord> {
    await this.#createVersion(chain, from + 1);
    await this.#store.advanceChain(chain.tenantId, from, from + 1);
    this.#chains.delete(chain.tenantId);
    return this.#loadChain(chain.tenantId, false);
  }

  /** Counts KMS outages (the error itself propagates unchanged). */
  async #counted<T>(provider: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof KmsUnavailableError) this.#metrics?.increment('kms_unavailable_total', { provider });
      throw error;
    }
  }

  async #unwrap(tenantId: string, chain: KeychainRecord, record: DataKeyRecord): Promise<Buffer> {
    const cacheKey = `${tenantId}\u0000${record.keyId}#${record.version}`;
    const cached = this.#dataKeys.get(cacheKey);
    if (cached !== undefined) return cached;
    const key = await this.#counted(chain.provider, () =>
      this.#providerNamed(chain.provider).unwrapDataKey(tenantId, { keyId: record.keyId, version: record.version }, record.wrapped),
    );
    this.#metrics?.increment('kms_key_unwraps_total', { provider: chain.provider });
    this.#dataKeys.set(cacheKey, key);
    return key;
  }

  /**
   * Finds (or makes) a data key version with `uses` encryptions left to reserve. Another server
   * may rotate or drain the same chain meanwhile: each such step is one attempt (at most 16, no
   * wait between them: the chain read again is the progress).
   */
  async #refill(tenantId: string, uses: number): Promise<ActiveKey> {
    const maxAge = this.#options.dataKeyMaxAgeMs;
    let chain = await this.#loadChain(tenantId, true);
    const attempt = async (): Promise<ActiveKey> => {
      const version = chain.current;
      if (version === 0) {
        chain = await this.#rotateFrom(chain, 0);
        throw new ChainMoved();
      }
      const record = await this.#store.getKey(chain.keyId, version);
      if (record === null) {
        // A rotation was interrupted between storing the chain and the key: finish it.
        await this.#createVersion(chain, version);
        throw new ChainMoved();
      }
      const tooOld = this.#clock.now() - record.createdAt >= maxAge;
      let reserved = 0;
      let key: Buffer | undefined;
      if (!tooOld) {
        // Unwrap first: if the KMS is down, no block is claimed (and wasted) by this attempt.
        key = await this.#unwrap(tenantId, chain, record);
        const hintKey = `${tenantId}\u0000${record.keyId}#${version}`;
        let hint = this.#claimHints.get(hintKey);
        while (reserved < uses) {
          const index = await this.#store.claimBlock(record, hint);
          if (index === null) break;
          hint = index + 1;
          reserved += record.blockSize;
        }
        if (hint !== undefined) this.#claimHints.set(hintKey, hint);
      }
      if (key !== undefined && reserved >= uses) {
        return { ref: { keyId: chain.keyId, version }, key, remaining: reserved, validUntil: this.#clock.now() + this.#options.cacheTtlMs };
      }
      this.#logger.info({ tenantId, keyId: chain.keyId, keyVersion: version, reason: tooOld ? 'age' : 'uses' }, 'kms: rotating data key');
      chain = await this.#rotateFrom(chain, version);
      throw new ChainMoved();
    };
    try {
      return await retry(attempt, { attempts: 16, delayMs: () => 0, retryIf: (error) => error instanceof ChainMoved });
    } catch (error) {
      if (!(error instanceof ChainMoved)) throw error;
      throw new KmsUnavailableError(`Could not reserve a data key for tenant ${tenantId} (rotation contention); retried.`);
    }
  }

  /** Reserves `uses` encryptions under the tenant's current data key (creating keys on first use). */
  async lease(tenantId: string, uses: number): Promise<EncryptionLease> {
    checkContext(tenantId);
    if (!Number.isInteger(uses) || uses < 1 || uses > this.#options.dataKeyMaxUses) {
      throw new KmsInputError(`A lease needs 1..${this.#options.dataKeyMaxUses} encryptions.`);
    }
    const take = (active: ActiveKey | undefined): ActiveKey | undefined => {
      if (active === undefined || active.remaining < uses || this.#clock.now() >= active.validUntil) return undefined;
      active.remaining -= uses;
      return active;
    };
    let active = take(this.#active.get(tenantId));
    active ??= await this.#serial(tenantId, async () => {
      const again = take(this.#active.get(tenantId));
      if (again !== undefined) return again;
      const fresh = await this.#refill(tenantId, uses);
      fresh.remaining -= uses;
      this.#active.set(tenantId, fresh);
      return fresh;
    });
    return makeLease(tenantId, active.ref, active.key, uses);
  }

  /** The key reference new writes of the tenant use now. */
  async currentRef(tenantId: string): Promise<KeyRef> {
    const chain = await this.#loadChain(tenantId, true);
    return { keyId: chain.keyId, version: chain.current };
  }

  /** The data key when both the tenant's chain and the key are cached and live (no await). */
  #cachedKey(tenantId: string, envelope: Envelope): Buffer | undefined {
    const chain = this.#chains.get(tenantId);
    if (chain === undefined || chain.keyId !== envelope.keyId) return undefined;
    return this.#dataKeys.get(`${tenantId}\u0000${envelope.keyId}#${envelope.keyVersion}`);
  }

  #decryptionKey(tenantId: string, envelope: Envelope): Promise<Buffer> {
    const cacheKey = `${tenantId}\u0000${envelope.keyId}#${envelope.keyVersion}`;
    const inFlight = this.#keyLoads.get(cacheKey);
    if (inFlight !== undefined) return inFlight;
    const load = this.#loadDecryptionKey(tenantId, envelope, cacheKey).finally(() => this.#keyLoads.delete(cacheKey));
    this.#keyLoads.set(cacheKey, load);
    return load;
  }

  async #loadDecryptionKey(tenantId: string, envelope: Envelope, cacheKey: string): Promise<Buffer> {
    const cached = this.#dataKeys.get(cacheKey);
    const chain = await this.#loadChain(tenantId, false);
    if (cached !== undefined) return cached;
    if (envelope.keyId !== chain.keyId) {
      throw new KeyNotFoundError(`The ciphertext was made with key ${envelope.keyId}, which is not a key of tenant ${tenantId} (foreign ciphertext).`);
    }
    const record = await this.#store.getKey(envelope.keyId, envelope.keyVersion);
    if (record?.tenantId !== tenantId) {
      throw new KeyNotFoundError(`Tenant ${tenantId} has no data key ${envelope.keyId} version ${envelope.keyVersion}.`);
    }
    return this.#unwrap(tenantId, chain, record);
  }

  async encryptField(ctx: FieldContext, plaintext: Uint8Array): Promise<Buffer> {
    return (await this.lease(ctx.tenantId, 1)).encryptField(ctx, plaintext);
  }

  async decryptField(ctx: FieldContext, ciphertext: Uint8Array): Promise<Buffer> {
    checkContext(ctx.tenantId);
    const envelope = parseEnvelope(ciphertext, CipherKind.field);
    const key = this.#cachedKey(ctx.tenantId, envelope) ?? (await this.#decryptionKey(ctx.tenantId, envelope));
    return openField(envelope, key, ctx);
  }

  /**
   * Opens many fields of one tenant at once (a meeting list): each data key is looked up once and
   * every field is opened in one synchronous pass when the keys are cached. Same checks as
   * `decryptField` for each field (kind, key of the tenant, associated data); the first failure
   * rejects the whole batch.
   */
  async decryptFields(tenantId: string, fields: readonly { readonly ctx: Omit<FieldContext, 'tenantId'>; readonly ciphertext: Uint8Array }[]): Promise<Buffer[]> {
    checkContext(tenantId);
    const envelopes = fields.map((f) => parseEnvelope(f.ciphertext, CipherKind.field));
    const keys = new Map<string, Buffer>();
    for (const envelope of envelopes) {
      const ref = `${envelope.keyId}#${envelope.keyVersion}`;
      if (keys.has(ref)) continue;
      keys.set(ref, this.#cachedKey(tenantId, envelope) ?? (await this.#decryptionKey(tenantId, envelope)));
    }
    const ads = new FieldAdBuilder(tenantId);
    return envelopes.map((envelope, i) => {
      const { recordKey, entityId, field } = fields[i]!.ctx;
      return decryptEnvelopeWithAd(envelope, keys.get(`${envelope.keyId}#${envelope.keyVersion}`)!, ads.build(envelope.header, recordKey, entityId, field));
    });
  }

  /** Whole-record sealing (connector side). */
  async seal(ctx: SealContext, plaintext: Uint8Array): Promise<Buffer> {
    return (await this.lease(ctx.tenantId, 1)).seal(ctx, plaintext);
  }

  /** Unsealing (processor side): the plaintext exists in memory only. */
  async unseal(ctx: SealContext, sealed: Uint8Array): Promise<Buffer> {
    checkContext(ctx.tenantId);
    const envelope = parseEnvelope(sealed, sealKind(ctx));
    const key = this.#cachedKey(ctx.tenantId, envelope) ?? (await this.#decryptionKey(ctx.tenantId, envelope));
    return decryptEnvelope(envelope, key, sealAd(ctx));
  }

  /** Key reference of a ciphertext without decrypting it. */
  static keyRefOf(ciphertext: Uint8Array): KeyRef {
    const envelope = parseEnvelope(ciphertext);
    return { keyId: envelope.keyId, version: envelope.keyVersion };
  }

  /** Rotation on demand: new writes use a new data key version; older versions stay readable. */
  async rotate(tenantId: string): Promise<KeyRef> {
    checkContext(tenantId);
    return this.#serial(tenantId, async () => {
      this.#chains.delete(tenantId);
      const chain = await this.#loadChain(tenantId, true);
      const next = await this.#rotateFrom(chain, chain.current);
      this.#active.delete(tenantId);
      return { keyId: next.keyId, version: next.current };
    });
  }

  /** Data key versions of a tenant (no key material). */
  async versions(tenantId: string): Promise<{ keyId: string; version: number; createdAt: number; usesReserved: number }[]> {
    return (await this.#store.listKeys(tenantId)).map(({ keyId, version, createdAt, usesReserved }) => ({ keyId, version, createdAt, usesReserved }));
  }

  /**
   * Crypto-shredding: destroys the tenant's KEK in its KMS, deletes its wrapped data keys and marks
   * its chain destroyed. Every ciphertext of the tenant (views, topics, dead letters) becomes
   * unreadable for good. Other processes lose access when their caches expire (`cacheTtlMs`).
   */
  async shred(tenantId: string): Promise<{ dataKeysDeleted: number }> {
    checkContext(tenantId);
    return this.#serial(tenantId, async () => {
      const chain = await this.#store.getChain(tenantId);
      const kind = chain?.provider ?? this.configuredProvider(tenantId);
      await this.#providerNamed(kind).destroyTenant(tenantId);
      const dataKeysDeleted = await this.#store.deleteKeys(tenantId);
      await this.#store.destroyChain(tenantId, this.#clock.now());
      this.#forget(tenantId);
      this.#logger.warn({ tenantId, dataKeysDeleted }, 'kms: tenant keys destroyed (crypto-shredded)');
      return { dataKeysDeleted };
    });
  }

  /** Entries held per in-memory map (for metrics and tests); each is at most `cacheMaxEntries`. */
  cacheSizes(): { dataKeys: number; activeKeys: number; chains: number; claimHints: number } {
    return { dataKeys: this.#dataKeys.size, activeKeys: this.#active.size, chains: this.#chains.size, claimHints: this.#claimHints.size };
  }

  /** Drops every cached key (e.g. at shutdown). */
  clearCaches(): void {
    this.#active.clear();
    this.#chains.clear();
    this.#dataKeys.clear();
    this.#claimHints.clear();
  }
}

/** The field's associated data (header ‖ `fieldAd(ctx)`) built in one allocation, then GCM. */
function openField(envelope: Envelope, key: Buffer, ctx: FieldContext): Buffer {
  return decryptEnvelopeWithAd(envelope, key, contextAdAfter(envelope.header, 'field', fieldParts(ctx)));
}

function makeLease(tenantId: string, ref: KeyRef, key: Buffer, uses: number): EncryptionLease {
  let left = uses;
  const spend = (ctxTenant: string): void => {
    if (ctxTenant !== tenantId) throw new KmsInputError('A lease encrypts only for the tenant it was taken for.');
    if (left <= 0) throw new KmsInputError('The lease has no encryptions left; take a lease for as many fields as you encrypt.');
    left -= 1;
  };
  return {
    ref,
    encryptField(ctx, plaintext) {
      spend(ctx.tenantId);
      return encryptEnvelope({ kind: CipherKind.field, key, keyId: ref.keyId, keyVersion: ref.version, context: fieldAd(ctx) }, plaintext);
    },
    seal(ctx, plaintext) {
      spend(ctx.tenantId);
      return encryptEnvelope({ kind: sealKind(ctx), key, keyId: ref.keyId, keyVersion: ref.version, context: sealAd(ctx) }, plaintext);
    },
  };
}

/** A refill attempt moved the key chain on (rotated, or finished a rotation): the next attempt reads it again. */
class ChainMoved extends Error {}
