import type { DataKeyRecord, DataKeyStore, KeychainRecord } from './data-key-store.js';
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
}

export class MemoryDataKeyStore implements DataKeyStore {
  readonly #chains = new Map<string, KeychainRecord>();
  readonly #keys = new Map<string, DataKeyRecord>();

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

  reserve(keyId: string, version: number, uses: number, maxUses: number): Promise<boolean> {
    const id = `${keyId}#${version}`;
    const key = this.#keys.get(id);
    if (key === undefined || key.usesReserved > maxUses - uses) return Promise.resolve(false);
    this.#keys.set(id, { ...key, usesReserved: key.usesReserved + uses });
    return Promise.resolve(true);
  }

  listKeys(tenantId: string): Promise<DataKeyRecord[]> {
    return Promise.resolve([...this.#keys.values()].filter((key) => key.tenantId === tenantId).sort((a, b) => a.version - b.version));
  }

  deleteKeys(tenantId: string): Promise<number> {
    let count = 0;
    for (const [id, key] of this.#keys) {
      if (key.tenantId === tenantId) {
        this.#keys.delete(id);
        count += 1;
      }
    }
    return Promise.resolve(count);
  }
}
