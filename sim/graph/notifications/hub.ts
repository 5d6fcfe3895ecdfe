import { silentLogger } from '../logger.js';
import type { ResourceChange } from '../model.js';
import { mulberry32 } from '../seeded-random.js';
import { hasDue, pass, publish } from './delivery.js';
import { NO_FAULTS, mergeFaults } from './faults.js';
import type { HubState } from './hub-state.js';
import type { NotificationFaults, NotificationHubOptions, NotificationHubStats, SubscriptionCaller } from './hub-types.js';
import { onTokenRevoked } from './lifecycle.js';
import { compileTimings } from './options.js';
import {
  createSubscription, deleteSubscription, getSubscription, listBody, listSubscriptions, reauthorize, updateSubscription, updateWithValidation,
} from './subscriptions.js';
import { SubscriptionApiThrottle } from './throttle.js';
import { HttpsWebhookTransport } from './transport.js';

export type { LifecycleEvent, NotificationFaults, NotificationHubOptions, NotificationHubStats, SubscriptionCaller } from './hub-types.js';

/**
 * Change notifications of the Graph simulator (graph.md section 4): subscriptions with Graph's
 * rules, the validation handshake, delivery of changeNotificationCollection POSTs with batching,
 * retries for up to 4 hours, the slow-endpoint rules, lifecycle events and switchable faults.
 *
 * Due times come from the injected clock; the network exchange itself is real (HTTPS). Tests drive
 * delivery with `tick()` / `flush()` and a ManualClock; a running server calls `start()`.
 */
export class NotificationHub {
  readonly #s: HubState;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #loopBusy = false;

  constructor(options: NotificationHubOptions) {
    const timings = compileTimings(options.timings);
    this.#s = {
      clock: options.clock,
      base: normaliseBaseUrl(options.graphBaseUrl),
      resolveMailbox: (tenantId, idOrUpn) => options.resolveMailbox(tenantId, idOrUpn),
      timings,
      transport: options.transport ?? new HttpsWebhookTransport(options.caCertPem),
      log: options.logger ?? silentLogger,
      throttle: options.subscriptionApiLimits === false ? undefined : new SubscriptionApiThrottle(options.subscriptionApiLimits, options.retryAfter),
      subs: new Map(),
      byMailbox: new Map(),
      endpoints: new Map(),
      pendingCreates: new Map(),
      faults: { ...NO_FAULTS },
      random: mulberry32(timings.seed),
      seq: 0,
      stats: {
        posts: 0, failedPosts: 0, delivered: 0, retried: 0, givenUp: 0, droppedByFault: 0, droppedSlowEndpoint: 0,
        duplicated: 0, expiredSubscriptions: 0,
        lifecycle: { reauthorizationRequired: 0, subscriptionRemoved: 0, missed: 0 },
      },
      rich: options.rich,
      validationTokens: new Map(),
    };
  }

  // ---------------------------------------------------------------- subscriptions API (subscriptions.ts)

  create(caller: SubscriptionCaller, body: unknown): Promise<Record<string, unknown>> {
    return createSubscription(this.#s, caller, body);
  }

  get(caller: SubscriptionCaller, id: string): Record<string, unknown> {
    return getSubscription(this.#s, caller, id);
  }

  list(caller: SubscriptionCaller): Record<string, unknown>[] {
    return listSubscriptions(this.#s, caller);
  }

  /** The whole GET /subscriptions response body (the list in `value`, no paging). */
  listBody(caller: SubscriptionCaller): Record<string, unknown> {
    return listBody(this.#s, caller);
  }

  update(caller: SubscriptionCaller, id: string, body: unknown): Record<string, unknown> {
    return updateSubscription(this.#s, caller, id, body);
  }

  /**
   * PATCH as Graph does it when the notificationUrl changes: the new URL must pass the validation
   * handshake first. The HTTP route should prefer this over the synchronous `update`, which
   * accepts a new notificationUrl without a handshake.
   */
  updateWithValidation(caller: SubscriptionCaller, id: string, body: unknown): Promise<Record<string, unknown>> {
    return updateWithValidation(this.#s, caller, id, body);
  }

  delete(caller: SubscriptionCaller, id: string): void {
    deleteSubscription(this.#s, caller, id);
  }

  /** POST /subscriptions/{id}/reauthorize: resumes delivery, does not extend the expiry (LC). */
  reauthorize(caller: SubscriptionCaller, id: string): void {
    reauthorize(this.#s, caller, id);
  }

  // ---------------------------------------------------------------- changes and faults

  publish(change: ResourceChange): void {
    publish(this.#s, change);
  }

  setFaults(faults: Partial<NotificationFaults>): void {
    this.#s.faults = mergeFaults(this.#s.faults, faults);
  }

  get faults(): Readonly<NotificationFaults> {
    return { ...this.#s.faults };
  }

  /** The app's consent or token was revoked in the tenant: its subscriptions need reauthorization. */
  onTokenRevoked(tenantId: string, appId: string): void {
    onTokenRevoked(this.#s, tenantId, appId);
  }

  stats(): NotificationHubStats {
    let queued = 0;
    const endpoints: NotificationHubStats['endpoints'] = [];
    for (const ep of this.#s.endpoints.values()) {
      queued += ep.queue.length;
      const w = ep.health.window;
      endpoints.push({ url: ep.url, state: ep.health.state, windowTotal: w.total, windowSlow: w.slow, queued: ep.queue.length });
    }
    return {
      subscriptions: this.#s.subs.size,
      queued,
      ...this.#s.stats,
      lifecycle: { ...this.#s.stats.lifecycle },
      endpoints,
    };
  }

  // ---------------------------------------------------------------- delivery (delivery.ts)

  /** One delivery pass at the clock's current time: expiry, lifecycle timers, give-ups, due POSTs. */
  tick(): Promise<void> {
    const run = this.#chain.then(() => pass(this.#s));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Delivers everything due at the clock's current time, including what delivery itself queues
   * (e.g. a `missed` event after a give-up). Time does not move; retries wait for the clock.
   */
  async flush(): Promise<void> {
    for (let round = 0; round < 100; round += 1) {
      await this.tick();
      if (this.#s.faults.outage || !hasDue(this.#s, this.#s.clock.now())) return;
    }
  }

  /** Background loop for a running server: real timers pace it, the clock decides what is due. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#loopBusy) return;
      this.#loopBusy = true;
      this.tick()
        .catch((error: unknown) => this.#s.log.error({ err: error }, 'notification delivery pass failed'))
        .finally(() => {
          this.#loopBusy = false;
        });
    }, this.#s.timings.pollIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#chain;
    this.#s.transport.close();
  }
}

function normaliseBaseUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return /\/(v1\.0|beta)$/.test(trimmed) ? trimmed : `${trimmed}/v1.0`;
}
