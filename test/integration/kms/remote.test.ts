import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRetryable } from '../../../common/errors.js';
import {
  KeyDestroyedError,
  Keyring,
  KmsCertificateRefusedError,
  KmsRequestRefusedError,
  KmsUnavailableError,
  RemoteKmsClient,
  generateKeyText,
  generateKmsCertificates,
  startKmsServer,
  writeKmsCertificates,
  type KmsCertificates,
  type RunningKmsServer,
} from '../../../kms/index.js';
import { createEncryptProcessor, decryptMeeting, encryptMeeting } from '../../../processors/encrypt/index.js';
import { Canaries } from '../../support/canary.js';
import { buildParsedMeeting } from '../../support/parsed-meetings.js';
import { MiniDriver, inputRecord } from '../../unit/encrypt/driver.js';
import { openHarness, type Harness } from './harness.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Starts `hycal kms serve` as its own process and resolves with its URL. */
function serveProcess(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'hycal.js'), 'kms', 'serve', ...args], {
      cwd: ROOT,
      env: { ...process.env, HYCAL_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`kms serve did not start: ${out}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening at (https:\/\/\S+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, url: match[1]! });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`kms serve exited ${code}: ${out}`)));
  });
}

describe('kms on-premises KMS (hycal kms serve, mutual TLS)', () => {
  let h: Harness;
  let dir: string;
  let certs: KmsCertificates;
  let files: Record<keyof KmsCertificates, string>;

  beforeAll(async () => {
    h = await openHarness('kmsremote');
    dir = await mkdtemp(join(tmpdir(), 'hycal-kms-'));
    certs = await generateKmsCertificates({ clientCn: 'hycal-service' });
    files = await writeKmsCertificates(join(dir, 'tls'), certs);
  });
  afterAll(async () => {
    await h?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  function remoteKeyring(url: string, cacheTtlMs = 60_000): Keyring {
    return h.keyring({
      tenantProviders: { 'tenant-hds': 'remote', 'tenant-hds2': 'remote' },
      remote: { url, caFile: files.caCert, certFile: files.clientCert, keyFile: files.clientKey, timeoutMs: 3_000 },
      cacheTtlMs,
    }).keyring;
  }

  it('kms – a tenant configured for the on-premises KMS gets its keys from `hycal kms serve`; its KEK never reaches MongoDB', async () => {
    const dataDir = join(dir, 'served');
    const { child, url } = await serveProcess(
      ['--data-dir', dataDir, '--cert', files.serverCert, '--key', files.serverKey, '--ca', files.caCert, '--port', '0', '--client', 'hycal-service=tenant-hds,tenant-hds2', '--admin-client', 'hycal-kms-admin'],
      { HYCAL_KMS_SERVER_MASTER_KEY: generateKeyText() },
    );
    try {
      const keyring = remoteKeyring(url);
      const hds = buildParsedMeeting(null, { tenantId: 'tenant-hds' });
      const cloud = buildParsedMeeting(null, { tenantId: 'tenant-cloud' });
      const a = await encryptMeeting(hds, keyring);
      const b = await encryptMeeting(cloud, keyring);
      expect(await decryptMeeting(a, keyring)).toEqual(hds.sensitive);
      expect(await decryptMeeting(b, keyring)).toEqual(cloud.sensitive);
      // A fresh process (no caches) reads it too, through the KMS.
      expect(await decryptMeeting(a, remoteKeyring(url))).toEqual(hds.sensitive);

      const chain = await h.db.collection('kms_keychains').findOne({ _id: 'tenant-hds' as never });
      expect(chain?.['provider']).toBe('remote');
      expect(await h.db.collection('kms_tenant_keys').findOne({ _id: 'tenant-hds' as never })).toBeNull();
      expect(await h.db.collection('kms_tenant_keys').findOne({ _id: 'tenant-cloud' as never })).not.toBeNull();
      const served = await readdir(dataDir);
      expect(served).toHaveLength(1);
      const stored = JSON.parse(await readFile(join(dataDir, served[0]!), 'utf8')) as { tenantId: string; wrapped: string };
      expect(stored.tenantId).toBe('tenant-hds');
      expect(typeof stored.wrapped).toBe('string');

      // The customer revokes the tenant on its own KMS: once cached keys expire, nothing of the
      // tenant can be read by the service any more; the cloud tenant is unaffected.
      // Deleting keys needs the KMS's administrative identity: the service's certificate may not.
      const service = new RemoteKmsClient({ url, tls: { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey } });
      await expect(service.destroyTenant('tenant-hds')).rejects.toBeInstanceOf(KmsRequestRefusedError);
      await service.close();
      const customer = new RemoteKmsClient({ url, tls: { ca: certs.caCert, cert: certs.adminCert, key: certs.adminKey } });
      await customer.destroyTenant('tenant-hds');
      await customer.close();
      h.clock.advance(60_000);
      await expect(decryptMeeting(a, keyring)).rejects.toBeInstanceOf(KeyDestroyedError);
      await expect(encryptMeeting(buildParsedMeeting(null, { tenantId: 'tenant-hds' }), keyring)).rejects.toBeInstanceOf(KeyDestroyedError);
      expect(await decryptMeeting(b, keyring)).toEqual(cloud.sensitive);

      // SIGTERM: the KMS closes its listener and exits cleanly.
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
  });

  it('kms – the on-premises KMS refuses clients without a certificate from its CA or with a common name it does not allow', async () => {
    const server = await startKmsServer({
      host: '127.0.0.1',
      port: 0,
      masterKey: randomBytes(32),
      dataDir: join(dir, 'refuse'),
      tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert },
      clients: { 'someone-else': ['*'] },
      clock: h.clock,
    });
    try {
      const rogue = await generateKmsCertificates({ clientCn: 'someone-else' });
      const noCert = new RemoteKmsClient({ url: server.url, tls: { ca: certs.caCert, cert: '', key: '' } });
      const otherCa = new RemoteKmsClient({ url: server.url, tls: { ca: certs.caCert, cert: rogue.clientCert, key: rogue.clientKey } });
      const wrongName = new RemoteKmsClient({ url: server.url, tls: { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey } });
      // A refused certificate is a configuration error (not retried), not an outage.
      await expect(noCert.ensureTenant('t')).rejects.toBeInstanceOf(KmsCertificateRefusedError);
      await expect(otherCa.ensureTenant('t')).rejects.toBeInstanceOf(KmsCertificateRefusedError);
      await expect(wrongName.ensureTenant('t')).rejects.toBeInstanceOf(KmsRequestRefusedError);
      for (const client of [noCert, otherCa, wrongName]) await client.close();
      expect(await readdir(join(dir, 'refuse')).catch(() => [])).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('kms – with the on-premises KMS down, encrypt waits and retries (retryable error, nothing emitted) and resumes when it is back', async () => {
    const masterKey = randomBytes(32);
    const dataDir = join(dir, 'restart');
    const start = (port: number): Promise<RunningKmsServer> =>
      startKmsServer({
        host: '127.0.0.1',
        port,
        masterKey,
        dataDir,
        tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert },
        clients: { 'hycal-service': ['tenant-hds2'] },
        adminClients: ['hycal-kms-admin'],
        clock: h.clock,
        logger: h.logger,
      });
    let server = await start(0);
    const port = server.port;
    const keyring = remoteKeyring(server.url, 5_000);
    const first = await encryptMeeting(buildParsedMeeting(null, { tenantId: 'tenant-hds2' }), keyring);

    await server.close();
    h.clock.advance(5_000); // cached keys expire: the KMS is needed again
    const failure = await decryptMeeting(first, keyring).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(KmsUnavailableError);
    expect(isRetryable(failure)).toBe(true);

    const driver = new MiniDriver(h.logger);
    const result = await driver.deliver(
      createEncryptProcessor({ keyring }),
      inputRecord('calendar.raw.v1', 'tenant-hds2/mbx-1', buildParsedMeeting(null, { tenantId: 'tenant-hds2' })),
      {
        maxAttempts: 5,
        beforeRetry: async (attempt, error) => {
          expect(error).toBeInstanceOf(KmsUnavailableError);
          expect(driver.emitted).toEqual([]);
          if (attempt === 2) server = await start(port);
        },
      },
    );
    expect(result).toEqual({ attempts: 3 });
    expect(driver.emitted).toHaveLength(1);
    expect(Keyring.keyRefOf((driver.emitted[0]!.value as { subject: Buffer }).subject)).toEqual(first.keyRef);
    expect(await decryptMeeting(first, keyring)).toBeDefined();

    // Shredding through the on-premises KMS needs its administrative identity: with the service's
    // certificate it is refused and nothing is destroyed; with the admin certificate the tenant key is destroyed there.
    await expect(keyring.shred('tenant-hds2')).rejects.toBeInstanceOf(KmsRequestRefusedError);
    expect(await decryptMeeting(first, keyring)).toBeDefined();
    const admin = h.keyring({
      tenantProviders: { 'tenant-hds2': 'remote' },
      remote: { url: server.url, caFile: files.caCert, certFile: files.adminCert, keyFile: files.adminKey, timeoutMs: 3_000 },
    }).keyring;
    await admin.shred('tenant-hds2');
    await expect(decryptMeeting(first, remoteKeyring(server.url))).rejects.toBeInstanceOf(KeyDestroyedError);
    const [file] = await readdir(dataDir);
    expect((JSON.parse(await readFile(join(dataDir, file!), 'utf8')) as { wrapped: unknown }).wrapped).toBeNull();
    await server.close();

    // Neither the KMS's master key nor the service's master key appears in any log line.
    expect(h.logs.lines.some((line) => line.includes('kms audit'))).toBe(true);
    const secrets = new Canaries();
    secrets.watchBytes('on-premises master key', masterKey);
    secrets.watchBytes('cloud master key', Buffer.from(h.masterKeyText, 'base64'));
    expect(secrets.scanLogs(h.logs)).toEqual([]);
  });
});
