import { Binary, type Collection, type Db } from 'mongodb';
import { KmsUnavailableError } from './errors.js';

/** A tenant's chain of data keys: which KMS wraps them and which version new writes use. */
export interface KeychainRecord {
  readonly tenantId: string;
  /** Random id of the chain; every ciphertext names it, so a foreign ciphertext is recognised. */
  readonly keyId: string;
  readonly provider: 'cloud' | 'remote';
  /** Version new writes use; 0 before the first data key exists. */
  readonly current: number;
  readonly createdAt: number;
  readonly destroyedAt: number | null;
}

export interface DataKeyRecord {
  readonly tenantId: string;
  readonly keyId: string;
  readonly version: number;
  /** The data key wrapped by the tenant's KEK (kms format, kind 3). */
  readonly wrapped: Buffer;
  readonly createdAt: number;
  /** Most encryptions under this key (fixed when it is created, so every process applies the same bound). */
  readonly maxUses: number;
  /** Encryptions per reserved block; the key has floor(maxUses / blockSize) blocks. */
  readonly blockSize: number;
  /** At least this many encryptions were reserved (informational; the claims are authoritative). */
  readonly usesReserved: number;
}

/**
 * Where wrapped data keys live (MongoDB in the service). Only `_id` equality is needed for hot
 * paths (FerretDB pushes down nothing else).
 */
export interface DataKeyStore {
  getChain(tenantId: string): Promise<KeychainRecord | null>;
  /** Inserts the chain unless one exists; returns the stored chain. */
  createChain(chain: KeychainRecord): Promise<KeychainRecord>;
  /** Moves `current` from `from` to `to` if it is still `from` (compare-and-set). */
  advanceChain(tenantId: string, from: number, to: number): Promise<void>;
  destroyChain(tenantId: string, at: number): Promise<void>;
  getKey(keyId: string, version: number): Promise<DataKeyRecord | null>;
  /** Inserts unless the version exists (another process rotated first); never overwrites. */
  createKey(key: DataKeyRecord): Promise<void>;
  /**
   * Claims one block of `key.blockSize` encryptions under the key: the lowest free block index at
   * or above `fromIndex` (or found by search when undefined). Claims are unique inserts (the one
   * operation FerretDB makes atomic), so no two processes ever hold the same block. Null when
   * every block is taken (the key is used up).
   */
  claimBlock(key: DataKeyRecord, fromIndex?: number): Promise<number | null>;
  listKeys(tenantId: string): Promise<DataKeyRecord[]>;
  /** Deletes every wrapped data key (and use claim) of the tenant; returns how many keys. */
  deleteKeys(tenantId: string): Promise<number>;
}

interface ChainDocument {
  _id: string;
  keyId: string;
  provider: 'cloud' | 'remote';
  current: number;
  createdAt: number;
  destroyedAt: number | null;
}

interface KeyDocument {
  _id: string;
  tenantId: string;
  keyId: string;
  version: number;
  wrapped: Binary;
  createdAt: number;
  maxUses: number;
  blockSize: number;
  usesReserved: number;
}

interface ClaimDocument {
  _id: string;
  tenantId: string;
}

export function blocksOf(key: Pick<DataKeyRecord, 'maxUses' | 'blockSize'>): number {
  return Math.floor(key.maxUses / key.blockSize);
}

function dataKeyId(keyId: string, version: number): string {
  return `${keyId}#${version}`;
}

async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new KmsUnavailableError(`The key store (MongoDB) is unavailable while ${what}; the work waits and is retried.`, { cause: error });
  }
}

function isDuplicate(error: unknown): boolean {
  return (error as { code?: number }).code === 11000;
}

/** Wrapped data keys in MongoDB: `kms_keychains` (one per tenant) and `kms_data_keys`. */
export class MongoDataKeyStore implements DataKeyStore {
  readonly #chains: Collection<ChainDocument>;
  readonly #keys: Collection<KeyDocument>;
  readonly #claims: Collection<ClaimDocument>;

  constructor(db: Db) {
    this.#chains = db.collection<ChainDocument>('kms_keychains');
    this.#keys = db.collection<KeyDocument>('kms_data_keys');
    this.#claims = db.collection<ClaimDocument>('kms_data_key_claims');
  }

