import { SimGraphError } from '../model.js';
import { RICH_MAX_LIFETIME_MS, parseEncryption, parseRichSelect, splitResource, type RichSubscription } from './rich.js';

/**
 * Checks of subscription request bodies, as Graph does them (graph.md section 4). Pure functions:
 * the hub resolves mailboxes and runs the handshake afterwards.
 */

export type ChangeType = 'created' | 'updated' | 'deleted';
export type TlsVersion = 'v1_0' | 'v1_1' | 'v1_2' | 'v1_3';

export const TLS_VERSIONS: readonly TlsVersion[] = ['v1_0', 'v1_1', 'v1_2', 'v1_3'];
const CHANGE_TYPES: readonly ChangeType[] = ['created', 'updated', 'deleted'];

/** Outlook event subscriptions live at most 4,230 minutes; shorter than 45 minutes is raised to 45. */
export const MAX_LIFETIME_MS = 4_230 * 60_000;
export const MIN_LIFETIME_MS = 45 * 60_000;
export const MAX_CLIENT_STATE = 128;

const PAYLOAD_MESSAGE =
  'Could not process subscription creation payload. Are all property names spelled and camel-cased properly? ' +
  'Also are the dateTimeOffest properties in the following format: yyyy-MM-ddTHH:mm:ss.fffffffZ';

/** Properties Graph accepts on POST /subscriptions. */
const CREATE_KEYS = new Set([
  '@odata.type', 'changeType', 'notificationUrl', 'resource', 'expirationDateTime', 'clientState',
  'lifecycleNotificationUrl', 'latestSupportedTlsVersion', 'includeResourceData', 'encryptionCertificate',
  'encryptionCertificateId', 'notificationQueryOptions', 'notificationUrlAppId', 'notificationContentType',
]);
const READ_ONLY_KEYS = new Set(['id', 'applicationId', 'creatorId']);

export function invalidRequest(message: string): SimGraphError {
  return new SimGraphError(400, 'InvalidRequest', message);
}

/** The resource of an event subscription: the signed-in user's mailbox or a named one. */
export type ParsedResource = { kind: 'me' } | { kind: 'user'; idOrUpn: string };

const ME_EVENTS = /^me\/(?:calendar\/)?events$/i;
const USER_EVENTS = /^users\/([^/]+)\/(?:calendar\/)?events$/i;
const SINGLE_EVENT = /^(?:me|users\/[^/]+)\/(?:calendar\/)?events\/[^/]+$/i;

export function parseResource(resource: string): ParsedResource {
  if (/^https?:/i.test(resource)) {
    throw invalidRequest(`Resource '${resource}' must be given without the base URL, e.g. 'me/events' or '/users/{id}/events'.`);
  }
  const path = resource.replace(/^\/+/, '');
  if (path.includes('?')) {
    throw invalidRequest(`Resource '${resource}': query options such as $select are only supported with includeResourceData.`);
  }
  if (SINGLE_EVENT.test(path)) {
    throw invalidRequest(`Resource '${resource}' is not supported for change notifications: subscribe to the events collection of a mailbox.`);
  }
  if (ME_EVENTS.test(path)) return { kind: 'me' };
  const user = USER_EVENTS.exec(path);
  if (user?.[1] !== undefined) {
    let idOrUpn: string;
    try {
      idOrUpn = decodeURIComponent(user[1]);
    } catch {
      throw invalidRequest(`Resource '${resource}' is not a valid URL path.`);
    }
    return { kind: 'user', idOrUpn };
  }
  throw invalidRequest(`Resource '${resource}' is not supported for change notifications by this simulator (use me/events, /users/{id}/events or /users/{id}/calendar/events).`);
}

export function parseChangeTypes(value: unknown): { text: string; set: ReadonlySet<ChangeType> } {
  if (typeof value !== 'string' || value.trim() === '') throw invalidRequest(PAYLOAD_MESSAGE);
  const set = new Set<ChangeType>();
  for (const part of value.split(',')) {
    const item = part.trim();
    if (!(CHANGE_TYPES as readonly string[]).includes(item)) {
      throw invalidRequest(`Invalid 'changeType' attribute: '${item}'. Use a comma-separated list of created, updated, deleted.`);
    }
    set.add(item as ChangeType);
  }
  return { text: value, set };
}

/** An HTTPS URL (Graph delivers nowhere else). */
export function parseHttpsUrl(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalidRequest(PAYLOAD_MESSAGE);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidRequest(`Invalid '${field}': '${value}' is not an absolute URL.`);
  }
  if (url.protocol !== 'https:') {
    throw invalidRequest(`Invalid '${field}': the URL must use the https scheme.`);
  }
  return value;
}

/** Graph's DateTimeOffset: ISO 8601 with a zone designator. */
export function parseDateTimeOffset(value: unknown): number {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw invalidRequest(PAYLOAD_MESSAGE);
  }
  // Date.parse takes at most 3 fraction digits reliably: cut the rest (sub-millisecond precision is lost).
  const ms = Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(ms)) throw invalidRequest(PAYLOAD_MESSAGE);
  return ms;
}

/** Applies the lifetime rules: raised to 45 minutes, rejected above 4,230 (1,440 with resource data). */
export function effectiveExpiration(requestedMs: number, nowMs: number, maxMs: number = MAX_LIFETIME_MS): number {
  if (requestedMs - nowMs > maxMs) {
    throw new SimGraphError(400, 'ExtensionError', `Subscription expiration can only be ${maxMs / 60_000} minutes in the future.`);
  }
  return Math.max(requestedMs, nowMs + MIN_LIFETIME_MS);
}

