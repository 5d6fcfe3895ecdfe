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
  /** Encryptions reserved so far by all processes (an upper bound of the encryptions done). */
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
  /** Atomically adds `uses` to the counter if it stays ≤ maxUses; false when the key is used up. */
  reserve(keyId: string, version: number, uses: number, maxUses: number): Promise<boolean>;
  listKeys(tenantId: string): Promise<DataKeyRecord[]>;
  /** Deletes every wrapped data key of the tenant; returns how many. */
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
  usesReserved: number;
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

  constructor(db: Db) {
    this.#chains = db.collection<ChainDocument>('kms_keychains');
    this.#keys = db.collection<KeyDocument>('kms_data_keys');
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
          usesReserved: key.usesReserved,
        });
      } catch (error) {
        if (!isDuplicate(error)) throw error;
      }
    });
  }

  reserve(keyId: string, version: number, uses: number, maxUses: number): Promise<boolean> {
    return guard('reserving data key uses', async () => {
      const result = await this.#keys.updateOne(
        { _id: dataKeyId(keyId, version), usesReserved: { $lte: maxUses - uses } },
        { $inc: { usesReserved: uses } },
      );
      return result.modifiedCount === 1;
    });
  }

  listKeys(tenantId: string): Promise<DataKeyRecord[]> {
    return guard('listing data keys', async () =>
      (await this.#keys.find({ tenantId }).toArray()).map((doc) => MongoDataKeyStore.#key(doc)).sort((a, b) => a.version - b.version),
    );
  }

  deleteKeys(tenantId: string): Promise<number> {
    return guard('deleting data keys', async () => (await this.#keys.deleteMany({ tenantId })).deletedCount);
  }
}
