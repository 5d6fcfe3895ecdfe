import { createServer, type Server } from 'node:https';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { isRetryable } from '../../../common/errors.js';
import {
  KmsCertificateRefusedError,
  KmsUnavailableError,
  RemoteKmsClient,
  generateKmsCertificates,
  kmsOptionsSchema,
  startKmsServer,
  type KmsCertificates,
  type RunningKmsServer,
} from '../../../kms/index.js';

describe('kms remote client (mutual TLS to the on-premises KMS)', () => {
  let dir: string;
  let certs: KmsCertificates;
  let foreign: KmsCertificates;
  let server: RunningKmsServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hycal-kms-client-'));
    certs = await generateKmsCertificates({ clientCn: 'hycal-service' });
    foreign = await generateKmsCertificates({ clientCn: 'hycal-service' });
    server = await startKmsServer({
      host: '127.0.0.1',
      port: 0,
      masterKey: randomBytes(32),
      dataDir: join(dir, 'keys'),
      tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert },
      clients: { 'hycal-service': ['*'] },
      clock: new ManualClock(),
    });
  });
  afterAll(async () => {
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('kms – a client certificate the KMS refuses in the handshake is a configuration error naming the certificate, not a retryable outage', async () => {
    const otherCa = new RemoteKmsClient({ url: server.url, tls: { ca: certs.caCert, cert: foreign.clientCert, key: foreign.clientKey }, files: { cert: '/etc/hycal/client.crt' } });
    const error = await otherCa.ensureTenant('t').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsCertificateRefusedError);
    expect(isRetryable(error)).toBe(false);
    expect((error as Error).message).toContain('CN=hycal-service');
    expect((error as Error).message).toContain('/etc/hycal/client.crt');
    await expect(otherCa.probe()).rejects.toBeInstanceOf(KmsCertificateRefusedError);
    await otherCa.close();

    const noCert = new RemoteKmsClient({ url: server.url, tls: { ca: certs.caCert, cert: '', key: '' } });
    const missing = await noCert.ensureTenant('t').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KmsCertificateRefusedError);
    expect((missing as Error).message).toContain('no client certificate');
    await noCert.close();
  });

  it("kms – a KMS server certificate our CA did not sign is refused as a configuration error naming the CA file", async () => {
    const wrongCa = new RemoteKmsClient({ url: server.url, tls: { ca: foreign.caCert, cert: certs.clientCert, key: certs.clientKey }, files: { ca: '/etc/hycal/kms-ca.crt' } });
    const error = await wrongCa.probe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsCertificateRefusedError);
    expect((error as Error).message).toContain('/etc/hycal/kms-ca.crt');
    await wrongCa.close();
    const ok = new RemoteKmsClient({ url: server.url, tls: { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey } });
    expect(await ok.probe()).toEqual({ identity: 'hycal-service' });
    await ok.close();
  });

  it('kms – kms.remote.url must be https', () => {
    const remote = { caFile: 'ca', certFile: 'c', keyFile: 'k' };
    expect(kmsOptionsSchema.safeParse({ remote: { ...remote, url: 'http://kms.example:8443' } }).success).toBe(false);
    expect(kmsOptionsSchema.safeParse({ remote: { ...remote, url: 'https://kms.example:8443' } }).success).toBe(true);
    expect(() => new RemoteKmsClient({ url: 'http://127.0.0.1:1', tls: { ca: '', cert: '', key: '' } })).toThrow(/https/);
  });

  describe('against a misbehaving server', () => {
    let rogue: Server;
    let url: string;
    beforeAll(async () => {
      rogue = createServer({ cert: certs.serverCert, key: certs.serverKey }, (req, res) => {
        if (req.url?.includes('big') === true) {
          res.writeHead(200, { 'content-type': 'application/json' });
          const chunk = Buffer.alloc(16 * 1024, 0x20);
          let sent = 0;
          const pump = (): void => {
            while (sent < 1024 && res.write(chunk)) sent += 1;
            if (sent < 1024) res.once('drain', pump);
            else res.end();
          };
          pump();
          return;
        }
        // Drip one byte every 50 ms: the socket is never idle, the answer never ends.
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => res.write(' '), 50);
        res.on('close', () => clearInterval(timer));
      });
      await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', resolve));
      url = `https://127.0.0.1:${(rogue.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      rogue.closeAllConnections();
      await new Promise<void>((resolve) => rogue.close(() => resolve()));
    });

    it('kms – the remote client bounds the total time of a request, not only idle sockets', async () => {
      const client = new RemoteKmsClient({ url, tls: { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey }, timeoutMs: 400 });
      const error = await client.ensureTenant('t').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KmsUnavailableError);
      expect((error as Error).message).toContain('within 400 ms');
      await client.close();
    }, 10_000);

    it('kms – the remote client refuses an answer larger than its bound', async () => {
      const client = new RemoteKmsClient({ url: `${url}/big`, tls: { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey }, timeoutMs: 5_000, maxResponseBytes: 64 * 1024 });
      const error = await client.ensureTenant('t').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KmsUnavailableError);
      expect((error as Error).message).toContain('more than 65536 bytes');
      await client.close();
    }, 10_000);
  });
});
