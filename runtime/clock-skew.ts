import type { Db } from 'mongodb';
import type { Clock } from '../common/index.js';

/** One measurement of this worker's wall clock against MongoDB's. */
export interface ClockSkewSample {
  /** Server time minus local time at the middle of the round trip, ms (positive: this clock is behind). */
  readonly offsetMs: number;
  /** Round trip of the measurement, ms: the offset is known to within half of it. */
  readonly rttMs: number;
  /** Local wall time of the measurement, ms. */
  readonly at: number;
}

/** The server's wall time (ms since the epoch): `hello`'s `localTime` by default. */
export type ServerTime = () => Promise<number>;

/** `hello` answers with the server's `localTime` on MongoDB and FerretDB alike. */
export function helloServerTime(db: Db): ServerTime {
  return async () => {
    const reply = await db.command({ hello: 1 });
    const local = (reply as { localTime?: unknown }).localTime;
    if (!(local instanceof Date)) throw new Error('hello did not report localTime');
    return local.getTime();
  };
}

/**
 * Clock skew of this worker against MongoDB's server time. Lease expiry times are written on the
 * workers' wall clocks (ownership.ts): a crashed owner's lease is taken over safely only while the
 * clocks of the workers agree within the lease margin (`leaseMs/4`). Each worker measures itself
 * against the one clock they all share, the store's: within `maxSkewMs` each (default `leaseMs/8`),
 * any two agree within the margin. The measured skew counts as beyond the bound only when even its
 * most favourable reading (the offset less half the round trip) is: a slow store is not a skew.
 */
export class ClockSkewMonitor {
  readonly maxSkewMs: number;
  readonly #serverTime: ServerTime;
  readonly #clock: Clock;
  #last: ClockSkewSample | null = null;

  constructor(options: { serverTime: ServerTime; clock: Clock; maxSkewMs: number }) {
    this.#serverTime = options.serverTime;
    this.#clock = options.clock;
    this.maxSkewMs = options.maxSkewMs;
  }

  /** Measures once (a failure keeps the last sample and is thrown). */
  async measure(): Promise<ClockSkewSample> {
    const before = this.#clock.now();
    const server = await this.#serverTime();
    const after = this.#clock.now();
    const rttMs = Math.max(0, after - before);
    this.#last = { offsetMs: server - (before + after) / 2, rttMs, at: after };
    return this.#last;
  }

  /** The last sample, or null before the first one succeeded. */
  get last(): ClockSkewSample | null {
    return this.#last;
  }

  /** Whether the last sample shows a skew beyond the bound (false while none was taken). */
  get exceeded(): boolean {
    const last = this.#last;
    return last !== null && Math.abs(last.offsetMs) - last.rttMs / 2 > this.maxSkewMs;
  }
}
