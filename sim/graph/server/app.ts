import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { CloudEndpoint, IdentityPlatform, IdpResponse } from '../identity/index.js';
import type { CloudName } from '../model.js';
import type { SimAdmin } from '../admin/index.js';
import type { GraphApi } from './graph-api.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface CloudAppOptions {
  cloud: CloudName;
  tls: { certPem: string; keyPem: string };
  api: GraphApi;
  identity: IdentityPlatform;
  admin: SimAdmin;
  /** Filled in once the listener knows its port. */
  endpoint: () => CloudEndpoint;
}

function send(reply: FastifyReply, res: IdpResponse): FastifyReply {
  void reply.code(res.status).headers(res.headers);
  return reply.send(res.body === undefined ? undefined : typeof res.body === 'string' ? res.body : JSON.stringify(res.body));
}

function origin(req: FastifyRequest, fallback: string): string {
  const host = req.headers.host;
  return host === undefined ? fallback : `https://${host}`;
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d{3}Z$/, '') } } });
}

/** One HTTPS listener for one cloud: identity platform endpoints, Graph v1.0/beta, admin. */
export function buildCloudApp(options: CloudAppOptions): FastifyInstance {
  const app = Fastify({
    https: { cert: options.tls.certPem, key: options.tls.keyPem }, bodyLimit: MAX_BODY_BYTES, logger: false,
    frameworkErrors: (_error, _req, reply) => {
      const r = reply as unknown as FastifyReply;
      void r.code(400).type('application/json').send(errorBody('BadRequest', 'The request URL is not valid.'));
    },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
      return reply.code(413).type('application/json').send(errorBody('RequestEntityTooLarge', 'The request payload is too large.'));
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).type('application/json').send(errorBody(status === 500 ? 'generalException' : 'BadRequest', status === 500 ? 'An unspecified error has occurred.' : error.message));
  });
  app.setNotFoundHandler((req, reply) => reply.code(400).type('application/json').send(errorBody('BadRequest', `Invalid version: ${req.url.split('/')[1] ?? ''}`)));

  // An outage (faults `outage`) fails every Graph and identity call before routing; /_sim/ stays up.
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/_sim/')) return;
    const service = /^\/(v1\.0|beta)(\/|\?|$)/.test(req.url) ? 'graph' : 'identity';
    const answer = options.admin.outageAnswer(options.cloud, req.method, req.url, service);
    if (answer === undefined) return;
    if (answer.kind === 'reset') {
      reply.hijack();
      req.raw.socket.destroy();
      return reply;
    }
    return reply.code(answer.status).headers(answer.headers).send(JSON.stringify(answer.body));
  });

  const graph = async (req: FastifyRequest, reply: FastifyReply, version: 'v1.0' | 'beta') => {
    const ep = options.endpoint();
    const prefix = `/${version}`;
    const res = await options.api.dispatch({
      method: req.method, url: req.url.slice(prefix.length) || '/', version, headers: req.headers,
      body: typeof req.body === 'string' ? req.body : undefined, origin: origin(req, ep.baseUrl), cloud: options.cloud,
    });
    void reply.code(res.status).headers(res.headers);
    return reply.send(res.body === undefined ? undefined : JSON.stringify(res.body));
  };
  app.all('/v1.0/*', (req, reply) => graph(req, reply, 'v1.0'));
  app.all('/beta/*', (req, reply) => graph(req, reply, 'beta'));

  const id = options.identity;
  const query = (req: FastifyRequest) => new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
  const log = (req: FastifyRequest, status: number) => options.admin.logIdentityCall(options.cloud, req.method, req.url, status);
  app.get<{ Params: { tenant: string } }>('/:tenant/v2.0/.well-known/openid-configuration', (req, reply) =>
    send(reply, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: id.openIdConfiguration(origin(req, options.endpoint().baseUrl), req.params.tenant, options.cloud) }));
  app.get<{ Params: { tenant: string } }>('/:tenant/discovery/v2.0/keys', (_req, reply) =>
    send(reply, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: id.jwks() }));
  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', async (req, reply) => {
    if (options.admin.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, options.admin.faults.latencyMs));
    const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
    const res = await id.token({ cloud: options.cloud, baseUrl: origin(req, options.endpoint().baseUrl) }, req.params.tenant, form, req.headers.authorization);
    log(req, res.status);
    return send(reply, res);
  });
  app.get<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/authorize', (req, reply) => {
    const res = id.authorize({ cloud: options.cloud, baseUrl: origin(req, options.endpoint().baseUrl) }, req.params.tenant, query(req));
    log(req, res.status);
    return send(reply, res);
  });
  const adminConsent = (req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
    const res = id.adminConsent({ cloud: options.cloud, baseUrl: origin(req, options.endpoint().baseUrl) }, req.params.tenant, query(req));
    log(req, res.status);
    return send(reply, res);
  };
  app.get('/:tenant/adminconsent', adminConsent);
  app.get('/:tenant/v2.0/adminconsent', adminConsent);

  options.admin.registerRoutes(app);
  return app;
}
