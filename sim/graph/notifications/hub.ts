import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../../../common/clock.js';
import { silentLogger, type Logger } from '../../../common/logger.js';
import { SimGraphError, type ResourceChange } from '../model.js';
import { EndpointHealth, type EndpointState } from './endpoint-health.js';
import { compileTimings, type NotificationTimings, type NotificationTimingsInput } from './options.js';
import { SubscriptionApiThrottle, type SubscriptionApiLimits } from './throttle.js';
import { HttpsWebhookTransport, type WebhookTransport } from './transport.js';
import {
  effectiveExpiration,
  formatDateTimeOffset,
  invalidRequest,
  parseCreateBody,
  parseUpdateBody,
  type ChangeType,
  type ParsedResource,
  type TlsVersion,
} from './validate.js';

/**
 * Change notifications of the Graph simulator (graph.md section 4): subscriptions with Graph's
 * rules, the validation handshake, delivery of changeNotificationCollection POSTs with batching,
 * retries for up to 4 hours, the slow-endpoint rules, lifecycle events and switchable faults.
 *
 * Due times come from the injected clock; the network exchange itself is real (HTTPS). Tests drive
 * delivery with `tick()` / `flush()` and a ManualClock; a running server calls `start()`.
 */

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
  logger?: Logger;
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

interface SubscriptionRecord {
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
}

interface Queued {
  seq: number;
  kind: 'change' | 'lifecycle';
  subscriptionId: string;
  tls: TlsVersion;
  item: Record<string, unknown>;
  lifecycleEvent?: LifecycleEvent;
  enqueuedAt: number;
  dueAt: number;
  attempts: number;
}

interface Endpoint {
  url: string;
  queue: Queued[];
  health: EndpointHealth;
}

const CALENDAR_PERMISSIONS = new Set(['calendars.readbasic', 'calendars.read', 'calendars.readwrite']);

function notFound(): SimGraphError {
  return new SimGraphError(404, 'ResourceNotFound', 'The object was not found.');
}

/** A GUID derived from a name (the service principal id of an app in a tenant). */
function nameGuid(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/** mulberry32: a small seeded generator, so fault runs repeat. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Query-string encoding as Graph sends the validation token (spaces as '+'). */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

function normaliseBaseUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return /\/(v1\.0|beta)$/.test(trimmed) ? trimmed : `${trimmed}/v1.0`;
}

