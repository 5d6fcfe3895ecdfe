export { buildWebhookApp } from './receiver.js';
export type { NotificationSink, WebhookCounters, WebhookOptions, WebhookDeps } from './receiver.js';
export { KafkaNotificationSink, MailboxCommands } from './kafka-sink.js';
export { MongoSubscriptionLookup, SUBSCRIPTIONS_VIEW, clientStateHash, clientStateMatches } from './subscriptions-index.js';
export type { SubscriptionLookup, SubscriptionRoute } from './subscriptions-index.js';
