import type { HcError } from '../common/index.js';
import {
  GraphAccessPolicyError,
  GraphConflictError,
  GraphConsentMissingError,
  GraphCredentialsInvalidError,
  GraphItemNotFoundError,
  GraphMailboxNotFoundError,
  GraphNotExchangeOnlineError,
  GraphReauthorizationRequiredError,
  GraphRequestRejectedError,
  GraphSyncResetError,
  GraphThrottledError,
  GraphTokenExpiredError,
  GraphUnavailableError,
} from './errors.js';

/**
 * Maps Graph and identity-platform failures to typed errors, once. Inputs are status codes and the
 * `error.code` / `error.message` of a Graph body, or `error` / AADSTS numbers of a token-endpoint
 * body. Codes are compared case-insensitively (Graph is inconsistent about casing).
 */
export interface GraphErrorBody {
  readonly code: string;
  readonly message: string;
  readonly requestId?: string;
}

export function parseGraphErrorBody(text: string): GraphErrorBody {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; innerError?: { 'request-id'?: unknown } } };
    const e = parsed.error;
    if (e !== undefined && e !== null && typeof e === 'object') {
      const requestId = e.innerError?.['request-id'];
      return {
        code: typeof e.code === 'string' ? e.code : '',
        message: typeof e.message === 'string' ? e.message : '',
        ...(typeof requestId === 'string' ? { requestId } : {}),
      };
    }
  } catch {
    // not JSON: fall through
  }
  return { code: '', message: '' };
}

