export { NotificationHub } from './hub.js';
export type {
  SubscriptionCaller,
  NotificationHubOptions,
  NotificationFaults,
  NotificationHubStats,
  LifecycleEvent,
} from './hub.js';
export { notificationTimingsSchema, compileTimings } from './options.js';
export type { NotificationTimings, NotificationTimingsInput } from './options.js';
export { HttpsWebhookTransport } from './transport.js';
export { RICH_MAX_LIFETIME_MS, GRAPH_CHANGE_TRACKING_APP_ID } from './rich.js';
export type { RichNotificationSource } from './rich.js';
export type { WebhookTransport, PostRequest, PostOutcome } from './transport.js';
export type { EndpointState } from './endpoint-health.js';
export { SubscriptionApiThrottle, SUBSCRIPTION_API_LIMITS } from './throttle.js';
export type { SubscriptionApiLimits } from './throttle.js';
