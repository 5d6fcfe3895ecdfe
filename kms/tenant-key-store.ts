import { createHash } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Binary, type Collection, type Db } from 'mongodb';
import { KeyStoreCorruptError, KmsUnavailableError } from './errors.js';

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

/** Parses a key file; anything else than a well-formed record is reported as corrupt (never its content). */
function parseKeyFile(path: string, text: string, expectedTenant?: string): StoredTenantKey {
  let file: TenantKeyFile;
  try {
    file = JSON.parse(text) as TenantKeyFile;
  } catch {
    file = null as unknown as TenantKeyFile;
  }
  const wellFormed =
    file !== null &&
    typeof file === 'object' &&
    typeof file.tenantId === 'string' &&
    typeof file.kekId === 'string' &&
    (file.wrapped === null || (typeof file.wrapped === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(file.wrapped))) &&
    typeof file.createdAt === 'number' &&
    (file.destroyedAt === null || typeof file.destroyedAt === 'number') &&
    (expectedTenant === undefined || file.tenantId === expectedTenant);
  if (!wellFormed) {
    throw new KeyStoreCorruptError(
      `The key file ${basename(path)} of the on-premises KMS is corrupt (not a tenant key record${expectedTenant === undefined ? '' : ' of this tenant'}); ` +
        'restore it from a backup of the key directory.',
      { details: { file: basename(path) } },
    );
  }
  return { ...file, wrapped: file.wrapped === null ? null : Buffer.from(file.wrapped, 'base64') };
}

/**
 * KEKs of the on-premises KMS (`hycal kms serve`): one JSON file per tenant in a directory the
 * customer controls. Every write goes to a temp file that is fsynced; a new tenant key is put in
 * place with link() (fails if the name exists: two servers sharing the directory can never
 * overwrite a live key), a tombstone or a re-wrap with rename(); the directory is fsynced after
 * either so the name survives a crash. Destroying overwrites the file with a tombstone (the
 * wrapped KEK is useless without this KMS's master key in any case). A file that does not parse
 * is reported as corrupt (`HC_ERR_KMS_KEY_CORRUPT`).
 */
export class FileTenantKeyStore implements TenantKeyStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(tenantId: string): string {
    return join(this.#dir, `${createHash('sha256').update(tenantId).digest('hex')}.json`);
  }

  async #read(path: string, expectedTenant?: string): Promise<StoredTenantKey | null> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return null;
      throw new KmsUnavailableError('The on-premises KMS cannot read its key directory.', { cause: error });
    }
    return parseKeyFile(path, text, expectedTenant);
  }

  get(tenantId: string): Promise<StoredTenantKey | null> {
    return this.#read(this.#path(tenantId), tenantId);
  }

  async #syncDir(): Promise<void> {
    const dir = await open(this.#dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Writes `record` to a fsynced temp file, then links (exclusive) or renames (replace) it into place. */
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
    let placed = true;
    try {
      if (exclusive) {
        try {
          await link(temp, path);
        } catch (error) {
          if ((error as { code?: string }).code !== 'EEXIST') throw error;
          placed = false;
        }
        await unlink(temp);
      } else {
        await rename(temp, path);
      }
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw new KmsUnavailableError('The on-premises KMS cannot write its key directory.', { cause: error });
    }
    await this.#syncDir();
    return placed;
  }

  async createIfAbsent(record: StoredTenantKey): Promise<StoredTenantKey> {
    const existing = await this.get(record.tenantId);
    if (existing !== null) return existing;
    if (await this.#write(record, true)) return record;
    // Another server created it between our check and our link(): theirs is the live key.
    const winner = await this.#read(this.#path(record.tenantId), record.tenantId);
    if (winner === null) throw new KmsUnavailableError('The on-premises KMS lost a tenant key it was creating (key directory changed under it); retried.');
    return winner;
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
    for (const name of names) {
      const record = await this.#read(join(this.#dir, name));
      if (record !== null) tenants.push(record.tenantId);
    }
    return tenants;
  }

  async rewrap(tenantId: string, expected: Buffer, wrapped: Buffer): Promise<boolean> {
    const existing = await this.get(tenantId);
    if (existing?.wrapped == null || !existing.wrapped.equals(expected)) return false;
    await this.#write({ ...existing, wrapped }, false);
    return true;
  }
}
