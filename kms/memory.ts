import { blocksOf, type DataKeyRecord, type DataKeyStore, type KeychainRecord } from './data-key-store.js';
import type { StoredTenantKey, TenantKeyStore } from './tenant-key-store.js';

/**
 * Process-local key stores for unit tests and benchmarks only (keys vanish with the process). The
 * service uses the MongoDB stores; integration tests exercise those against the real stack.
 */
export class MemoryTenantKeyStore implements TenantKeyStore {
  readonly #records = new Map<string, StoredTenantKey>();

  get(tenantId: string): Promise<StoredTenantKey | null> {
    return Promise.resolve(this.#records.get(tenantId) ?? null);
  }

  createIfAbsent(record: StoredTenantKey): Promise<StoredTenantKey> {
    const existing = this.#records.get(record.tenantId);
    if (existing !== undefined) return Promise.resolve(existing);
    this.#records.set(record.tenantId, record);
    return Promise.resolve(record);
  }

  destroy(tenantId: string, at: number): Promise<void> {
    const existing = this.#records.get(tenantId);
    if (existing !== undefined) this.#records.set(tenantId, { ...existing, wrapped: null, destroyedAt: at });
    return Promise.resolve();
  }

  listTenants(): Promise<string[]> {
    return Promise.resolve([...this.#records.keys()]);
  }

  rewrap(tenantId: string, expected: Buffer, wrapped: Buffer): Promise<boolean> {
    const existing = this.#records.get(tenantId);
    if (existing?.wrapped == null || !existing.wrapped.equals(expected)) return Promise.resolve(false);
    this.#records.set(tenantId, { ...existing, wrapped });
    return Promise.resolve(true);
  }
}

export class MemoryDataKeyStore implements DataKeyStore {
  readonly #chains = new Map<string, KeychainRecord>();
  readonly #keys = new Map<string, DataKeyRecord>();
  readonly #claims = new Set<string>();

  getChain(tenantId: string): Promise<KeychainRecord | null> {
    return Promise.resolve(this.#chains.get(tenantId) ?? null);
  }

  createChain(chain: KeychainRecord): Promise<KeychainRecord> {
    const existing = this.#chains.get(chain.tenantId);
    if (existing !== undefined) return Promise.resolve(existing);
    this.#chains.set(chain.tenantId, chain);
    return Promise.resolve(chain);
  }

  advanceChain(tenantId: string, from: number, to: number): Promise<void> {
    const chain = this.#chains.get(tenantId);
    if (chain?.current === from) this.#chains.set(tenantId, { ...chain, current: to });
    return Promise.resolve();
  }

  destroyChain(tenantId: string, at: number): Promise<void> {
    const chain = this.#chains.get(tenantId);
    this.#chains.set(tenantId, chain === undefined
      ? { tenantId, keyId: 'destroyed', provider: 'cloud', current: 0, createdAt: at, destroyedAt: at }
      : { ...chain, destroyedAt: at });
    return Promise.resolve();
  }

  getKey(keyId: string, version: number): Promise<DataKeyRecord | null> {
    return Promise.resolve(this.#keys.get(`${keyId}#${version}`) ?? null);
  }

  createKey(key: DataKeyRecord): Promise<void> {
    const id = `${key.keyId}#${key.version}`;
    if (!this.#keys.has(id)) this.#keys.set(id, key);
    return Promise.resolve();
  }

  claimBlock(key: DataKeyRecord, fromIndex?: number): Promise<number | null> {
    const id = `${key.keyId}#${key.version}`;
    for (let index = fromIndex ?? 0; index < blocksOf(key); index += 1) {
      if (this.#claims.has(`${id}#${index}`)) continue;
      this.#claims.add(`${id}#${index}`);
      const stored = this.#keys.get(id);
      if (stored !== undefined) this.#keys.set(id, { ...stored, usesReserved: Math.max(stored.usesReserved, (index + 1) * key.blockSize) });
      return Promise.resolve(index);
    }
    return Promise.resolve(null);
  }

  listKeys(tenantId: string): Promise<DataKeyRecord[]> {
    return Promise.resolve([...this.#keys.values()].filter((key) => key.tenantId === tenantId).sort((a, b) => a.version - b.version));
  }

  deleteKeys(tenantId: string): Promise<number> {
    let count = 0;
    for (const [id, key] of this.#keys) {
      if (key.tenantId === tenantId) {
        this.#keys.delete(id);
        for (const claim of [...this.#claims]) if (claim.startsWith(`${id}#`)) this.#claims.delete(claim);
        count += 1;
      }
    }
    return Promise.resolve(count);
  }
}
