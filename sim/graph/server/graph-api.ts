import { randomBytes, randomUUID } from 'node:crypto';
import type { Caller } from '../identity/index.js';
import { SimGraphError } from '../model.js';
import type { Mailbox } from '../store/index.js';
import {
  JSON_TYPE, accessDenied, badRequest, header, methodNotAllowed,
  type ApiRequest, type ApiResponse, type Ctx, type GraphApiDeps,
} from './api-context.js';
import { batch } from './batch.js';
import { calendarView, delta, instances, listEvents } from './collections-api.js';
import { DeltaTokens } from './delta-token.js';
import { cancel, createEvent, deleteEvent, getEvent, patchEvent, respond } from './events-api.js';
import { domains, getSchedule, listUsers, mailboxSettings, user } from './mailbox-api.js';
import { parsePrefer, parseQuery } from './odata.js';
import { subscriptions } from './subscriptions-api.js';

export type { ApiRequest, ApiResponse, GraphApiDeps } from './api-context.js';

/** The Graph API proper: routing, permissions, OData, paging, delta, batch; transport-independent. */
export class GraphApi {
  readonly #d: GraphApiDeps;
  readonly #tokens = new DeltaTokens(randomBytes(32));

  constructor(deps: GraphApiDeps) {
    this.#d = deps;
  }

  /**
   * The service forgot every calendar sync state (Outlook keeps them in a bounded cache): the next
   * request with an outstanding $skiptoken or $deltatoken answers 410 Gone, syncStateNotFound.
   */
  expireSyncStates(): void {
    this.#tokens.expireAll();
  }

