import { createHash, randomUUID } from 'node:crypto';
import { SimGraphError } from '../model.js';
import { mailboxKey, removeSubscription, type HubState, type SubscriptionRecord } from './hub-state.js';
import type { SubscriptionCaller } from './hub-types.js';
import { RICH_MAX_LIFETIME_MS } from './rich.js';
import {
  effectiveExpiration,
  formatDateTimeOffset,
  invalidRequest,
  MAX_LIFETIME_MS,
  parseCreateBody,
  parseUpdateBody,
  type ParsedResource,
  type TlsVersion,
} from './validate.js';

/** The subscriptions API of the hub: create (with the validation handshake), read, list, renew, reauthorize, delete. */

const CALENDAR_PERMISSIONS = new Set(['calendars.readbasic', 'calendars.read', 'calendars.readwrite']);

/** How Outlook refuses a subscription create: 403 ExtensionError wrapping the reason. */
function createForbidden(reason: string): SimGraphError {
  return new SimGraphError(403, 'ExtensionError', `Operation: Create; Exception: [Status Code: Forbidden; Reason: ${reason}]`);
}

function notFound(): SimGraphError {
  return new SimGraphError(404, 'ResourceNotFound', 'The object was not found.');
}

/** A GUID derived from a name (the service principal id of an app in a tenant). */
function nameGuid(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}


/** Query-string encoding as Graph sends the validation token (spaces as '+'). */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

export async function createSubscription(s: HubState, caller: SubscriptionCaller, body: unknown): Promise<Record<string, unknown>> {
  admit(s, caller, true);
  const req = parseCreateBody(body);
  requirePermission(caller);
  const mailboxId = resolveResource(s, caller, req.parsedResource);
  const now = s.clock.now();
  if (req.rich !== null && s.rich === undefined) {
    throw new SimGraphError(400, 'NotSupported', 'This notification hub was started without a resource source; subscribe without includeResourceData.');
  }
  const expirationMs = effectiveExpiration(req.requestedExpirationMs, now, req.maxLifetimeMs);
  const key = mailboxKey(caller.tenantId, mailboxId);
  checkMailboxLimit(s, key, now);
  s.pendingCreates.set(key, (s.pendingCreates.get(key) ?? 0) + 1);
  try {
    await handshake(s, req.notificationUrl, req.latestSupportedTlsVersion);
    if (req.lifecycleNotificationUrl !== null) await handshake(s, req.lifecycleNotificationUrl, req.latestSupportedTlsVersion);
  } finally {
    const left = (s.pendingCreates.get(key) ?? 1) - 1;
    if (left <= 0) s.pendingCreates.delete(key);
    else s.pendingCreates.set(key, left);
  }
  checkMailboxLimit(s, key, s.clock.now());
  const sub: SubscriptionRecord = {
    id: randomUUID(),
    tenantId: caller.tenantId,
    appId: caller.appId,
    creatorId: caller.userId ?? nameGuid(`service-principal:${caller.tenantId}:${caller.appId}`),
    resource: req.resource,
    mailboxId,
    changeType: req.changeType,
    changeTypes: req.changeTypes,
    notificationUrl: req.notificationUrl,
    lifecycleNotificationUrl: req.lifecycleNotificationUrl,
    clientState: req.clientState,
    expirationMs,
    tls: req.latestSupportedTlsVersion,
    reauthRequiredSince: null,
    nextReminderAt: null,
    missedQueued: false,
    rich: req.rich,
  };
  s.subs.set(sub.id, sub);
  let set = s.byMailbox.get(key);
  if (set === undefined) {
    set = new Set();
    s.byMailbox.set(key, set);
  }
  set.add(sub.id);
  s.log.debug({ subscriptionId: sub.id, tenantId: sub.tenantId }, 'subscription created');
  return renderSubscription(s, sub, true);
}

export function getSubscription(s: HubState, caller: SubscriptionCaller, id: string): Record<string, unknown> {
  admit(s, caller, false);
  return renderSubscription(s, visible(s, caller, id), true);
}

export function listSubscriptions(s: HubState, caller: SubscriptionCaller): Record<string, unknown>[] {
  admit(s, caller, false);
  const now = s.clock.now();
  const out: Record<string, unknown>[] = [];
  for (const sub of s.subs.values()) {
    if (sub.expirationMs > now && owns(caller, sub)) out.push(renderSubscription(s, sub, false));
  }
  return out;
}

/** The whole GET /subscriptions response body (the list in `value`, no paging). */
export function listBody(s: HubState, caller: SubscriptionCaller): Record<string, unknown> {
  return { '@odata.context': `${s.base}/$metadata#subscriptions`, value: listSubscriptions(s, caller) };
}

export function updateSubscription(s: HubState, caller: SubscriptionCaller, id: string, body: unknown): Record<string, unknown> {
  admit(s, caller, true);
  const sub = visible(s, caller, id);
  const req = parseUpdateBody(body);
  if (req.lifecycleNotificationUrl !== undefined && req.lifecycleNotificationUrl !== sub.lifecycleNotificationUrl) {
    throw invalidRequest(
      'lifecycleNotificationUrl cannot be added or changed on an existing subscription; delete the subscription and create it again with the URL.',
    );
  }
  const now = s.clock.now();
  if (req.requestedExpirationMs !== undefined) {
    sub.expirationMs = effectiveExpiration(req.requestedExpirationMs, now, sub.rich === null ? MAX_LIFETIME_MS : RICH_MAX_LIFETIME_MS);
    sub.nextReminderAt = null;
  }
  if (req.notificationUrl !== undefined) sub.notificationUrl = req.notificationUrl;
  // A PATCH reauthorizes as well as renews (LC).
  if (sub.reauthRequiredSince !== null) {
    sub.reauthRequiredSince = null;
    sub.nextReminderAt = null;
  }
  return renderSubscription(s, sub, true);
}

