import { createRequire } from 'node:module';
import type { InjectOptions } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, DEVICE_1, DEVICE_2, ORG_B, T0, TENANT_A, TENANT_A2, TENANT_B, USER_1, USER_2, makeFixture, type Fixture } from './fixture.js';

const RANGE = `from=${new Date(T0 - DAY).toISOString()}&to=${new Date(T0 + 6 * DAY).toISOString()}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('api – meeting lists, bookings, presence and authorization', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await makeFixture();
    f.views.setMeetings(TENANT_A, USER_1, [
      await f.meeting(TENANT_A, USER_1, 'm2', T0 + DAY, T0 + DAY + 3_600_000, { subject: 'Second', join: 'https://example.webex.com/meet/a' }),
      await f.meeting(TENANT_A, USER_1, 'm1', T0, T0 + 1_800_000, { subject: 'First', location: 'Room 1' }),
      await f.meeting(TENANT_A, USER_1, 'late', T0 + 20 * DAY, T0 + 20 * DAY + 60_000, { subject: 'Outside the range' }),
    ]);
    f.views.setMeetings(TENANT_A, USER_2, [await f.meeting(TENANT_A, USER_2, 'm3', T0, T0 + 60_000, { subject: 'Of user 2' })]);
    f.views.setDevice({ tenantId: TENANT_A, deviceId: DEVICE_1, version: 7, bookings: [
      await f.booking(TENANT_A, 'room-1', 'b1', T0 + 3_600_000, { subject: 'Board', join: 'https://example.webex.com/meet/b' }),
      await f.booking(TENANT_A, 'room-1', 'b2', T0 + 7_200_000, { subject: 'Secret', isPrivate: true }),
    ] });
    f.views.setPresence(TENANT_A, USER_1, { outOfOffice: true, since: T0 - DAY, until: T0 + DAY, version: 3, updatedAt: T0 - DAY });
  });
  afterEach(async () => f.close());

  it('meetings – the user reads their own meetings in the range, sorted, with sensitive fields decrypted', async () => {
    const res = await f.app.inject({ url: `/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?${RANGE}`, headers: bearer(await f.token('user', TENANT_A, USER_1)) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect((body.meetings as { id: string }[]).map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(body.meetings[0]).toMatchObject({ subject: 'First', location: 'Room 1', organizer: { name: 'Org A', address: 'organizer@a.example' }, join: null, start: new Date(T0).toISOString() });
    expect(body.meetings[1].join).toEqual({ provider: 'WEBEX', url: 'https://example.webex.com/meet/a', sipUri: null, meetingNumber: null });
  });

  it('meetings – meetings stored with their card (one ciphertext each) read exactly as the same meetings stored field by field', async () => {
    const headers = bearer(await f.token('user', TENANT_A, USER_1));
    const url = `/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?${RANGE}`;
    const fieldByField = (await f.app.inject({ url, headers })).json();
    const m2 = { subject: 'Second', join: 'https://example.webex.com/meet/a' };
    const m1 = { subject: 'First', location: 'Room 1' };
    f.views.setMeetings(TENANT_A, USER_1, [
      await f.withCard(await f.meeting(TENANT_A, USER_1, 'm2', T0 + DAY, T0 + DAY + 3_600_000, m2), TENANT_A, m2),
      // A list may mix both (days written before and after cards).
      await f.meeting(TENANT_A, USER_1, 'm1', T0, T0 + 1_800_000, m1),
    ]);
    const mixed = await f.app.inject({ url, headers });
    expect(mixed.statusCode).toBe(200);
    expect(mixed.json()).toEqual(fieldByField);
    f.views.setMeetings(TENANT_A, USER_1, [
      await f.withCard(await f.meeting(TENANT_A, USER_1, 'm2', T0 + DAY, T0 + DAY + 3_600_000, m2), TENANT_A, m2),
      await f.withCard(await f.meeting(TENANT_A, USER_1, 'm1', T0, T0 + 1_800_000, m1), TENANT_A, m1),
    ]);
    expect((await f.app.inject({ url, headers })).json()).toEqual(fieldByField);
  });

  it('meetings – a card sealed for another meeting is refused, not shown', async () => {
    const m1 = { subject: 'First', location: 'Room 1' };
    const other = await f.withCard(await f.meeting(TENANT_A, USER_1, 'other', T0, T0 + 60_000, m1), TENANT_A, m1);
    const entry = await f.meeting(TENANT_A, USER_1, 'm1', T0, T0 + 1_800_000, m1);
    f.views.setMeetings(TENANT_A, USER_1, [{ ...entry, subject: null, location: null, organizer: null, joinDetails: null, card: other.card ?? null }]);
    const res = await f.app.inject({ url: `/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?${RANGE}`, headers: bearer(await f.token('user', TENANT_A, USER_1)) });
    expect(res.statusCode).toBeGreaterThanOrEqual(500);
    expect(res.body).not.toContain('First');
  });

  it('meetings – an administrator of the organisation reads any user of its tenants', async () => {
    const res = await f.app.inject({ url: `/v1/tenants/${TENANT_A}/users/${USER_2}/meetings?${RANGE}`, headers: bearer(await f.token('admin', null, 'admin-1')) });
    expect(res.statusCode).toBe(200);
    expect(res.json().meetings[0].subject).toBe('Of user 2');
  });

  it('authorization – cross-user, cross-tenant, cross-device and wrong-kind reads are refused with HC_ERR_API_FORBIDDEN', async () => {
    const cases: [string, string][] = [
      [`/v1/tenants/${TENANT_A}/users/${USER_2}/meetings?${RANGE}`, await f.token('user', TENANT_A, USER_1)],
      [`/v1/tenants/${TENANT_A}/users/${USER_1}/presence`, await f.token('user', TENANT_A, USER_2)],
      [`/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?${RANGE}`, await f.token('admin', null, 'admin-b', ORG_B)],
      [`/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?${RANGE}`, await f.token('user', TENANT_B, USER_1, ORG_B)],
      [`/v1/tenants/${TENANT_A2}/users/${USER_1}/meetings?${RANGE}`, await f.token('user', TENANT_A, USER_1)],
      [`/v1/tenants/${TENANT_A}/devices/${DEVICE_1}/bookings?${RANGE}`, await f.token('device', TENANT_A, DEVICE_2)],
      [`/v1/tenants/${TENANT_A}/devices/${DEVICE_1}/bookings?${RANGE}`, await f.token('gateway', null, 'gw-b', ORG_B)],
      [`/v1/tenants/${TENANT_A}/devices/${DEVICE_1}/bookings?${RANGE}`, await f.token('user', TENANT_A, USER_1)],
      [`/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?${RANGE}`, await f.token('gateway', null, 'gw-a')],
      [`/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?${RANGE}`, await f.token('device', TENANT_A, DEVICE_1)],
    ];
    for (const [url, token] of cases) {
      const res = await f.app.inject({ url, headers: bearer(token) });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error.code).toBe('HC_ERR_API_FORBIDDEN');
      expect(res.body).not.toContain('Of user 2');
    }
  });

  it('tokens – missing, malformed, forged, expired and revoked tokens are refused; the store holds only hashes', async () => {
    const url = `/v1/tenants/${TENANT_A}/users/${USER_1}/presence`;
    const good = await f.token('user', TENANT_A, USER_1, undefined, DAY);
    const [, id] = /^hct_([^.]+)\./.exec(good)!;
    const forged = `hct_${id}.${'A'.repeat(43)}`;
    for (const headers of [{}, { authorization: 'Basic abc' }, bearer('hct_short'), bearer(forged), bearer(`hct_${'B'.repeat(16)}.${'C'.repeat(43)}`)]) {
      const res = await f.app.inject({ url, headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('HC_ERR_API_UNAUTHENTICATED');
    }
    expect((await f.app.inject({ url, headers: bearer(good) })).statusCode).toBe(200);
    expect([...f.state.dump().values()].join('\n')).not.toContain(good.split('.')[1]);
    f.clock.advance(DAY);
    const expired = await f.app.inject({ url, headers: bearer(good) });
    expect([expired.statusCode, expired.json().error.code]).toEqual([401, 'HC_ERR_API_TOKEN_EXPIRED']);
    const other = await f.token('user', TENANT_A, USER_1);
    const admin = await f.token('admin', null, 'admin-1');
    const adminB = await f.token('admin', null, 'admin-b', ORG_B);
    const otherId = /^hct_([^.]+)\./.exec(other)![1]!;
    expect((await f.app.inject({ method: 'DELETE', url: `/v1/tokens/${otherId}`, headers: bearer(adminB) })).statusCode).toBe(403);
    expect((await f.app.inject({ url, headers: bearer(other) })).statusCode).toBe(200);
    expect((await f.app.inject({ method: 'DELETE', url: `/v1/tokens/${otherId}`, headers: bearer(admin) })).statusCode).toBe(204);
    const revoked = await f.app.inject({ url, headers: bearer(other) });
    expect([revoked.statusCode, revoked.json().error.code]).toEqual([401, 'HC_ERR_API_UNAUTHENTICATED']);
    expect(f.logs.text()).not.toContain(other.split('.')[1]);
    expect(f.logs.text()).not.toContain(good.split('.')[1]);
  });

  it('tokens – a verified token is remembered for tokenCacheMs: a revocation by another API process applies within it, an expiry at once', async () => {
    const url = `/v1/tenants/${TENANT_A}/users/${USER_1}/presence`;
    const token = await f.token('user', TENANT_A, USER_1, undefined, DAY);
    const tokenId = /^hct_([^.]+)\./.exec(token)![1]!;
    expect((await f.app.inject({ url, headers: bearer(token) })).statusCode).toBe(200);
    // Another API process (same store) revokes it: this one trusts what it verified for at most 5 s (the default).
    await f.tokens.revoke('org-a', tokenId);
    expect((await f.app.inject({ url, headers: bearer(token) })).statusCode).toBe(200);
    f.clock.advance(5_000);
    const revoked = await f.app.inject({ url, headers: bearer(token) });
    expect([revoked.statusCode, revoked.json().error.code]).toEqual([401, 'HC_ERR_API_UNAUTHENTICATED']);
    // Expiry is checked on every request, cached or not.
    const short = await f.token('user', TENANT_A, USER_1, undefined, 60_000);
    expect((await f.app.inject({ url, headers: bearer(short) })).statusCode).toBe(200);
    f.clock.advance(60_000);
    const expired = await f.app.inject({ url, headers: bearer(short) });
    expect([expired.statusCode, expired.json().error.code]).toEqual([401, 'HC_ERR_API_TOKEN_EXPIRED']);
    // A forged secret with a cached token's id is still refused (the cache is keyed by the whole token's hash).
    const fresh = await f.token('user', TENANT_A, USER_1, undefined, DAY);
    expect((await f.app.inject({ url, headers: bearer(fresh) })).statusCode).toBe(200);
    expect((await f.app.inject({ url, headers: bearer(`${fresh.slice(0, 21)}${'A'.repeat(43)}`) })).statusCode).toBe(401);
  });

  it('tokens – an administrator issues a device token that reads only its device', async () => {
    const admin = await f.token('admin', null, 'admin-1');
    const res = await f.app.inject({ method: 'POST', url: '/v1/tokens', headers: bearer(admin), payload: { kind: 'device', tenantId: TENANT_A, subject: DEVICE_1, ttlDays: 30 } });
    expect(res.statusCode).toBe(201);
    const device = res.json().token as string;
    expect((await f.app.inject({ url: `/v1/tenants/${TENANT_A}/devices/${DEVICE_1}/bookings?${RANGE}`, headers: bearer(device) })).statusCode).toBe(200);
    expect((await f.app.inject({ url: `/v1/tenants/${TENANT_A}/devices/${DEVICE_2}/bookings?${RANGE}`, headers: bearer(device) })).statusCode).toBe(403);
    const user = await f.token('user', TENANT_A, USER_1);
    expect((await f.app.inject({ method: 'POST', url: '/v1/tokens', headers: bearer(user), payload: { kind: 'admin', subject: 'x', ttlDays: 30 } })).statusCode).toBe(403);
    const crossTenant = await f.app.inject({ method: 'POST', url: '/v1/tokens', headers: bearer(admin), payload: { kind: 'device', tenantId: TENANT_B, subject: DEVICE_1, ttlDays: 30 } });
    expect(crossTenant.statusCode).toBe(403);
  });

  it('devices – bookings show "Private meeting" for private meetings and decrypt the rest', async () => {
    const res = await f.app.inject({ url: `/v1/tenants/${TENANT_A}/devices/${DEVICE_1}/bookings?${RANGE}`, headers: bearer(await f.token('device', TENANT_A, DEVICE_1)) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.version).toBe(7);
    expect((body.bookings as { title: string }[]).map((b) => b.title)).toEqual(['Board', 'Private meeting']);
    expect(body.bookings[0].joinAt).toBe(new Date(T0 + 3_300_000).toISOString());
    expect(res.body).not.toContain('Secret');
  });

  it('presence – the user reads out-of-office; an unknown user is 404 HC_ERR_API_NOT_FOUND', async () => {
    const res = await f.app.inject({ url: `/v1/tenants/${TENANT_A}/users/${USER_1}/presence`, headers: bearer(await f.token('user', TENANT_A, USER_1)) });
    expect(res.json()).toMatchObject({ outOfOffice: true, version: 3, until: new Date(T0 + DAY).toISOString() });
    const none = await f.app.inject({ url: `/v1/tenants/${TENANT_A}/users/${USER_2}/presence`, headers: bearer(await f.token('user', TENANT_A, USER_2)) });
    expect([none.statusCode, none.json().error.code]).toEqual([404, 'HC_ERR_API_NOT_FOUND']);
  });

  it('bad input – malformed ids, ranges, oversized addresses and bodies are refused with HC_ERR codes', async () => {
    const h = bearer(await f.token('admin', null, 'admin-1'));
    const expectCode = async (req: InjectOptions, status: number, code: string) => {
      const res = await f.app.inject(req);
      expect(res.statusCode, JSON.stringify(req)).toBe(status);
      expect(res.json().error.code).toBe(code);
      expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    };
    await expectCode({ url: `/v1/tenants/not-a-guid/users/${USER_1}/meetings?${RANGE}`, headers: h }, 400, 'HC_ERR_API_INVALID_INPUT');
    await expectCode({ url: `/v1/tenants/${TENANT_A}/users/${encodeURIComponent('a b<c>')}/meetings?${RANGE}`, headers: h }, 400, 'HC_ERR_API_INVALID_INPUT');
    await expectCode({ url: `/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?from=yesterday&to=today`, headers: h }, 400, 'HC_ERR_API_INVALID_INPUT');
    await expectCode({ url: `/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z`, headers: h }, 400, 'HC_ERR_API_INVALID_INPUT');
    await expectCode({ url: `/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`, headers: h }, 400, 'HC_ERR_API_INVALID_INPUT');
    await expectCode({ url: `/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?${RANGE}&x=${'y'.repeat(3000)}`, headers: h }, 414, 'HC_ERR_API_INVALID_INPUT');
    await expectCode({ method: 'POST', url: `/v1/tenants/${TENANT_A}/users/${USER_1}/events`, headers: { ...h, 'content-type': 'application/json' }, payload: JSON.stringify({ subject: 'x'.repeat(70_000) }) }, 413, 'HC_ERR_API_BODY_TOO_LARGE');
    await expectCode({ method: 'POST', url: `/v1/tenants/${TENANT_A}/users/${USER_1}/events`, headers: { ...h, 'content-type': 'application/json' }, payload: '{"subject": ' }, 400, 'HC_ERR_API_INVALID_INPUT');
    await expectCode({ url: '/v1/nowhere', headers: h }, 404, 'HC_ERR_API_NOT_FOUND');
  });

  it('errors – an internal failure answers HC_ERR_API_INTERNAL with a request id, no stack and no cause text', async () => {
    const boom = await makeFixture();
    (boom.views as unknown as { presence: () => Promise<never> }).presence = () => Promise.reject(new Error('mongodb://user:hunter2@db failed'));
    const res = await boom.app.inject({ url: `/v1/tenants/${TENANT_A}/users/${USER_1}/presence`, headers: bearer(await boom.token('user', TENANT_A, USER_1)) });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('HC_ERR_API_INTERNAL');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('.ts');
    expect(boom.logs.text()).not.toContain('hunter2');
    await boom.close();
  });

  it('limits – a token over the rate limit gets 429 HC_ERR_API_RATE_LIMITED with Retry-After', async () => {
    const limited = await makeFixture({ rateLimit: { max: 3, windowMs: 60_000 } });
    const h = bearer(await limited.token('user', TENANT_A, USER_1));
    const statuses: number[] = [];
    let last = await limited.app.inject({ url: '/healthz' });
    for (let i = 0; i < 5; i += 1) {
      last = await limited.app.inject({ url: `/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?${RANGE}`, headers: h });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last.json().error.code).toBe('HC_ERR_API_RATE_LIMITED');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    await limited.close();
  });

  it('headers – responses carry security headers (CSP, nosniff, frame denial, no referrer)', async () => {
    const res = await f.app.inject({ url: '/' });
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('openapi – /openapi.json is an OpenAPI 3.1 document of every /v1 route, and responses validate against it', async () => {
    const doc = (await f.app.inject({ url: '/openapi.json' })).json<{ openapi: string; paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>> }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/tenants/{tenantId}/devices/{deviceId}/bookings', '/v1/tenants/{tenantId}/devices/{deviceId}/obtp',
      '/v1/tenants/{tenantId}/users/{userId}/events', '/v1/tenants/{tenantId}/users/{userId}/events/{eventId}',
      '/v1/tenants/{tenantId}/users/{userId}/events/{eventId}/cancel', '/v1/tenants/{tenantId}/users/{userId}/events/{eventId}/respond',
      '/v1/tenants/{tenantId}/users/{userId}/meetings', '/v1/tenants/{tenantId}/users/{userId}/presence',
      '/v1/tenants/{tenantId}/users/{userId}/schedule', '/v1/tokens', '/v1/tokens/{tokenId}',
    ]);
    const ajvModule = createRequire(import.meta.url)('ajv') as { default?: unknown };
    const AjvClass = (ajvModule.default ?? ajvModule) as new (o: object) => { validate(s: unknown, d: unknown): boolean; errors: unknown };
    const ajv = new AjvClass({ strict: false });
    const schemaOf = (path: string, status: string) => doc.paths[path]!['get']!.responses[status]!.content['application/json']!.schema;
    const h = bearer(await f.token('admin', null, 'admin-1'));
    const meetings = await f.app.inject({ url: `/v1/tenants/${TENANT_A}/users/${USER_1}/meetings?${RANGE}`, headers: h });
    expect(ajv.validate(schemaOf('/v1/tenants/{tenantId}/users/{userId}/meetings', '200'), meetings.json()), JSON.stringify(ajv.errors)).toBe(true);
    const bookings = await f.app.inject({ url: `/v1/tenants/${TENANT_A}/devices/${DEVICE_1}/bookings?${RANGE}`, headers: h });
    expect(ajv.validate(schemaOf('/v1/tenants/{tenantId}/devices/{deviceId}/bookings', '200'), bookings.json()), JSON.stringify(ajv.errors)).toBe(true);
    const refused = await f.app.inject({ url: `/v1/tenants/${TENANT_B}/users/${USER_1}/presence`, headers: h });
    expect(ajv.validate(schemaOf('/v1/tenants/{tenantId}/users/{userId}/presence', '403'), refused.json())).toBe(true);
  });
});