  async dispatch(req: ApiRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    const clientRequestId = header(req, 'client-request-id') ?? requestId;
    const now = this.#d.clock.now();
    let ctxMailbox: string | undefined;
    let caller: Caller | undefined;
    let response: ApiResponse;
    try {
      this.#d.faults.takeServerError();
      caller = await this.#d.identity.verify(header(req, 'authorization'), req.cloud);
      if (this.#d.faults.expiredTokens) {
        throw new SimGraphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.', {
          'WWW-Authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
        });
      }
      const q = req.url.indexOf('?');
      const path = q < 0 ? req.url : req.url.slice(0, q);
      const ctx: Ctx = {
        req, caller, path,
        query: parseQuery(q < 0 ? '' : req.url.slice(q + 1)),
        base: `${req.origin}/${req.version}`,
        prefer: parsePrefer(req.headers['prefer']),
        applied: [],
      };
      try {
        response = await this.#route(ctx);
      } finally {
        ctxMailbox = ctx.mailboxId;
      }
      if (ctx.applied.length > 0) response.headers['Preference-Applied'] = ctx.applied.join(',');
    } catch (error) {
      response = this.#errorResponse(error, requestId, clientRequestId, now);
    }
    response.headers['request-id'] = requestId;
    response.headers['client-request-id'] = clientRequestId;
    response.headers['x-ms-ags-diagnostic'] = JSON.stringify({ ServerInfo: { DataCenter: 'Simulator', Slice: 'E', Ring: '5', ScaleUnit: '000', RoleInstance: 'SIM', ADSiteName: 'SIM' } });
    response.headers['Strict-Transport-Security'] = 'max-age=31536000';
    response.headers['Cache-Control'] = 'no-cache';
    if (response.body !== undefined && response.headers['Content-Type'] === undefined) response.headers['Content-Type'] = JSON_TYPE;
    if (response.body !== undefined) response.headers['OData-Version'] = '4.0';
    this.#d.callLog.add({
      at: now, cloud: req.cloud, method: req.method, url: `/${req.version}${req.url}`, status: response.status, requestId,
      ...(caller === undefined ? {} : { appId: caller.appId, tenantId: caller.tenantId }),
      ...(ctxMailbox === undefined ? {} : { mailboxId: ctxMailbox }),
      ...(req.batchRequestId === undefined ? {} : { batchRequestId: req.batchRequestId }),
    });
    return response;
  }

  #errorResponse(error: unknown, requestId: string, clientRequestId: string, now: number): ApiResponse {
    const date = new Date(now).toISOString().replace(/\.\d{3}Z$/, '');
    if (error instanceof SimGraphError) {
      const innerError: Record<string, string> = { date, 'request-id': requestId, 'client-request-id': clientRequestId };
      if (error.status === 429) Object.assign(innerError, { code: '429', message: 'Please retry after', status: '429' });
      return { status: error.status, headers: { ...error.headers }, body: { error: { code: error.graphCode, message: error.message, innerError } } };
    }
    return {
      status: 500, headers: {},
      body: { error: { code: 'generalException', message: 'An unspecified error has occurred.', innerError: { date, 'request-id': requestId, 'client-request-id': clientRequestId } } },
    };
  }

  async #route(ctx: Ctx): Promise<ApiResponse> {
    const segs = ctx.path.split('/').filter((s) => s !== '').map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw badRequest(`Invalid URL segment '${s}'.`);
      }
    });
    const method = ctx.req.method.toUpperCase();
    const [first, second] = segs;
    if (first === undefined) throw badRequest('Invalid request.');
    const mailboxScoped = (first.toLowerCase() === 'me' || first.toLowerCase() === 'users') && segs.length > (first.toLowerCase() === 'me' ? 1 : 2);
    if (!mailboxScoped) await this.#delay();
    if (first === '$batch') {
      if (method !== 'POST') throw methodNotAllowed();
      if (ctx.req.batchRequestId !== undefined) throw badRequest('Nested batch requests are not supported.');
      return batch(ctx, (inner) => this.dispatch(inner));
    }
    if (first === 'domains' && segs.length === 1) {
      if (method !== 'GET') throw methodNotAllowed();
      return domains(this.#d, ctx);
    }
    if (first === 'subscriptions') return subscriptions(this.#d, ctx, segs.slice(1), method);
    let userSegment: string;
    let rest: string[];
    if (first.toLowerCase() === 'me') {
      if (ctx.caller.userId === undefined) throw badRequest('/me request is only valid with delegated authentication flow.');
      userSegment = ctx.caller.userId;
      rest = segs.slice(1);
    } else if (first.toLowerCase() === 'users' && second !== undefined) {
      userSegment = second;
      rest = segs.slice(2);
    } else if (first.toLowerCase() === 'users') {
      if (method !== 'GET') throw methodNotAllowed();
      return listUsers(this.#d, ctx);
    } else {
      throw badRequest(`Resource not found for the segment '${first}'.`);
    }
    if (rest.length === 0) {
      if (method !== 'GET') throw methodNotAllowed();
      return user(this.#d, ctx, userSegment);
    }
    const mbx = this.#mailbox(ctx, userSegment);
    ctx.mailboxId = mbx.id;
    const release = this.#d.throttle.acquire(ctx.caller.appId, mbx.id);
    try {
      await this.#delay();
      return this.#mailboxRoute(ctx, mbx, rest, method);
    } finally {
      release();
    }
  }

  async #delay(): Promise<void> {
    if (this.#d.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.#d.faults.latencyMs));
  }

  #mailbox(ctx: Ctx, idOrUpn: string): Mailbox {
    const mbx = this.#d.store.findMailbox(ctx.caller.tenantId, idOrUpn);
    if (mbx === undefined) throw new SimGraphError(404, 'ErrorInvalidUser', `The requested user '${idOrUpn}' is invalid.`);
    if (ctx.caller.userId !== undefined && mbx.id !== ctx.caller.userId) throw accessDenied();
    if (ctx.caller.userId === undefined && !this.#d.identity.directory.mailboxAllowed(ctx.caller.tenantId, ctx.caller.appId, mbx.id)) {
      throw new SimGraphError(403, 'ErrorAccessDenied', 'Access to OData is disabled.');
    }
    if (!mbx.mailboxEnabled) throw new SimGraphError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
    return mbx;
  }

  #mailboxRoute(ctx: Ctx, mbx: Mailbox, rest: string[], method: string): ApiResponse {
    const head = rest[0]?.toLowerCase();
    if (head === 'mailboxsettings') return mailboxSettings(this.#d, ctx, mbx, rest.slice(1), method);
    let r = rest;
    if (head === 'calendar') r = rest.slice(1);
    else if (head === 'calendars' && rest[1] !== undefined) r = rest.slice(2);
    const [a, b, c, d] = r;
    const al = a?.toLowerCase();
    if (al === 'getschedule' && r.length === 1) {
      if (method !== 'POST') throw methodNotAllowed();
      return getSchedule(this.#d, ctx, mbx);
    }
    if (al === 'calendarview') {
      if (method !== 'GET') throw methodNotAllowed();
      if (b === undefined) return calendarView(this.#d, ctx, mbx);
      if (b.toLowerCase() === 'delta' && c === undefined) return delta(this.#d, this.#tokens, ctx, mbx);
    }
    if (al === 'events') {
      if (b === undefined) {
        if (method === 'GET') return listEvents(this.#d, ctx, mbx);
        if (method === 'POST') return createEvent(this.#d, ctx, mbx);
        throw methodNotAllowed();
      }
      if (c === undefined) {
        if (method === 'GET') return getEvent(this.#d, ctx, mbx, b);
        if (method === 'PATCH') return patchEvent(this.#d, ctx, mbx, b);
        if (method === 'DELETE') return deleteEvent(this.#d, ctx, mbx, b);
        throw methodNotAllowed();
      }
      const action = c.toLowerCase();
      if (d === undefined && action === 'instances') {
        if (method !== 'GET') throw methodNotAllowed();
        return instances(this.#d, ctx, mbx, b);
      }
      if (d === undefined && ['accept', 'decline', 'tentativelyaccept'].includes(action)) {
        if (method !== 'POST') throw methodNotAllowed();
        return respond(this.#d, ctx, mbx, b, action);
      }
      if (d === undefined && action === 'cancel') {
        if (method !== 'POST') throw methodNotAllowed();
        return cancel(this.#d, ctx, mbx, b);
      }
    }
    throw badRequest(`Resource not found for the segment '${a ?? ''}'.`);
  }
}