/**
 * PATCH as Graph does it when the notificationUrl changes: the new URL must pass the validation
 * handshake first. The HTTP route should prefer this over the synchronous `update`, which
 * accepts a new notificationUrl without a handshake.
 */
export async function updateWithValidation(s: HubState, caller: SubscriptionCaller, id: string, body: unknown): Promise<Record<string, unknown>> {
  const sub = visible(s, caller, id);
  const req = parseUpdateBody(body);
  if (req.notificationUrl !== undefined && req.notificationUrl !== sub.notificationUrl) {
    await handshake(s, req.notificationUrl, sub.tls);
  }
  return updateSubscription(s, caller, id, body);
}

export function deleteSubscription(s: HubState, caller: SubscriptionCaller, id: string): void {
  admit(s, caller, true);
  removeSubscription(s, visible(s, caller, id));
}

/** POST /subscriptions/{id}/reauthorize: resumes delivery, does not extend the expiry (LC). */
export function reauthorize(s: HubState, caller: SubscriptionCaller, id: string): void {
  admit(s, caller, true);
  const sub = visible(s, caller, id);
  if (sub.reauthRequiredSince !== null) {
    sub.reauthRequiredSince = null;
    sub.nextReminderAt = null;
  }
}

export function admit(s: HubState, caller: SubscriptionCaller, write: boolean): void {
  s.throttle?.admit(s.clock.now(), caller.tenantId, caller.appId, write);
}

export function owns(caller: SubscriptionCaller, sub: SubscriptionRecord): boolean {
  return (
    sub.tenantId === caller.tenantId &&
    sub.appId === caller.appId &&
    (caller.userId === undefined || sub.creatorId === caller.userId)
  );
}

export function visible(s: HubState, caller: SubscriptionCaller, id: string): SubscriptionRecord {
  const sub = s.subs.get(id);
  if (sub === undefined || !owns(caller, sub)) throw notFound();
  if (sub.expirationMs <= s.clock.now()) {
    s.stats.expiredSubscriptions += 1;
    removeSubscription(s, sub);
    throw notFound();
  }
  return sub;
}

export function requirePermission(caller: SubscriptionCaller): void {
  const granted = caller.userId === undefined ? caller.roles : caller.scopes;
  if (!granted.some((p) => CALENDAR_PERMISSIONS.has(p.toLowerCase()))) {
    throw createForbidden('Access is denied. Check credentials and try again.');
  }
}

export function resolveResource(s: HubState, caller: SubscriptionCaller, resource: ParsedResource): string {
  if (resource.kind === 'me') {
    if (caller.userId === undefined) {
      throw new SimGraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
    }
    return caller.userId;
  }
  const mailboxId = s.resolveMailbox(caller.tenantId, resource.idOrUpn);
  if (mailboxId === undefined) throw new SimGraphError(404, 'ResourceNotFound', 'Resource could not be discovered.');
  if (caller.userId !== undefined && mailboxId !== caller.userId) {
    // Delegated permissions subscribe only in the signed-in user's mailbox (OCN).
    throw createForbidden('Access is denied. Check credentials and try again.');
  }
  return mailboxId;
}

/** Active subscriptions of the mailbox (all apps) plus creates in their handshake, against the limit. */
export function checkMailboxLimit(s: HubState, key: string, now: number): void {
  let active = s.pendingCreates.get(key) ?? 0;
  for (const id of s.byMailbox.get(key) ?? []) {
    const sub = s.subs.get(id);
    if (sub !== undefined && sub.expirationMs > now) active += 1;
  }
  if (active >= s.timings.maxSubscriptionsPerMailbox) {
    throw createForbidden('Maximum number of subscriptions has been reached');
  }
}

export async function handshake(s: HubState, url: string, tls: TlsVersion): Promise<void> {
  const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
  const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${formEncode(token)}`;
  const outcome = await s.transport.post({
    url: target,
    body: '',
    contentType: 'text/plain; charset=utf-8',
    timeoutMs: s.timings.validationTimeoutMs,
    tlsVersion: tls,
  });
  if (outcome.timedOut) throw new SimGraphError(400, 'InvalidRequest', 'Subscription validation request timed out.');
  if (outcome.status !== 200) {
    throw new SimGraphError(
      400,
      'ValidationError',
      'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
    );
  }
  if (!/^text\/plain\b/i.test(outcome.contentType) || outcome.body !== token) {
    throw new SimGraphError(
      400,
      'ValidationError',
      'Subscription validation request failed. Response must exactly match validationToken query parameter.',
    );
  }
}

export function renderSubscription(s: HubState, sub: SubscriptionRecord, withContext: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: sub.id,
    resource: sub.resource,
    applicationId: sub.appId,
    changeType: sub.changeType,
    clientState: sub.clientState,
    notificationUrl: sub.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: sub.lifecycleNotificationUrl,
    expirationDateTime: formatDateTimeOffset(sub.expirationMs),
    creatorId: sub.creatorId,
    includeResourceData: sub.rich === null ? null : true,
    latestSupportedTlsVersion: sub.tls,
    encryptionCertificate: sub.rich?.certificate ?? null,
    encryptionCertificateId: sub.rich?.certificateId ?? null,
    notificationUrlAppId: null,
    notificationContentType: 'application/json',
  };
  return withContext ? { '@odata.context': `${s.base}/$metadata#subscriptions/$entity`, ...body } : body;
}
