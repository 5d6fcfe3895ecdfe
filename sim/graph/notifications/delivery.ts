import { createHash } from 'node:crypto';
import type { ResourceChange } from '../model.js';
import { endpointFor, enqueue, type Endpoint, type HubState, type Queued, type SubscriptionRecord, mailboxKey } from './hub-state.js';
import { markMissed, sweep } from './lifecycle.js';
import { addResourceData, postBody } from './rich-delivery.js';
import { formatNotificationDateTime, type TlsVersion } from './validate.js';

/** The delivery queue: changes become queued notifications, batched POSTs, retries with back-off, give-ups. */

export function publish(s: HubState, change: ResourceChange): void {
  const ids = s.byMailbox.get(mailboxKey(change.tenantId, change.mailboxId));
  if (ids === undefined) return;
  const now = s.clock.now();
  let etag: string | undefined;
  for (const id of ids) {
    const sub = s.subs.get(id);
    if (sub === undefined || sub.expirationMs <= now || !sub.changeTypes.has(change.changeType)) continue;
    const endpoint = endpointFor(s, sub.notificationUrl, now);
    if (endpoint.health.state === 'dropping') {
      s.stats.droppedSlowEndpoint += 1;
      markMissed(s, sub, now);
      continue;
    }
    if (s.faults.dropRate > 0 && s.random() < s.faults.dropRate) {
      s.stats.droppedByFault += 1;
      markMissed(s, sub, now);
      continue;
    }
    const delay =
      s.timings.deliveryDelayMs + s.faults.extraLatencyMs +
      (endpoint.health.state === 'delayed' ? s.timings.flaggedDelayMs : 0);
    etag ??= etagOf(change);
    const item = changeItem(s, sub, change, etag);
    const validationFor = addResourceData(s, sub, change, item);
    enqueue(s, endpoint, { kind: 'change', subscriptionId: sub.id, tls: sub.tls, item, validationFor }, now, now + delay);
    if (s.faults.duplicateRate > 0 && s.random() < s.faults.duplicateRate) {
      s.stats.duplicated += 1;
      enqueue(s, endpoint, { kind: 'change', subscriptionId: sub.id, tls: sub.tls, item: { ...item }, validationFor }, now, now + delay);
    }
  }
}

export function changeItem(s: HubState, sub: SubscriptionRecord, change: ResourceChange, etag: string): Record<string, unknown> {
  const path = `Users/${change.mailboxId}/Events/${change.eventId}`;
  return {
    // Opaque, unique per notification (a duplicate sent by the fault injector keeps it).
    id: Buffer.from(`n${s.seq + 1}`).toString('base64url'),
    subscriptionId: sub.id,
    subscriptionExpirationDateTime: formatNotificationDateTime(sub.expirationMs),
    changeType: change.changeType,
    resource: path,
    resourceData: {
      '@odata.type': '#Microsoft.Graph.Event',
      '@odata.id': path,
      '@odata.etag': etag,
      id: change.eventId,
    },
    clientState: sub.clientState,
    tenantId: sub.tenantId,
  };
}

/** The event's changeKey when the store reports one, else a stable stand-in derived from the change. */
function etagOf(change: ResourceChange): string {
  if (change.changeKey !== undefined) return `W/"${change.changeKey}"`;
  return `W/"${createHash('sha256').update(`${change.eventId}|${change.at}`).digest('base64').slice(0, 28)}"`;
}

export function hasDue(s: HubState, now: number): boolean {
  for (const ep of s.endpoints.values()) {
    if (ep.queue.some((q) => eligible(s, q, now))) return true;
  }
  return false;
}

export async function pass(s: HubState): Promise<void> {
  const now = s.clock.now();
  sweep(s, now);
  expireQueued(s, now);
  if (s.faults.outage) return;
  const work = [...s.endpoints.values()].filter((ep) => ep.queue.length > 0);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let ep = work[next++]; ep !== undefined; ep = work[next++]) await drain(s, ep);
  };
  await Promise.all(Array.from({ length: Math.min(s.timings.maxParallelPosts, work.length) }, worker));
}

export async function drain(s: HubState, ep: Endpoint): Promise<void> {
  for (;;) {
    if (s.faults.outage) return;
    const batch = takeBatch(s, ep, s.clock.now());
    if (batch.length === 0) return;
    await send(s, ep, batch);
  }
}

