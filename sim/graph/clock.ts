/**
 * The simulator's time source. Everything that depends on time (token expiry, throttling windows,
 * notification delivery, subscription expiry) reads an injected `Clock`; tests pass a
 * `ManualClock` and move time explicitly. Any object with `now()` fits, so a host application's
 * own clock can be passed in unchanged.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

export class ManualClock implements Clock {
  #now: number;

  constructor(start: number | Date = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  set(at: number | Date): void {
    this.#now = typeof at === 'number' ? at : at.getTime();
  }

  advance(ms: number): number {
    this.#now += ms;
    return this.#now;
  }
}
