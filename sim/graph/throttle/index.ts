import type { Clock } from '../clock.js';
import { SimGraphError } from '../model.js';
import { RetryAfterFormat } from './retry-after.js';

export { RetryAfterFormat, RETRY_AFTER_STYLES } from './retry-after.js';
export type { RetryAfterStyle } from './retry-after.js';

export interface ThrottleLimits {
  /** Requests per window per app + mailbox (Outlook: 10,000 per 10 minutes). */
  requestsPerWindow: number;
  windowMs: number;
  /** Concurrent requests per app + mailbox (Outlook: 4). */
  concurrent: number;
}

export const OUTLOOK_LIMITS: ThrottleLimits = Object.freeze({ requestsPerWindow: 10_000, windowMs: 600_000, concurrent: 4 });

const SLOTS = 10;

interface Counter { buckets: Float64Array; starts: Float64Array; active: number }

/**
 * Outlook's per app + mailbox limits: a sliding window of 10 buckets and a concurrency count. Rejected
 * requests still count, as in Graph.
 */
export class Throttle {
  readonly #counters = new Map<string, Counter>();
  #limits: ThrottleLimits;
  readonly #clock: Clock;
  readonly #retryAfter: RetryAfterFormat;

  constructor(clock: Clock, limits: ThrottleLimits = OUTLOOK_LIMITS, retryAfter: RetryAfterFormat = new RetryAfterFormat()) {
    this.#clock = clock;
    this.#limits = { ...limits };
    this.#retryAfter = retryAfter;
  }

  setLimits(limits: Partial<ThrottleLimits>): void {
    this.#limits = { ...this.#limits, ...limits };
    this.#counters.clear();
  }

  get limits(): ThrottleLimits {
    return { ...this.#limits };
  }

  /** Takes a slot for app + mailbox or throws 429 with Retry-After; call the returned function when done. */
  acquire(appId: string, mailboxId: string): () => void {
    const key = `${appId}|${mailboxId}`;
    let c = this.#counters.get(key);
    if (c === undefined) {
      c = { buckets: new Float64Array(SLOTS), starts: new Float64Array(SLOTS).fill(-Infinity), active: 0 };
      this.#counters.set(key, c);
    }
    const now = this.#clock.now();
    const width = this.#limits.windowMs / SLOTS;
    const slotStart = Math.floor(now / width) * width;
    const slot = Math.floor(now / width) % SLOTS;
    if (c.starts[slot] !== slotStart) {
      c.starts[slot] = slotStart;
      c.buckets[slot] = 0;
    }
    let total = 0;
    let oldest = Infinity;
    for (let i = 0; i < SLOTS; i += 1) {
      const start = c.starts[i] ?? -Infinity;
      if (start > now - this.#limits.windowMs) {
        total += c.buckets[i] ?? 0;
        if ((c.buckets[i] ?? 0) > 0 && start < oldest) oldest = start;
      }
    }
    c.buckets[slot] = (c.buckets[slot] ?? 0) + 1;
    if (total >= this.#limits.requestsPerWindow) {
      throw tooMany(this.#retryAfter.format((oldest + this.#limits.windowMs - now) / 1000));
    }
    // A concurrency refusal has no window end; Graph answers with a short wait (1-2 s here).
    if (c.active >= this.#limits.concurrent) throw tooMany(this.#retryAfter.format(1 + ((now % 1000) / 1000)));
    c.active += 1;
    let released = false;
    const counter = c;
    return () => {
      if (released) return;
      released = true;
      counter.active -= 1;
    };
  }
}

function tooMany(retryAfter: string): SimGraphError {
  return new SimGraphError(429, 'TooManyRequests', 'Please retry again later.', { 'Retry-After': retryAfter });
}