export class NotificationHub {
  readonly #clock: Clock;
  readonly #base: string;
  readonly #resolveMailbox: NotificationHubOptions['resolveMailbox'];
  readonly #timings: NotificationTimings;
  readonly #transport: WebhookTransport;
  readonly #log: Logger;
  readonly #throttle: SubscriptionApiThrottle | undefined;
  readonly #subs = new Map<string, SubscriptionRecord>();
  readonly #byMailbox = new Map<string, Set<string>>();
  readonly #endpoints = new Map<string, Endpoint>();
  /** Creates in their handshake, counted against the mailbox limit. */
  readonly #pendingCreates = new Map<string, number>();
  #faults: NotificationFaults = { dropRate: 0, duplicateRate: 0, reorder: false, outage: false, extraLatencyMs: 0 };
  #random: () => number;
  #seq = 0;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #loopBusy = false;
  readonly #stats = {
    posts: 0, failedPosts: 0, delivered: 0, retried: 0, givenUp: 0, droppedByFault: 0, droppedSlowEndpoint: 0,
    duplicated: 0, expiredSubscriptions: 0,
    lifecycle: { reauthorizationRequired: 0, subscriptionRemoved: 0, missed: 0 } as Record<LifecycleEvent, number>,
  };

  constructor(options: NotificationHubOptions) {
    this.#clock = options.clock;
    this.#base = normaliseBaseUrl(options.graphBaseUrl);
    this.#resolveMailbox = (tenantId, idOrUpn) => options.resolveMailbox(tenantId, idOrUpn);
    this.#timings = compileTimings(options.timings);
    this.#transport = options.transport ?? new HttpsWebhookTransport(options.caCertPem);
    this.#log = options.logger ?? silentLogger;
    this.#random = seededRandom(this.#timings.seed);
    this.#throttle = options.subscriptionApiLimits === false ? undefined : new SubscriptionApiThrottle(options.subscriptionApiLimits);
  }

  // ---------------------------------------------------------------- subscriptions API

  async create(caller: SubscriptionCaller, body: unknown): Promise<Record<string, unknown>> {
    this.#admit(caller, true);
    const req = parseCreateBody(body);
    this.#requirePermission(caller);
    const mailboxId = this.#resolveResource(caller, req.parsedResource);
    const now = this.#clock.now();
    const expirationMs = effectiveExpiration(req.requestedExpirationMs, now);
    const key = mailboxKey(caller.tenantId, mailboxId);
    this.#checkMailboxLimit(key, now);
    this.#pendingCreates.set(key, (this.#pendingCreates.get(key) ?? 0) + 1);
    try {
      await this.#handshake(req.notificationUrl, req.latestSupportedTlsVersion);
      if (req.lifecycleNotificationUrl !== null) await this.#handshake(req.lifecycleNotificationUrl, req.latestSupportedTlsVersion);
    } finally {
      const left = (this.#pendingCreates.get(key) ?? 1) - 1;
      if (left <= 0) this.#pendingCreates.delete(key);
      else this.#pendingCreates.set(key, left);
    }
    this.#checkMailboxLimit(key, this.#clock.now());
    const sub: SubscriptionRecord = {
      id: randomUUID(),
      tenantId: caller.tenantId,
      appId: caller.appId,
      creatorId: caller.userId ?? nameGuid(`service-principal:${caller.tenantId}:${caller.appId}`),
      resource: req.resource,
      mailboxId,
      changeType: req.changeType,
      changeTypes: req.changeTypes,
      notificationUrl: req.notificationUrl,
      lifecycleNotificationUrl: req.lifecycleNotificationUrl,
      clientState: req.clientState,
      expirationMs,
      tls: req.latestSupportedTlsVersion,
      reauthRequiredSince: null,
      nextReminderAt: null,
      missedQueued: false,
    };
    this.#subs.set(sub.id, sub);
    let set = this.#byMailbox.get(key);
    if (set === undefined) {
      set = new Set();
      this.#byMailbox.set(key, set);
    }
    set.add(sub.id);
    this.#log.debug({ subscriptionId: sub.id, tenantId: sub.tenantId }, 'subscription created');
    return this.#render(sub, true);
  }

  get(caller: SubscriptionCaller, id: string): Record<string, unknown> {
    this.#admit(caller, false);
    return this.#render(this.#visible(caller, id), true);
  }

  list(caller: SubscriptionCaller): Record<string, unknown>[] {
    this.#admit(caller, false);
    const now = this.#clock.now();
    const out: Record<string, unknown>[] = [];
    for (const sub of this.#subs.values()) {
      if (sub.expirationMs > now && this.#owns(caller, sub)) out.push(this.#render(sub, false));
    }
    return out;
  }

  /** The whole GET /subscriptions response body (the list in `value`, no paging). */
  listBody(caller: SubscriptionCaller): Record<string, unknown> {
    return { '@odata.context': `${this.#base}/$metadata#subscriptions`, value: this.list(caller) };
  }

  update(caller: SubscriptionCaller, id: string, body: unknown): Record<string, unknown> {
    this.#admit(caller, true);
    const sub = this.#visible(caller, id);
    const req = parseUpdateBody(body);
    if (req.lifecycleNotificationUrl !== undefined && req.lifecycleNotificationUrl !== sub.lifecycleNotificationUrl) {
      throw invalidRequest(
        'lifecycleNotificationUrl cannot be added or changed on an existing subscription; delete the subscription and create it again with the URL.',
      );
    }
    const now = this.#clock.now();
    if (req.requestedExpirationMs !== undefined) {
      sub.expirationMs = effectiveExpiration(req.requestedExpirationMs, now);
      sub.nextReminderAt = null;
    }
    if (req.notificationUrl !== undefined) sub.notificationUrl = req.notificationUrl;
    // A PATCH reauthorizes as well as renews (LC).
    if (sub.reauthRequiredSince !== null) {
      sub.reauthRequiredSince = null;
      sub.nextReminderAt = null;
    }
    return this.#render(sub, true);
  }

  /**
   * PATCH as Graph does it when the notificationUrl changes: the new URL must pass the validation
   * handshake first. The HTTP route should prefer this over the synchronous `update`, which
   * accepts a new notificationUrl without a handshake.
   */
  async updateWithValidation(caller: SubscriptionCaller, id: string, body: unknown): Promise<Record<string, unknown>> {
    const sub = this.#visible(caller, id);
    const req = parseUpdateBody(body);
    if (req.notificationUrl !== undefined && req.notificationUrl !== sub.notificationUrl) {
      await this.#handshake(req.notificationUrl, sub.tls);
    }
    return this.update(caller, id, body);
  }

  delete(caller: SubscriptionCaller, id: string): void {
    this.#admit(caller, true);
    this.#remove(this.#visible(caller, id));
  }

  /** POST /subscriptions/{id}/reauthorize: resumes delivery, does not extend the expiry (LC). */
  reauthorize(caller: SubscriptionCaller, id: string): void {
    this.#admit(caller, true);
    const sub = this.#visible(caller, id);
    if (sub.reauthRequiredSince !== null) {
      sub.reauthRequiredSince = null;
      sub.nextReminderAt = null;
    }
  }

  // ---------------------------------------------------------------- changes and faults

  publish(change: ResourceChange): void {
    const ids = this.#byMailbox.get(mailboxKey(change.tenantId, change.mailboxId));
    if (ids === undefined) return;
    const now = this.#clock.now();
    let etag: string | undefined;
    for (const id of ids) {
      const sub = this.#subs.get(id);
      if (sub === undefined || sub.expirationMs <= now || !sub.changeTypes.has(change.changeType)) continue;
      const endpoint = this.#endpoint(sub.notificationUrl, now);
      if (endpoint.health.state === 'dropping') {
        this.#stats.droppedSlowEndpoint += 1;
        this.#markMissed(sub, now);
        continue;
      }
      if (this.#faults.dropRate > 0 && this.#random() < this.#faults.dropRate) {
        this.#stats.droppedByFault += 1;
        this.#markMissed(sub, now);
        continue;
      }
      const delay =
        this.#timings.deliveryDelayMs + this.#faults.extraLatencyMs +
        (endpoint.health.state === 'delayed' ? this.#timings.flaggedDelayMs : 0);
      etag ??= etagOf(change);
      const item = this.#changeItem(sub, change, etag);
      this.#enqueue(endpoint, { kind: 'change', subscriptionId: sub.id, tls: sub.tls, item }, now, now + delay);
      if (this.#faults.duplicateRate > 0 && this.#random() < this.#faults.duplicateRate) {
        this.#stats.duplicated += 1;
        this.#enqueue(endpoint, { kind: 'change', subscriptionId: sub.id, tls: sub.tls, item: { ...item } }, now, now + delay);
      }
    }
  }

  setFaults(faults: Partial<NotificationFaults>): void {
    for (const key of ['dropRate', 'duplicateRate'] as const) {
      const v = faults[key];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= 1)) throw invalidRequest(`Fault '${key}' must be a number from 0 to 1.`);
    }
    const latency = faults.extraLatencyMs;
    if (latency !== undefined && !(Number.isFinite(latency) && latency >= 0)) throw invalidRequest("Fault 'extraLatencyMs' must be a number >= 0.");
    this.#faults = { ...this.#faults, ...faults };
  }

  get faults(): Readonly<NotificationFaults> {
    return { ...this.#faults };
  }

  /** The app's consent or token was revoked in the tenant: its subscriptions need reauthorization. */
  onTokenRevoked(tenantId: string, appId: string): void {
    const now = this.#clock.now();
    for (const sub of this.#subs.values()) {
      if (sub.tenantId !== tenantId || sub.appId !== appId || sub.reauthRequiredSince !== null) continue;
      sub.reauthRequiredSince = now;
      sub.nextReminderAt = now + this.#timings.reauthReminderMs;
      this.#lifecycle(sub, 'reauthorizationRequired', now);
    }
  }

  stats(): NotificationHubStats {
    let queued = 0;
    const endpoints: NotificationHubStats['endpoints'] = [];
    for (const ep of this.#endpoints.values()) {
      queued += ep.queue.length;
      const w = ep.health.window;
      endpoints.push({ url: ep.url, state: ep.health.state, windowTotal: w.total, windowSlow: w.slow, queued: ep.queue.length });
    }
    return {
      subscriptions: this.#subs.size,
      queued,
      ...this.#stats,
      lifecycle: { ...this.#stats.lifecycle },
      endpoints,
    };
  }

  // ---------------------------------------------------------------- delivery

  /** One delivery pass at the clock's current time: expiry, lifecycle timers, give-ups, due POSTs. */
  tick(): Promise<void> {
    const run = this.#chain.then(() => this.#pass());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Delivers everything due at the clock's current time, including what delivery itself queues
   * (e.g. a `missed` event after a give-up). Time does not move; retries wait for the clock.
   */
  async flush(): Promise<void> {
    for (let pass = 0; pass < 100; pass += 1) {
      await this.tick();
      if (this.#faults.outage || !this.#hasDue(this.#clock.now())) return;
    }
  }

  #hasDue(now: number): boolean {
    for (const ep of this.#endpoints.values()) {
      if (ep.queue.some((q) => this.#eligible(q, now))) return true;
    }
    return false;
  }

  /** Background loop for a running server: real timers pace it, the clock decides what is due. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#loopBusy) return;
      this.#loopBusy = true;
      this.tick()
        .catch((error: unknown) => this.#log.error({ err: error }, 'notification delivery pass failed'))
        .finally(() => {
          this.#loopBusy = false;
        });
    }, this.#timings.pollIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#chain;
    this.#transport.close();
  }

  async #pass(): Promise<void> {
    const now = this.#clock.now();
    this.#sweep(now);
    this.#expireQueued(now);
    if (this.#faults.outage) return;
    const work = [...this.#endpoints.values()].filter((ep) => ep.queue.length > 0);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let ep = work[next++]; ep !== undefined; ep = work[next++]) await this.#drain(ep);
    };
    await Promise.all(Array.from({ length: Math.min(this.#timings.maxParallelPosts, work.length) }, worker));
  }

  async #drain(ep: Endpoint): Promise<void> {
    for (;;) {
      if (this.#faults.outage) return;
      const batch = this.#takeBatch(ep, this.#clock.now());
      if (batch.length === 0) return;
      await this.#send(ep, batch);
    }
  }

  /** The oldest due notifications of the endpoint (the queue is kept in change order). */
  #takeBatch(ep: Endpoint, now: number): Queued[] {
    const batch: Queued[] = [];
    const skipped: Queued[] = [];
    let tls: TlsVersion | undefined;
    let i = 0;
    for (; i < ep.queue.length && batch.length < this.#timings.maxBatchSize; i += 1) {
      const q = ep.queue[i] as Queued;
      if (!this.#eligible(q, now) || (tls !== undefined && q.tls !== tls)) {
        skipped.push(q);
        continue;
      }
      tls ??= q.tls;
      batch.push(q);
    }
    if (batch.length === 0) return batch;
    ep.queue = i === ep.queue.length ? skipped : skipped.concat(ep.queue.slice(i));
    if (this.#faults.reorder && batch.length > 1) this.#shuffle(batch);
    return batch;
  }

  #eligible(q: Queued, now: number): boolean {
    if (q.dueAt > now) return false;
    if (q.kind === 'lifecycle') return true;
    const sub = this.#subs.get(q.subscriptionId);
    return sub !== undefined && sub.reauthRequiredSince === null;
  }

  /** Puts a notification back in change order. */
  #requeue(ep: Endpoint, q: Queued): void {
    let lo = 0;
    let hi = ep.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ep.queue[mid] as Queued).seq < q.seq) lo = mid + 1;
      else hi = mid;
    }
    ep.queue.splice(lo, 0, q);
  }

  #shuffle(batch: Queued[]): void {
    const original = batch.map((q) => q.seq);
    for (let i = batch.length - 1; i > 0; i -= 1) {
      const j = Math.floor(this.#random() * (i + 1));
      const t = batch[i] as Queued;
      batch[i] = batch[j] as Queued;
      batch[j] = t;
    }
    if (batch.every((q, i) => q.seq === original[i])) batch.reverse();
  }

  async #send(ep: Endpoint, batch: Queued[]): Promise<void> {
    const first = batch[0] as Queued;
    const outcome = await this.#transport.post({
      url: ep.url,
      body: JSON.stringify({ value: batch.map((q) => q.item) }),
      contentType: 'application/json; charset=utf-8',
      timeoutMs: this.#timings.deliveryTimeoutMs,
      tlsVersion: first.tls,
    });
    const now = this.#clock.now();
    this.#stats.posts += 1;
    ep.health.record(now, batch.length, ep.health.isSlow(outcome.durationMs, outcome.timedOut));
    if (!outcome.timedOut && outcome.status >= 200 && outcome.status < 300) {
      this.#stats.delivered += batch.length;
      for (const q of batch) {
        if (q.kind !== 'lifecycle') continue;
        this.#stats.lifecycle[q.lifecycleEvent ?? 'missed'] += 1;
        if (q.lifecycleEvent === 'missed') {
          const sub = this.#subs.get(q.subscriptionId);
          if (sub !== undefined) sub.missedQueued = false;
        }
      }
      return;
    }
    this.#stats.failedPosts += 1;
    this.#log.debug({ status: outcome.status, timedOut: outcome.timedOut, count: batch.length }, 'notification POST failed');
    for (const q of batch) {
      q.attempts += 1;
      const deadline = q.enqueuedAt + this.#timings.retryMaxAgeMs;
      if (now >= deadline) {
        this.#giveUp(q, now);
        continue;
      }
      const backoff = Math.min(this.#timings.retryInitialDelayMs * 2 ** (q.attempts - 1), this.#timings.retryMaxDelayMs);
      const delay = ep.health.state === 'healthy' ? backoff : Math.max(backoff, this.#timings.flaggedDelayMs);
      q.dueAt = Math.min(now + delay, deadline);
      this.#requeue(ep, q);
      this.#stats.retried += 1;
    }
  }

  #giveUp(q: Queued, now: number): void {
    this.#stats.givenUp += 1;
    const sub = this.#subs.get(q.subscriptionId);
    if (sub === undefined) return;
    if (q.kind === 'change') this.#markMissed(sub, now);
    else if (q.lifecycleEvent === 'missed') sub.missedQueued = false;
  }

  /** Expiry, token-revocation grace, reauthorization reminders, window flushes. */
  #sweep(now: number): void {
    for (const sub of [...this.#subs.values()]) {
      if (sub.expirationMs <= now) {
        this.#stats.expiredSubscriptions += 1;
        this.#remove(sub);
        continue;
      }
      if (sub.reauthRequiredSince !== null && now - sub.reauthRequiredSince >= this.#timings.reauthGraceMs) {
        this.#lifecycle(sub, 'subscriptionRemoved', now);
        this.#remove(sub);
        continue;
      }
      const reminders = sub.reauthRequiredSince !== null || sub.expirationMs - now <= this.#timings.reauthLeadMs;
      if (reminders && (sub.nextReminderAt === null || now >= sub.nextReminderAt)) {
        sub.nextReminderAt = now + this.#timings.reauthReminderMs;
        this.#lifecycle(sub, 'reauthorizationRequired', now);
      }
    }
    for (const ep of this.#endpoints.values()) ep.health.roll(now);
  }

  /** Drops what waited longer than the retry age, and change notifications of removed subscriptions. */
  #expireQueued(now: number): void {
    for (const ep of this.#endpoints.values()) {
      if (ep.queue.length === 0) continue;
      const keep: Queued[] = [];
      const lost: Queued[] = [];
      for (const q of ep.queue) {
        if (q.kind === 'change' && !this.#subs.has(q.subscriptionId)) continue;
        if (now - q.enqueuedAt >= this.#timings.retryMaxAgeMs) lost.push(q);
        else keep.push(q);
      }
      ep.queue = keep;
      for (const q of lost) this.#giveUp(q, now);
    }
  }

  // ---------------------------------------------------------------- helpers

  #endpoint(url: string, now: number): Endpoint {
    let ep = this.#endpoints.get(url);
    if (ep === undefined) {
      ep = { url, queue: [], health: new EndpointHealth(this.#timings, now) };
      this.#endpoints.set(url, ep);
    }
    return ep;
  }

  #enqueue(ep: Endpoint, q: Pick<Queued, 'kind' | 'subscriptionId' | 'tls' | 'item' | 'lifecycleEvent'>, now: number, dueAt: number): void {
    this.#seq += 1;
    const entry: Queued = { seq: this.#seq, kind: q.kind, subscriptionId: q.subscriptionId, tls: q.tls, item: q.item, enqueuedAt: now, dueAt, attempts: 0 };
    if (q.lifecycleEvent !== undefined) entry.lifecycleEvent = q.lifecycleEvent;
    ep.queue.push(entry);
  }

  #lifecycle(sub: SubscriptionRecord, event: LifecycleEvent, now: number): void {
    if (sub.lifecycleNotificationUrl === null) return;
    const ep = this.#endpoint(sub.lifecycleNotificationUrl, now);
    const item = {
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: new Date(sub.expirationMs).toISOString(),
      tenantId: sub.tenantId,
      clientState: sub.clientState,
      lifecycleEvent: event,
    };
    const delay = ep.health.state === 'healthy' ? 0 : this.#timings.flaggedDelayMs;
    this.#enqueue(ep, { kind: 'lifecycle', subscriptionId: sub.id, tls: sub.tls, item, lifecycleEvent: event }, now, now + delay);
  }

  /** Notifications of the subscription were lost: one `missed` event until it is delivered. */
  #markMissed(sub: SubscriptionRecord, now: number): void {
    if (sub.missedQueued || sub.lifecycleNotificationUrl === null) return;
    sub.missedQueued = true;
    this.#lifecycle(sub, 'missed', now);
  }

  #changeItem(sub: SubscriptionRecord, change: ResourceChange, etag: string): Record<string, unknown> {
    const path = `Users/${change.mailboxId}/Events/${change.eventId}`;
    return {
      // Opaque, unique per notification (a duplicate sent by the fault injector keeps it).
      id: Buffer.from(`n${this.#seq + 1}`).toString('base64url'),
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: new Date(sub.expirationMs).toISOString(),
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

  #remove(sub: SubscriptionRecord): void {
    this.#subs.delete(sub.id);
    const key = mailboxKey(sub.tenantId, sub.mailboxId);
    const set = this.#byMailbox.get(key);
    set?.delete(sub.id);
    if (set?.size === 0) this.#byMailbox.delete(key);
    const ep = this.#endpoints.get(sub.notificationUrl);
    if (ep !== undefined) ep.queue = ep.queue.filter((q) => q.kind !== 'change' || q.subscriptionId !== sub.id);
  }

  #admit(caller: SubscriptionCaller, write: boolean): void {
    this.#throttle?.admit(this.#clock.now(), caller.tenantId, caller.appId, write);
  }

  #owns(caller: SubscriptionCaller, sub: SubscriptionRecord): boolean {
    return (
      sub.tenantId === caller.tenantId &&
      sub.appId === caller.appId &&
      (caller.userId === undefined || sub.creatorId === caller.userId)
    );
  }

  #visible(caller: SubscriptionCaller, id: string): SubscriptionRecord {
    const sub = this.#subs.get(id);
    if (sub === undefined || !this.#owns(caller, sub)) throw notFound();
    if (sub.expirationMs <= this.#clock.now()) {
      this.#stats.expiredSubscriptions += 1;
      this.#remove(sub);
      throw notFound();
    }
    return sub;
  }

  #requirePermission(caller: SubscriptionCaller): void {
    const granted = caller.userId === undefined ? caller.roles : caller.scopes;
    if (!granted.some((p) => CALENDAR_PERMISSIONS.has(p.toLowerCase()))) {
      throw new SimGraphError(
        403,
        'ExtensionError',
        'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied. Check credentials and try again.]',
      );
    }
  }

  #resolveResource(caller: SubscriptionCaller, resource: ParsedResource): string {
    if (resource.kind === 'me') {
      if (caller.userId === undefined) {
        throw new SimGraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
      }
      return caller.userId;
    }
    const mailboxId = this.#resolveMailbox(caller.tenantId, resource.idOrUpn);
    if (mailboxId === undefined) throw new SimGraphError(404, 'ResourceNotFound', 'Resource could not be discovered.');
    if (caller.userId !== undefined && mailboxId !== caller.userId) {
      // Delegated permissions subscribe only in the signed-in user's mailbox (OCN).
      throw new SimGraphError(
        403,
        'ExtensionError',
        'Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied. Check credentials and try again.]',
      );
    }
    return mailboxId;
  }

  /** Active subscriptions of the mailbox (all apps) plus creates in their handshake, against the limit. */
  #checkMailboxLimit(key: string, now: number): void {
    let active = this.#pendingCreates.get(key) ?? 0;
    for (const id of this.#byMailbox.get(key) ?? []) {
      const sub = this.#subs.get(id);
      if (sub !== undefined && sub.expirationMs > now) active += 1;
    }
    if (active >= this.#timings.maxSubscriptionsPerMailbox) {
      throw new SimGraphError(
        403,
        'ExtensionError',
        'Operation: Create; Exception: [Status Code: Forbidden; Reason: Maximum number of subscriptions has been reached]',
      );
    }
  }

  async #handshake(url: string, tls: TlsVersion): Promise<void> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${formEncode(token)}`;
    const outcome = await this.#transport.post({
      url: target,
      body: '',
      contentType: 'text/plain; charset=utf-8',
      timeoutMs: this.#timings.validationTimeoutMs,
      tlsVersion: tls,
    });
    if (outcome.timedOut) throw new SimGraphError(400, 'InvalidRequest', 'Subscription validation request timed out.');
    if (outcome.status !== 200) {
      throw new SimGraphError(
        400,
        'ValidationError',
        'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
      );
    }
    if (!/^text\/plain\b/i.test(outcome.contentType) || outcome.body !== token) {
      throw new SimGraphError(
        400,
        'ValidationError',
        'Subscription validation request failed. Response must exactly match validationToken query parameter.',
      );
    }
  }

  #render(sub: SubscriptionRecord, withContext: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = {
      id: sub.id,
      resource: sub.resource,
      applicationId: sub.appId,
      changeType: sub.changeType,
      clientState: sub.clientState,
      notificationUrl: sub.notificationUrl,
      notificationQueryOptions: null,
      lifecycleNotificationUrl: sub.lifecycleNotificationUrl,
      expirationDateTime: formatDateTimeOffset(sub.expirationMs),
      creatorId: sub.creatorId,
      includeResourceData: null,
      latestSupportedTlsVersion: sub.tls,
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
      notificationContentType: 'application/json',
    };
    return withContext ? { '@odata.context': `${this.#base}/$metadata#subscriptions/$entity`, ...body } : body;
  }
}

/** The event's changeKey when the store reports one, else a stable stand-in derived from the change. */
function etagOf(change: ResourceChange): string {
  if (change.changeKey !== undefined) return `W/"${change.changeKey}"`;
  return `W/"${createHash('sha256').update(`${change.eventId}|${change.at}`).digest('base64').slice(0, 28)}"`;
}

function mailboxKey(tenantId: string, mailboxId: string): string {
  return `${tenantId}\u0000${mailboxId}`;
}
