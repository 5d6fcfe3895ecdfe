import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../../../common/clock.js';
import type { CallLog } from '../admin/calllog.js';
import type { Faults } from '../faults/index.js';
import type { Caller, IdentityPlatform } from '../identity/index.js';
import { SimGraphError, type CloudName, type DateTimeTimeZone } from '../model.js';
import type { NotificationHub, SubscriptionCaller } from '../notifications/index.js';
import {
  overlaps, parseEventInput, parseMailboxSettingsPatch, parseRespondInput, renderEvent,
  type EventView, type Mailbox, type OccurrenceException, type RenderOptions, type SimStore,
} from '../store/index.js';
import type { Throttle } from '../throttle/index.js';
import { toIanaZone, zonedToUtcMs, utcMsToZoned } from '../time/index.js';
import { DeltaTokens, type DeltaState } from './delta-token.js';
import {
  checkFilter, intOption, parseEventFilter, parseExpand, parseOrderBy, parsePrefer, parseQuery, parseSelect, parseWindowBound,
} from './odata.js';

export interface ApiRequest {
  method: string;
  /** Path after the version, starting with '/', plus query (e.g. `/me/events?$top=5`). */
  url: string;
  version: 'v1.0' | 'beta';
  headers: Record<string, string | string[] | undefined>;
  /** Raw body text (undefined when none). */
  body: string | undefined;
  /** Already parsed body ($batch inner requests). */
  json?: unknown;
  /** `https://host:port` as the client reached us (for nextLinks and contexts). */
  origin: string;
  cloud: CloudName;
  batchRequestId?: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export interface GraphApiDeps {
  store: SimStore;
  identity: IdentityPlatform;
  clock: Clock;
  throttle: Throttle;
  faults: Faults;
  /** Filled once the listeners know their URLs (the hub needs the Graph base URL). */
  hub: { current: NotificationHub | undefined };
  callLog: CallLog;
}

const CAL_READ = ['Calendars.Read', 'Calendars.ReadBasic', 'Calendars.ReadWrite', 'Calendars.Read.Shared', 'Calendars.ReadWrite.Shared'];
const CAL_WRITE = ['Calendars.ReadWrite', 'Calendars.ReadWrite.Shared'];
const MBX_READ = ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'];
const MBX_WRITE = ['MailboxSettings.ReadWrite'];
const USER_READ_APP = ['User.Read.All', 'User.ReadBasic.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const DOMAIN_READ = ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const MAX_BATCH = 20;
const CV_UNSELECTABLE = new Set(['createdDateTime', 'lastModifiedDateTime']);

const accessDenied = () => new SimGraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
const badRequest = (message: string) => new SimGraphError(400, 'BadRequest', message);

function has(caller: Caller, perms: readonly string[]): boolean {
  const granted = caller.userId === undefined ? caller.roles : caller.scopes;
  const lowered = new Set(granted.map((g) => g.toLowerCase()));
  return perms.some((p) => lowered.has(p.toLowerCase()));
}

function header(req: ApiRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

interface Ctx {
  req: ApiRequest;
  caller: Caller;
  query: Map<string, string>;
  path: string;
  base: string;
  prefer: Map<string, string>;
  applied: string[];
  mailboxId?: string;
}

/** The Graph API proper: routing, permissions, OData, paging, delta, batch; transport-independent. */
export class GraphApi {
  readonly #d: GraphApiDeps;
  readonly #tokens = new DeltaTokens(randomBytes(32));

  constructor(deps: GraphApiDeps) {
    this.#d = deps;
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

  #json(ctx: Ctx): unknown {
    if (ctx.req.json !== undefined) return ctx.req.json;
    const text = ctx.req.body;
    if (text === undefined || text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw badRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
    }
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
      return this.#batch(ctx);
    }
    if (first === 'domains' && segs.length === 1) {
      if (method !== 'GET') throw methodNotAllowed();
      return this.#domains(ctx);
    }
    if (first === 'subscriptions') return this.#subscriptions(ctx, segs.slice(1), method);
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
      return this.#listUsers(ctx);
    } else {
      throw badRequest(`Resource not found for the segment '${first}'.`);
    }
    if (rest.length === 0) {
      if (method !== 'GET') throw methodNotAllowed();
      return this.#user(ctx, userSegment);
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
    if (head === 'mailboxsettings') return this.#mailboxSettings(ctx, mbx, rest.slice(1), method);
    let r = rest;
    if (head === 'calendar') r = rest.slice(1);
    else if (head === 'calendars' && rest[1] !== undefined) r = rest.slice(2);
    const [a, b, c, d] = r;
    const al = a?.toLowerCase();
    if (al === 'getschedule' && r.length === 1) {
      if (method !== 'POST') throw methodNotAllowed();
      return this.#getSchedule(ctx, mbx);
    }
    if (al === 'calendarview') {
      if (method !== 'GET') throw methodNotAllowed();
      if (b === undefined) return this.#calendarView(ctx, mbx);
      if (b.toLowerCase() === 'delta' && c === undefined) return this.#delta(ctx, mbx);
    }
    if (al === 'events') {
      if (b === undefined) {
        if (method === 'GET') return this.#listEvents(ctx, mbx);
        if (method === 'POST') return this.#createEvent(ctx, mbx);
        throw methodNotAllowed();
      }
      if (c === undefined) {
        if (method === 'GET') return this.#getEvent(ctx, mbx, b);
        if (method === 'PATCH') return this.#patchEvent(ctx, mbx, b);
        if (method === 'DELETE') return this.#deleteEvent(ctx, mbx, b);
        throw methodNotAllowed();
      }
      const action = c.toLowerCase();
      if (d === undefined && action === 'instances') {
        if (method !== 'GET') throw methodNotAllowed();
        return this.#instances(ctx, mbx, b);
      }
      if (d === undefined && ['accept', 'decline', 'tentativelyaccept'].includes(action)) {
        if (method !== 'POST') throw methodNotAllowed();
        return this.#respond(ctx, mbx, b, action);
      }
    }
    throw badRequest(`Resource not found for the segment '${a ?? ''}'.`);
  }

  // ---- Render helpers -------------------------------------------------------------------------

  #renderOptions(ctx: Ctx, unselectable?: ReadonlySet<string>): RenderOptions {
    const opts: RenderOptions = { select: parseSelect(ctx.query.get('$select')), extendedPropertyIds: parseExpand(ctx.query.get('$expand')) };
    const tz = ctx.prefer.get('outlook.timezone');
    if (tz !== undefined && tz !== '' && toIanaZone(tz) !== undefined) {
      opts.timeZone = tz;
      ctx.applied.push(`outlook.timezone="${tz}"`);
    }
    const bodyType = ctx.prefer.get('outlook.body-content-type')?.toLowerCase();
    if (bodyType === 'text' || bodyType === 'html') {
      opts.bodyType = bodyType;
      ctx.applied.push(`outlook.body-content-type="${bodyType}"`);
    }
    if (unselectable !== undefined) opts.unselectable = unselectable;
    return opts;
  }

  #userContext(ctx: Ctx, mbx: Mailbox): string {
    return `${ctx.base}/$metadata#users('${mbx.id}')`;
  }

