import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { EndpointState } from './endpoint-health.js';
import type { NotificationTimingsInput } from './options.js';
import type { SubscriptionApiLimits } from './throttle.js';
import type { RetryAfterFormat } from '../throttle/retry-after.js';
import type { WebhookTransport } from './transport.js';
import type { RichNotificationSource } from './rich.js';

/** The public option, fault and statistics types of the notification hub (re-exported by `hub.ts`). */

export interface SubscriptionCaller {
  tenantId: string;
  appId: string;
  /** Set for delegated (user) tokens; absent for application tokens. */
  userId?: string;
  scopes: readonly string[];
  roles: readonly string[];
}

export interface NotificationHubOptions {
  clock: Clock;
  /** e.g. `https://127.0.0.1:8443` or `https://127.0.0.1:8443/v1.0`; used for `@odata.context`. */
  graphBaseUrl: string;
  /** Mailbox user id (GUID) for a user id or UPN of the tenant, undefined when there is none. */
  resolveMailbox(tenantId: string, idOrUpn: string): string | undefined;
  /** PEM of the simulator's CA, trusted (besides the public roots) when posting to receivers. */
  caCertPem?: string;
  timings?: NotificationTimingsInput;
  /** Replaces the HTTPS client (the default posts with node:https). */
  transport?: WebhookTransport;
  /** Subscription API throttling (429 + Retry-After); Graph's limits by default, `false` switches it off. */
  subscriptionApiLimits?: SubscriptionApiLimits | false;
  /** How the subscription API writes Retry-After (shared with the simulator's fault switch). */
  retryAfter?: RetryAfterFormat;
  logger?: Logger;
  /** Resource rendering and validation-token signing for rich notifications; without it, includeResourceData is refused. */
  rich?: RichNotificationSource;
}

export interface NotificationFaults {
  /** Share (0..1) of change notifications lost; a `missed` lifecycle event follows. */
  dropRate: number;
  /** Share (0..1) of change notifications sent twice. */
  duplicateRate: number;
  /** Notifications of a POST arrive in an order other than the changes happened. */
  reorder: boolean;
  /** Nothing is posted; notifications queue up, and those older than 4 hours are lost. */
  outage: boolean;
  /** Added to the delivery latency of new notifications. */
  extraLatencyMs: number;
}

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

export interface NotificationHubStats {
  subscriptions: number;
  queued: number;
  posts: number;
  failedPosts: number;
  delivered: number;
  /** Notifications put back in the queue after a failed POST. */
  retried: number;
  /** Notifications dropped after retrying for the maximum age (4 hours). */
  givenUp: number;
  droppedByFault: number;
  droppedSlowEndpoint: number;
  duplicated: number;
  expiredSubscriptions: number;
  lifecycle: Record<LifecycleEvent, number>;
  endpoints: { url: string; state: EndpointState; windowTotal: number; windowSlow: number; queued: number }[];
}
