import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Binary, type Collection, type Db } from 'mongodb';
import { KmsUnavailableError } from './errors.js';

/** A tenant's KEK as stored: wrapped by the master key, or a tombstone once destroyed. */
export interface StoredTenantKey {
  readonly tenantId: string;
  readonly kekId: string;
  /** Null once destroyed (crypto-shredded). */
  readonly wrapped: Buffer | null;
  readonly createdAt: number;
  readonly destroyedAt: number | null;
}

export interface TenantKeyStore {
  get(tenantId: string): Promise<StoredTenantKey | null>;
  /** Inserts unless the tenant already has a record (key or tombstone); returns the stored record. */
  createIfAbsent(record: StoredTenantKey): Promise<StoredTenantKey>;
  /** Replaces the wrapped key by a tombstone. */
  destroy(tenantId: string, at: number): Promise<void>;
  /** Tenant ids with a record (for master key rotation). */
  listTenants(): Promise<string[]>;
  /** Replaces a live wrapped key by `wrapped` if it still is `expected` (master key rotation). */
  rewrap(tenantId: string, expected: Buffer, wrapped: Buffer): Promise<boolean>;
}

interface TenantKeyDocument {
  _id: string;
  kekId: string;
  wrapped: Binary | null;
  createdAt: number;
  destroyedAt: number | null;
}

function unavailable(what: string, error: unknown): KmsUnavailableError {
  return new KmsUnavailableError(`The key store (MongoDB) is unavailable while ${what}; the work is retried.`, { cause: error });
}

/** KEKs of the built-in cloud KMS, in MongoDB collection `kms_tenant_keys` (only `_id` lookups). */
export class MongoTenantKeyStore implements TenantKeyStore {
  readonly #collection: Collection<TenantKeyDocument>;

  constructor(db: Db, collection = 'kms_tenant_keys') {
    this.#collection = db.collection<TenantKeyDocument>(collection);
  }

  static #fromDocument(doc: TenantKeyDocument): StoredTenantKey {
    return {
      tenantId: doc._id,
      kekId: doc.kekId,
      wrapped: doc.wrapped === null ? null : Buffer.from(doc.wrapped.buffer),
      createdAt: doc.createdAt,
      destroyedAt: doc.destroyedAt,
    };
  }

  async get(tenantId: string): Promise<StoredTenantKey | null> {
    try {
      const doc = await this.#collection.findOne({ _id: tenantId });
      return doc === null ? null : MongoTenantKeyStore.#fromDocument(doc);
    } catch (error) {
      throw unavailable('reading a tenant key', error);
    }
  }

  async createIfAbsent(record: StoredTenantKey): Promise<StoredTenantKey> {
    try {
      await this.#collection.insertOne({
        _id: record.tenantId,
        kekId: record.kekId,
        wrapped: record.wrapped === null ? null : new Binary(record.wrapped),
        createdAt: record.createdAt,
        destroyedAt: record.destroyedAt,
      });
      return record;
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw unavailable('creating a tenant key', error);
    }
    const existing = await this.get(record.tenantId);
    if (existing === null) throw unavailable('creating a tenant key', undefined);
    return existing;
  }

  async destroy(tenantId: string, at: number): Promise<void> {
    try {
      await this.#collection.updateOne({ _id: tenantId }, { $set: { wrapped: null, destroyedAt: at } });
    } catch (error) {
      throw unavailable('destroying a tenant key', error);
    }
  }

  async listTenants(): Promise<string[]> {
    try {
      return (await this.#collection.find({}, { projection: { _id: 1 } }).toArray()).map((doc) => doc._id);
    } catch (error) {
      throw unavailable('listing tenant keys', error);
    }
  }

  async rewrap(tenantId: string, expected: Buffer, wrapped: Buffer): Promise<boolean> {
    try {
      const result = await this.#collection.updateOne({ _id: tenantId, wrapped: new Binary(expected) }, { $set: { wrapped: new Binary(wrapped) } });
      return result.modifiedCount === 1;
    } catch (error) {
      throw unavailable('re-wrapping a tenant key', error);
    }
  }
}

interface TenantKeyFile {
  tenantId: string;
  kekId: string;
  wrapped: string | null;
  createdAt: number;
  destroyedAt: number | null;
}

/**
 * KEKs of the on-premises KMS (`hycal kms serve`): one JSON file per tenant in a directory the
 * customer controls, written atomically (temp file, fsync, rename). Destroying overwrites the file
 * with a tombstone (the wrapped KEK is useless without this KMS's master key in any case).
 */
export class FileTenantKeyStore implements TenantKeyStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(tenantId: string): string {
    return join(this.#dir, `${createHash('sha256').update(tenantId).digest('hex')}.json`);
  }

  async get(tenantId: string): Promise<StoredTenantKey | null> {
    let text: string;
    try {
      text = await readFile(this.#path(tenantId), 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return null;
      throw new KmsUnavailableError('The on-premises KMS cannot read its key directory.', { cause: error });
    }
    const file = JSON.parse(text) as TenantKeyFile;
    return { ...file, wrapped: file.wrapped === null ? null : Buffer.from(file.wrapped, 'base64') };
  }

  async #write(record: StoredTenantKey, exclusive: boolean): Promise<boolean> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const file: TenantKeyFile = { ...record, wrapped: record.wrapped === null ? null : record.wrapped.toString('base64') };
    const path = this.#path(record.tenantId);
    const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(file));
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (exclusive) {
      // The server serializes creations per tenant; this re-check covers a second process.
      if ((await this.get(record.tenantId)) !== null) {
        await unlink(temp);
        return false;
      }
    }
    await rename(temp, path);
    return true;
  }

  async createIfAbsent(record: StoredTenantKey): Promise<StoredTenantKey> {
    const existing = await this.get(record.tenantId);
    if (existing !== null) return existing;
    await this.#write(record, true);
    return (await this.get(record.tenantId)) ?? record;
  }

  async destroy(tenantId: string, at: number): Promise<void> {
    const existing = await this.get(tenantId);
    if (existing === null) return;
    await this.#write({ ...existing, wrapped: null, destroyedAt: at }, false);
  }

  async listTenants(): Promise<string[]> {
    let names: string[];
    try {
      names = (await readdir(this.#dir)).filter((name) => name.endsWith('.json'));
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return [];
      throw new KmsUnavailableError('The on-premises KMS cannot read its key directory.', { cause: error });
    }
    const tenants: string[] = [];
    for (const name of names) tenants.push((JSON.parse(await readFile(join(this.#dir, name), 'utf8')) as TenantKeyFile).tenantId);
    return tenants;
  }

  async rewrap(tenantId: string, expected: Buffer, wrapped: Buffer): Promise<boolean> {
    const existing = await this.get(tenantId);
    if (existing?.wrapped == null || !existing.wrapped.equals(expected)) return false;
    await this.#write({ ...existing, wrapped }, false);
    return true;
  }
}
