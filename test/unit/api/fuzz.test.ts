import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_1, T0, TENANT_A, USER_1, makeFixture, type Fixture } from './fixture.js';

/** Every route with a placeholder per path parameter, its methods, and whether it takes a body. */
const ROUTES: { method: 'GET' | 'POST' | 'DELETE'; path: string; body: 'json' | 'form' | 'none' }[] = [
  { method: 'GET', path: '/v1/tenants/{t}/users/{u}/meetings', body: 'none' },
  { method: 'GET', path: '/v1/tenants/{t}/users/{u}/presence', body: 'none' },
  { method: 'GET', path: '/v1/tenants/{t}/devices/{d}/bookings', body: 'none' },
  { method: 'POST', path: '/v1/tenants/{t}/users/{u}/events/{e}/respond', body: 'json' },
  { method: 'POST', path: '/v1/tenants/{t}/users/{u}/events', body: 'json' },
  { method: 'POST', path: '/v1/tenants/{t}/users/{u}/events/{e}/cancel', body: 'json' },
  { method: 'DELETE', path: '/v1/tenants/{t}/users/{u}/events/{e}', body: 'none' },
  { method: 'POST', path: '/v1/tenants/{t}/users/{u}/schedule', body: 'json' },
  { method: 'POST', path: '/v1/tokens', body: 'json' },
  { method: 'DELETE', path: '/v1/tokens/{e}', body: 'none' },
  { method: 'GET', path: '/signin', body: 'none' },
  { method: 'GET', path: '/auth/callback', body: 'none' },
  { method: 'POST', path: '/signout', body: 'form' },
  { method: 'GET', path: '/admin', body: 'none' },
  { method: 'GET', path: '/admin/users', body: 'none' },
  { method: 'GET', path: '/admin/tenants', body: 'none' },
  { method: 'GET', path: '/admin/rooms', body: 'none' },
  { method: 'GET', path: '/admin/setup', body: 'none' },
  { method: 'POST', path: '/admin/setup/consent', body: 'form' },
  { method: 'GET', path: '/admin/setup/callback', body: 'none' },
  { method: 'POST', path: '/admin/setup/test-mailbox', body: 'form' },
  { method: 'GET', path: '/admin/settings', body: 'none' },
  { method: 'POST', path: '/admin/settings', body: 'form' },
  { method: 'GET', path: '/admin/tokens', body: 'none' },
  { method: 'POST', path: '/admin/tokens', body: 'form' },
  { method: 'POST', path: '/admin/tokens/revoke', body: 'form' },
  { method: 'GET', path: '/me', body: 'none' },
  { method: 'POST', path: '/me/disconnect', body: 'form' },
  { method: 'GET', path: '/openapi.json', body: 'none' },
];

const KEYS = ['from', 'to', 'q', 'state', 'page', 'tenant', 'as', 'returnTo', 'code', 'error', 'error_description', 'admin_consent', 'tenantId', 'address',
  'kind', 'subject', 'ttlDays', 'tokenId', 'response', 'comment', 'sendResponse', 'schedules', 'start', 'end', 'webexKeywordAction', 'defaultLanguage',
  'obtpLeadMinutes', 'lang0', 'header0', 'newLang', '_csrf', '__proto__', 'constructor'];

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', TENANT_A, USER_1, DEVICE_1, new Date(T0).toISOString(), '2026-01-05T00:00:00Z', '-1', '1e309', 'null', '../../etc', '%00', '\u0000', 'x'.repeat(3000), '<script>', 'true', '{}'),
);
const value: fc.Arbitrary<unknown> = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }), fc.dictionary(fc.constantFrom(...KEYS), text, { maxKeys: 3 }));

describe('api – fuzzing every route', () => {
  let f: Fixture;
  let auth: Record<string, string>[];
  beforeAll(async () => {
    f = await makeFixture({ rateLimit: { max: 1_000_000, windowMs: 60_000 } });
    const admin = await f.sessionCookie('admin', TENANT_A, 'admin-1');
    const user = await f.sessionCookie('user', TENANT_A, USER_1);
    auth = [{}, { authorization: `Bearer ${await f.token('admin', null, 'admin-1')}` }, { authorization: `Bearer ${await f.token('user', TENANT_A, USER_1)}` },
      { authorization: `Bearer ${await f.token('device', TENANT_A, DEVICE_1)}` }, { cookie: admin.cookie }, { cookie: user.cookie }, { authorization: 'Bearer hct_x' }];
  });
  afterAll(async () => f.close());

  it('fuzz – random path parameters, queries, headers and bodies on every route never yield a 5xx', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...ROUTES), fc.array(text, { minLength: 3, maxLength: 3 }), fc.dictionary(fc.constantFrom(...KEYS), text, { maxKeys: 5 }),
      fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 }), fc.nat({ max: 6 }), fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data'),
      async (route, params, query, body, authIndex, lastEventId, contentType) => {
        const path = route.path.replace('{t}', encodeURIComponent(params[0]!)).replace('{u}', encodeURIComponent(params[1]!)).replace(/\{[de]\}/, encodeURIComponent(params[2]!));
        const qs = new URLSearchParams(query).toString();
        const headers: Record<string, string> = { ...auth[authIndex]! };
        if (lastEventId !== undefined && /^[\x20-\x7e]*$/.test(lastEventId)) headers['last-event-id'] = lastEventId;
        const url = qs === '' ? path : `${path}?${qs}`;
        const request: InjectOptions = { method: route.method, url, headers };
        if (route.body !== 'none') {
          headers['content-type'] = contentType;
          request.payload = contentType === 'application/json' ? JSON.stringify(body) : new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v) ?? ''])).toString();
        }
        const res = await f.app.inject(request);
        expect(res.statusCode, `${route.method} ${url} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
      },
    ), { numRuns: 600, seed: 16 });
  });
});
