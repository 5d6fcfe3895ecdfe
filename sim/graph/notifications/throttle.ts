import { SimGraphError } from '../model.js';
import { RetryAfterFormat } from '../throttle/retry-after.js';

/**
 * Throttling of the subscription API (graph.md section 5, THL): in each 20-second window, per app
 * and tenant 1,000 writes and 5,000 requests of any kind, per tenant (all apps) 2,000 writes and
 * 10,000 requests. Over a limit the call is answered 429 `TooManyRequests` with `Retry-After`
 * (seconds to the end of the window). Counting uses the injected clock.
 */
export interface SubscriptionApiLimits {
  windowMs: number;
  appTenantWrites: number;
  appTenantAny: number;
  tenantWrites: number;
  tenantAny: number;
}

export const SUBSCRIPTION_API_LIMITS: SubscriptionApiLimits = Object.freeze({
  windowMs: 20_000,
  appTenantWrites: 1_000,
  appTenantAny: 5_000,
  tenantWrites: 2_000,
  tenantAny: 10_000,
});

export class SubscriptionApiThrottle {
  readonly #limits: SubscriptionApiLimits;
  #window = -1;
  readonly #counts = new Map<string, number>();

  readonly #retryAfter: RetryAfterFormat;

  constructor(limits: SubscriptionApiLimits = SUBSCRIPTION_API_LIMITS, retryAfter: RetryAfterFormat = new RetryAfterFormat()) {
    this.#limits = limits;
    this.#retryAfter = retryAfter;
  }

  /** Counts one call; throws 429 when it would exceed a limit (a refused call is not counted). */
  admit(now: number, tenantId: string, appId: string, write: boolean): void {
    const window = Math.floor(now / this.#limits.windowMs);
    if (window !== this.#window) {
      this.#window = window;
      this.#counts.clear();
    }
    const keys: [string, number][] = [
      [`any|${tenantId}|${appId}`, this.#limits.appTenantAny],
      [`any|${tenantId}`, this.#limits.tenantAny],
    ];
    if (write) {
      keys.push([`write|${tenantId}|${appId}`, this.#limits.appTenantWrites], [`write|${tenantId}`, this.#limits.tenantWrites]);
    }
    for (const [key, limit] of keys) {
      if ((this.#counts.get(key) ?? 0) >= limit) {
        const retryAfter = this.#retryAfter.format(((window + 1) * this.#limits.windowMs - now) / 1000);
        throw new SimGraphError(429, 'TooManyRequests', 'Please retry again later.', { 'Retry-After': retryAfter });
      }
    }
    for (const [key] of keys) this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }
}
