import { describe, expect, it } from 'vitest';
import { SimGraphError } from '../../../model.js';
import { SubscriptionApiThrottle, SUBSCRIPTION_API_LIMITS } from '../../../notifications/index.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function refusal(fn: () => void): SimGraphError | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof SimGraphError) return error;
    throw error;
  }
  return undefined;
}

describe('notifications – subscription API throttling', () => {
  it('notifications – allows 1,000 writes per app and tenant in 20 s, then answers 429 with Retry-After', () => {
    const throttle = new SubscriptionApiThrottle();
    for (let i = 0; i < 1000; i += 1) throttle.admit(T0 + 5_000, 't1', 'app', true);
    const error = refusal(() => throttle.admit(T0 + 5_000, 't1', 'app', true));
    expect(error).toMatchObject({ status: 429, graphCode: 'TooManyRequests', headers: { 'Retry-After': '15' } });
    // Reads still pass, another app of the tenant still writes, and the next window starts afresh.
    throttle.admit(T0 + 5_000, 't1', 'app', false);
    throttle.admit(T0 + 5_000, 't1', 'other-app', true);
    throttle.admit(T0 + SUBSCRIPTION_API_LIMITS.windowMs, 't1', 'app', true);
  });

  it('notifications – caps a tenant at 2,000 writes in 20 s across its apps, other tenants unaffected', () => {
    const throttle = new SubscriptionApiThrottle();
    for (let i = 0; i < 2000; i += 1) throttle.admit(T0, 't1', `app${i % 4}`, true);
    expect(refusal(() => throttle.admit(T0, 't1', 'app9', true))?.status).toBe(429);
    expect(refusal(() => throttle.admit(T0, 't2', 'app0', true))).toBeUndefined();
  });

  it('notifications – caps all requests of an app in a tenant at 5,000 in 20 s', () => {
    const throttle = new SubscriptionApiThrottle();
    for (let i = 0; i < 5000; i += 1) throttle.admit(T0, 't1', 'app', false);
    expect(refusal(() => throttle.admit(T0, 't1', 'app', false))?.status).toBe(429);
  });
});
