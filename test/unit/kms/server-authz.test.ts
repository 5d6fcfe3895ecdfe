import { request } from 'node:https';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { ConfigError, isRetryable } from '../../../common/errors.js';
import { createLogger } from '../../../common/logger.js';
import {
  KmsInputError,
  KmsRateLimitedError,
  KmsRequestRefusedError,
  RemoteKmsClient,
  generateClientCertificate,
  generateKmsCertificates,
  startKmsServer,
  type KmsCertificates,
  type KmsServerConfig,
  type RunningKmsServer,
} from '../../../kms/index.js';
import { LogCapture } from '../../support/canary.js';

interface Identity {
  readonly cert: string;
  readonly key: string;
}

/** One raw HTTPS request with a client certificate (for paths and bodies the client never sends). */
function raw(url: string, ca: string, who: Identity, method: string, path: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, ca, cert: who.cert, key: who.key, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('kms on-premises KMS authorization', () => {
  let dir: string;
  let certs: KmsCertificates;
  let tenantA: Identity;
  let tenantB: Identity;
  let stranger: Identity;
  const clock = new ManualClock();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hycal-kms-authz-'));
    certs = await generateKmsCertificates({ clientCn: 'svc-all', adminCn: 'kms-admin' });
    tenantA = await generateClientCertificate(certs, 'svc-a');
    tenantB = await generateClientCertificate(certs, 'svc-b');
    stranger = await generateClientCertificate(certs, 'svc-unknown');
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  function start(overrides: Partial<KmsServerConfig> = {}, logs?: LogCapture): Promise<RunningKmsServer> {
    return startKmsServer({
      host: '127.0.0.1',
      port: 0,
      masterKey: randomBytes(32),
      dataDir: join(dir, randomBytes(4).toString('hex')),
      tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert },
      clients: { 'svc-a': ['tenant-a'], 'svc-b': ['tenant-b'], 'svc-all': ['*'] },
      adminClients: ['kms-admin'],
      clock,
      ...(logs === undefined ? {} : { logger: createLogger({ name: 'kms-test', level: 'trace', destination: logs }) }),
      ...overrides,
    });
  }

  const client = (url: string, who: Identity): RemoteKmsClient => new RemoteKmsClient({ url, tls: { ca: certs.caCert, cert: who.cert, key: who.key } });

  it('kms – the on-premises KMS refuses to start without an allowlist of client identities unless the operator opts out explicitly', async () => {
    await expect(start({ clients: {} })).rejects.toBeInstanceOf(ConfigError);
    await expect(start({ clients: { 'svc-a': [] } })).rejects.toBeInstanceOf(ConfigError);
    const open = await start({ clients: {}, allowAnyClient: true });
    try {
      const any = client(open.url, stranger);
      await any.ensureTenant('tenant-x');
      await any.close();
    } finally {
      await open.close();
    }
  });

  it("kms – tenant A's certificate is refused for tenant B on every route, and an unknown identity on every route", async () => {
    const server = await start();
    try {
      const a = client(server.url, tenantA);
      const b = client(server.url, tenantB);
      const unknown = client(server.url, stranger);
      await b.ensureTenant('tenant-b');
      await a.ensureTenant('tenant-a');
      const dataKey = randomBytes(32);
      const ref = { keyId: 'dk-1', version: 1 };
      const wrappedB = await b.wrapDataKey('tenant-b', ref, dataKey);
      expect(await b.unwrapDataKey('tenant-b', ref, wrappedB)).toEqual(dataKey);

      for (const who of [a, unknown]) {
        await expect(who.ensureTenant('tenant-b')).rejects.toBeInstanceOf(KmsRequestRefusedError);
        await expect(who.wrapDataKey('tenant-b', ref, dataKey)).rejects.toBeInstanceOf(KmsRequestRefusedError);
        await expect(who.unwrapDataKey('tenant-b', ref, wrappedB)).rejects.toBeInstanceOf(KmsRequestRefusedError);
        await expect(who.destroyTenant('tenant-b')).rejects.toBeInstanceOf(KmsRequestRefusedError);
      }
      await expect(unknown.probe()).rejects.toBeInstanceOf(KmsRequestRefusedError);
      expect(isRetryable(await a.ensureTenant('tenant-b').catch((e: unknown) => e))).toBe(false);
      // Tenant B's key is untouched.
      expect(await b.unwrapDataKey('tenant-b', ref, wrappedB)).toEqual(dataKey);
      for (const c of [a, b, unknown]) await c.close();
    } finally {
      await server.close();
    }
  });

  it('kms – deleting tenant keys needs the administrative identity, which has no other right', async () => {
    const server = await start();
    try {
      const service = client(server.url, { cert: certs.clientCert, key: certs.clientKey });
      const admin = client(server.url, { cert: certs.adminCert, key: certs.adminKey });
      await service.ensureTenant('tenant-a');
      const ref = { keyId: 'dk-1', version: 1 };
      const wrapped = await service.wrapDataKey('tenant-a', ref, randomBytes(32));
      await expect(service.destroyTenant('tenant-a')).rejects.toBeInstanceOf(KmsRequestRefusedError);
      await expect(admin.unwrapDataKey('tenant-a', ref, wrapped)).rejects.toBeInstanceOf(KmsRequestRefusedError);
      await expect(admin.wrapDataKey('tenant-a', ref, randomBytes(32))).rejects.toBeInstanceOf(KmsRequestRefusedError);
      expect(await admin.probe()).toEqual({ identity: 'kms-admin' });
      await admin.destroyTenant('tenant-a');
      await expect(service.unwrapDataKey('tenant-a', ref, wrapped)).rejects.toMatchObject({ code: 'HC_ERR_KMS_KEY_DESTROYED' });
      await service.close();
      await admin.close();
    } finally {
      await server.close();
    }
  });

  it('kms – malformed paths, key ids, versions and data-key lengths are refused with 400 (not a retryable 503), and large bodies with 413', async () => {
    const server = await start();
    try {
      const all: Identity = { cert: certs.clientCert, key: certs.clientKey };
      const wrap = (body: unknown): Promise<{ status: number; json: Record<string, unknown> }> =>
        raw(server.url, certs.caCert, all, 'POST', '/v1/tenants/tenant-a/wrap', JSON.stringify(body));
      await raw(server.url, certs.caCert, all, 'POST', '/v1/tenants/tenant-a/ensure');
      const key = randomBytes(32).toString('base64');
      expect((await raw(server.url, certs.caCert, all, 'POST', '/v1/tenants/%E0%A4%A/ensure')).status).toBe(400);
      expect((await raw(server.url, certs.caCert, all, 'POST', '/v1/tenants/a%00b/ensure')).status).toBe(400);
      expect((await raw(server.url, certs.caCert, all, 'POST', `/v1/tenants/${'t'.repeat(300)}/ensure`)).status).toBe(400);
      expect((await wrap({ keyId: 'dk 1', version: 1, dataKey: key })).status).toBe(400);
      expect((await wrap({ keyId: 'dk-1', version: 0, dataKey: key })).status).toBe(400);
      expect((await wrap({ keyId: 'dk-1', version: 1.5, dataKey: key })).status).toBe(400);
      expect((await wrap({ keyId: 'dk-1', version: 2 ** 32, dataKey: key })).status).toBe(400);
      expect((await wrap({ keyId: 'dk-1', version: 1, dataKey: randomBytes(31).toString('base64') })).status).toBe(400);
      expect((await wrap({ keyId: 'dk-1', version: 1, dataKey: randomBytes(33).toString('base64') })).status).toBe(400);
      expect((await wrap({ keyId: 'dk-1', version: 1, dataKey: `${key.slice(0, -2)}!=` })).status).toBe(400);
      expect((await wrap([1, 2])).status).toBe(400);
      const notJson = await raw(server.url, certs.caCert, all, 'POST', '/v1/tenants/tenant-a/wrap', '{"keyId":');
      expect(notJson).toMatchObject({ status: 400, json: { code: 'HC_ERR_KMS_INPUT' } });
      const huge = await wrap({ keyId: 'dk-1', version: 1, dataKey: key, pad: 'x'.repeat(64 * 1024) });
      expect(huge).toMatchObject({ status: 413, json: { code: 'HC_ERR_KMS_INPUT' } });
      expect((await raw(server.url, certs.caCert, all, 'GET', '/v1/nothing')).status).toBe(404);
      expect((await wrap({ keyId: 'dk-1', version: 1, dataKey: key })).status).toBe(200);
      const typed = client(server.url, all);
      const error = await typed.wrapDataKey('tenant-a', { keyId: 'dk 1', version: 1 }, randomBytes(32)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KmsInputError);
      expect(isRetryable(error)).toBe(false);
      await typed.close();
    } finally {
      await server.close();
    }
  });

  it('kms – every request is audited with identity, tenant, action and outcome, never key material; unexpected errors are logged', async () => {
    const logs = new LogCapture();
    const blocked = join(dir, 'not-a-directory');
    await writeFile(blocked, 'x');
    const server = await start({}, logs);
    const broken = await start({ dataDir: join(blocked, 'keys') }, logs);
    try {
      const a = client(server.url, tenantA);
      await a.ensureTenant('tenant-a');
      const dataKey = randomBytes(32);
      const wrapped = await a.wrapDataKey('tenant-a', { keyId: 'dk-1', version: 1 }, dataKey);
      await a.unwrapDataKey('tenant-a', { keyId: 'dk-1', version: 1 }, wrapped);
      await expect(a.ensureTenant('tenant-b')).rejects.toBeInstanceOf(KmsRequestRefusedError);
      const failing = client(broken.url, tenantA);
      await expect(failing.ensureTenant('tenant-a')).rejects.toMatchObject({ code: 'HC_ERR_KMS_UNAVAILABLE' });
      for (const c of [a, failing]) await c.close();
    } finally {
      await server.close();
      await broken.close();
    }
    const lines = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const audit = lines.filter((line) => line['audit'] === true);
    expect(audit, JSON.stringify(audit.map(({ identity, tenantId, action, outcome }) => ({ identity, tenantId, action, outcome })))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ identity: 'svc-a', tenantId: 'tenant-a', action: 'ensure', outcome: 'ok' }),
        expect.objectContaining({ identity: 'svc-a', tenantId: 'tenant-a', action: 'wrap', outcome: 'ok' }),
        expect.objectContaining({ identity: 'svc-a', tenantId: 'tenant-a', action: 'unwrap', outcome: 'ok' }),
        expect.objectContaining({ identity: 'svc-a', tenantId: 'tenant-b', action: 'ensure', outcome: 'refused' }),
        expect.objectContaining({ identity: 'svc-a', tenantId: 'tenant-a', action: 'ensure', outcome: 'failed' }),
      ]),
    );
    expect(lines.some((line) => (line['level'] as number) >= 50 && (line['causeCode'] === 'ENOTDIR' || line['errorCode'] === 'ENOTDIR'))).toBe(true);
    const text = logs.lines.join('\n');
    expect(text).not.toMatch(/"dataKey"|"wrapped"/);
  });

  it('kms – requests above the per-identity rate are refused with a retryable error, and other identities are not affected', async () => {
    const server = await start({ rateLimitPerSecond: 1 });
    try {
      const a = client(server.url, tenantA);
      const b = client(server.url, tenantB);
      await a.ensureTenant('tenant-a');
      await a.ensureTenant('tenant-a');
      const error = await a.ensureTenant('tenant-a').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KmsRateLimitedError);
      expect(isRetryable(error)).toBe(true);
      await b.ensureTenant('tenant-b');
      clock.advance(1_000);
      await a.ensureTenant('tenant-a');
      for (const c of [a, b]) await c.close();
    } finally {
      await server.close();
    }
  });
});
