import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../common/index.js';
import { HcError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { silentLogger } from '../common/index.js';
import { KmsInputError } from './errors.js';
import { FileTenantKeyStore } from './tenant-key-store.js';
import { TenantKeyVault } from './vault.js';

/**
 * The on-premises KMS (`hycal kms serve`): the customer runs it with its own master key; tenant
 * KEKs never leave it. HTTPS with mutual TLS: the client must present a certificate signed by the
 * configured CA (and, if `allowedClients` is set, with an allowed common name).
 *
 *   POST   /v1/tenants/{tenant}/ensure                                → 204
 *   POST   /v1/tenants/{tenant}/wrap    {keyId, version, dataKey}     → {wrapped}
 *   POST   /v1/tenants/{tenant}/unwrap  {keyId, version, wrapped}     → {dataKey}
 *   DELETE /v1/tenants/{tenant}                                        → 204 (crypto-shredding)
 *   GET    /healthz                                                     → 200
 *
 * Errors answer `{code, message}` with the HcError code; the client turns them back into typed errors.
 */
export interface KmsServerConfig {
  readonly host: string;
  readonly port: number;
  readonly masterKey: Buffer;
  /** Earlier master keys: tenant keys still wrapped by them are re-wrapped under `masterKey` at start. */
  readonly previousMasterKeys?: readonly Buffer[];
  readonly dataDir: string;
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly allowedClients?: readonly string[];
  readonly clock: Clock;
  readonly logger?: Logger;
}

export interface RunningKmsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

const STATUS: Readonly<Record<string, number>> = {
  HC_ERR_KMS_INPUT: 400,
  HC_ERR_KMS_REFUSED: 403,
  HC_ERR_KMS_KEY_NOT_FOUND: 404,
  HC_ERR_KMS_KEY_DESTROYED: 410,
  HC_ERR_KMS_CIPHERTEXT_MALFORMED: 422,
  HC_ERR_KMS_DECRYPT_FAILED: 422,
  HC_ERR_KMS_UNAVAILABLE: 503,
};

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new KmsInputError('Request body too large.');
    chunks.push(buf);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (parsed === null || typeof parsed !== 'object') throw new TypeError('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new KmsInputError('The request body must be a JSON object.');
  }
}

function field(body: Record<string, unknown>, name: string, kind: 'string' | 'number'): string | number {
  const value = body[name];
  if (typeof value !== kind) throw new KmsInputError(`Field ${name} must be a ${kind}.`);
  return value as string | number;
}

function bytesField(body: Record<string, unknown>, name: string): Buffer {
  const text = field(body, name, 'string') as string;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new KmsInputError(`Field ${name} must be base64.`);
  return Buffer.from(text, 'base64');
}

export async function startKmsServer(config: KmsServerConfig): Promise<RunningKmsServer> {
  const logger = config.logger ?? silentLogger;
  const vault = new TenantKeyVault({
    masterKey: config.masterKey,
    store: new FileTenantKeyStore(config.dataDir),
    clock: config.clock,
    kind: 'remote',
    ...(config.previousMasterKeys === undefined ? {} : { previousMasterKeys: config.previousMasterKeys }),
  });
  if ((config.previousMasterKeys ?? []).length > 0) {
    const result = await vault.rewrapTenantKeys();
    logger.info(result, 'on-premises KMS: tenant keys re-wrapped under the current master key');
  }
  const allowed = new Set(config.allowedClients ?? []);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const clientCn = typeof peer.subject?.CN === 'string' ? peer.subject.CN : '';
    const url = new URL(req.url ?? '/', 'https://kms');
    const started = config.clock.now();
    let status = 200;
    let route = 'unknown';
    const send = (code: number, payload?: Record<string, unknown>): void => {
      status = code;
      if (payload === undefined) {
        res.writeHead(code).end();
      } else {
        res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(payload));
      }
    };
    try {
      if (!socket.authorized || (allowed.size > 0 && !allowed.has(clientCn))) {
        route = 'refused';
        send(403, { code: 'HC_ERR_KMS_REFUSED', message: 'This client certificate is not allowed by the KMS.' });
        return;
      }
      if (req.method === 'GET' && url.pathname === '/healthz') {
        route = 'healthz';
        send(200, { ok: true });
        return;
      }
      const match = /^\/v1\/tenants\/([^/]+)(?:\/(ensure|wrap|unwrap))?$/.exec(url.pathname);
      if (match === null) {
        send(404, { code: 'HC_ERR_KMS_INPUT', message: 'No such KMS endpoint.' });
        return;
      }
      const tenantId = decodeURIComponent(match[1]!);
      const action = match[2];
      route = `${req.method ?? ''} ${action ?? 'tenant'}`;
      if (req.method === 'DELETE' && action === undefined) {
        await vault.destroyTenant(tenantId);
        send(204);
      } else if (req.method === 'POST' && action === 'ensure') {
        await vault.ensureTenant(tenantId);
        send(204);
      } else if (req.method === 'POST' && action === 'wrap') {
        const body = await readBody(req);
        const ref = { keyId: field(body, 'keyId', 'string') as string, version: field(body, 'version', 'number') as number };
        const wrapped = await vault.wrapDataKey(tenantId, ref, bytesField(body, 'dataKey'));
        send(200, { wrapped: wrapped.toString('base64') });
      } else if (req.method === 'POST' && action === 'unwrap') {
        const body = await readBody(req);
        const ref = { keyId: field(body, 'keyId', 'string') as string, version: field(body, 'version', 'number') as number };
        const dataKey = await vault.unwrapDataKey(tenantId, ref, bytesField(body, 'wrapped'));
        send(200, { dataKey: dataKey.toString('base64') });
      } else {
        send(405, { code: 'HC_ERR_KMS_INPUT', message: 'Method not allowed.' });
      }
    } catch (error) {
      const code = error instanceof HcError ? error.code : 'HC_ERR_KMS_UNAVAILABLE';
      const message = error instanceof HcError ? error.message : 'The KMS failed; try again.';
      send(STATUS[code] ?? 500, { code, message });
    } finally {
      logger.info({ route, status, clientCn, ms: config.clock.now() - started }, 'kms request');
    }
  };

  const server: Server = createServer(
    { cert: config.tls.cert, key: config.tls.key, ca: config.tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    (req, res) => {
      void handle(req, res);
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  logger.info({ port, host: config.host }, 'on-premises KMS listening (mutual TLS)');
  return {
    url: `https://${host}:${port}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await vault.close();
    },
  };
}
