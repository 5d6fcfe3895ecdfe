import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { isRetryable } from '../../../common/errors.js';
import {
  FileTenantKeyStore,
  KeyStoreCorruptError,
  MasterKeyError,
  RemoteKmsClient,
  generateKeyText,
  generateKmsCertificates,
  loadMasterKey,
  startKmsServer,
  writeKmsCertificates,
  type KmsCertificates,
  type StoredTenantKey,
} from '../../../kms/index.js';

const record = (tenantId: string, kekId: string): StoredTenantKey => ({ tenantId, kekId, wrapped: randomBytes(80), createdAt: 1, destroyedAt: null });

/** A second server on the same directory whose existence check ran before the first one wrote (the race window). */
class LateChecker extends FileTenantKeyStore {
  #misses = 2;

  override async get(tenantId: string): Promise<StoredTenantKey | null> {
    if (this.#misses > 0) {
      this.#misses -= 1;
      return null;
    }
    return super.get(tenantId);
  }
}

describe('kms key storage durability', () => {
  let dir: string;
  let certs: KmsCertificates;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hycal-kms-store-'));
    certs = await generateKmsCertificates({ clientCn: 'hycal-service' });
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('kms – two servers sharing a key directory never overwrite a live tenant key: the second creator gets the first one', async () => {
    const shared = join(dir, 'shared');
    const first = new FileTenantKeyStore(shared);
    const second = new LateChecker(shared);
    const a = record('tenant-a', 'kek-first');
    expect(await first.createIfAbsent(a)).toEqual(a);
    const got = await second.createIfAbsent(record('tenant-a', 'kek-second'));
    expect(got.kekId).toBe('kek-first');
    expect((await first.get('tenant-a'))?.wrapped).toEqual(a.wrapped);
    expect((await readdir(shared)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect((await stat(join(shared, (await readdir(shared))[0]!))).mode & 0o777).toBe(0o600);
  });

  it('kms – a corrupt key file is reported as corrupt (typed, naming the file, not its content), also through the on-premises KMS', async () => {
    const dataDir = join(dir, 'corrupt');
    const store = new FileTenantKeyStore(dataDir);
    await store.createIfAbsent(record('tenant-c', 'kek-c'));
    const [name] = await readdir(dataDir);
    const path = join(dataDir, name!);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.length / 2));
    const error = await store.get('tenant-c').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyStoreCorruptError);
    expect((error as Error).message).toContain(name!);
    expect((error as Error).message).not.toContain(text.slice(10, 30));
    await expect(store.listTenants()).rejects.toBeInstanceOf(KeyStoreCorruptError);
    // A well-formed record of another tenant under this tenant's name is corrupt too.
    await writeFile(path, JSON.stringify({ ...JSON.parse(text), tenantId: 'tenant-other' }));
    await expect(store.get('tenant-c')).rejects.toBeInstanceOf(KeyStoreCorruptError);

    await writeFile(path, '{"tenantId":');
    const server = await startKmsServer({
      host: '127.0.0.1',
      port: 0,
      masterKey: randomBytes(32),
      dataDir,
      tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert },
      clients: { 'hycal-service': ['*'] },
      clock: new ManualClock(),
    });
    try {
      const client = new RemoteKmsClient({ url: server.url, tls: { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey } });
      const remote = await client.ensureTenant('tenant-c').catch((e: unknown) => e);
      expect(remote).toBeInstanceOf(KeyStoreCorruptError);
      expect(isRetryable(remote)).toBe(false);
      await client.close();
    } finally {
      await server.close();
    }
  });

  it('kms – a master key file that group or others can read is refused at start; 0600 is accepted', async () => {
    const file = join(dir, 'master.key');
    await writeFile(file, generateKeyText(), { mode: 0o644 });
    const error = (() => {
      try {
        loadMasterKey({ file, envName: 'UNUSED' });
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MasterKeyError);
    expect((error as Error).message).toContain('chmod 600');
    const { chmod } = await import('node:fs/promises');
    await chmod(file, 0o640);
    expect(() => loadMasterKey({ file, envName: 'UNUSED' })).toThrow(MasterKeyError);
    await chmod(file, 0o600);
    expect(loadMasterKey({ file, envName: 'UNUSED' })).toHaveLength(32);
  });

  it('kms – a master key given by environment is removed from the environment once read, where the option is resolved', () => {
    const env: Record<string, string | undefined> = { HYCAL_KMS_MASTER_KEY: generateKeyText(), OTHER: 'kept' };
    expect(loadMasterKey({ envName: 'HYCAL_KMS_MASTER_KEY', env, removeFromEnv: true })).toHaveLength(32);
    expect(env).toEqual({ OTHER: 'kept' });
    const untouched: Record<string, string | undefined> = { HYCAL_KMS_MASTER_KEY: generateKeyText() };
    loadMasterKey({ envName: 'HYCAL_KMS_MASTER_KEY', env: untouched });
    expect(untouched['HYCAL_KMS_MASTER_KEY']).toBeDefined();
  });

  it('kms – `hycal kms certs` keeps the CA key apart from the server key: one directory per party, private keys 0600', async () => {
    const out = join(dir, 'tls');
    const files = await writeKmsCertificates(out, certs);
    expect(dirname(files.caKey)).not.toBe(dirname(files.serverKey));
    expect(dirname(files.clientKey)).not.toBe(dirname(files.serverKey));
    expect(dirname(files.adminKey)).not.toBe(dirname(files.clientKey));
    expect((await readdir(dirname(files.serverKey))).sort()).toEqual(['ca.crt', 'server.crt', 'server.key']);
    expect((await readdir(dirname(files.clientKey))).sort()).toEqual(['ca.crt', 'client.crt', 'client.key']);
    for (const key of [files.caKey, files.serverKey, files.clientKey, files.adminKey]) expect((await stat(key)).mode & 0o777).toBe(0o600);
  });
});
