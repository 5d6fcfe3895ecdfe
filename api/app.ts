import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../common/index.js';
import { isHcError } from '../common/index.js';
import { silentLogger, type Logger } from '../common/index.js';
import type { ApiContext } from './context.js';
import { ApiError, BodyTooLargeError, InternalError, InvalidInputError, NotFoundError, RateLimitedError, ServiceUnavailableError } from './errors.js';
import { OidcClient } from './oidc.js';
import { OpenApiCollector, serveOpenApi } from './openapi.js';
import { apiOptionsSchema, type ApiOptionsInput } from './options.js';
import { errorPage } from './pages/html.js';
import { pagesRoutes } from './pages/index.js';
import type { ApiDeps } from './ports.js';
import { actionsRoutes } from './routes/actions.js';
import { devicesRoutes } from './routes/devices.js';
import { tokensRoutes } from './routes/tokens.js';
import { usersRoutes } from './routes/users.js';
import { TokenService } from './tokens.js';
import { StoredViewCache } from './view-cache.js';

export interface BuildApiExtras {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

const PAGE_PREFIXES = ['/admin', '/me', '/auth', '/signin', '/signout'];

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function toApiError(error: unknown, request: FastifyRequest, bodyLimit: number): ApiError {
  if (error instanceof ApiError) return error;
  const fe = error as Partial<FastifyError> & { validation?: { instancePath?: string; message?: string }[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const parts = fe.validation.slice(0, 5).map((v) => `${fe.validationContext ?? 'request'}${v.instancePath ?? ''} ${v.message ?? 'is invalid'}`);
    return new InvalidInputError(`Invalid request: ${parts.join('; ')}.`);
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new BodyTooLargeError(bodyLimit);
  if (fe.statusCode === 429) return new RateLimitedError(60);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const status = fe.statusCode;
    return new ApiError('HC_ERR_API_INVALID_INPUT', status, status === 415 ? 'Unsupported content type; send application/json (API) or a form (pages).' : 'The request could not be read (malformed body, header or address).');
  }
  if (isHcError(error) && error.retryable) return new ServiceUnavailableError('A service the API needs is unavailable; retry shortly.', { cause: error });
  return new InternalError(request.id, { cause: error });
}

/**
 * The HTTP API and pages (fastify). Options are validated here once; everything the API reads or
 * calls comes in `deps` (see ports.ts). Listening is the caller's business.
 */
export async function buildApi(input: ApiOptionsInput, deps: ApiDeps, extras: BuildApiExtras = {}): Promise<FastifyInstance> {
  const options = apiOptionsSchema.parse(input);
  const clock = extras.clock ?? systemClock;
  const logger = extras.logger ?? silentLogger;
  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { maxParamLength: 256 },
    genReqId: () => randomUUID(),
    // fastify's own request lines print the query string (authorization codes, state): ours print the path only.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  const ctx: ApiContext = {
    options, deps, clock, logger,
    tokens: new TokenService(deps.state, clock, { cacheMs: options.tokenCacheMs }),
    oidc: new OidcClient(options.oidc, clock),
    tenantOrgs: new StoredViewCache<string | undefined>({
      ttlMs: options.tenantCacheMs, maxEntries: 10_000, clock, ...(options.tenantCacheMs >= 2 ? { refreshAfterMs: Math.floor(options.tenantCacheMs / 2) } : {}),
    }),
  };
  app.decorateRequest('principal', null);

  const collector = new OpenApiCollector();
  app.addHook('onRoute', (route) => collector.onRoute(route));

  app.addHook('onRequest', (request, _reply, done) => {
    done(request.url.length > options.maxUrlLength ? new ApiError('HC_ERR_API_INVALID_INPUT', 414, `The address is longer than ${options.maxUrlLength} characters.`) : undefined);
  });
  app.addHook('onResponse', async (request, reply) => {
    // Path only: query strings may hold an authorization code or state.
    request.log.info({ reqId: request.id, method: request.method, path: pathOf(request.url), status: reply.statusCode, principal: request.principal?.via ?? null, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  const authorityOrigin = new URL(options.oidc.authorityUrl).origin;
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], connectSrc: ["'self'"],
        // Chrome applies form-action to the redirect after a form post: the identity platform must be allowed.
        formAction: ["'self'", authorityOrigin], frameAncestors: ["'none'"], objectSrc: ["'none'"], baseUri: ["'none'"],
      },
    },
    strictTransportSecurity: options.publicBaseUrl.startsWith('https:') ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  await app.register(fastifyRateLimit, {
    max: options.rateLimit.max,
    timeWindow: options.rateLimit.windowMs,
    keyGenerator: (request) => {
      const header = request.headers.authorization;
      const id = typeof header === 'string' ? /^Bearer hct_([A-Za-z0-9_-]{16})\./.exec(header)?.[1] : undefined;
      return id === undefined ? `ip:${request.ip}` : `token:${id}`;
    },
    errorResponseBuilder: (_request, context) => new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  await app.register(fastifyCookie, { secret: options.cookieSecret, hook: 'onRequest' });
  await app.register(fastifyFormbody, { bodyLimit: options.bodyLimitBytes });

  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const e = toApiError(error, request, options.bodyLimitBytes);
    const entry = { reqId: request.id, method: request.method, path: pathOf(request.url), code: e.code, status: e.statusCode, principal: request.principal?.via ?? null };
    if (e.statusCode >= 500) request.log.error({ ...entry, err: { type: (error as Error).name, code: (error as { code?: string }).code, message: isHcError(error) ? error.message : undefined } }, 'request failed');
    else request.log.warn(entry, 'request refused');
    if (e instanceof RateLimitedError) void reply.header('retry-after', String(e.details['retryAfterSeconds'] ?? 60));
    void reply.code(e.statusCode);
    if (PAGE_PREFIXES.some((p) => pathOf(request.url).startsWith(p))) return reply.type('text/html; charset=utf-8').send(errorPage(e));
    return reply.type('application/json; charset=utf-8').send({ error: { code: e.code, message: e.message } });
  });
  app.setNotFoundHandler(() => {
    throw new NotFoundError();
  });

  app.get('/healthz', { schema: { hide: true } }, (_request, reply) => reply.send({ status: 'ok' }));
  serveOpenApi(app, collector, options.publicBaseUrl);
  // One plugin per resource; they share the root's hooks, error handler and decorators.
  for (const routes of [usersRoutes, devicesRoutes, actionsRoutes, tokensRoutes, pagesRoutes]) routes(ctx)(app);
  return app;
}
