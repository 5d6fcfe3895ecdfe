export {
  GraphConnections,
  GraphAccess,
  EVENT_SELECT,
  AppTokenSource,
  DelegatedTokenSource,
  DELEGATED_SCOPES,
  CLOUD_NAMES,
  CLOUD_ENDPOINTS,
  acceptedClouds,
  assertCloudAccepted,
  MongoTokenCacheStore,
  classifyGraphError,
  classifyAuthError,
  parseRetryAfter,
  MailboxGates,
} from './access/index.js';
export type { AppCredential, AppRegistration, CloudName, DeploymentMode, GraphEvent, TokenSource, Sleep } from './access/index.js';
export { Provisioning, ProvisioningStore, StateSigner, cloudFromOpenIdConfiguration } from './provisioning/index.js';
export type { TenantDocument, TestMailboxResult } from './provisioning/index.js';
export { buildWebhookApp, KafkaNotificationSink, MailboxCommands, MongoSubscriptionLookup, SUBSCRIPTIONS_VIEW } from './webhook/index.js';
export { createMailboxProcessor, STATUS_VIEW } from './mailbox/index.js';
export type { MailboxState, MailboxStatus, GraphResolver } from './mailbox/index.js';
export { connectorOptionsSchema, graphAccessOptionsSchema } from './options.js';
export type { ConnectorOptions, ConnectorOptionsInput, GraphAccessOptions } from './options.js';
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
  ConsentStateInvalidError,
  ConsentDeniedError,
  UnknownDomainError,
  NotProvisionedError,
} from './errors.js';
