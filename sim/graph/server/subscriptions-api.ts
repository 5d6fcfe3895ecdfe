/** /subscriptions routes, delegated to the notification hub (plus Outlook's mailbox checks on create). */
import { SimGraphError } from '../model.js';
import type { SubscriptionCaller } from '../notifications/index.js';
import { badRequest, methodNotAllowed, readJson, type ApiResponse, type Ctx, type GraphApiDeps } from './api-context.js';

export async function subscriptions(d: GraphApiDeps, ctx: Ctx, rest: string[], method: string): Promise<ApiResponse> {
  const c = ctx.caller;
  const caller: SubscriptionCaller = c.userId === undefined
    ? { tenantId: c.tenantId, appId: c.appId, scopes: c.scopes, roles: c.roles }
    : { tenantId: c.tenantId, appId: c.appId, userId: c.userId, scopes: c.scopes, roles: c.roles };
  const hub = d.hub.current;
  if (hub === undefined) throw new SimGraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.', { 'Retry-After': '1' });
  // The hub renders contexts for the primary cloud's v1.0 root; each listener answers with its own
  // host and version (the key keeps its first position in the object, as Graph sends it).
  const context = `${ctx.base}/$metadata#subscriptions`;
  const [id, action] = rest;
  if (id === undefined) {
    if (method === 'POST') checkSubscriptionMailbox(d, ctx, readJson(ctx));
    if (method === 'POST') return { status: 201, headers: {}, body: { ...(await hub.create(caller, readJson(ctx))), '@odata.context': `${context}/$entity` } };
    if (method === 'GET') return { status: 200, headers: {}, body: { ...hub.listBody(caller), '@odata.context': context } };
    throw methodNotAllowed();
  }
  if (action !== undefined) {
    if (action.toLowerCase() === 'reauthorize' && method === 'POST' && rest.length === 2) {
      hub.reauthorize(caller, id);
      return { status: 204, headers: {} };
    }
    throw badRequest(`Resource not found for the segment '${action}'.`);
  }
  if (method === 'GET') return { status: 200, headers: {}, body: { ...hub.get(caller, id), '@odata.context': `${context}/$entity` } };
  if (method === 'PATCH') return { status: 200, headers: {}, body: { ...(await hub.updateWithValidation(caller, id, readJson(ctx))), '@odata.context': `${context}/$entity` } };
  if (method === 'DELETE') {
    hub.delete(caller, id);
    return { status: 204, headers: {} };
  }
  throw methodNotAllowed();
}

/** Outlook answers a blocked or unlicensed mailbox on POST /subscriptions with ExtensionError. */
export function checkSubscriptionMailbox(d: GraphApiDeps, ctx: Ctx, body: unknown): void {
  const resource = body !== null && typeof body === 'object' ? (body as { resource?: unknown }).resource : undefined;
  if (typeof resource !== 'string') return;
  const m = /^\/?users\/([^/]+)\//i.exec(resource);
  if (m === null || ctx.caller.userId !== undefined) return;
  const mbx = d.store.findMailbox(ctx.caller.tenantId, decodeURIComponent(m[1] ?? ''));
  if (mbx === undefined) return;
  if (!d.identity.directory.mailboxAllowed(ctx.caller.tenantId, ctx.caller.appId, mbx.id)) {
    throw new SimGraphError(403, 'ExtensionError', 'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access to OData is disabled.]');
  }
  if (!mbx.mailboxEnabled) {
    throw new SimGraphError(404, 'ExtensionError', 'Operation: Create; Exception: [Status Code: NotFound; Reason: The mailbox is either inactive, soft-deleted, or is hosted on-premise.]');
  }
}
