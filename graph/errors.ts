import { HcError, type HcErrorOptions } from '../common/index.js';

/**
 * Typed failures of Microsoft Graph and the identity platform, shared by every caller (the connector's
 * read path, write-back, the API's calendar actions). Graph's and the identity platform's error bodies are
 * mapped to these once, here (`classify.ts`); callers never parse Graph
 * error text. Details carry only codes and numbers (never a token, an address or a body).
 */

/** Admin consent (or the user's consent) is missing for the app in this tenant. */
export class GraphConsentMissingError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_CONSENT_MISSING', message, options);
  }
}

/** An Exchange application access policy keeps the app out of this mailbox (403). */
export class GraphAccessPolicyError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_ACCESS_POLICY', message, options);
  }
}

/** The user or mailbox does not exist in the tenant (404). */
export class GraphMailboxNotFoundError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_MAILBOX_NOT_FOUND', message, options);
  }
}

/** The mailbox is not on Exchange Online (on-premises, unlicensed, inactive, soft-deleted, guest). */
export class GraphNotExchangeOnlineError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_NOT_EXCHANGE_ONLINE', message, options);
  }
}

/** Graph kept answering 429 after the retry budget; retried later by the caller. */
export class GraphThrottledError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_THROTTLED', message, { retryable: true, ...options });
  }
}

/** Graph refused the access token as expired or invalid even after a fresh token was fetched. */
export class GraphTokenExpiredError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_TOKEN_EXPIRED', message, { retryable: true, ...options });
  }
}

/** The grant is expired or revoked (refresh token, consent, password change): a person must sign in again. */
export class GraphReauthorizationRequiredError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_REAUTH_REQUIRED', message, options);
  }
}

/** The app's own credentials are refused (secret expired or wrong, certificate not registered). */
export class GraphCredentialsInvalidError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_CREDENTIALS_INVALID', message, options);
  }
}

/** Graph or the identity platform is unreachable or answered 5xx after retries. */
export class GraphUnavailableError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_UNAVAILABLE', message, { retryable: true, ...options });
  }
}

/** The item is gone (404 ErrorItemNotFound): treated as a deletion by the sync. */
export class GraphItemNotFoundError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_ITEM_NOT_FOUND', message, options);
  }
}

/** The delta token is no longer known (410 Gone, syncStateNotFound, resyncRequired): start a fresh round. */
export class GraphSyncResetError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_SYNC_RESET', message, options);
  }
}

/** The item changed since it was read (412 on a stale change key): re-read and retry. */
export class GraphConflictError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_CONFLICT', message, options);
  }
}

/** Graph refused the request itself (other 4xx): a bug or an unsupported case, not retried. */
export class GraphRequestRejectedError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_REQUEST_REJECTED', message, options);
  }
}

/** The tenant lives in a cloud this deployment does not serve. */
export class GraphCloudRefusedError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_CLOUD_REFUSED', message, options);
  }
}
