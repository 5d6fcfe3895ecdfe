import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { fastify, type FastifyReply, type FastifyRequest } from 'fastify';
import { ConfigError, HcError, silentLogger, type Clock, type Logger } from '../common/index.js';
import { KmsCertificateRefusedError, KmsInputError, KmsRateLimitedError, KmsRequestRefusedError } from './errors.js';
import { KEY_BYTES, isValidKeyId } from './format.js';
import { FileTenantKeyStore } from './tenant-key-store.js';
import { TenantKeyVault } from './vault.js';

/**
 * The on-premises KMS (`hycal kms serve`): the customer runs it with its own master key; tenant
 * KEKs never leave it. HTTPS (fastify) with mutual TLS: the client must present a certificate
 * signed by the configured CA; its identity (the certificate's subject common name) must be in
 * the allowlist, which says which tenants it may use.
 *
 *   POST   /v1/tenants/{tenant}/ensure                                → 204   (client of the tenant)
 *   POST   /v1/tenants/{tenant}/wrap    {keyId, version, dataKey}     → {wrapped}
 *   POST   /v1/tenants/{tenant}/unwrap  {keyId, version, wrapped}     → {dataKey}
 *   DELETE /v1/tenants/{tenant}                                        → 204   (administrative identity only: crypto-shredding)
 *   GET    /healthz                                                     → {ok, identity} (any allowed identity)
 *
 * Errors answer `{code, message}` with the HcError code; the client turns them back into typed
 * errors. Every request is written to the audit log (identity, tenant, action, outcome; never key
 * material).
 */
export interface KmsServerConfig {
  readonly host: string;
  readonly port: number;
  readonly masterKey: Buffer;
  /** Earlier master keys: tenant keys still wrapped by them are re-wrapped under `masterKey` at start. */
  readonly previousMasterKeys?: readonly Buffer[];
  readonly dataDir: string;
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  /** Client identity (certificate common name) → tenants it may use (`*`: every tenant). */
  readonly clients?: Readonly<Record<string, readonly string[]>>;
  /** Identities that may delete (crypto-shred) tenant keys. They get no other right from this list. */
  readonly adminClients?: readonly string[];
  /**
   * Explicit opt-out of the allowlist: any certificate the CA signed may use every tenant (not
   * delete keys). Without it, a server with no `clients` refuses to start.
   */
  readonly allowAnyClient?: boolean;
  /** Requests per second per identity (token bucket; burst twice that). Default 500. */
  readonly rateLimitPerSecond?: number;
  /** Largest request body, bytes. Default 16 KiB. */
  readonly bodyLimitBytes?: number;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Where audit records go (default: `logger`, with `audit: true`). */
  readonly auditLogger?: Logger;
}

export interface RunningKmsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const STATUS: Readonly<Record<string, number>> = {
  HC_ERR_KMS_INPUT: 400,
  HC_ERR_KMS_REFUSED: 403,
  HC_ERR_KMS_CERTIFICATE_REFUSED: 403,
  HC_ERR_KMS_KEY_NOT_FOUND: 404,
  HC_ERR_KMS_KEY_DESTROYED: 410,
  HC_ERR_KMS_CIPHERTEXT_MALFORMED: 422,
  HC_ERR_KMS_DECRYPT_FAILED: 422,
  HC_ERR_KMS_RATE_LIMITED: 429,
  HC_ERR_KMS_KEY_CORRUPT: 500,
  HC_ERR_KMS_UNAVAILABLE: 503,
};

/** A wrapped data key is 20 + key id (≤ 64) + 32 + 16 bytes; anything much longer is not one. */
const MAX_WRAPPED_BYTES = 256;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_RATE_IDENTITIES = 10_000;

type Action = 'healthz' | 'ensure' | 'wrap' | 'unwrap' | 'shred' | 'unknown';

interface RequestState {
  identity: string;
  tenant: string | undefined;
  action: Action;
}

function tenantParam(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256 || CONTROL.test(value)) {
    throw new KmsInputError('The tenant id in the path must be 1-256 characters without control characters.');
  }
  return value;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new KmsInputError('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function keyRefOf(body: Record<string, unknown>): { keyId: string; version: number } {
  const { keyId, version } = body;
  if (typeof keyId !== 'string' || !isValidKeyId(keyId)) throw new KmsInputError('Field keyId must be 1-64 ASCII letters, digits or . _ : -.');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw new KmsInputError('Field version must be an integer from 1 to 2^32-1.');
  }
  return { keyId, version };
}

function base64Field(body: Record<string, unknown>, name: string, check: (bytes: number) => boolean, expected: string): Buffer {
  const text = body[name];
  if (typeof text !== 'string' || !STRICT_BASE64.test(text)) throw new KmsInputError(`Field ${name} must be base64.`);
  const bytes = Buffer.from(text, 'base64');
  if (!check(bytes.length)) throw new KmsInputError(`Field ${name} must be ${expected}.`);
  return bytes;
}

