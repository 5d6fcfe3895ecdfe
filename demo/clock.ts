import { systemClock, type Clock } from '../common/index.js';

/**
 * The demo's accelerated clock: starts at the real time and runs `speed` times faster, so that at
 * 60× a meeting an hour away gets its Join button within a minute of watching. It is injected
 * (the service's processors, durable timers, the activity driver, the dashboard and the Graph
 * simulator read it, so subscription lifetimes and "now" agree on both sides); the real clock is
 * never patched. Partition leases stay on real time (they pace real round trips). The simulator's
 * access tokens then last an hour of service time (a minute at 60×): the Graph client refreshes
 * a token Graph refuses (401) and retries.
 */
export class AcceleratedClock implements Clock {
  readonly speed: number;
  readonly #real: Clock;
  readonly #origin: number;

  constructor(speed: number, real: Clock = systemClock) {
    if (!Number.isFinite(speed) || speed < 1) throw new RangeError('The demo clock speed is a number ≥ 1.');
    this.speed = speed;
    this.#real = real;
    this.#origin = real.now();
  }

  now(): number {
    return Math.floor(this.#origin + (this.#real.now() - this.#origin) * this.speed);
  }
}

/** The real clock at speed 1, an accelerated one above. */
export function demoClock(speed: number, real: Clock = systemClock): Clock {
  return speed === 1 ? real : new AcceleratedClock(speed, real);
}

/**
 * The rate to give something paced on the demo clock (the activity driver) so that it acts
 * `perRealSecond` times per second of real time at any speed. Paced at the full rate on a clock
 * 60 times faster, `--speed 60 --activity 1` made 60 actions (about 280 raw records) per real
 * second: more than one process running the simulator and the whole service keeps up with on 2
 * cores, so the dashboard fell minutes behind, and the backlog stayed in the run's topics.
 */
export function rateOnDemoClock(perRealSecond: number, speed: number): number {
  return perRealSecond / speed;
}
