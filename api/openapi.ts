import type { FastifyInstance, RouteOptions } from 'fastify';

interface Collected {
  readonly method: string;
  readonly url: string;
  readonly schema: Record<string, unknown>;
}

/** Collects every route with a schema (onRoute) and serves them as an OpenAPI 3.1 document. */
export class OpenApiCollector {
  readonly #routes: Collected[] = [];

  onRoute(route: RouteOptions): void {
    const schema = route.schema as Record<string, unknown> | undefined;
    if (schema === undefined || schema['hide'] === true || !route.url.startsWith('/v1/')) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      this.#routes.push({ method: method.toLowerCase(), url: route.url, schema });
    }
  }

  document(info: { title: string; version: string; serverUrl: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const { method, url, schema } of this.#routes) {
      const path = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters: unknown[] = [];
      const addParams = (where: 'path' | 'query' | 'header', source: unknown) => {
        const s = source as { properties?: Record<string, unknown>; required?: string[] } | undefined;
        for (const [name, sub] of Object.entries(s?.properties ?? {})) {
          parameters.push({ name, in: where, required: where === 'path' || (s?.required ?? []).includes(name), schema: sub });
        }
      };
      addParams('path', schema['params']);
      addParams('query', schema['querystring']);
      addParams('header', schema['headers']);
      const responses: Record<string, unknown> = {};
      for (const [status, body] of Object.entries((schema['response'] as Record<string, Record<string, unknown>> | undefined) ?? {})) {
        const isSse = body['description'] === 'text/event-stream';
        const description = status.startsWith('2') ? 'Success' : 'Error (HC_ERR_* code and what to do)';
        responses[status] = body['type'] === 'null'
          ? { description }
          : { description, content: { [isSse ? 'text/event-stream' : 'application/json']: { schema: isSse ? { type: 'string' } : body } } };
      }
      const operation: Record<string, unknown> = {
        operationId: `${method}${path.replace(/[{}]/g, '').split('/').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}`,
        summary: schema['summary'], tags: schema['tags'], security: schema['security'], parameters, responses,
      };
      if (schema['body'] !== undefined) operation['requestBody'] = { required: true, content: { 'application/json': { schema: schema['body'] } } };
      (paths[path] ??= {})[method] = operation;
    }
    return {
      openapi: '3.1.0',
      info: { title: info.title, version: info.version, description: 'hybrid-calendar API: meeting lists, device bookings and the OBTP stream, presence, calendar actions, service tokens. Errors are `{ error: { code: HC_ERR_*, message } }`.' },
      servers: [{ url: info.serverUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Service token hct_<id>.<secret> issued by an administrator' } } },
      paths,
    };
  }
}

export function serveOpenApi(app: FastifyInstance, collector: OpenApiCollector, serverUrl: string): void {
  let doc: Record<string, unknown> | undefined;
  app.get('/openapi.json', { schema: { hide: true } }, (_request, reply) => {
    doc ??= collector.document({ title: 'hybrid-calendar', version: '1.0.0', serverUrl });
    return reply.send(doc);
  });
}
