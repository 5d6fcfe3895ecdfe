import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { EndpointHealth } from './endpoint-health.js';
import type { LifecycleEvent, NotificationFaults, NotificationHubStats } from './hub-types.js';
import type { NotificationTimings } from './options.js';
import type { RichNotificationSource, RichSubscription } from './rich.js';
import type { SubscriptionApiThrottle } from './throttle.js';
import type { WebhookTransport } from './transport.js';
import type { ChangeType, TlsVersion } from './validate.js';

/**
 * The state the notification hub's parts share (subscriptions, endpoints and their queues, faults,
 * counters), and the few operations on it that every part uses.
 */

export interface SubscriptionRecord {
  id: string;
  tenantId: string;
  appId: string;
  creatorId: string;
  resource: string;
  mailboxId: string;
  changeType: string;
  changeTypes: ReadonlySet<ChangeType>;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expirationMs: number;
  tls: TlsVersion;
  /** Set when the app's token was revoked; change notifications pause until reauthorized. */
  reauthRequiredSince: number | null;
  nextReminderAt: number | null;
  /** A `missed` event is queued and not yet delivered. */
  missedQueued: boolean;
  /** Rich notifications (includeResourceData): the selected properties and the subscriber's certificate. */
  rich: RichSubscription | null;
}

export interface Queued {
  seq: number;
  kind: 'change' | 'lifecycle';
  subscriptionId: string;
  tls: TlsVersion;
  item: Record<string, unknown>;
  lifecycleEvent?: LifecycleEvent;
  /** Rich notifications: the POST carries a validation token for this app in this tenant. */
  validationFor?: { tenantId: string; appId: string } | undefined;
  enqueuedAt: number;
  dueAt: number;
  attempts: number;
}

export interface Endpoint {
  url: string;
  queue: Queued[];
  health: EndpointHealth;
}

/** The hub's counters (what `stats()` reports besides the live sizes). */
export type HubStats = Omit<NotificationHubStats, 'subscriptions' | 'queued' | 'endpoints'>;

export interface HubState {
  readonly clock: Clock;
  /** Graph root for `@odata.context` (ends in /v1.0 or /beta). */
  readonly base: string;
  readonly resolveMailbox: (tenantId: string, idOrUpn: string) => string | undefined;
  readonly timings: NotificationTimings;
  readonly transport: WebhookTransport;
  readonly log: Logger;
  readonly throttle: SubscriptionApiThrottle | undefined;
  readonly subs: Map<string, SubscriptionRecord>;
  readonly byMailbox: Map<string, Set<string>>;
  readonly endpoints: Map<string, Endpoint>;
  /** Creates in their handshake, counted against the mailbox limit. */
  readonly pendingCreates: Map<string, number>;
  faults: NotificationFaults;
  readonly random: () => number;
  seq: number;
  readonly stats: HubStats;
  /** Renders resources and signs validation tokens for rich notifications (absent: they are refused). */
  readonly rich: RichNotificationSource | undefined;
  /** Validation tokens by tenant and app, reused until shortly before they expire. */
  readonly validationTokens: Map<string, { token: string; until: number }>;
}

export function mailboxKey(tenantId: string, mailboxId: string): string {
  return `${tenantId}\u0000${mailboxId}`;
}

export function endpointFor(s: HubState, url: string, now: number): Endpoint {
  let ep = s.endpoints.get(url);
  if (ep === undefined) {
    ep = { url, queue: [], health: new EndpointHealth(s.timings, now) };
    s.endpoints.set(url, ep);
  }
  return ep;
}

export function enqueue(s: HubState, ep: Endpoint, q: Pick<Queued, 'kind' | 'subscriptionId' | 'tls' | 'item' | 'lifecycleEvent' | 'validationFor'>, now: number, dueAt: number): void {
  s.seq += 1;
  const entry: Queued = { seq: s.seq, kind: q.kind, subscriptionId: q.subscriptionId, tls: q.tls, item: q.item, enqueuedAt: now, dueAt, attempts: 0 };
  if (q.lifecycleEvent !== undefined) entry.lifecycleEvent = q.lifecycleEvent;
  if (q.validationFor !== undefined) entry.validationFor = q.validationFor;
  ep.queue.push(entry);
}

export function removeSubscription(s: HubState, sub: SubscriptionRecord): void {
  s.subs.delete(sub.id);
  const key = mailboxKey(sub.tenantId, sub.mailboxId);
  const set = s.byMailbox.get(key);
  set?.delete(sub.id);
  if (set?.size === 0) s.byMailbox.delete(key);
  const ep = s.endpoints.get(sub.notificationUrl);
  if (ep !== undefined) ep.queue = ep.queue.filter((q) => q.kind !== 'change' || q.subscriptionId !== sub.id);
}