  static #chain(doc: ChainDocument): KeychainRecord {
    return { tenantId: doc._id, keyId: doc.keyId, provider: doc.provider, current: doc.current, createdAt: doc.createdAt, destroyedAt: doc.destroyedAt };
  }

  static #key(doc: KeyDocument): DataKeyRecord {
    return {
      tenantId: doc.tenantId,
      keyId: doc.keyId,
      version: doc.version,
      wrapped: Buffer.from(doc.wrapped.buffer),
      createdAt: doc.createdAt,
      maxUses: doc.maxUses,
      blockSize: doc.blockSize,
      usesReserved: doc.usesReserved,
    };
  }

  getChain(tenantId: string): Promise<KeychainRecord | null> {
    return guard('reading a keychain', async () => {
      const doc = await this.#chains.findOne({ _id: tenantId });
      return doc === null ? null : MongoDataKeyStore.#chain(doc);
    });
  }

  async createChain(chain: KeychainRecord): Promise<KeychainRecord> {
    const inserted = await guard('creating a keychain', async () => {
      try {
        await this.#chains.insertOne({
          _id: chain.tenantId,
          keyId: chain.keyId,
          provider: chain.provider,
          current: chain.current,
          createdAt: chain.createdAt,
          destroyedAt: chain.destroyedAt,
        });
        return true;
      } catch (error) {
        if (isDuplicate(error)) return false;
        throw error;
      }
    });
    if (inserted) return chain;
    const existing = await this.getChain(chain.tenantId);
    if (existing === null) throw new KmsUnavailableError('A keychain vanished while it was created; retried.');
    return existing;
  }

  async advanceChain(tenantId: string, from: number, to: number): Promise<void> {
    await guard('rotating a data key', () => this.#chains.updateOne({ _id: tenantId, current: from }, { $set: { current: to } }));
  }

  async destroyChain(tenantId: string, at: number): Promise<void> {
    await guard('destroying a keychain', () =>
      this.#chains.updateOne(
        { _id: tenantId },
        { $set: { destroyedAt: at }, $setOnInsert: { keyId: 'destroyed', provider: 'cloud', current: 0, createdAt: at } },
        { upsert: true },
      ),
    );
  }

  getKey(keyId: string, version: number): Promise<DataKeyRecord | null> {
    return guard('reading a data key', async () => {
      const doc = await this.#keys.findOne({ _id: dataKeyId(keyId, version) });
      return doc === null ? null : MongoDataKeyStore.#key(doc);
    });
  }

  async createKey(key: DataKeyRecord): Promise<void> {
    await guard('storing a data key', async () => {
      try {
        await this.#keys.insertOne({
          _id: dataKeyId(key.keyId, key.version),
          tenantId: key.tenantId,
          keyId: key.keyId,
          version: key.version,
          wrapped: new Binary(key.wrapped),
          createdAt: key.createdAt,
          maxUses: key.maxUses,
          blockSize: key.blockSize,
          usesReserved: key.usesReserved,
        });
      } catch (error) {
        if (!isDuplicate(error)) throw error;
      }
    });
  }

  async #claimed(key: DataKeyRecord, index: number): Promise<boolean> {
    return (await this.#claims.findOne({ _id: `${dataKeyId(key.keyId, key.version)}#${index}` })) !== null;
  }

  /** Lowest unclaimed index, by galloping then binary search over `_id` lookups (claims are dense from 0). */
  async #firstFree(key: DataKeyRecord, blocks: number): Promise<number> {
    if (!(await this.#claimed(key, 0))) return 0;
    let taken = 0;
    let probe = 1;
    while (probe < blocks && (await this.#claimed(key, probe))) {
      taken = probe;
      probe *= 2;
    }
    let free = Math.min(probe, blocks);
    while (free - taken > 1) {
      const mid = Math.floor((taken + free) / 2);
      if (await this.#claimed(key, mid)) taken = mid;
      else free = mid;
    }
    return free;
  }

  claimBlock(key: DataKeyRecord, fromIndex?: number): Promise<number | null> {
    return guard('reserving data key uses', async () => {
      const blocks = blocksOf(key);
      for (let index = fromIndex ?? (await this.#firstFree(key, blocks)); index < blocks; index += 1) {
        try {
          await this.#claims.insertOne({ _id: `${dataKeyId(key.keyId, key.version)}#${index}`, tenantId: key.tenantId });
        } catch (error) {
          if (isDuplicate(error)) continue;
          throw error;
        }
        // Informational only (not atomic on FerretDB): the unique claims are what bound the uses.
        await this.#keys.updateOne({ _id: dataKeyId(key.keyId, key.version) }, { $max: { usesReserved: (index + 1) * key.blockSize } });
        return index;
      }
      return null;
    });
  }

  listKeys(tenantId: string): Promise<DataKeyRecord[]> {
    return guard('listing data keys', async () =>
      (await this.#keys.find({ tenantId }).toArray()).map((doc) => MongoDataKeyStore.#key(doc)).sort((a, b) => a.version - b.version),
    );
  }

  deleteKeys(tenantId: string): Promise<number> {
    return guard('deleting data keys', async () => {
      const deleted = (await this.#keys.deleteMany({ tenantId })).deletedCount;
      await this.#claims.deleteMany({ tenantId });
      return deleted;
    });
  }
}
