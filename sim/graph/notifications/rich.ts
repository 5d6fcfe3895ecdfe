import { X509Certificate, constants, createCipheriv, createHash, createHmac, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { SimGraphError } from '../model.js';

/**
 * Rich notifications (change notifications with resource data), as "Set up change notifications
 * that include resource data" and the Outlook change-notification page document them:
 * - the subscription asks with `includeResourceData: true`, `encryptionCertificate` (base64 X.509,
 *   RSA 2048–4096 bits) and `encryptionCertificateId` (≤ 128 characters);
 * - Outlook events need a `$select` in the resource and refuse `$top`, `$skip`, `$orderby`,
 *   `$expand` (other than extended properties) and selecting `body`/`uniqueBody`;
 * - they live at most one day;
 * - each created/updated notification carries `encryptedContent`: the selected properties as JSON,
 *   AES-256-CBC with PKCS7 padding under a fresh 32-byte key whose first 16 bytes are the IV;
 *   `dataSignature` = HMAC-SHA256 of the encrypted bytes under the same key; `dataKey` = the key,
 *   RSA-OAEP (SHA-1, MGF1) encrypted with the certificate's public key; and the certificate's id
 *   and hex SHA-1 thumbprint;
 * - the POST body carries `validationTokens`, one JWT per app and tenant in it.
 */

/** Outlook subscriptions with resource data live at most one day (1,440 minutes). */
export const RICH_MAX_LIFETIME_MS = 1_440 * 60_000;
export const MAX_CERTIFICATE_ID = 128;
/** The `appid` (and `azp`) of validation tokens: Microsoft Graph Change Tracking, as documented. */
export const GRAPH_CHANGE_TRACKING_APP_ID = '0bf30f3b-4a52-48df-9a82-234910c4a086';

/** What the simulator provides so the hub can fill rich notifications (absent: they are refused). */
export interface RichNotificationSource {
  /** The event as Graph renders it, only the selected properties; undefined when it is gone. */
  render(tenantId: string, mailboxId: string, eventId: string, select: readonly string[]): Record<string, unknown> | undefined;
  /** A validation token for the app in the tenant (JWT signed by the identity platform, aud = appId). */
  signValidationToken(tenantId: string, appId: string): Promise<string>;
}

export interface RichSubscription {
  readonly select: readonly string[];
  readonly certificate: string;
  readonly certificateId: string;
  readonly publicKey: KeyObject;
  readonly thumbprint: string;
}

function invalidRequest(message: string): SimGraphError {
  return new SimGraphError(400, 'InvalidRequest', message);
}

function richRefused(reason: string): SimGraphError {
  return new SimGraphError(400, 'ExtensionError', `Operation: Create; Exception: [Status Code: BadRequest; Reason: ${reason}]`);
}

/** Splits `users/{id}/events?$select=a,b` into the path and its query options (names lower-cased). */
export function splitResource(resource: string): { path: string; query: Map<string, string> } {
  const q = resource.indexOf('?');
  if (q < 0) return { path: resource, query: new Map() };
  const query = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(resource.slice(q + 1))) query.set(key.toLowerCase(), value);
  return { path: resource.slice(0, q), query };
}

const REFUSED_OPTIONS = ['$top', '$skip', '$orderby', '$filter', '$search', '$count'];

/** The `$select` of a rich Outlook event subscription, checked as Graph checks it. */
export function parseRichSelect(query: ReadonlyMap<string, string>): string[] {
  for (const option of REFUSED_OPTIONS) {
    if (query.has(option)) throw richRefused(`The query option '${option}' is not supported in the resource of a subscription with resource data; use $select only.`);
  }
  const expand = query.get('$expand');
  if (expand !== undefined && !/^\s*singleValueExtendedProperties\b/i.test(expand)) {
    throw richRefused("$expand is supported only for singleValueExtendedProperties in the resource of a subscription with resource data.");
  }
  for (const key of query.keys()) {
    if (key !== '$select' && key !== '$expand') throw richRefused(`The query option '${key}' is not supported in the resource of a subscription with resource data.`);
  }
  const select = (query.get('$select') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (select.length === 0) {
    throw richRefused('Subscriptions with resource data for Outlook resources require $select in the resource (e.g. users/{id}/events?$select=subject,start,end).');
  }
  const heavy = select.find((s) => /^(body|uniqueBody)$/i.test(s));
  if (heavy !== undefined) throw richRefused(`The property '${heavy}' cannot be selected in a subscription with resource data.`);
  return select;
}

/** Checks the certificate fields of a rich subscription and keeps what encryption needs. */
export function parseEncryption(certificate: unknown, certificateId: unknown): Omit<RichSubscription, 'select'> {
  if (typeof certificateId !== 'string' || certificateId === '') {
    throw invalidRequest('A subscription with includeResourceData requires encryptionCertificateId (a string of at most 128 characters).');
  }
  if (certificateId.length > MAX_CERTIFICATE_ID) {
    throw invalidRequest(`Invalid 'encryptionCertificateId': at most ${MAX_CERTIFICATE_ID} characters are allowed.`);
  }
  if (typeof certificate !== 'string' || certificate === '') {
    throw invalidRequest('A subscription with includeResourceData requires encryptionCertificate (the base64-encoded X.509 certificate with the public key).');
  }
  let x509: X509Certificate;
  try {
    const der = Buffer.from(certificate.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    x509 = new X509Certificate(der);
  } catch {
    throw invalidRequest("Invalid 'encryptionCertificate': give the base64 encoding of an X.509 certificate (DER) with an RSA public key.");
  }
  const key = x509.publicKey;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048 || bits > 4096) {
    throw invalidRequest("Invalid 'encryptionCertificate': the key must be RSA with 2048 to 4096 bits.");
  }
  return {
    certificate,
    certificateId,
    publicKey: key,
    thumbprint: createHash('sha1').update(x509.raw).digest('hex').toUpperCase(),
  };
}

/** `encryptedContent` of one notification: the resource JSON encrypted for the subscriber. */
export function encryptContent(rich: RichSubscription, resource: Record<string, unknown>): Record<string, string> {
  const key = randomBytes(32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  const data = Buffer.concat([cipher.update(JSON.stringify(resource), 'utf8'), cipher.final()]);
  return {
    data: data.toString('base64'),
    dataSignature: createHmac('sha256', key).update(data).digest('base64'),
    dataKey: publicEncrypt({ key: rich.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key).toString('base64'),
    encryptionCertificateId: rich.certificateId,
    encryptionCertificateThumbprint: rich.thumbprint,
  };
}