/** A token bucket per identity on the injected clock; the identity table is bounded. */
class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perSecond: number,
    readonly clock: Clock,
  ) {}

  take(identity: string): boolean {
    const now = this.clock.now();
    const burst = this.perSecond * 2;
    const bucket = this.#buckets.get(identity) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.#buckets.delete(identity);
    this.#buckets.set(identity, bucket);
    if (this.#buckets.size > MAX_RATE_IDENTITIES) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** Name, code and stack frames of an unexpected error: its message may quote data, so it is left out. */
function describeUnexpected(error: unknown): Record<string, unknown> {
  const e = error as { name?: unknown; code?: unknown; stack?: unknown; cause?: { name?: unknown; code?: unknown } };
  const stack = typeof e.stack === 'string' ? e.stack.split('\n').slice(1, 8).join('\n') : undefined;
  return {
    errorName: typeof e.name === 'string' ? e.name : typeof error,
    errorCode: typeof e.code === 'string' ? e.code : undefined,
    causeName: typeof e.cause?.name === 'string' ? e.cause.name : undefined,
    causeCode: typeof e.cause?.code === 'string' ? e.cause.code : undefined,
    stack,
  };
}

function checkAccess(config: KmsServerConfig): void {
  const clients = Object.keys(config.clients ?? {});
  if (clients.length === 0 && config.allowAnyClient !== true) {
    throw new ConfigError(
      'The on-premises KMS needs an allowlist of client identities and their tenants (hycal kms serve --client CN=tenantA,tenantB), ' +
        'or an explicit --allow-any-client to let any certificate of the CA use every tenant.',
    );
  }
  for (const [identity, tenants] of Object.entries(config.clients ?? {})) {
    if (identity === '' || tenants.length === 0) throw new ConfigError(`The KMS client ${identity || '(empty)'} has no tenants; give it tenants or * .`);
  }
}

export async function startKmsServer(config: KmsServerConfig): Promise<RunningKmsServer> {
  checkAccess(config);
  const logger = config.logger ?? silentLogger;
  const audit = config.auditLogger ?? logger.child({ audit: true });
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
  const clients = new Map(Object.entries(config.clients ?? {}).map(([identity, tenants]) => [identity, new Set(tenants)] as const));
  const admins = new Set(config.adminClients ?? []);
  const limiter = new RateLimiter(config.rateLimitPerSecond ?? 500, config.clock);
  const states = new WeakMap<FastifyRequest, RequestState>();
  const stateOf = (request: FastifyRequest): RequestState => {
    let state = states.get(request);
    if (state === undefined) {
      state = { identity: '', tenant: undefined, action: 'unknown' };
      states.set(request, state);
    }
    return state;
  };

  const app = fastify({
    // The certificate is verified in the handshake; an unverified one is refused in onRequest with a
    // typed answer (HC_ERR_KMS_CERTIFICATE_REFUSED and the reason) rather than a TLS alert, which
    // TLS 1.3 clients mostly see as a bare connection reset indistinguishable from an outage.
    https: { cert: config.tls.cert, key: config.tls.key, ca: config.tls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
    bodyLimit: config.bodyLimitBytes ?? 16 * 1024,
    logger: false,
    return503OnClosing: true,
    // A tenant id is at most 256 characters, up to 3 bytes each percent-encoded; the check is ours (400).
    routerOptions: { maxParamLength: 1_024 },
  });

  const knownIdentity = (identity: string): boolean => clients.has(identity) || admins.has(identity) || config.allowAnyClient === true;
  const mayUseTenant = (identity: string, tenant: string): boolean => {
    const tenants = clients.get(identity);
    if (tenants !== undefined) return tenants.has('*') || tenants.has(tenant);
    return config.allowAnyClient === true && !admins.has(identity);
  };

  // Identity of the caller, from its verified client certificate; unknown identities are refused
  // before routing, and every identity is rate limited.
  const identify = (request: FastifyRequest): void => {
    const state = stateOf(request);
    const socket = request.raw.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    state.identity = typeof peer.subject?.CN === 'string' ? peer.subject.CN : '';
    if (!socket.authorized) {
      const reason = peer.subject === undefined ? 'no client certificate' : String(socket.authorizationError ?? 'not verified');
      state.identity = `unverified:${state.identity}`;
      throw new KmsCertificateRefusedError(
        `The KMS does not accept this client certificate (${reason}); it must be signed by the CA the KMS trusts (hycal kms serve --ca), be valid now and allow clientAuth.`,
      );
    }
    if (state.identity === '' || !knownIdentity(state.identity)) {
      throw new KmsRequestRefusedError('This client certificate is not allowed by the KMS.');
    }
    if (!limiter.take(state.identity)) throw new KmsRateLimitedError('Too many requests from this client identity; slow down and retry.');
  };
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      identify(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  const authorize = (request: FastifyRequest, action: Action, admin: boolean): void => {
    const state = stateOf(request);
    state.action = action;
    const tenant = tenantParam((request.params as { tenant?: unknown }).tenant);
    state.tenant = tenant;
    const allowed = admin ? admins.has(state.identity) : mayUseTenant(state.identity, tenant);
    if (!allowed) {
      throw new KmsRequestRefusedError(
        admin
          ? 'Deleting tenant keys needs an administrative identity of the KMS (hycal kms serve --admin-client).'
          : 'This client identity may not use this tenant on the KMS.',
      );
    }
  };

  const tenantRoute =
    (action: Action, admin: boolean) =>
    (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
      try {
        authorize(request, action, admin);
        done();
      } catch (error) {
        done(error as Error);
      }
    };

  app.setErrorHandler(async (error, request, reply: FastifyReply) => {
    const state = stateOf(request);
    if (error instanceof HcError) {
      if (STATUS[error.code] === undefined || error.code === 'HC_ERR_KMS_UNAVAILABLE' || error.code === 'HC_ERR_KMS_KEY_CORRUPT') {
        logger.error({ route: state.action, tenantId: state.tenant, ...describeUnexpected(error) }, 'kms request failed');
      }
      return reply.code(STATUS[error.code] ?? 500).header('cache-control', 'no-store').send({ code: error.code, message: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // fastify's own refusals: bad JSON, body too large, unsupported media type, malformed path.
      return reply.code(status).send({ code: 'HC_ERR_KMS_INPUT', message: `Bad request (${(error as { code?: string }).code ?? status}).` });
    }
    logger.error({ route: state.action, tenantId: state.tenant, ...describeUnexpected(error) }, 'kms: unexpected error');
    return reply.code(503).send({ code: 'HC_ERR_KMS_UNAVAILABLE', message: 'The KMS failed; try again.' });
  });
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ code: 'HC_ERR_KMS_INPUT', message: 'No such KMS endpoint.' }));

  // Audited when the answer is sent (onSend runs for every answer, errors included), so the audit
  // line exists before the client has the answer.
  app.addHook('onSend', (request, reply, payload, done) => {
    const state = stateOf(request);
    const status = reply.statusCode;
    const outcome = status < 400 ? 'ok' : status === 403 ? 'refused' : status === 429 ? 'limited' : status < 500 ? 'rejected' : 'failed';
    audit.info({ identity: state.identity, tenantId: state.tenant, action: state.action, outcome, status, ms: Math.round(reply.elapsedTime) }, 'kms audit');
    done(null, payload);
  });

  app.get('/healthz', (request, reply) => {
    const state = stateOf(request);
    state.action = 'healthz';
    void reply.send({ ok: true, identity: state.identity, admin: admins.has(state.identity) });
  });
  app.post('/v1/tenants/:tenant/ensure', { preHandler: tenantRoute('ensure', false) }, async (request, reply) => {
    await vault.ensureTenant(stateOf(request).tenant!);
    return reply.code(204).send();
  });
  app.post('/v1/tenants/:tenant/wrap', { preHandler: tenantRoute('wrap', false) }, async (request) => {
    const body = bodyObject(request.body);
    const dataKey = base64Field(body, 'dataKey', (n) => n === KEY_BYTES, `${KEY_BYTES} bytes`);
    const wrapped = await vault.wrapDataKey(stateOf(request).tenant!, keyRefOf(body), dataKey);
    dataKey.fill(0);
    return { wrapped: wrapped.toString('base64') };
  });
  app.post('/v1/tenants/:tenant/unwrap', { preHandler: tenantRoute('unwrap', false) }, async (request, reply) => {
    const body = bodyObject(request.body);
    const wrapped = base64Field(body, 'wrapped', (n) => n > 0 && n <= MAX_WRAPPED_BYTES, `1-${MAX_WRAPPED_BYTES} bytes`);
    const dataKey = await vault.unwrapDataKey(stateOf(request).tenant!, keyRefOf(body), wrapped);
    const answer = { dataKey: dataKey.toString('base64') };
    dataKey.fill(0);
    return reply.header('cache-control', 'no-store').send(answer);
  });
  app.delete('/v1/tenants/:tenant', { preHandler: tenantRoute('shred', true) }, async (request, reply) => {
    await vault.destroyTenant(stateOf(request).tenant!);
    logger.warn({ tenantId: stateOf(request).tenant, identity: stateOf(request).identity }, 'on-premises KMS: tenant key destroyed (crypto-shredded)');
    return reply.code(204).send();
  });

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await vault.close();
    throw error;
  }
  const port = (app.server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  logger.info({ port, host: config.host, clients: clients.size, admins: admins.size, allowAnyClient: config.allowAnyClient === true }, 'on-premises KMS listening (mutual TLS)');
  return {
    url: `https://${host}:${port}`,
    port,
    close: async () => {
      // In-flight requests finish (and are audited); idle keep-alive connections are closed.
      await app.close();
      await vault.close();
    },
  };
}
