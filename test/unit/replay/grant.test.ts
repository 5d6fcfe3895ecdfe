import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../../cli/replay.js';
import { parseKeyGrant, ReplayGrantError } from '../../../replay/index.js';

const NOW = Date.UTC(2026, 10, 3, 9, 0, 0);
const valid = { tenantId: 'tenant-a', purpose: 'analytics backfill', grantedBy: 'security-officer', expiresAt: '2026-11-04T00:00:00Z' };

describe('replay key grant', () => {
  it('replay grant – a valid grant names tenant, purpose, grantor and expiry, and is fingerprinted', () => {
    const grant = parseKeyGrant(JSON.stringify(valid), NOW);
    expect(grant).toMatchObject({ tenantId: 'tenant-a', purpose: 'analytics backfill', grantedBy: 'security-officer', expiresAt: Date.UTC(2026, 10, 4), topics: null });
    expect(grant.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('replay grant – an expired grant, a missing field, an unknown field or non-JSON is refused naming the field, never its value', () => {
    expect(() => parseKeyGrant(JSON.stringify({ ...valid, expiresAt: '2026-11-01T00:00:00Z' }), NOW)).toThrow(/expired/);
    const { purpose: _purpose, ...noPurpose } = valid;
    expect(() => parseKeyGrant(JSON.stringify(noPurpose), NOW)).toThrow(/purpose/);
    expect(() => parseKeyGrant(JSON.stringify({ ...valid, key: 'c2VjcmV0LWtleQ==' }), NOW)).toThrow(ReplayGrantError);
    try {
      parseKeyGrant(JSON.stringify({ ...valid, key: 'c2VjcmV0LWtleQ==' }), NOW);
    } catch (error) {
      expect((error as Error).message).not.toContain('c2VjcmV0');
    }
    expect(() => parseKeyGrant('not json', NOW)).toThrow(ReplayGrantError);
  });

  it('replay grant – arbitrary text never opens anything unless it is a complete, unexpired grant', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseKeyGrant(text, NOW);
          return false;
        } catch (error) {
          return error instanceof ReplayGrantError;
        }
      }),
    );
  });
});

describe('replay instants', () => {
  it('replay instants – ISO-8601, epoch milliseconds and times ago are understood; anything else is refused', () => {
    expect(parseInstant('2026-11-02T08:00:00Z', NOW)).toBe(Date.UTC(2026, 10, 2, 8));
    expect(parseInstant('1793606400000', NOW)).toBe(1793606400000);
    expect(parseInstant('-2h', NOW)).toBe(NOW - 7_200_000);
    expect(parseInstant('-7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(() => parseInstant('yesterday-ish', NOW)).toThrow(/ISO-8601/);
  });
});