/** What a Graph error response means; a 429's details carry `retryAfterMs`, the wait Graph asked for, when known. */
export function classifyGraphError(status: number, body: GraphErrorBody, operation: string, retryAfterMs?: number): HcError {
  const code = body.code.toLowerCase();
  const msg = body.message.toLowerCase();
  const details = { status, graphCode: body.code, operation, ...(body.requestId === undefined ? {} : { requestId: body.requestId }) };
  if (status === 429) {
    return new GraphThrottledError(`Graph throttled ${operation} (429) beyond the retry budget; the mailbox retries later.`, {
      details: { ...details, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    });
  }
  if (status >= 500 || status === 0) {
    return new GraphUnavailableError(`Graph answered ${status} to ${operation} after retries; retried with back-off.`, { details });
  }
  if (status === 401) {
    return new GraphTokenExpiredError(`Graph refused the access token for ${operation} (401 ${body.code}) even after a fresh token; retried, then the grant is checked.`, { details });
  }
  if (status === 410 || code === 'syncstatenotfound' || code === 'resyncrequired' || code === 'syncstateinvalid') {
    return new GraphSyncResetError(`The delta token is no longer valid (${status} ${body.code}); a fresh sync round starts.`, { details });
  }
  if (status === 412 || code === 'errorirresolvableconflict') {
    return new GraphConflictError(`The item changed since it was read (${status}); re-read it and retry.`, { details });
  }
  if (code === 'mailboxnotenabledforrestapi' || (code === 'extensionerror' && status === 404)
    || msg.includes('hosted on-premise') || msg.includes('rest api is not yet supported for this mailbox')) {
    return new GraphNotExchangeOnlineError(`The mailbox is not on Exchange Online (on-premises, unlicensed, inactive or a guest); ${operation} cannot run. Move or license the mailbox, or deactivate it.`, { details });
  }
  if (status === 403 && (msg.includes('access to odata is disabled') || code === 'extensionerror')) {
    return new GraphAccessPolicyError(`The tenant's application access policy keeps this app out of the mailbox (403). Add the mailbox to the policy's group, or deactivate it.`, { details });
  }
  if (status === 403 && (code === 'authorization_requestdenied' || msg.includes('insufficient privileges'))) {
    return new GraphConsentMissingError(`The app lacks the permission for ${operation} in this tenant (403). An administrator must grant admin consent again.`, { details });
  }
  if (status === 403 && code === 'erroraccessdenied') {
    return new GraphAccessPolicyError(`Access to the mailbox was denied (403 ErrorAccessDenied). Check the application access policy and the app's permissions.`, { details });
  }
  if (status === 404 && (code === 'errorinvaliduser' || code === 'request_resourcenotfound' || (code === 'resourcenotfound' && msg.includes('user')) || msg.includes('resource could not be discovered'))) {
    return new GraphMailboxNotFoundError(`The mailbox does not exist in this tenant (404 ${body.code}). It may have been removed or renamed; deactivate it or fix its address.`, { details });
  }
  if (status === 404) {
    return new GraphItemNotFoundError(`The item was not found (404 ${body.code}); treated as deleted.`, { details });
  }
  return new GraphRequestRejectedError(`Graph rejected ${operation} (${status} ${body.code}); not retried. This is a bug or an unsupported case: report it with the request id.`, { details });
}

/** AADSTS numbers that mean a person (user or admin) must act again. */
const REAUTH_CODES = new Set([70000, 70008, 700082, 700084, 50173, 50076, 50079, 53003, 50078, 50133, 50140]);
const CONSENT_CODES = new Set([65001, 65004, 90094, 700016, 500011, 650056, 650057]);
const CREDENTIAL_CODES = new Set([7000215, 7000222, 7000218, 700027, 700024, 50027, 50012]);

/**
 * What an MSAL failure (a `ServerError`, `InteractionRequiredAuthError`, `ClientAuthError`...) means;
 * `retryAfterMs` is the wait the identity platform named with a 429 or 5xx, kept in the details.
 */
export function classifyAuthError(error: unknown, mode: 'application' | 'delegated', retryAfterMs?: number): HcError {
  const e = (error ?? {}) as { errorCode?: unknown; errorMessage?: unknown; subError?: unknown; errorNo?: unknown; name?: unknown; message?: unknown };
  const errorCode = typeof e.errorCode === 'string' ? e.errorCode : '';
  const text = `${typeof e.errorMessage === 'string' ? e.errorMessage : ''} ${typeof e.message === 'string' ? e.message : ''}`;
  const aadsts = typeof e.errorNo === 'string' && /^\d+$/.test(e.errorNo) ? Number(e.errorNo) : Number(/AADSTS(\d+)/.exec(text)?.[1] ?? NaN);
  const name = typeof e.name === 'string' ? e.name : '';
  // Keep only codes in the cause: MSAL messages can quote the user's name or the tenant.
  const cause = new Error(`${name} ${errorCode} AADSTS${Number.isNaN(aadsts) ? '?' : aadsts}`);
  const details = { authError: errorCode, aadsts: Number.isNaN(aadsts) ? 0 : aadsts, mode, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  if (CONSENT_CODES.has(aadsts) || errorCode === 'consent_required') {
    return mode === 'delegated'
      ? new GraphReauthorizationRequiredError('The user has not consented (or withdrew consent) to the app; they must connect their calendar again.', { cause, details })
      : new GraphConsentMissingError('The app has no admin consent in this tenant (or it was revoked); an administrator must grant consent again from the admin page.', { cause, details });
  }
  if (CREDENTIAL_CODES.has(aadsts) || errorCode === 'invalid_client') {
    return new GraphCredentialsInvalidError("The identity platform refused the app's credentials (secret expired or wrong, certificate not registered). Renew the credential in the app registration and update it here.", { cause, details });
  }
  if (REAUTH_CODES.has(aadsts) || errorCode === 'invalid_grant' || errorCode === 'interaction_required' || errorCode === 'login_required'
    || name === 'InteractionRequiredAuthError' || errorCode === 'no_tokens_found' || errorCode === 'no_account_found') {
    return new GraphReauthorizationRequiredError(mode === 'delegated'
      ? "The user's sign-in expired or was revoked; they must connect their calendar again."
      : 'The grant for this tenant is expired or revoked; an administrator must authorise the tenant again.', { cause, details });
  }
  return new GraphUnavailableError('The identity platform could not issue a token; retried with back-off.', { cause, details });
}