export function parseClientState(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidRequest(PAYLOAD_MESSAGE);
  if (value.length > MAX_CLIENT_STATE) {
    throw invalidRequest(`Invalid 'clientState': at most ${MAX_CLIENT_STATE} characters are allowed.`);
  }
  return value;
}

export function parseTlsVersion(value: unknown): TlsVersion {
  if (value === undefined || value === null) return 'v1_2';
  if (typeof value !== 'string' || !(TLS_VERSIONS as readonly string[]).includes(value)) {
    throw invalidRequest(`Invalid 'latestSupportedTlsVersion': use one of ${TLS_VERSIONS.join(', ')}.`);
  }
  return value as TlsVersion;
}

export interface CreateRequest {
  changeType: string;
  changeTypes: ReadonlySet<ChangeType>;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  resource: string;
  parsedResource: ParsedResource;
  requestedExpirationMs: number;
  clientState: string | null;
  latestSupportedTlsVersion: TlsVersion;
  /** Set for rich notifications (includeResourceData). */
  rich: RichSubscription | null;
  /** The longest lifetime this kind of subscription may have. */
  maxLifetimeMs: number;
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest(PAYLOAD_MESSAGE);
  return body as Record<string, unknown>;
}

export function parseCreateBody(body: unknown): CreateRequest {
  const o = asObject(body);
  for (const key of Object.keys(o)) {
    if (READ_ONLY_KEYS.has(key)) throw invalidRequest(`Property '${key}' is read-only and cannot be set.`);
    if (!CREATE_KEYS.has(key)) throw invalidRequest(PAYLOAD_MESSAGE);
  }
  if (o['includeResourceData'] !== undefined && o['includeResourceData'] !== null && typeof o['includeResourceData'] !== 'boolean') throw invalidRequest(PAYLOAD_MESSAGE);
  if (typeof o['resource'] !== 'string' || o['resource'] === '') throw invalidRequest(PAYLOAD_MESSAGE);
  let rich: RichSubscription | null = null;
  let resource = o['resource'];
  if (o['includeResourceData'] === true) {
    if (o['encryptionCertificate'] === undefined || o['encryptionCertificateId'] === undefined) {
      throw invalidRequest('A subscription with includeResourceData requires encryptionCertificate and encryptionCertificateId.');
    }
    const split = splitResource(resource);
    rich = { ...parseEncryption(o['encryptionCertificate'], o['encryptionCertificateId']), select: parseRichSelect(split.query) };
    resource = split.path;
  }
  if (o['expirationDateTime'] === undefined || o['expirationDateTime'] === null) {
    throw invalidRequest('expirationDateTime is required: give the UTC time the subscription expires (at most 4230 minutes ahead).');
  }
  const changeTypes = parseChangeTypes(o['changeType']);
  return {
    changeType: changeTypes.text,
    changeTypes: changeTypes.set,
    notificationUrl: parseHttpsUrl('notificationUrl', o['notificationUrl']),
    lifecycleNotificationUrl:
      o['lifecycleNotificationUrl'] === undefined || o['lifecycleNotificationUrl'] === null
        ? null
        : parseHttpsUrl('lifecycleNotificationUrl', o['lifecycleNotificationUrl']),
    resource: o['resource'],
    parsedResource: parseResource(resource),
    requestedExpirationMs: parseDateTimeOffset(o['expirationDateTime']),
    clientState: parseClientState(o['clientState']),
    latestSupportedTlsVersion: parseTlsVersion(o['latestSupportedTlsVersion']),
    rich,
    maxLifetimeMs: rich === null ? MAX_LIFETIME_MS : RICH_MAX_LIFETIME_MS,
  };
}

export interface UpdateRequest {
  requestedExpirationMs?: number;
  notificationUrl?: string;
  lifecycleNotificationUrl?: string | null;
}

const UPDATE_KEYS = new Set(['@odata.type', 'expirationDateTime', 'notificationUrl', 'lifecycleNotificationUrl']);

export function parseUpdateBody(body: unknown): UpdateRequest {
  const o = asObject(body);
  for (const key of Object.keys(o)) {
    if (!UPDATE_KEYS.has(key)) {
      throw invalidRequest(`Property '${key}' cannot be updated; only expirationDateTime and notificationUrl can be changed.`);
    }
  }
  const out: UpdateRequest = {};
  if (o['expirationDateTime'] !== undefined) out.requestedExpirationMs = parseDateTimeOffset(o['expirationDateTime']);
  if (o['notificationUrl'] !== undefined) out.notificationUrl = parseHttpsUrl('notificationUrl', o['notificationUrl']);
  if (o['lifecycleNotificationUrl'] !== undefined) {
    out.lifecycleNotificationUrl =
      o['lifecycleNotificationUrl'] === null ? null : parseHttpsUrl('lifecycleNotificationUrl', o['lifecycleNotificationUrl']);
  }
  return out;
}

/**
 * The `subscriptionExpirationDateTime` of change and lifecycle notifications: 7 fraction digits
 * and an explicit `+00:00` offset (the subscription resource itself writes `Z`).
 */
export function formatNotificationDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000+00:00');
}

/** Graph writes DateTimeOffset values of subscriptions with 7 fraction digits. */
export function formatDateTimeOffset(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}
