export { Provisioning, ProvisioningStore, StateSigner, cloudFromOpenIdConfiguration } from './provisioning/index.js';
export type { TenantDocument, TestMailboxResult, ConnectionDocument } from './provisioning/index.js';
export { buildWebhookApp, clientStateHash, KafkaNotificationSink, MailboxCommands, MongoSubscriptionLookup, SUBSCRIPTIONS_VIEW } from './webhook/index.js';
export type { NotificationSink } from './webhook/index.js';
export { createMailboxProcessor, ProvisionedGraphResolver, STATUS_VIEW } from './mailbox/index.js';
export type { MailboxState, MailboxStatus, GraphResolver } from './mailbox/index.js';
export { connectorOptionsSchema, connectorServiceConfigSchema } from './options.js';
export type { ConnectorOptions, ConnectorOptionsInput, ConnectorServiceConfig } from './options.js';
export {
  ConsentStateInvalidError,
  ConsentDeniedError,
  UnknownDomainError,
  NotProvisionedError,
  WebhookOverloadedError,
} from './errors.js';
