import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SimGraphError } from '../../../model.js';
import {
  effectiveExpiration,
  formatDateTimeOffset,
  parseChangeTypes,
  parseClientState,
  parseCreateBody,
  parseDateTimeOffset,
  parseResource,
} from '../../../notifications/validate.js';

const NOW = Date.UTC(2026, 0, 5, 9, 0, 0);
const MINUTE = 60_000;

function graphStatus(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof SimGraphError) return error.status;
    throw error;
  }
  return undefined;
}

describe('notifications – subscription rules (properties)', () => {
  it('notifications – any expiration up to 4,230 minutes ahead becomes max(requested, now + 45 min); beyond is rejected', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10 * 24 * 60 * MINUTE, max: 10 * 24 * 60 * MINUTE }), (offset) => {
        const requested = NOW + offset;
        if (offset > 4230 * MINUTE) {
          expect(graphStatus(() => effectiveExpiration(requested, NOW))).toBe(400);
        } else {
          const effective = effectiveExpiration(requested, NOW);
          expect(effective).toBe(Math.max(requested, NOW + 45 * MINUTE));
          expect(effective - NOW).toBeGreaterThanOrEqual(45 * MINUTE);
          expect(effective - NOW).toBeLessThanOrEqual(4230 * MINUTE);
        }
      }),
    );
  });

  it('notifications – DateTimeOffset values round-trip through Graph\'s 7-digit format', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }), (ms) => {
        const text = formatDateTimeOffset(ms);
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
        expect(parseDateTimeOffset(text)).toBe(ms);
        expect(parseDateTimeOffset(new Date(ms).toISOString())).toBe(ms);
      }),
    );
    expect(parseDateTimeOffset('2026-01-05T10:00:00+01:00')).toBe(NOW);
    for (const bad of ['2026-01-05', '2026-01-05T09:00:00', 'yesterday', 12, null]) {
      expect(graphStatus(() => parseDateTimeOffset(bad))).toBe(400);
    }
  });

  it('notifications – clientState up to 128 characters is kept as given, longer is rejected', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (state) => {
        if (state.length <= 128) expect(parseClientState(state)).toBe(state);
        else expect(graphStatus(() => parseClientState(state))).toBe(400);
      }),
    );
  });

  it('notifications – changeType accepts exactly the non-empty lists of created, updated, deleted', () => {
    const known = fc.constantFrom('created', 'updated', 'deleted');
    fc.assert(
      fc.property(fc.array(known, { minLength: 1, maxLength: 5 }), (parts) => {
        expect([...parseChangeTypes(parts.join(',')).set].sort()).toEqual([...new Set(parts)].sort());
      }),
    );
    fc.assert(
      fc.property(fc.array(known, { maxLength: 3 }), fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !/^\s*(created|updated|deleted)\s*$/.test(s) && !s.includes(',')), (parts, odd) => {
        expect(graphStatus(() => parseChangeTypes([...parts, odd].join(',')))).toBe(400);
      }),
    );
  });

  it('notifications – resource paths name a mailbox\'s events collection, never one event', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9@._-]{1,40}$/);
    fc.assert(
      fc.property(id, fc.boolean(), fc.boolean(), (user, slash, calendar) => {
        const path = `${slash ? '/' : ''}users/${encodeURIComponent(user)}/${calendar ? 'calendar/' : ''}events`;
        expect(parseResource(path)).toEqual({ kind: 'user', idOrUpn: user });
        expect(graphStatus(() => parseResource(`${path}/${user}`))).toBe(400);
      }),
    );
    expect(parseResource('ME/Events')).toEqual({ kind: 'me' });
  });

  it('notifications – a create body is refused for any unknown property', () => {
    const base = {
      changeType: 'created',
      notificationUrl: 'https://127.0.0.1/notify',
      resource: 'me/events',
      expirationDateTime: '2026-01-05T10:00:00Z',
    };
    expect(parseCreateBody(base).latestSupportedTlsVersion).toBe('v1_2');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !(k in base) && !['clientState', 'lifecycleNotificationUrl', 'latestSupportedTlsVersion', 'includeResourceData', 'encryptionCertificate', 'encryptionCertificateId', 'notificationQueryOptions', 'notificationUrlAppId', 'notificationContentType', '@odata.type', '__proto__'].includes(k)), (key) => {
        expect(graphStatus(() => parseCreateBody({ ...base, [key]: 'x' }))).toBe(400);
      }),
    );
  });
});
