import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/index.js';
import { AcceleratedClock, DemoBoard, demoClock, rateOnDemoClock } from '../../../demo/index.js';

describe('demo clock', () => {
  it('demo clock – at 60× a minute of watching is an hour of service time, starting at the real time', () => {
    const real = new ManualClock(Date.UTC(2026, 11, 3, 9, 0, 0));
    const clock = new AcceleratedClock(60, real);
    expect(clock.now()).toBe(real.now());
    real.advance(60_000);
    expect(clock.now()).toBe(Date.UTC(2026, 11, 3, 10, 0, 0));
    real.advance(30_000);
    expect(clock.now()).toBe(Date.UTC(2026, 11, 3, 10, 30, 0));
  });

  it('demo clock – speed 1 is the real clock itself; a speed below 1 is refused', () => {
    const real = new ManualClock();
    expect(demoClock(1, real)).toBe(real);
    expect(() => new AcceleratedClock(0.5, real)).toThrow(RangeError);
  });

  it('demo clock – the dashboard shows the service time and how much faster it runs', () => {
    const real = new ManualClock(Date.UTC(2026, 11, 3, 9, 0, 0));
    const board = new DemoBoard(new AcceleratedClock(60, real), 60);
    real.advance(120_000);
    expect(board.snapshot()).toMatchObject({ now: Date.UTC(2026, 11, 3, 11, 0, 0), speed: 60 });
  });

  it('demo clock – calendar activity is per second of real time at any speed (at 60× the service clock sees 1/60 of it per service second)', () => {
    for (const speed of [1, 60, 3600]) {
      const real = new ManualClock(Date.UTC(2026, 11, 3, 9, 0, 0));
      const clock = demoClock(speed, real);
      const start = clock.now();
      real.advance(10_000);
      const serviceSeconds = (clock.now() - start) / 1000;
      expect(serviceSeconds * rateOnDemoClock(2, speed)).toBeCloseTo(20, 9);
    }
  });
});