/** The oldest due notifications of the endpoint (the queue is kept in change order). */
export function takeBatch(s: HubState, ep: Endpoint, now: number): Queued[] {
  const batch: Queued[] = [];
  const skipped: Queued[] = [];
  let tls: TlsVersion | undefined;
  let i = 0;
  for (; i < ep.queue.length && batch.length < s.timings.maxBatchSize; i += 1) {
    const q = ep.queue[i] as Queued;
    if (!eligible(s, q, now) || (tls !== undefined && q.tls !== tls)) {
      skipped.push(q);
      continue;
    }
    tls ??= q.tls;
    batch.push(q);
  }
  if (batch.length === 0) return batch;
  ep.queue = i === ep.queue.length ? skipped : skipped.concat(ep.queue.slice(i));
  if (s.faults.reorder && batch.length > 1) shuffle(s, batch);
  return batch;
}

export function eligible(s: HubState, q: Queued, now: number): boolean {
  if (q.dueAt > now) return false;
  if (q.kind === 'lifecycle') return true;
  const sub = s.subs.get(q.subscriptionId);
  return sub !== undefined && sub.reauthRequiredSince === null;
}

/** Puts a notification back in change order. */
export function requeue(ep: Endpoint, q: Queued): void {
  let lo = 0;
  let hi = ep.queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ep.queue[mid] as Queued).seq < q.seq) lo = mid + 1;
    else hi = mid;
  }
  ep.queue.splice(lo, 0, q);
}

export function shuffle(s: HubState, batch: Queued[]): void {
  const original = batch.map((q) => q.seq);
  for (let i = batch.length - 1; i > 0; i -= 1) {
    const j = Math.floor(s.random() * (i + 1));
    const t = batch[i] as Queued;
    batch[i] = batch[j] as Queued;
    batch[j] = t;
  }
  if (batch.every((q, i) => q.seq === original[i])) batch.reverse();
}

export async function send(s: HubState, ep: Endpoint, batch: Queued[]): Promise<void> {
  const first = batch[0] as Queued;
  const outcome = await s.transport.post({
    url: ep.url,
    body: JSON.stringify(await postBody(s, batch)),
    contentType: 'application/json; charset=utf-8',
    timeoutMs: s.timings.deliveryTimeoutMs,
    tlsVersion: first.tls,
  });
  const now = s.clock.now();
  s.stats.posts += 1;
  ep.health.record(now, batch.length, ep.health.isSlow(outcome.durationMs, outcome.timedOut));
  if (!outcome.timedOut && outcome.status >= 200 && outcome.status < 300) {
    s.stats.delivered += batch.length;
    for (const q of batch) {
      if (q.kind !== 'lifecycle') continue;
      s.stats.lifecycle[q.lifecycleEvent ?? 'missed'] += 1;
      if (q.lifecycleEvent === 'missed') {
        const sub = s.subs.get(q.subscriptionId);
        if (sub !== undefined) sub.missedQueued = false;
      }
    }
    return;
  }
  s.stats.failedPosts += 1;
  s.log.debug({ status: outcome.status, timedOut: outcome.timedOut, count: batch.length }, 'notification POST failed');
  for (const q of batch) {
    q.attempts += 1;
    const deadline = q.enqueuedAt + s.timings.retryMaxAgeMs;
    if (now >= deadline) {
      giveUp(s, q, now);
      continue;
    }
    const backoff = Math.min(s.timings.retryInitialDelayMs * 2 ** (q.attempts - 1), s.timings.retryMaxDelayMs);
    const delay = ep.health.state === 'healthy' ? backoff : Math.max(backoff, s.timings.flaggedDelayMs);
    q.dueAt = Math.min(now + delay, deadline);
    requeue(ep, q);
    s.stats.retried += 1;
  }
}

export function giveUp(s: HubState, q: Queued, now: number): void {
  s.stats.givenUp += 1;
  const sub = s.subs.get(q.subscriptionId);
  if (sub === undefined) return;
  if (q.kind === 'change') markMissed(s, sub, now);
  else if (q.lifecycleEvent === 'missed') sub.missedQueued = false;
}

/** Drops what waited longer than the retry age, and change notifications of removed subscriptions. */
export function expireQueued(s: HubState, now: number): void {
  for (const ep of s.endpoints.values()) {
    if (ep.queue.length === 0) continue;
    const keep: Queued[] = [];
    const lost: Queued[] = [];
    for (const q of ep.queue) {
      if (q.kind === 'change' && !s.subs.has(q.subscriptionId)) continue;
      if (now - q.enqueuedAt >= s.timings.retryMaxAgeMs) lost.push(q);
      else keep.push(q);
    }
    ep.queue = keep;
    for (const q of lost) giveUp(s, q, now);
  }
}
