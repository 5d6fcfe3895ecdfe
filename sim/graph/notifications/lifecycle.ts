import { endpointFor, enqueue, removeSubscription, type HubState, type SubscriptionRecord } from './hub-state.js';
import type { LifecycleEvent } from './hub-types.js';
import { formatNotificationDateTime } from './validate.js';

/** Lifecycle notifications: reauthorizationRequired, subscriptionRemoved, missed, and the timers that raise them. */

/** The app's consent or token was revoked in the tenant: its subscriptions need reauthorization. */
export function onTokenRevoked(s: HubState, tenantId: string, appId: string): void {
  const now = s.clock.now();
  for (const sub of s.subs.values()) {
    if (sub.tenantId !== tenantId || sub.appId !== appId || sub.reauthRequiredSince !== null) continue;
    sub.reauthRequiredSince = now;
    sub.nextReminderAt = now + s.timings.reauthReminderMs;
    queueLifecycle(s, sub, 'reauthorizationRequired', now);
  }
}

/** Expiry, token-revocation grace, reauthorization reminders, window flushes. */
export function sweep(s: HubState, now: number): void {
  for (const sub of [...s.subs.values()]) {
    if (sub.expirationMs <= now) {
      s.stats.expiredSubscriptions += 1;
      removeSubscription(s, sub);
      continue;
    }
    if (sub.reauthRequiredSince !== null && now - sub.reauthRequiredSince >= s.timings.reauthGraceMs) {
      queueLifecycle(s, sub, 'subscriptionRemoved', now);
      removeSubscription(s, sub);
      continue;
    }
    const reminders = sub.reauthRequiredSince !== null || sub.expirationMs - now <= s.timings.reauthLeadMs;
    if (reminders && (sub.nextReminderAt === null || now >= sub.nextReminderAt)) {
      sub.nextReminderAt = now + s.timings.reauthReminderMs;
      queueLifecycle(s, sub, 'reauthorizationRequired', now);
    }
  }
  for (const ep of s.endpoints.values()) ep.health.roll(now);
}

export function queueLifecycle(s: HubState, sub: SubscriptionRecord, event: LifecycleEvent, now: number): void {
  if (sub.lifecycleNotificationUrl === null) return;
  const ep = endpointFor(s, sub.lifecycleNotificationUrl, now);
  const item = {
    subscriptionId: sub.id,
    subscriptionExpirationDateTime: formatNotificationDateTime(sub.expirationMs),
    tenantId: sub.tenantId,
    clientState: sub.clientState,
    lifecycleEvent: event,
  };
  const delay = ep.health.state === 'healthy' ? 0 : s.timings.flaggedDelayMs;
  enqueue(s, ep, { kind: 'lifecycle', subscriptionId: sub.id, tls: sub.tls, item, lifecycleEvent: event }, now, now + delay);
}

/** Notifications of the subscription were lost: one `missed` event until it is delivered. */
export function markMissed(s: HubState, sub: SubscriptionRecord, now: number): void {
  if (sub.missedQueued || sub.lifecycleNotificationUrl === null) return;
  sub.missedQueued = true;
  queueLifecycle(s, sub, 'missed', now);
}
