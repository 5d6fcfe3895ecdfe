/** Mailbox and directory routes: getSchedule, mailboxSettings, users (one and list), domains. */
import { SimGraphError, type DateTimeTimeZone } from '../model.js';
import { casedEnum, overlaps, parseMailboxSettingsPatch, type Mailbox } from '../store/index.js';
import { utcMsToZoned, zonedToUtcMs } from '../time/index.js';
import {
  CAL_READ, DOMAIN_READ, MBX_READ, MBX_WRITE, USER_READ_APP, badRequest, checkUnknownOptions, has, methodNotAllowed, need, readJson, renderOptions, userContext,
  type ApiResponse, type Ctx, type GraphApiDeps,
} from './api-context.js';
import { intOption } from './odata.js';

export function getSchedule(d: GraphApiDeps, ctx: Ctx, _mbx: Mailbox): ApiResponse {
  need(ctx, CAL_READ);
  const body = readJson(ctx) as { schedules?: unknown; startTime?: DateTimeTimeZone; endTime?: DateTimeTimeZone; availabilityViewInterval?: unknown } | undefined;
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
  const opts = renderOptions(ctx);
  const tz = opts.timeZone ?? 'UTC';
  const value = schedules.map((address) => {
    const target = d.store.findMailbox(ctx.caller.tenantId, address);
    if (target === undefined || !target.mailboxEnabled) {
      return { scheduleId: address, availabilityView: '', scheduleItems: [], error: { message: `Failed to get free/busy information for ${address}.`, responseCode: 'ErrorMailRecipientNotFound' } };
    }
    const views = d.store.expand(target, start, end).filter((v) => !v.event.isCancelled);
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
    const settings = d.store.mailboxSettings(target);
    const tenant = d.store.requireTenant(target.tenantId);
    return {
      scheduleId: address,
      availabilityView: availability,
      // v1.0 scheduleItem: isPrivate, status, subject, location, start, end (isMeeting, isRecurring,
      // isException, isReminderSet are beta-only).
      scheduleItems: views.map((v) => {
        const item: Record<string, unknown> = { isPrivate: v.event.sensitivity === 'private', status: casedEnum(tenant, target.id, 'scheduleItem.status', v.event.showAs) };
        if (v.event.sensitivity === 'normal' || v.event.sensitivity === 'personal') {
          item['subject'] = v.event.subject;
          item['location'] = v.event.location?.displayName ?? '';
        }
        item['start'] = utcMsToZoned(v.startMs, tz);
        item['end'] = utcMsToZoned(v.endMs, tz);
        return item;
      }),
      workingHours: settings.workingHours,
    };
  });
  return { status: 200, headers: {}, body: { '@odata.context': `${ctx.base}/$metadata#Collection(microsoft.graph.scheduleInformation)`, value } };
}

