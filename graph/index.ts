/**
 * Access to Microsoft Graph and the identity platform, shared by every caller: the connector's read
 * path, write-back and the API's calendar actions. Authentication (app and delegated), clouds,
 * throttling (Retry-After, back-off, per-mailbox concurrency) and typed errors live here once.
 */
export { GraphConnections } from './connections.js';
export type { GraphConnectionsDeps, TenantRef } from './connections.js';
export { GraphAccess, EVENT_SELECT } from './graph.js';
export type { GraphEvent, DeltaPage, SubscriptionInfo, DomainInfo, EventResponse, DateTimeTimeZone, RespondOptions, ScheduleRequest, ScheduleInfo, EventsBatchResult } from './graph.js';
export { AppTokenSource, DelegatedTokenSource, DELEGATED_SCOPES } from './auth.js';
export type { AppCredential, AppRegistration, AuthorityOverrides, AccessToken, TokenSource, PendingSignIn } from './auth.js';
export { CLOUD_NAMES, CLOUD_ENDPOINTS, acceptedClouds, assertCloudAccepted, defaultScope } from './clouds.js';
export type { CloudName, CloudEndpoints, DeploymentMode } from './clouds.js';
export { MongoTokenCacheStore, TOKEN_CACHE_COLLECTION } from './token-cache.js';
export { classifyGraphError, classifyAuthError, parseGraphErrorBody } from './classify.js';
export { parseRetryAfter, backoffMs, namedWaitMs } from './retry.js';
export { MailboxGates } from './gate.js';
export { realSleep } from './governor.js';
export type { Sleep, AccessObserver } from './governor.js';
export { secretContext } from './sealer.js';
export type { Sealer } from './sealer.js';
export { graphAccessOptionsSchema } from './options.js';
export type { GraphAccessOptions, GraphAccessOptionsInput } from './options.js';
export {
  GraphConsentMissingError,
  GraphAccessPolicyError,
  GraphMailboxNotFoundError,
  GraphNotExchangeOnlineError,
  GraphThrottledError,
  GraphTokenExpiredError,
  GraphReauthorizationRequiredError,
  GraphCredentialsInvalidError,
  GraphUnavailableError,
  GraphItemNotFoundError,
  GraphSyncResetError,
  GraphConflictError,
  GraphRequestRejectedError,
  GraphCloudRefusedError,
} from './errors.js';
