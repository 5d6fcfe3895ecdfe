/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import type { GraphSimulator } from '../../index.js';
import { ALICE, APP, BOB, ROOM, TENANT, appToken, call, startSeeded } from './helpers.js';

let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));

beforeAll(async () => {
  sim = await startSeeded({ clock });
  // This file checks the schema's enum values; the seeded casing mix is fidelity/casing.test.ts's.
  sim.store.setEnumCasing(TENANT, 'schema');
  token = await appToken(sim);
});
afterAll(async () => sim.close());

describe('sim/graph mailboxes and directory', () => {
  it('mailboxSettings – GET, sub-paths and PATCH of scheduled automatic replies, language and time zone', async () => {
    const all = await call(sim, 'GET', `/v1.0/users/${ALICE}/mailboxSettings`, { token });
    expect(all.status).toBe(200);
    expect(all.body['@odata.context']).toMatch(/\$metadata#users\('.+'\)\/mailboxSettings$/);
    expect(all.body).toMatchObject({ timeZone: 'Pacific Standard Time', language: { locale: 'en-US' }, automaticRepliesSetting: { status: 'disabled' }, userPurpose: 'user' });
    const patch = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/mailboxSettings`, {
      token,
      body: {
        automaticRepliesSetting: { status: 'Scheduled', externalAudience: 'All', scheduledStartDateTime: { dateTime: '2026-01-10T00:00:00', timeZone: 'UTC' }, scheduledEndDateTime: { dateTime: '2026-01-20T00:00:00', timeZone: 'UTC' }, internalReplyMessage: '<p>Away</p>' },
        language: { locale: 'de-DE', displayName: 'German (Germany)' },
      },
    });
    expect(patch.status).toBe(200);
    expect(patch.body.automaticRepliesSetting).toMatchObject({ status: 'scheduled', externalAudience: 'all' });
    const sub = await call(sim, 'GET', `/v1.0/users/${ALICE}/mailboxSettings/automaticRepliesSetting`, { token });
    expect(sub.body).toMatchObject({ status: 'scheduled', scheduledStartDateTime: { dateTime: '2026-01-10T00:00:00', timeZone: 'UTC' } });
    const tz = await call(sim, 'GET', `/v1.0/users/${ALICE}/mailboxSettings/timeZone`, { token });
    expect(tz.body.value).toBe('Pacific Standard Time');
    const badTz = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/mailboxSettings`, { token, body: { timeZone: 'Mars/Olympus' } });
    expect(badTz.status).toBe(400);
    const unknown = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/mailboxSettings`, { token, body: { colour: 'red' } });
    expect(unknown.body.error.code).toBe('RequestBodyRead');
  });

  it('getSchedule – availabilityView digits per interval, scheduleItems and unknown addresses', async () => {
    const mk = (subject: string, h: number, showAs: string) => call(sim, 'POST', `/v1.0/users/${BOB}/events`, {
      token, body: { subject, showAs, start: { dateTime: `2026-01-12T${h}:00:00`, timeZone: 'UTC' }, end: { dateTime: `2026-01-12T${h + 1}:00:00`, timeZone: 'UTC' } },
    });
    await mk('busy', 11, 'busy');
    await mk('maybe', 12, 'tentative');
    await mk('away', 14, 'oof');
    await mk('elsewhere', 15, 'workingElsewhere');
    const res = await call(sim, 'POST', `/v1.0/users/${ALICE}/calendar/getSchedule`, {
      token,
      body: { schedules: ['bob@contoso.com', 'nobody@contoso.com'], startTime: { dateTime: '2026-01-12T09:00:00', timeZone: 'UTC' }, endTime: { dateTime: '2026-01-12T18:00:00', timeZone: 'UTC' }, availabilityViewInterval: 60 },
    });
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toContain('Collection(microsoft.graph.scheduleInformation)');
    expect(res.body.value[0]).toMatchObject({ scheduleId: 'bob@contoso.com', availabilityView: '002103000' });
    expect(res.body.value[0].scheduleItems).toHaveLength(4);
    expect(res.body.value[0].workingHours).toMatchObject({ startTime: '08:00:00.0000000' });
    expect(res.body.value[1].error).toMatchObject({ responseCode: 'ErrorMailRecipientNotFound' });
  });

  it('accept / decline / tentativelyAccept – 202, the attendee copy and the organizer see the response', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, {
      token,
      body: {
        subject: 'Review', start: { dateTime: '2026-01-13T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-13T11:00:00', timeZone: 'UTC' },
        attendees: [{ type: 'required', emailAddress: { address: 'bob@contoso.com' } }, { type: 'resource', emailAddress: { address: 'room1@contoso.com' } }],
      },
    });
    const bobs = await call(sim, 'GET', `/v1.0/users/${BOB}/events?$filter=iCalUId eq '${created.body.iCalUId}'`, { token });
    expect(bobs.body.value).toHaveLength(1);
    const accept = await call(sim, 'POST', `/v1.0/users/${BOB}/events/${bobs.body.value[0].id}/accept`, { token, body: { comment: 'ok', sendResponse: true } });
    expect(accept.status).toBe(202);
    expect(accept.text).toBe('');
    const organizer = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${created.body.id}`, { token });
    const byAddress = Object.fromEntries(organizer.body.attendees.map((a: any) => [a.emailAddress.address, a.status.response]));
    expect(byAddress).toEqual({ 'bob@contoso.com': 'accepted', 'room1@contoso.com': 'accepted' });
    const own = await call(sim, 'POST', `/v1.0/users/${ALICE}/events/${created.body.id}/decline`, { token, body: {} });
    expect(own.status).toBe(400);
    const roomCal = await call(sim, 'GET', `/v1.0/users/${ROOM}/events`, { token });
    expect(roomCal.body.value.some((e: any) => e.iCalUId === created.body.iCalUId)).toBe(true);
    await call(sim, 'DELETE', `/v1.0/users/${ALICE}/events/${created.body.id}`, { token });
    const cancelled = await call(sim, 'GET', `/v1.0/users/${BOB}/events/${bobs.body.value[0].id}`, { token });
    expect(cancelled.body).toMatchObject({ isCancelled: true });
  });

  it('users and domains – documented shapes; missing permissions answer Authorization_RequestDenied', async () => {
    const user = await call(sim, 'GET', `/v1.0/users/alice@contoso.com`, { token });
    expect(user.body).toMatchObject({ id: ALICE, userPrincipalName: 'alice@contoso.com', displayName: 'Alice Adams', mail: 'alice@contoso.com', businessPhones: [] });
    const page1 = await call(sim, 'GET', `/v1.0/users?$top=2&$select=id,mail`, { token });
    expect(page1.body.value).toHaveLength(2);
    expect(Object.keys(page1.body.value[0]).sort()).toEqual(['id', 'mail']);
    const page2 = await call(sim, 'GET', page1.body['@odata.nextLink'], { token });
    expect(page2.body.value).toHaveLength(2);
    const byMail = await call(sim, 'GET', `/v1.0/users?$filter=mail eq 'room1@contoso.com'`, { token });
    expect(byMail.body.value.map((u: any) => u.displayName)).toEqual(['Room One']);
    const domains = await call(sim, 'GET', `/v1.0/domains`, { token });
    expect(domains.body.value).toHaveLength(2);
    expect(domains.body.value.find((d: any) => d.isDefault)).toMatchObject({ id: 'contoso.com', isInitial: false, isVerified: true, authenticationType: 'Managed' });
    const limitedId = '22222222-2222-4333-8444-555555555555';
    sim.admin.registerApp({ appId: limitedId, homeTenantId: TENANT, secrets: ['s'], applicationPermissions: ['Calendars.Read'] });
    sim.admin.grantAdminConsent(TENANT, limitedId);
    const limited = await appToken(sim, { client_id: limitedId, client_secret: 's' });
    const denied = await call(sim, 'GET', `/v1.0/domains`, { token: limited });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('Authorization_RequestDenied');
    const mbx = await call(sim, 'GET', `/v1.0/users/${ALICE}/mailboxSettings`, { token: limited });
    expect(mbx.body.error.code).toBe('ErrorAccessDenied');
  });

  it('application access policy – mailboxes outside the policy answer 403 ErrorAccessDenied', async () => {
    sim.admin.setAccessPolicy(TENANT, APP, [ALICE]);
    try {
      expect((await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token })).status).toBe(200);
      const blocked = await call(sim, 'GET', `/v1.0/users/${BOB}/events`, { token });
      expect(blocked.status).toBe(403);
      expect(blocked.body.error).toMatchObject({ code: 'ErrorAccessDenied', message: 'Access to OData is disabled.' });
      const sub = await call(sim, 'POST', '/v1.0/subscriptions', { token, body: { changeType: 'created,updated,deleted', notificationUrl: 'https://localhost/hook', resource: `/users/${BOB}/events`, expirationDateTime: '2026-01-06T09:00:00Z', clientState: 'x' } });
      expect(sub.status).toBe(403);
      expect(sub.body.error.code).toBe('ExtensionError');
    } finally {
      sim.admin.setAccessPolicy(TENANT, APP, undefined);
    }
  });

  it('$batch – more than 20 requests and duplicate ids fail the whole batch with 400', async () => {
    const req = (id: string) => ({ id, method: 'GET', url: `/users/${ALICE}/mailboxSettings` });
    const tooMany = await call(sim, 'POST', '/v1.0/$batch', { token, body: { requests: Array.from({ length: 21 }, (_, i) => req(String(i))) } });
    expect(tooMany.status).toBe(400);
    const dup = await call(sim, 'POST', '/v1.0/$batch', { token, body: { requests: [req('1'), req('1')] } });
    expect(dup.status).toBe(400);
    const fine = await call(sim, 'POST', '/v1.0/$batch', { token, body: { requests: [req('a'), { id: 'b', method: 'GET', url: '/users/nobody@contoso.com/events' }] } });
    expect(fine.status).toBe(200);
    expect(fine.body.responses.map((r: any) => r.status).sort()).toEqual([200, 404]);
  });

  it('throttling – over the request budget answers 429 TooManyRequests with Retry-After, per app and mailbox', async () => {
    sim.admin.setThrottleLimits({ requestsPerWindow: 5, windowMs: 60_000 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i += 1) statuses.push((await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const throttled = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      expect(throttled.body.error).toMatchObject({ code: 'TooManyRequests', innerError: { code: '429', status: '429' } });
      expect((await call(sim, 'GET', `/v1.0/users/${BOB}/events`, { token })).status).toBe(200);
      clock.advance(61_000);
      expect((await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token })).status).toBe(200);
    } finally {
      sim.admin.setThrottleLimits({ requestsPerWindow: 10_000, windowMs: 600_000 });
    }
  });

  it('throttling – more than 4 concurrent requests per app and mailbox are refused', async () => {
    sim.admin.setFaults({ latencyMs: 1500 });
    try {
      const statuses = await Promise.all(Array.from({ length: 6 }, () => call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token }).then((r) => r.status)));
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(4);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    } finally {
      sim.admin.clearFaults();
    }
  });

  it('faults – a 5xx burst, expired tokens, and the call log records what was asked', async () => {
    sim.admin.clearCalls();
    sim.admin.setFaults({ serverErrors: { count: 2, status: 503, retryAfterSeconds: 3 } });
    const a = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
    const b = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
    const c = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200]);
    expect(a.headers['retry-after']).toBe('3');
    sim.admin.setFaults({ expiredTokens: true });
    const expired = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
    sim.admin.clearFaults();
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('InvalidAuthenticationToken');
    const calls = sim.admin.calls({ pathIncludes: '/events' });
    expect(calls.map((x) => x.status)).toEqual([503, 503, 200, 401]);
    expect(calls[2]).toMatchObject({ method: 'GET', appId: APP, tenantId: TENANT, mailboxId: ALICE });
    const overHttp = await call(sim, 'GET', '/_sim/calls');
    expect(overHttp.body.value.length).toBeGreaterThanOrEqual(4);
  });
});