export function mailboxSettings(d: GraphApiDeps, ctx: Ctx, mbx: Mailbox, sub: string[], method: string): ApiResponse {
  // Graph writes `Me/mailboxSettings` for /me and `users('<key>')/mailboxSettings` otherwise.
  const viaMe = ctx.path.split('/').find((seg) => seg !== '')?.toLowerCase() === 'me';
  const context = viaMe ? `${ctx.base}/$metadata#Me/mailboxSettings` : `${userContext(ctx, mbx)}/mailboxSettings`;
  const tenant = d.store.requireTenant(mbx.tenantId);
  const settings = () => {
    const s = d.store.mailboxSettings(mbx);
    const replies = s.automaticRepliesSetting;
    const automaticRepliesSetting = {
      ...replies,
      status: casedEnum(tenant, mbx.id, 'automaticRepliesSetting.status', replies.status),
      externalAudience: casedEnum(tenant, mbx.id, 'automaticRepliesSetting.externalAudience', replies.externalAudience),
    };
    return {
      archiveFolder: `AQMkAGI${mbx.index}AAAAAAEMAAAA`, timeZone: s.timeZone, automaticRepliesSetting,
      language: s.language, workingHours: s.workingHours, dateFormat: s.dateFormat, timeFormat: s.timeFormat,
      userPurpose: s.userPurpose, delegateMeetingMessageDeliveryOptions: s.delegateMeetingMessageDeliveryOptions,
    } as Record<string, unknown>;
  };
  const known = ['automaticRepliesSetting', 'dateFormat', 'delegateMeetingMessageDeliveryOptions', 'language', 'timeFormat', 'timeZone', 'workingHours', 'userPurpose', 'archiveFolder'];
  if (sub.length > 1) throw badRequest(`Resource not found for the segment '${sub[1] ?? ''}'.`);
  const prop = sub[0] === undefined ? undefined : known.find((k) => k.toLowerCase() === sub[0]?.toLowerCase());
  if (sub[0] !== undefined && prop === undefined) throw badRequest(`Resource not found for the segment '${sub[0]}'.`);
  if (method === 'GET') {
    need(ctx, MBX_READ);
    const all = settings();
    if (prop === undefined) return { status: 200, headers: {}, body: { '@odata.context': context, ...all } };
    const value = all[prop];
    const body = value !== null && typeof value === 'object' ? { '@odata.context': `${context}/${prop}`, ...(value as Record<string, unknown>) } : { '@odata.context': `${context}/${prop}`, value };
    return { status: 200, headers: {}, body };
  }
  if (method === 'PATCH') {
    need(ctx, MBX_WRITE);
    const raw = readJson(ctx);
    const patch = parseMailboxSettingsPatch(prop === undefined ? raw : prop === 'timeZone' || prop === 'dateFormat' || prop === 'timeFormat' ? { [prop]: (raw as { value?: unknown } | undefined)?.value } : { [prop]: raw });
    d.store.patchMailboxSettings(mbx, patch);
    const all = settings();
    const body: Record<string, unknown> = { '@odata.context': context };
    for (const key of Object.keys(patch)) body[key] = all[key];
    return { status: 200, headers: {}, body };
  }
  throw methodNotAllowed();
}

export function user(d: GraphApiDeps, ctx: Ctx, idOrUpn: string): ApiResponse {
  const mbx = d.store.findMailbox(ctx.caller.tenantId, idOrUpn);
  const self = ctx.caller.userId !== undefined && mbx?.id === ctx.caller.userId;
  const allowed = self ? has(ctx.caller, ['User.Read', ...USER_READ_APP]) : has(ctx.caller, USER_READ_APP);
  if (!allowed) throw new SimGraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  if (mbx === undefined) throw new SimGraphError(404, 'Request_ResourceNotFound', `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`);
  return { status: 200, headers: {}, body: { '@odata.context': `${ctx.base}/$metadata#users/$entity`, ...userJson(d, mbx) } };
}

export function userJson(d: GraphApiDeps, mbx: Mailbox): Record<string, unknown> {
  const [givenName, ...rest] = mbx.displayName.split(' ');
  const settings = d.store.mailboxSettings(mbx);
  return {
    businessPhones: [], displayName: mbx.displayName, givenName: mbx.kind === 'room' ? null : givenName ?? null, jobTitle: null, mail: mbx.mail,
    mobilePhone: null, officeLocation: null, preferredLanguage: settings.language.locale, surname: mbx.kind === 'room' ? null : rest.join(' ') || null,
    userPrincipalName: mbx.userPrincipalName, id: mbx.id,
  };
}

/** GET /users: $top (default 100, max 999), $skiptoken paging, $select, $filter on mail / userPrincipalName / id equality. */
export function listUsers(d: GraphApiDeps, ctx: Ctx): ApiResponse {
  if (!has(ctx.caller, USER_READ_APP)) throw new SimGraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  checkUnknownOptions(ctx, ['$top', '$select', '$filter', '$skiptoken', '$count']);
  const top = intOption(ctx.query, '$top', 1, 999) ?? 100;
  const skip = Number(Buffer.from(ctx.query.get('$skiptoken') ?? '', 'base64url').toString() || '0');
  if (!Number.isInteger(skip) || skip < 0) throw badRequest('Invalid $skiptoken.');
  let users = [...d.store.requireTenant(ctx.caller.tenantId).mailboxes.values()];
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
    const json = userJson(d, u);
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

export function domains(d: GraphApiDeps, ctx: Ctx): ApiResponse {
  if (!has(ctx.caller, DOMAIN_READ)) throw new SimGraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  const tenant = d.store.requireTenant(ctx.caller.tenantId);
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