  #checkUnknownOptions(ctx: Ctx, allowed: readonly string[]): void {
    for (const key of ctx.query.keys()) {
      if (key.startsWith('$') && !allowed.includes(key)) throw badRequest(`Query option '${key}' is not allowed on this request.`);
    }
  }

  // ---- Events ---------------------------------------------------------------------------------

  #listEvents(ctx: Ctx, mbx: Mailbox): ApiResponse {
    this.#need(ctx, CAL_READ);
    this.#checkUnknownOptions(ctx, ['$top', '$skip', '$select', '$filter', '$orderby', '$expand', '$count']);
    const top = intOption(ctx.query, '$top', 1, 1000) ?? 10;
    const skip = intOption(ctx.query, '$skip', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const filter = parseEventFilter(ctx.query.get('$filter'));
    const order = parseOrderBy(ctx.query.get('$orderby'));
    const opts = this.#renderOptions(ctx);
    let views = this.#d.store.masters(mbx).map((ev) => ({
      event: ev, type: ev.type, id: ev.id, startMs: ev.startMs, endMs: ev.endMs, startLocal: ev.startLocal, endLocal: ev.endLocal, iCalUId: ev.iCalUId,
    }));
    checkFilter(filter, views[0]);
    if (filter !== undefined) views = views.filter(filter);
    if (order !== undefined) views.sort(order);
    return this.#page(ctx, views, skip, top, `${this.#userContext(ctx, mbx)}/calendar/events${selectSuffix(opts)}`, opts, ctx.query.get('$count') === 'true');
  }

  #page(ctx: Ctx, views: EventView[], skip: number, top: number, context: string, opts: RenderOptions, count = false): ApiResponse {
    const page = views.slice(skip, skip + top);
    const body: Record<string, unknown> = { '@odata.context': context };
    if (count) body['@odata.count'] = views.length;
    body['value'] = page.map((v) => renderEvent(v, opts));
    if (skip + top < views.length) {
      const parts: string[] = [];
      for (const [k, v] of ctx.query) if (k !== '$skip') parts.push(`${k.replace(/[^$\w.-]/g, encodeURIComponent)}=${encodeURIComponent(v)}`);
      parts.push(`$skip=${skip + top}`);
      body['@odata.nextLink'] = `${ctx.base}${ctx.path}?${parts.join('&')}`;
    }
    return { status: 200, headers: {}, body };
  }

  #getEvent(ctx: Ctx, mbx: Mailbox, id: string): ApiResponse {
    this.#need(ctx, CAL_READ);
    this.#checkUnknownOptions(ctx, ['$select', '$expand']);
    const opts = this.#renderOptions(ctx);
    const view = this.#d.store.getView(mbx, id);
    const body: Record<string, unknown> = { '@odata.context': `${this.#userContext(ctx, mbx)}/events${selectSuffix(opts)}/$entity`, ...renderEvent(view, opts) };
    if (opts.select === undefined) {
      body['calendar@odata.associationLink'] = `${ctx.base}/users('${mbx.id}')/calendars('AAMkAGI${mbx.index}')/$ref`;
      body['calendar@odata.navigationLink'] = `${ctx.base}/users('${mbx.id}')/calendars('AAMkAGI${mbx.index}')`;
    }
    if (opts.select?.has('cancelledOccurrences') === true && view.type === 'seriesMaster') {
      body['cancelledOccurrences'] = [...(view.event.exceptions ?? new Map<number, OccurrenceException>()).entries()].filter(([, ex]) => ex.cancelled).map(([ms]) => `OID.${view.id}.${new Date(ms).toISOString().slice(0, 10)}`);
    }
    return { status: 200, headers: {}, body };
  }

  #createEvent(ctx: Ctx, mbx: Mailbox): ApiResponse {
    this.#need(ctx, CAL_WRITE);
    const input = parseEventInput(this.#json(ctx));
    const ev = this.#d.store.insertEvent(mbx, input);
    const opts = this.#renderOptions(ctx);
    opts.select = undefined;
    const body = { '@odata.context': `${this.#userContext(ctx, mbx)}/events/$entity`, ...renderEvent(this.#d.store.getView(mbx, ev.id), opts) };
    return { status: 201, headers: { Location: `${ctx.base}/Users('${mbx.id}')/Events('${ev.id}')`, ETag: `W/"${ev.changeKey}"` }, body };
  }

  #patchEvent(ctx: Ctx, mbx: Mailbox, id: string): ApiResponse {
    this.#need(ctx, CAL_WRITE);
    const input = parseEventInput(this.#json(ctx));
    const view = this.#d.store.patchEvent(mbx, id, input, { ifMatch: header(ctx.req, 'if-match') });
    const opts = this.#renderOptions(ctx);
    opts.select = undefined;
    const body = { '@odata.context': `${this.#userContext(ctx, mbx)}/events/$entity`, ...renderEvent(view, opts) };
    return { status: 200, headers: { ETag: `W/"${view.event.changeKey}"` }, body };
  }

  #deleteEvent(ctx: Ctx, mbx: Mailbox, id: string): ApiResponse {
    this.#need(ctx, CAL_WRITE);
    this.#d.store.removeEvent(mbx, id, { ifMatch: header(ctx.req, 'if-match') });
    return { status: 204, headers: {} };
  }

  #respond(ctx: Ctx, mbx: Mailbox, id: string, action: string): ApiResponse {
    this.#need(ctx, CAL_WRITE);
    const input = parseRespondInput(this.#json(ctx));
    if (input.proposedNewTime !== undefined && action === 'accept') throw badRequest("The property 'proposedNewTime' does not exist on type 'accept'.");
    if (input.proposedNewTime !== undefined && input.sendResponse === false) throw new SimGraphError(400, 'ErrorInvalidRequest', 'A proposed new time requires sendResponse to be true.');
    const response = action === 'accept' ? 'accepted' : action === 'decline' ? 'declined' : 'tentativelyAccepted';
    this.#d.store.respond(mbx, id, response, input.proposedNewTime);
    return { status: 202, headers: {} };
  }

  #instances(ctx: Ctx, mbx: Mailbox, id: string): ApiResponse {
    this.#need(ctx, CAL_READ);
    this.#checkUnknownOptions(ctx, ['$top', '$skip', '$select', '$filter', '$orderby', '$expand']);
    const start = parseWindowBound(ctx.query.get('startDateTime') ?? ctx.query.get('startdatetime'), 'startDateTime');
    const end = parseWindowBound(ctx.query.get('endDateTime') ?? ctx.query.get('enddatetime'), 'endDateTime');
    const top = intOption(ctx.query, '$top', 1, 1000) ?? 10;
    const skip = intOption(ctx.query, '$skip', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const opts = this.#renderOptions(ctx);
    let views = this.#d.store.instances(mbx, id, start, end);
    const filter = parseEventFilter(ctx.query.get('$filter'));
    if (filter !== undefined) views = views.filter(filter);
    const order = parseOrderBy(ctx.query.get('$orderby'));
    if (order !== undefined) views.sort(order);
    return this.#page(ctx, views, skip, top, `${this.#userContext(ctx, mbx)}/events('${id}')/instances${selectSuffix(opts)}`, opts);
  }

  #calendarView(ctx: Ctx, mbx: Mailbox): ApiResponse {
    this.#need(ctx, CAL_READ);
    this.#checkUnknownOptions(ctx, ['$top', '$skip', '$select', '$filter', '$orderby', '$expand', '$count']);
    const start = parseWindowBound(ctx.query.get('startDateTime') ?? ctx.query.get('startdatetime'), 'startDateTime');
    const end = parseWindowBound(ctx.query.get('endDateTime') ?? ctx.query.get('enddatetime'), 'endDateTime');
    if (end < start) throw new SimGraphError(400, 'ErrorInvalidParameter', 'The end of the time window must be after its start.');
    const top = intOption(ctx.query, '$top', 1, 1000) ?? 10;
    const skip = intOption(ctx.query, '$skip', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const opts = this.#renderOptions(ctx, CV_UNSELECTABLE);
    let views = this.#d.store.expand(mbx, start, end);
    const filter = parseEventFilter(ctx.query.get('$filter'));
    checkFilter(filter, views[0]);
    if (filter !== undefined) views = views.filter(filter);
    const order = parseOrderBy(ctx.query.get('$orderby'));
    if (order !== undefined) views.sort(order);
    return this.#page(ctx, views, skip, top, `${this.#userContext(ctx, mbx)}/calendar/calendarView${selectSuffix(opts)}`, opts, ctx.query.get('$count') === 'true');
  }

  // ---- Delta ----------------------------------------------------------------------------------

  #delta(ctx: Ctx, mbx: Mailbox): ApiResponse {
    this.#need(ctx, CAL_READ);
    for (const key of ['$select', '$expand', '$filter', '$orderby', '$search']) {
      if (ctx.query.has(key)) throw badRequest(`Query option '${key}' is not supported with delta.`);
    }
    const deltaUrl = `${ctx.base}${ctx.path}`;
    const skipToken = ctx.query.get('$skiptoken');
    const deltaToken = ctx.query.get('$deltatoken');
    const maxPage = Number(ctx.prefer.get('odata.maxpagesize') ?? '');
    let state: DeltaState;
    if (skipToken !== undefined || deltaToken !== undefined) {
      let decoded: DeltaState;
      try {
        decoded = this.#tokens.decode(skipToken ?? deltaToken ?? '', mbx.id, deltaUrl);
      } catch (error) {
        if (error instanceof SimGraphError) throw error;
        throw new SimGraphError(410, 'syncStateNotFound', 'The sync state is not found or has expired. Please restart the sync.', { Location: `${deltaUrl}?$deltatoken=` });
      }
      state = deltaToken !== undefined ? { ...decoded, f: decoded.t, t: mbx.seq, k: '', i: 0 } : decoded;
    } else {
      const start = parseWindowBound(ctx.query.get('startDateTime') ?? ctx.query.get('startdatetime'), 'startDateTime');
      const end = parseWindowBound(ctx.query.get('endDateTime') ?? ctx.query.get('enddatetime'), 'endDateTime');
      state = { m: mbx.id, s: start, e: end, f: 0, t: mbx.seq, k: '', i: 0, p: 10 };
    }
    if (Number.isInteger(maxPage) && maxPage > 0) {
      state.p = Math.min(maxPage, 1000);
      ctx.applied.push(`odata.maxpagesize=${state.p}`);
    }
    const opts = this.#renderOptions(ctx);
    const store = this.#d.store;
    const candidates = (state.f === 0 ? store.masters(mbx) : store.changedSince(mbx, state.f)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const items: Record<string, unknown>[] = [];
    let k = state.k;
    let i = state.i;
    let done = true;
    for (const ev of candidates) {
      if (k !== '' && ev.id < k) continue;
      const own: Record<string, unknown>[] = [];
      const removed = (id: string) => own.push({ '@odata.type': '#microsoft.graph.event', id, '@removed': { reason: 'deleted' } });
      if (ev.deleted) {
        if (ev.recurrence === null) removed(ev.id);
        else {
          const views: EventView[] = [];
          store.expandOne(ev, state.s, state.e, views);
          for (const v of views) removed(v.id);
        }
      } else if (ev.recurrence === null) {
        if (overlaps(ev.startMs, ev.endMs, state.s, state.e)) own.push({ '@odata.type': '#microsoft.graph.event', ...renderEvent(store.getView(mbx, ev.id), opts) });
        else if (state.f > 0) removed(ev.id);
      } else {
        const views: EventView[] = [];
        store.expandOne(ev, state.s, state.e, views);
        views.sort((x, y) => x.startMs - y.startMs);
        for (const v of views) own.push({ '@odata.type': '#microsoft.graph.event', ...renderEvent(v, opts) });
        if (state.f > 0) for (const id of store.cancelledIn(ev, state.s, state.e)) removed(id);
      }
      const from = ev.id === k ? i : 0;
      for (let j = from; j < own.length; j += 1) {
        if (items.length >= state.p) {
          done = false;
          k = ev.id;
          i = j;
          break;
        }
        items.push(own[j] ?? {});
      }
      if (!done) break;
    }
    const body: Record<string, unknown> = { '@odata.context': `${ctx.base}/$metadata#Collection(event)`, value: items };
    if (done) body['@odata.deltaLink'] = `${deltaUrl}?$deltatoken=${this.#tokens.encode({ ...state, k: '', i: 0 })}`;
    else body['@odata.nextLink'] = `${deltaUrl}?$skiptoken=${this.#tokens.encode({ ...state, k, i })}`;
    return { status: 200, headers: {}, body };
  }

  // ---- getSchedule ----------------------------------------------------------------------------

  #getSchedule(ctx: Ctx, _mbx: Mailbox): ApiResponse {
    this.#need(ctx, CAL_READ);
    const body = this.#json(ctx) as { schedules?: unknown; startTime?: DateTimeTimeZone; endTime?: DateTimeTimeZone; availabilityViewInterval?: unknown } | undefined;
    if (body === undefined || !Array.isArray(body.schedules) || body.startTime === undefined || body.endTime === undefined) {
      throw new SimGraphError(400, 'ErrorInvalidParameter', 'The request requires schedules, startTime and endTime.');
    }
    const schedules = body.schedules.map(String);
    if (schedules.length > 20) throw new SimGraphError(400, 'ErrorInvalidParameter', 'The number of schedules requested exceeds the limit of 20.');
    const interval = body.availabilityViewInterval === undefined ? 30 : Number(body.availabilityViewInterval);
    if (!Number.isInteger(interval) || interval < 5 || interval > 1440) throw new SimGraphError(400, 'ErrorInvalidParameter', 'availabilityViewInterval must be between 5 and 1440 minutes.');
    const start = zonedToUtcMs(body.startTime);
    const end = zonedToUtcMs(body.endTime);
    if (end <= start || end - start >= 62 * 86_400_000) throw new SimGraphError(400, 'ErrorInvalidParameter', 'The time range must be positive and shorter than 62 days.');
    const opts = this.#renderOptions(ctx);
    const tz = opts.timeZone ?? 'UTC';
    const value = schedules.map((address) => {
      const target = this.#d.store.findMailbox(ctx.caller.tenantId, address);
      if (target === undefined || !target.mailboxEnabled) {
        return { scheduleId: address, availabilityView: '', scheduleItems: [], error: { message: `Failed to get free/busy information for ${address}.`, responseCode: 'ErrorMailRecipientNotFound' } };
      }
      const views = this.#d.store.expand(target, start, end).filter((v) => !v.event.isCancelled);
      const slots = Math.ceil((end - start) / (interval * 60_000));
      let availability = '';
      for (let s = 0; s < slots; s += 1) {
        const a = start + s * interval * 60_000;
        const b = Math.min(end, a + interval * 60_000);
        let digit = 0;
        for (const v of views) {
          if (!overlaps(v.startMs, v.endMs, a, b)) continue;
          const d = v.event.showAs === 'oof' ? 3 : v.event.showAs === 'busy' ? 2 : v.event.showAs === 'tentative' ? 1 : 0;
          if (d > digit) digit = d;
        }
        availability += String(digit);
      }
      const settings = this.#d.store.mailboxSettings(target);
      return {
        scheduleId: address,
        availabilityView: availability,
        scheduleItems: views.map((v) => {
          const item: Record<string, unknown> = { isPrivate: v.event.sensitivity === 'private', status: v.event.showAs };
          if (v.event.sensitivity === 'normal' || v.event.sensitivity === 'personal') {
            item['subject'] = v.event.subject;
            item['location'] = v.event.location?.displayName ?? '';
          }
          item['isMeeting'] = v.event.attendees.length > 0;
          item['isRecurring'] = v.type !== 'singleInstance';
          item['isException'] = v.type === 'exception';
          item['isReminderSet'] = v.event.isReminderOn;
          item['start'] = utcMsToZoned(v.startMs, tz);
          item['end'] = utcMsToZoned(v.endMs, tz);
          return item;
        }),
        workingHours: settings.workingHours,
      };
    });
    return { status: 200, headers: {}, body: { '@odata.context': `${ctx.base}/$metadata#Collection(microsoft.graph.scheduleInformation)`, value } };
  }

  // ---- Mailbox settings -----------------------------------------------------------------------

  #mailboxSettings(ctx: Ctx, mbx: Mailbox, sub: string[], method: string): ApiResponse {
    const context = `${this.#userContext(ctx, mbx)}/mailboxSettings`;
    const settings = () => {
      const s = this.#d.store.mailboxSettings(mbx);
      return {
        archiveFolder: `AQMkAGI${mbx.index}AAAAAAEMAAAA`, timeZone: s.timeZone, automaticRepliesSetting: s.automaticRepliesSetting,
        language: s.language, workingHours: s.workingHours, dateFormat: s.dateFormat, timeFormat: s.timeFormat,
        userPurpose: s.userPurpose, delegateMeetingMessageDeliveryOptions: s.delegateMeetingMessageDeliveryOptions,
      } as Record<string, unknown>;
    };
    const known = ['automaticRepliesSetting', 'dateFormat', 'delegateMeetingMessageDeliveryOptions', 'language', 'timeFormat', 'timeZone', 'workingHours', 'userPurpose', 'archiveFolder'];
    if (sub.length > 1) throw badRequest(`Resource not found for the segment '${sub[1] ?? ''}'.`);
    const prop = sub[0] === undefined ? undefined : known.find((k) => k.toLowerCase() === sub[0]?.toLowerCase());
    if (sub[0] !== undefined && prop === undefined) throw badRequest(`Resource not found for the segment '${sub[0]}'.`);
    if (method === 'GET') {
      this.#need(ctx, MBX_READ);
      const all = settings();
      if (prop === undefined) return { status: 200, headers: {}, body: { '@odata.context': context, ...all } };
      const value = all[prop];
      const body = value !== null && typeof value === 'object' ? { '@odata.context': `${context}/${prop}`, ...(value as Record<string, unknown>) } : { '@odata.context': `${context}/${prop}`, value };
      return { status: 200, headers: {}, body };
    }
    if (method === 'PATCH') {
      this.#need(ctx, MBX_WRITE);
      const raw = this.#json(ctx);
      const patch = parseMailboxSettingsPatch(prop === undefined ? raw : prop === 'timeZone' || prop === 'dateFormat' || prop === 'timeFormat' ? { [prop]: (raw as { value?: unknown } | undefined)?.value } : { [prop]: raw });
      this.#d.store.patchMailboxSettings(mbx, patch);
      const all = settings();
      const body: Record<string, unknown> = { '@odata.context': context };
      for (const key of Object.keys(patch)) body[key] = all[key];
      return { status: 200, headers: {}, body };
    }
    throw methodNotAllowed();
  }

  // ---- Directory ------------------------------------------------------------------------------

  #user(ctx: Ctx, idOrUpn: string): ApiResponse {
    const mbx = this.#d.store.findMailbox(ctx.caller.tenantId, idOrUpn);
    const self = ctx.caller.userId !== undefined && mbx?.id === ctx.caller.userId;
    const allowed = self ? has(ctx.caller, ['User.Read', ...USER_READ_APP]) : has(ctx.caller, USER_READ_APP);
    if (!allowed) throw new SimGraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    if (mbx === undefined) throw new SimGraphError(404, 'Request_ResourceNotFound', `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`);
    return { status: 200, headers: {}, body: { '@odata.context': `${ctx.base}/$metadata#users/$entity`, ...this.#userJson(mbx) } };
  }

  #userJson(mbx: Mailbox): Record<string, unknown> {
    const [givenName, ...rest] = mbx.displayName.split(' ');
    const settings = this.#d.store.mailboxSettings(mbx);
    return {
      businessPhones: [], displayName: mbx.displayName, givenName: mbx.kind === 'room' ? null : givenName ?? null, jobTitle: null, mail: mbx.mail,
      mobilePhone: null, officeLocation: null, preferredLanguage: settings.language.locale, surname: mbx.kind === 'room' ? null : rest.join(' ') || null,
      userPrincipalName: mbx.userPrincipalName, id: mbx.id,
    };
  }

  /** GET /users: $top (default 100, max 999), $skiptoken paging, $select, $filter on mail / userPrincipalName / id equality. */
  #listUsers(ctx: Ctx): ApiResponse {
    if (!has(ctx.caller, USER_READ_APP)) throw new SimGraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    this.#checkUnknownOptions(ctx, ['$top', '$select', '$filter', '$skiptoken', '$count']);
    const top = intOption(ctx.query, '$top', 1, 999) ?? 100;
    const skip = Number(Buffer.from(ctx.query.get('$skiptoken') ?? '', 'base64url').toString() || '0');
    if (!Number.isInteger(skip) || skip < 0) throw badRequest('Invalid $skiptoken.');
    let users = [...this.#d.store.requireTenant(ctx.caller.tenantId).mailboxes.values()];
    const filter = ctx.query.get('$filter');
    if (filter !== undefined) {
      const m = /^\s*(mail|userPrincipalName|id)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
      if (m === null) throw new SimGraphError(400, 'Request_UnsupportedQuery', 'Unsupported or invalid query filter clause specified for property.');
      const prop = (m[1] ?? '').toLowerCase();
      const value = (m[2] ?? '').replace(/''/g, "'").toLowerCase();
      users = users.filter((u) => (prop === 'mail' ? u.mail : prop === 'id' ? u.id : u.userPrincipalName).toLowerCase() === value);
    }
    const select = ctx.query.get('$select')?.split(',').map((x) => x.trim()).filter((x) => x !== '');
    const page = users.slice(skip, skip + top).map((u) => {
      const json = this.#userJson(u);
      if (select === undefined) return json;
      const out: Record<string, unknown> = {};
      for (const key of select) if (key in json) out[key] = json[key];
      return out;
    });
    const body: Record<string, unknown> = { '@odata.context': `${ctx.base}/$metadata#users${select === undefined ? '' : `(${select.join(',')})`}`, value: page };
    if (skip + top < users.length) {
      const parts = [...ctx.query].filter(([k]) => k !== '$skiptoken').map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
      parts.push(`$skiptoken=${Buffer.from(String(skip + top)).toString('base64url')}`);
      body['@odata.nextLink'] = `${ctx.base}/users?${parts.join('&')}`;
    }
    return { status: 200, headers: {}, body };
  }

  #domains(ctx: Ctx): ApiResponse {
    if (!has(ctx.caller, DOMAIN_READ)) throw new SimGraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    const tenant = this.#d.store.requireTenant(ctx.caller.tenantId);
    return {
      status: 200, headers: {},
      body: {
        '@odata.context': `${ctx.base}/$metadata#domains`,
        value: tenant.domains.map((d) => ({
          authenticationType: 'Managed', availabilityStatus: null, id: d.id, isAdminManaged: true, isDefault: d.isDefault, isInitial: d.isInitial,
          isRoot: true, isVerified: true, manufacturer: null, model: null, passwordNotificationWindowInDays: 14, passwordValidityPeriodInDays: 2147483647,
          supportedServices: d.isInitial ? ['Email', 'OfficeCommunicationsOnline'] : ['Email', 'OfficeCommunicationsOnline', 'Intune'], state: null,
        })),
      },
    };
  }

  // ---- Subscriptions (delegated to the notification hub) --------------------------------------

  async #subscriptions(ctx: Ctx, rest: string[], method: string): Promise<ApiResponse> {
    const c = ctx.caller;
    const caller: SubscriptionCaller = c.userId === undefined
      ? { tenantId: c.tenantId, appId: c.appId, scopes: c.scopes, roles: c.roles }
      : { tenantId: c.tenantId, appId: c.appId, userId: c.userId, scopes: c.scopes, roles: c.roles };
    const hub = this.#d.hub.current;
    if (hub === undefined) throw new SimGraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.', { 'Retry-After': '1' });
    // The hub renders contexts for the primary cloud's v1.0 root; each listener answers with its own
    // host and version (the key keeps its first position in the object, as Graph sends it).
    const context = `${ctx.base}/$metadata#subscriptions`;
    const [id, action] = rest;
    if (id === undefined) {
      if (method === 'POST') this.#checkSubscriptionMailbox(ctx, this.#json(ctx));
      if (method === 'POST') return { status: 201, headers: {}, body: { ...(await hub.create(caller, this.#json(ctx))), '@odata.context': `${context}/$entity` } };
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
    if (method === 'PATCH') return { status: 200, headers: {}, body: { ...(await hub.updateWithValidation(caller, id, this.#json(ctx))), '@odata.context': `${context}/$entity` } };
    if (method === 'DELETE') {
      hub.delete(caller, id);
      return { status: 204, headers: {} };
    }
    throw methodNotAllowed();
  }

  /** Outlook answers a blocked or unlicensed mailbox on POST /subscriptions with ExtensionError. */
  #checkSubscriptionMailbox(ctx: Ctx, body: unknown): void {
    const resource = body !== null && typeof body === 'object' ? (body as { resource?: unknown }).resource : undefined;
    if (typeof resource !== 'string') return;
    const m = /^\/?users\/([^/]+)\//i.exec(resource);
    if (m === null || ctx.caller.userId !== undefined) return;
    const mbx = this.#d.store.findMailbox(ctx.caller.tenantId, decodeURIComponent(m[1] ?? ''));
    if (mbx === undefined) return;
    if (!this.#d.identity.directory.mailboxAllowed(ctx.caller.tenantId, ctx.caller.appId, mbx.id)) {
      throw new SimGraphError(403, 'ExtensionError', 'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access to OData is disabled.]');
    }
    if (!mbx.mailboxEnabled) {
      throw new SimGraphError(404, 'ExtensionError', 'Operation: Create; Exception: [Status Code: NotFound; Reason: The mailbox is either inactive, soft-deleted, or is hosted on-premise.]');
    }
  }

  // ---- $batch ---------------------------------------------------------------------------------

  async #batch(ctx: Ctx): Promise<ApiResponse> {
    const body = this.#json(ctx) as { requests?: unknown } | undefined;
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
          const res = await this.dispatch(inner);
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

  #need(ctx: Ctx, perms: readonly string[]): void {
    if (!has(ctx.caller, perms)) throw accessDenied();
  }
}

function methodNotAllowed(): SimGraphError {
  return new SimGraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
}

function selectSuffix(opts: RenderOptions): string {
  return opts.select === undefined ? '' : `(${[...opts.select].join(',')})`;
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
