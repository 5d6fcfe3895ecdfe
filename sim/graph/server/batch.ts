/** JSON $batch: up to 20 requests, dependsOn ordering, at most four running at once. */
import { MAX_BATCH, badRequest, header, readJson, type ApiRequest, type ApiResponse, type Ctx } from './api-context.js';

/** POST /$batch: validates the payload, runs the inner requests in dependency order, four at a time, through `dispatch`. */
export async function batch(ctx: Ctx, dispatch: (req: ApiRequest) => Promise<ApiResponse>): Promise<ApiResponse> {
  const body = readJson(ctx) as { requests?: unknown } | undefined;
  if (body === undefined || !Array.isArray(body.requests)) throw badRequest('Invalid batch payload format.');
  const requests = body.requests as { id?: unknown; method?: unknown; url?: unknown; headers?: unknown; body?: unknown; dependsOn?: unknown }[];
  if (requests.length === 0) throw badRequest('Invalid batch payload format: at least one request is required.');
  if (requests.length > MAX_BATCH) throw badRequest(`Invalid batch payload format: the number of requests exceeds the limit of ${MAX_BATCH}.`);
  const ids = new Set<string>();
  for (const r of requests) {
    if (typeof r.id !== 'string' || typeof r.method !== 'string' || typeof r.url !== 'string') throw badRequest('Invalid batch payload format: every request needs id, method and url.');
    if (ids.has(r.id)) throw badRequest(`Invalid batch payload format: duplicate request id '${r.id}'.`);
    ids.add(r.id);
    if (r.body !== undefined && !Object.keys((r.headers ?? {})).some((h) => h.toLowerCase() === 'content-type')) {
      throw badRequest(`Write request id : ${r.id} does not contain Content-Type header or body.`);
    }
  }
  for (const r of requests) {
    const deps = r.dependsOn === undefined ? [] : r.dependsOn;
    if (!Array.isArray(deps) || deps.some((dep) => typeof dep !== 'string' || !ids.has(dep) || dep === r.id)) {
      throw badRequest(`Invalid batch payload format: request '${String(r.id)}' depends on an unknown request.`);
    }
  }
  const results = new Map<string, Promise<ApiResponse & { id: string }>>();
  let running = 0;
  const waiters: (() => void)[] = [];
  const slot = async () => {
    while (running >= 4) await new Promise<void>((resolve) => waiters.push(resolve));
    running += 1;
  };
  const free = () => {
    running -= 1;
    waiters.shift()?.();
  };
  const order = topological(requests.map((r) => ({ id: r.id as string, deps: (r.dependsOn ?? []) as string[] })));
  if (order === undefined) throw badRequest('Invalid batch payload format: dependsOn forms a cycle.');
  const byId = new Map(requests.map((r) => [r.id as string, r]));
  for (const id of order) {
    const r = byId.get(id);
    if (r === undefined) continue;
    const deps = ((r.dependsOn ?? []) as string[]).map((d) => results.get(d) ?? Promise.resolve(undefined));
    results.set(id, (async () => {
      const done = await Promise.all(deps);
      if (done.some((d) => d === undefined || d.status >= 400)) {
        return { id, status: 424, headers: {}, body: { error: { code: 'FailedDependency', message: 'Failed Dependency' } } };
      }
      await slot();
      try {
        const url = String(r.url).replace(/^https:\/\/[^/]+/, '').replace(/^\/?(v1\.0|beta)(?=\/)/, '');
        const headers: Record<string, string | string[] | undefined> = { authorization: header(ctx.req, 'authorization'), prefer: ctx.req.headers['prefer'] };
        for (const [k, v] of Object.entries((r.headers ?? {}) as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
        const inner: ApiRequest = {
          method: String(r.method), url: url.startsWith('/') ? url : `/${url}`, version: ctx.req.version, headers, body: undefined,
          origin: ctx.req.origin, cloud: ctx.req.cloud, batchRequestId: id,
        };
        if (r.body !== undefined) {
          if (typeof r.body === 'string') inner.body = r.body;
          else inner.json = r.body;
        }
        const res = await dispatch(inner);
        return { id, ...res };
      } finally {
        free();
      }
    })());
  }
  const responses = await Promise.all(requests.map((r) => results.get(r.id as string) ?? Promise.resolve(undefined)));
  return {
    status: 200, headers: {},
    body: { responses: responses.map((r) => (r === undefined ? undefined : { id: r.id, status: r.status, headers: r.headers, ...(r.body === undefined ? {} : { body: r.body }) })) },
  };
}

function topological(nodes: { id: string; deps: string[] }[]): string[] | undefined {
  const out: string[] = [];
  const state = new Map<string, 1 | 2>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const visit = (id: string): boolean => {
    const s = state.get(id);
    if (s === 2) return true;
    if (s === 1) return false;
    state.set(id, 1);
    for (const d of byId.get(id)?.deps ?? []) if (!visit(d)) return false;
    state.set(id, 2);
    out.push(id);
    return true;
  };
  for (const n of nodes) if (!visit(n.id)) return undefined;
  return out;
}
