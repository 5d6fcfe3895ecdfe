/**
 * At most N requests in flight per mailbox (Outlook allows 4 concurrent requests per app and
 * mailbox). Waiters are served first come, first served; a key's entry disappears when idle.
 */
export class MailboxGates {
  readonly #limit: number;
  /** Waiters in order; the first `retries` of them are retries (served first, in their own order). */
  readonly #gates = new Map<string, { active: number; waiting: (() => void)[]; retries: number }>();
  #peak = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Per-key limits below the ceiling after a 429 (absent: the ceiling). */
  readonly #reduced = new Map<string, number>();

  #limitOf(key: string): number {
    return this.#reduced.get(key) ?? this.#limit;
  }

  /** A slot of `key`; a `retry` (a request already sent and throttled) queues ahead of first attempts. */
  async acquire(key: string, retry = false): Promise<() => void> {
    let gate = this.#gates.get(key);
    if (gate === undefined) {
      gate = { active: 0, waiting: [], retries: 0 };
      this.#gates.set(key, gate);
    }
    const g = gate;
    if (g.active >= this.#limitOf(key) || g.waiting.length > 0) {
      await new Promise<void>((resolve) => {
        if (retry) g.waiting.splice(g.retries++, 0, resolve);
        else g.waiting.push(resolve);
      });
    } else {
      g.active += 1;
    }
    this.#peak = Math.max(this.#peak, g.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      g.active -= 1;
      this.#drain(key, g);
    };
  }

  /** Hands free slots (within the key's current limit) to waiters, first come first served. */
  #drain(key: string, g: { active: number; waiting: (() => void)[]; retries: number }): void {
    while (g.waiting.length > 0 && g.active < this.#limitOf(key)) {
      g.active += 1;
      if (g.retries > 0) g.retries -= 1;
      g.waiting.shift()!();
    }
    if (g.active === 0 && g.waiting.length === 0 && this.#gates.get(key) === g) this.#gates.delete(key);
  }

  /**
   * A request of the mailbox was throttled: one request at a time until one succeeds. Graph counts
   * rejected requests against the mailbox's window, so a herd retrying together at the exact end of
   * a Retry-After (fractional values land there precisely) would refill the window with rejections.
   */
  throttled(key: string): void {
    this.#reduced.set(key, 1);
  }

  /** A request of the mailbox succeeded: one more concurrent request allowed, up to the ceiling. */
  succeeded(key: string): void {
    const current = this.#reduced.get(key);
    if (current === undefined) return;
    if (current + 1 >= this.#limit) this.#reduced.delete(key);
    else this.#reduced.set(key, current + 1);
    const g = this.#gates.get(key);
    if (g !== undefined) this.#drain(key, g);
  }

  /** The key's current concurrency limit (tests and metrics). */
  limitOf(key: string): number {
    return this.#limitOf(key);
  }

  readonly #pausedUntil = new Map<string, number>();

  /** After a 429 for one request, every request of the mailbox waits (Graph counts requests made while throttled). */
  pause(key: string, until: number): void {
    if ((this.#pausedUntil.get(key) ?? 0) < until) this.#pausedUntil.set(key, until);
  }

  /** How long a request of the mailbox must still wait (0: go). */
  pausedFor(key: string, now: number): number {
    const until = this.#pausedUntil.get(key);
    if (until === undefined) return 0;
    if (until <= now) {
      this.#pausedUntil.delete(key);
      return 0;
    }
    return until - now;
  }

  /** Highest number of requests seen in flight for one mailbox (tests and metrics). */
  get peak(): number {
    return this.#peak;
  }

  get size(): number {
    return this.#gates.size;
  }
}
