/**
 * At most N requests in flight per mailbox (Outlook allows 4 concurrent requests per app and
 * mailbox). Waiters are served first come, first served; a key's entry disappears when idle.
 */
export class MailboxGates {
  readonly #limit: number;
  readonly #gates = new Map<string, { active: number; waiting: (() => void)[] }>();
  #peak = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  async acquire(key: string): Promise<() => void> {
    let gate = this.#gates.get(key);
    if (gate === undefined) {
      gate = { active: 0, waiting: [] };
      this.#gates.set(key, gate);
    }
    if (gate.active >= this.#limit) {
      const g = gate;
      await new Promise<void>((resolve) => g.waiting.push(resolve));
    } else {
      gate.active += 1;
    }
    this.#peak = Math.max(this.#peak, gate.active);
    let released = false;
    const g = gate;
    return () => {
      if (released) return;
      released = true;
      const next = g.waiting.shift();
      if (next !== undefined) {
        next(); // the slot passes to the next waiter: active stays the same
      } else {
        g.active -= 1;
        if (g.active === 0) this.#gates.delete(key);
      }
    };
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
