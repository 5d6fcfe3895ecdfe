/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from the wire */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { GraphSimulator } from '../../../index.js';
import { RetryAfterFormat } from '../../../throttle/index.js';
import { ALICE, appToken, call, startSeeded } from '../helpers.js';

const INTEGRAL = /^[1-9]\d*$/;
const FRACTIONAL = /^\d+\.\d{3}$/;

let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));

beforeAll(async () => {
  sim = await startSeeded({ clock });
  token = await appToken(sim);
});
afterAll(async () => sim.close());

async function throttledRetryAfters(n: number): Promise<string[]> {
  sim.admin.setThrottleLimits({ requestsPerWindow: 1, windowMs: 60_000 });
  try {
    await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
    const values: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const res = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
      expect(res.status).toBe(429);
      values.push(String(res.headers['retry-after']));
    }
    return values;
  } finally {
    sim.admin.setThrottleLimits({ requestsPerWindow: 10_000, windowMs: 600_000 });
    clock.advance(61_000);
  }
}

describe('fidelity – Retry-After as Graph writes it', () => {
  it('throttling – Retry-After is whole seconds by default and with the integral switch', async () => {
    for (const v of await throttledRetryAfters(2)) expect(v).toMatch(INTEGRAL);
    sim.admin.setFaults({ retryAfter: 'integral' });
    for (const v of await throttledRetryAfters(2)) expect(v).toMatch(INTEGRAL);
  });

  it('throttling – the fractional switch writes seconds with three decimals (like 2.128), never a bare integer', async () => {
    sim.admin.setFaults({ retryAfter: 'fractional' });
    try {
      const values = await throttledRetryAfters(3);
      for (const v of values) {
        expect(v).toMatch(FRACTIONAL);
        expect(v.endsWith('.000')).toBe(false);
        expect(Number(v)).toBeGreaterThan(0);
        expect(Number(v)).toBeLessThanOrEqual(60.001);
      }
    } finally {
      sim.admin.setFaults({ retryAfter: 'integral' });
    }
  });

  it('throttling – the mixed switch gives one client both forms in a single throttled run', async () => {
    sim.admin.setFaults({ retryAfter: 'mixed' });
    try {
      const values = await throttledRetryAfters(4);
      expect(values.some((v) => FRACTIONAL.test(v))).toBe(true);
      expect(values.some((v) => INTEGRAL.test(v))).toBe(true);
    } finally {
      sim.admin.setFaults({ retryAfter: 'integral' });
    }
  });

  it('faults – a 503 burst with Retry-After follows the same switch', async () => {
    sim.admin.setFaults({ retryAfter: 'fractional', serverErrors: { count: 1, status: 503, retryAfterSeconds: 2 } });
    try {
      const res = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
      expect(res.status).toBe(503);
      expect(String(res.headers['retry-after'])).toMatch(FRACTIONAL);
      expect(Math.floor(Number(res.headers['retry-after']))).toBe(2);
    } finally {
      sim.admin.setFaults({ retryAfter: 'integral' });
    }
  });

  it('faults – a throttling storm answers the next calls 429 TooManyRequests with its Retry-After, then lets calls through', async () => {
    sim.admin.setFaults({ throttleStorm: { count: 2, retryAfterSeconds: 3 } });
    try {
      for (let i = 0; i < 2; i += 1) {
        const res = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
        expect(res.status).toBe(429);
        expect(res.headers['retry-after']).toBe('3');
        expect((res.body as { error: { code: string } }).error.code).toBe('TooManyRequests');
      }
      const res = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
      expect(res.status).toBe(200);
    } finally {
      sim.admin.setFaults({ throttleStorm: { count: 0 } });
    }
  });

  it('faults – an unknown Retry-After style is refused', () => {
    expect(() => sim.admin.setFaults({ retryAfter: 'sometimes' as any })).toThrow(/retryAfter must be one of/);
  });

  it('throttling – RetryAfterFormat rounds integral waits up and keeps a fraction on whole fractional ones', () => {
    expect(new RetryAfterFormat('integral').format(2.128)).toBe('3');
    expect(new RetryAfterFormat('integral').format(0.2)).toBe('1');
    expect(new RetryAfterFormat('fractional').format(2.128)).toBe('2.128');
    expect(new RetryAfterFormat('fractional').format(2)).toMatch(/^2\.\d{2}[1-9]$/);
    const mixed = new RetryAfterFormat('mixed');
    expect([mixed.format(2.128), mixed.format(2.128)]).toEqual(['2.128', '3']);
  });
});
