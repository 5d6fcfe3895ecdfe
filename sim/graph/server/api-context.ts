/** What every Graph route shares: request/response types, the per-request context, permissions, JSON body, render options, errors. */
import type { Clock } from '../clock.js';
import type { CallLog } from '../admin/calllog.js';
import type { Faults } from '../faults/index.js';
import type { Caller, IdentityPlatform } from '../identity/index.js';
import { SimGraphError, type CloudName } from '../model.js';
import type { NotificationHub } from '../notifications/index.js';
import type { Mailbox, RenderOptions, SimStore } from '../store/index.js';
import type { Throttle } from '../throttle/index.js';
import { toIanaZone } from '../time/index.js';
import { parseSelect, parseExpand } from './odata.js';

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

export const CAL_READ = ['Calendars.Read', 'Calendars.ReadBasic', 'Calendars.ReadWrite', 'Calendars.Read.Shared', 'Calendars.ReadWrite.Shared'];
export const CAL_WRITE = ['Calendars.ReadWrite', 'Calendars.ReadWrite.Shared'];
export const MBX_READ = ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'];
export const MBX_WRITE = ['MailboxSettings.ReadWrite'];
export const USER_READ_APP = ['User.Read.All', 'User.ReadBasic.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
export const DOMAIN_READ = ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
export const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
export const MAX_BATCH = 20;
export const CV_UNSELECTABLE = new Set(['createdDateTime', 'lastModifiedDateTime']);

export const accessDenied = () => new SimGraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
export const badRequest = (message: string) => new SimGraphError(400, 'BadRequest', message);

export function has(caller: Caller, perms: readonly string[]): boolean {
  const granted = caller.userId === undefined ? caller.roles : caller.scopes;
  const lowered = new Set(granted.map((g) => g.toLowerCase()));
  return perms.some((p) => lowered.has(p.toLowerCase()));
}

export function header(req: ApiRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** One request as the handlers see it. */
export interface Ctx {
  req: ApiRequest;
  caller: Caller;
  query: Map<string, string>;
  path: string;
  base: string;
  prefer: Map<string, string>;
  applied: string[];
  mailboxId?: string;
}

export function readJson(ctx: Ctx): unknown {
  if (ctx.req.json !== undefined) return ctx.req.json;
  const text = ctx.req.body;
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  }
}

export function renderOptions(ctx: Ctx, unselectable?: ReadonlySet<string>): RenderOptions {
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

function pathSegments(ctx: Ctx): string[] {
  return ctx.path.split('/').filter((seg) => seg !== '').map((seg) => {
    try {
      return decodeURIComponent(seg);
    } catch {
      return seg;
    }
  });
}

/**
 * `@odata.context` of the request's user as Graph writes it: the key as the request sent it
 * (`users('alice%40contoso.com')` for a UPN, `users('<guid>')` for an id), and the user's id for
 * `/me`.
 */
export function userContext(ctx: Ctx, mbx: Mailbox): string {
  const [first, key] = pathSegments(ctx);
  if (first?.toLowerCase() === 'users' && key !== undefined) return `${ctx.base}/$metadata#users('${encodeURIComponent(key).replace(/'/g, "''")}')`;
  return `${ctx.base}/$metadata#users('${mbx.id}')`;
}

/**
 * The user's context plus the calendar part of the path, as the request wrote it: `/calendar`,
 * `/calendars('<id>')` or nothing (`/users/{id}/events` vs `/users/{id}/calendar/events`).
 */
export function calendarContext(ctx: Ctx, mbx: Mailbox): string {
  const segs = pathSegments(ctx);
  const rest = segs.slice(segs[0]?.toLowerCase() === 'me' ? 1 : 2);
  const head = rest[0]?.toLowerCase();
  if (head === 'calendar') return `${userContext(ctx, mbx)}/calendar`;
  if (head === 'calendars' && rest[1] !== undefined) return `${userContext(ctx, mbx)}/calendars('${rest[1]}')`;
  return userContext(ctx, mbx);
}

export function checkUnknownOptions(ctx: Ctx, allowed: readonly string[]): void {
  for (const key of ctx.query.keys()) {
    if (key.startsWith('$') && !allowed.includes(key)) throw badRequest(`Query option '${key}' is not allowed on this request.`);
  }
}

export function need(ctx: Ctx, perms: readonly string[]): void {
  if (!has(ctx.caller, perms)) throw accessDenied();
}

export function methodNotAllowed(): SimGraphError {
  return new SimGraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
}

export function selectSuffix(opts: RenderOptions): string {
  return opts.select === undefined ? '' : `(${[...opts.select].join(',')})`;
}
