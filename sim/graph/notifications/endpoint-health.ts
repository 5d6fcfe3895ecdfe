import type { NotificationTimings } from './options.js';

/**
 * Graph's slow-endpoint logic (graph.md section 4, WH): a POST answered after 2,900 ms (or not
 * within the 3 s time-out) is slow; once an endpoint has received 100 notifications in the current
 * 10-minute window, >= 10 % slow flags it "delayed" (notifications and retries wait 10 minutes),
 * >= 15 % makes Graph drop its notifications. Statistics are flushed every 10 minutes: the verdict
 * of a full window holds through the next one, an endpoint without enough traffic starts clean.
 */
export type EndpointState = 'healthy' | 'delayed' | 'dropping';

export class EndpointHealth {
  #state: EndpointState = 'healthy';
  #windowStart: number;
  #total = 0;
  #slow = 0;
  readonly #timings: NotificationTimings;

  constructor(timings: NotificationTimings, now: number) {
    this.#timings = timings;
    this.#windowStart = now;
  }

  get state(): EndpointState {
    return this.#state;
  }

  /** Current window: notifications posted and how many of them were slow. */
  get window(): { total: number; slow: number } {
    return { total: this.#total, slow: this.#slow };
  }

  isSlow(durationMs: number, timedOut: boolean): boolean {
    return timedOut || durationMs > this.#timings.slowThresholdMs;
  }

  /** Moves to the window that contains `now`, flushing the statistics. */
  roll(now: number): void {
    const elapsed = now - this.#windowStart;
    if (elapsed < this.#timings.slowWindowMs) return;
    const fullWindow = this.#total >= this.#timings.slowMinSamples;
    // After two or more windows, the one just before `now` saw no traffic at all.
    this.#state = fullWindow && elapsed < 2 * this.#timings.slowWindowMs ? this.#judge() : 'healthy';
    this.#total = 0;
    this.#slow = 0;
    this.#windowStart = now - (elapsed % this.#timings.slowWindowMs);
  }

  /** Counts one POST carrying `count` notifications. */
  record(now: number, count: number, slow: boolean): void {
    this.roll(now);
    this.#total += count;
    if (slow) this.#slow += count;
    if (this.#total >= this.#timings.slowMinSamples) this.#state = this.#judge();
  }

  #judge(): EndpointState {
    const ratio = this.#total === 0 ? 0 : this.#slow / this.#total;
    if (ratio >= this.#timings.slowDroppedRatio) return 'dropping';
    if (ratio >= this.#timings.slowDelayedRatio) return 'delayed';
    return 'healthy';
  }
}
