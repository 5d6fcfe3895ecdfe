/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import type { GraphSimulator } from '../../index.js';
import type { ResourceChange } from '../../model.js';
import { ALICE, APP, BOB, SECRET, TENANT, appToken, call, postForm, startSeeded } from './helpers.js';

let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
const PROP = 'String {8ECCC264-6880-4EBE-992F-8888D2EEAA1D} Name HycalId';

beforeAll(async () => {
  sim = await startSeeded({ clock });
  token = await appToken(sim);
});
afterAll(async () => sim.close());

describe('sim/graph calendar details', () => {
  it('extended properties – returned only when $expand or $filter names them, matched case-insensitively', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, {
      token,
      body: { subject: 'Tagged', start: { dateTime: '2026-05-04T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-05-04T11:00:00', timeZone: 'UTC' }, singleValueExtendedProperties: [{ id: PROP, value: 'abc-123' }] },
    });
    expect(created.body.singleValueExtendedProperties).toBeUndefined();
    const expand = `$expand=singleValueExtendedProperties($filter=id eq '${PROP.toLowerCase()}')`;
    const got = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${created.body.id}?${encodeURI(expand)}`, { token });
    expect(got.body.singleValueExtendedProperties).toEqual([{ id: PROP, value: 'abc-123' }]);
    const filter = `$filter=singleValueExtendedProperties/Any(ep: ep/id eq '${PROP}' and ep/value eq 'abc-123')`;
    const found = await call(sim, 'GET', `/v1.0/users/${ALICE}/events?${encodeURI(filter)}`, { token });
    expect(found.status).toBe(200);
    expect(found.body.value.map((e: any) => e.id)).toEqual([created.body.id]);
  });

  it('all-day events – must be midnight to midnight; keep their dates whatever the Prefer zone', async () => {
    const bad = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: { subject: 'Off', isAllDay: true, start: { dateTime: '2026-05-06T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-05-07T00:00:00', timeZone: 'UTC' } } });
    expect(bad.status).toBe(400);
    const ok = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: { subject: 'Holiday', isAllDay: true, showAs: 'oof', start: { dateTime: '2026-05-06T00:00:00', timeZone: 'W. Europe Standard Time' }, end: { dateTime: '2026-05-07T00:00:00', timeZone: 'W. Europe Standard Time' } } });
    expect(ok.status).toBe(201);
    const view = await call(sim, 'GET', `/v1.0/users/${ALICE}/calendarView?startDateTime=2026-05-05T00:00:00Z&endDateTime=2026-05-08T00:00:00Z`, { token, headers: { prefer: 'outlook.timezone="Pacific Standard Time"' } });
    const holiday = view.body.value.find((e: any) => e.subject === 'Holiday');
    expect(holiday).toMatchObject({ isAllDay: true, start: { dateTime: '2026-05-06T00:00:00.0000000', timeZone: 'Pacific Standard Time' } });
    expect(view.headers['preference-applied']).toBe('outlook.timezone="Pacific Standard Time"');
  });

  it('calendarView – honours explicit offsets in the window and pages with $skip keeping the window', async () => {
    for (let h = 0; h < 12; h += 1) {
      await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: { subject: `Slot ${h}`, start: { dateTime: `2026-06-01T${String(h + 6).padStart(2, '0')}:00:00`, timeZone: 'UTC' }, end: { dateTime: `2026-06-01T${String(h + 6).padStart(2, '0')}:30:00`, timeZone: 'UTC' } } });
    }
    const first = await call(sim, 'GET', `/v1.0/users/${ALICE}/calendarView?startDateTime=2026-06-01T08:00:00%2B02:00&endDateTime=2026-06-01T20:00:00%2B02:00`, { token });
    expect(first.body.value[0].subject).toBe('Slot 0');
    expect(first.body.value).toHaveLength(10);
    const next = first.body['@odata.nextLink'] as string;
    expect(next).toContain('startDateTime=');
    const second = await call(sim, 'GET', next, { token });
    expect(second.body.value.map((e: any) => e.subject)).toEqual(['Slot 10', 'Slot 11']);
  });

  it('delta – a modified occurrence comes back updated, a cancelled one as @removed', async () => {
    const series = await call(sim, 'POST', `/v1.0/users/${BOB}/events`, {
      token,
      body: { subject: 'Daily', start: { dateTime: '2026-07-06T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-07-06T09:30:00', timeZone: 'UTC' }, recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: '2026-07-06', numberOfOccurrences: 3 } } },
    });
    const url = `/v1.0/users/${BOB}/calendarView/delta?startDateTime=2026-07-01T00:00:00Z&endDateTime=2026-08-01T00:00:00Z`;
    const initial = await call(sim, 'GET', url, { token });
    const ids = initial.body.value.map((e: any) => e.id);
    expect(ids).toHaveLength(3);
    await call(sim, 'PATCH', `/v1.0/users/${BOB}/events/${ids[0]}`, { token, body: { subject: 'Daily (special)' } });
    await call(sim, 'DELETE', `/v1.0/users/${BOB}/events/${ids[1]}`, { token });
    const changes = await call(sim, 'GET', initial.body['@odata.deltaLink'], { token });
    const byId = new Map(changes.body.value.map((e: any) => [e.id, e]));
    expect(byId.get(ids[0])).toMatchObject({ subject: 'Daily (special)', type: 'exception', seriesMasterId: series.body.id });
    expect(byId.get(ids[1])).toEqual({ '@odata.type': '#microsoft.graph.event', id: ids[1], '@removed': { reason: 'deleted' } });
    const master = await call(sim, 'GET', `/v1.0/users/${BOB}/events/${series.body.id}?$select=subject,cancelledOccurrences`, { token });
    expect(master.body.cancelledOccurrences).toHaveLength(1);
  });

  it('store – writes through the API and the activity driver report ResourceChanges; organizer cancel leaves attendees a cancelled copy', () => {
    const changes: ResourceChange[] = [];
    const off = sim.store.onChange((c) => changes.push(c));
    try {
      const id = sim.store.createEvent(TENANT, ALICE, { subject: 'Driver', start: { dateTime: '2026-08-03T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-08-03T11:00:00', timeZone: 'UTC' }, attendees: [{ type: 'required', emailAddress: { address: 'bob@contoso.com' } }] });
      sim.store.updateEvent(TENANT, ALICE, id, { subject: 'Driver 2' });
      sim.store.cancelEvent(TENANT, ALICE, id);
      expect(changes.filter((c) => c.mailboxId === ALICE).map((c) => c.changeType)).toEqual(['created', 'updated', 'deleted']);
      expect(changes.some((c) => c.mailboxId === BOB && c.changeType === 'created')).toBe(true);
      expect(sim.store.listEventIds(TENANT, ALICE)).not.toContain(id);
      const bobCopy = sim.store.masters(sim.store.requireMailbox(TENANT, BOB)).find((e) => e.subject === 'Canceled: Driver 2');
      expect(bobCopy?.isCancelled).toBe(true);
    } finally {
      off();
    }
  });

  it('robustness – odd URLs, methods and bodies get Graph error shapes, never a crash', async () => {
    const cases: [string, string, string | undefined][] = [
      ['GET', '/v1.0/', undefined], ['GET', '/v2.0/me', undefined], ['GET', '/v1.0/users/%E0%A4%A/events', undefined], ['PUT', `/v1.0/users/${ALICE}/events`, '{}'],
      ['GET', `/v1.0/users/${ALICE}/events?$top=abc`, undefined], ['GET', `/v1.0/users/${ALICE}/events?$top=5000`, undefined], ['GET', `/v1.0/users/${ALICE}/events?$bogus=1`, undefined],
      ['GET', `/v1.0/users/${ALICE}/calendarView?startDateTime=yesterday&endDateTime=now`, undefined], ['POST', '/v1.0/$batch', '[1,2]'], ['POST', `/v1.0/users/${ALICE}/events`, '"just a string"'],
      ['PATCH', `/v1.0/users/${ALICE}/mailboxSettings`, 'nul'], ['GET', `/v1.0/users/${ALICE}/nothing/here`, undefined], ['GET', '/v1.0/me/events', undefined],
      ['POST', `/v1.0/users/${ALICE}/calendar/getSchedule`, '{"schedules":"x"}'], ['GET', `/v1.0/users/${ALICE}/events/x/instances`, undefined],
    ];
    for (const [method, url, raw] of cases) {
      const res = await call(sim, method, url, raw === undefined ? { token } : { token, raw });
      expect(res.status, `${method} ${url}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${url}`).toBeLessThan(500);
      expect(typeof res.body?.error?.code, `${method} ${url}`).toBe('string');
      expect(typeof res.body?.error?.message, `${method} ${url}`).toBe('string');
    }
  });

  it('identity – client secret via HTTP Basic authentication', async () => {
    const res = await call(sim, 'POST', `/${TENANT}/oauth2/v2.0/token`, {
      raw: new URLSearchParams({ grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${APP}:${SECRET}`).toString('base64')}` },
    });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
    const none = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: APP, scope: 'https://graph.microsoft.com/.default' });
    expect(none.body.error_codes).toEqual([7000218]);
  });
  it('delta – pages of 2 split series mid-way and still deliver every instance exactly once', async () => {
    const mbx = '0a0a0a0a-0000-4000-8000-000000000003';
    for (let i = 0; i < 3; i += 1) {
      await call(sim, 'POST', `/v1.0/users/${mbx}/events`, {
        token,
        body: { subject: `S${i}`, start: { dateTime: `2026-09-0${i + 1}T09:00:00`, timeZone: 'UTC' }, end: { dateTime: `2026-09-0${i + 1}T09:30:00`, timeZone: 'UTC' }, recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: `2026-09-0${i + 1}`, numberOfOccurrences: 3 } } },
      });
    }
    const ids: string[] = [];
    let next: string | undefined = `/v1.0/users/${mbx}/calendarView/delta?startDateTime=2026-09-01T00:00:00Z&endDateTime=2026-10-01T00:00:00Z`;
    while (next !== undefined) {
      const res = await call(sim, 'GET', next, { token, headers: { prefer: 'odata.maxpagesize=2' } });
      expect(res.headers['preference-applied']).toBe('odata.maxpagesize=2');
      ids.push(...res.body.value.map((e: any) => e.id));
      next = res.body['@odata.nextLink'];
    }
    expect(ids).toHaveLength(9);
    expect(new Set(ids).size).toBe(9);
  });

  it('responses – decline with a proposed new time and tentativelyAccept answer 202; accept rejects proposedNewTime', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, {
      token, body: { subject: 'Propose', start: { dateTime: '2026-09-14T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-09-14T11:00:00', timeZone: 'UTC' }, attendees: [{ type: 'required', emailAddress: { address: 'bob@contoso.com' } }] },
    });
    const copy = (await call(sim, 'GET', `/v1.0/users/${BOB}/events?$filter=iCalUId eq '${created.body.iCalUId}'`, { token })).body.value[0];
    const proposed = { start: { dateTime: '2026-09-14T12:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-09-14T13:00:00', timeZone: 'UTC' } };
    expect((await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copy.id}/accept`, { token, body: { proposedNewTime: proposed } })).status).toBe(400);
    expect((await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copy.id}/tentativelyAccept`, { token, body: { comment: 'maybe' } })).status).toBe(202);
    expect((await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copy.id}/decline`, { token, body: { proposedNewTime: proposed, sendResponse: true } })).status).toBe(202);
    const after = await call(sim, 'GET', `/v1.0/users/${BOB}/events/${copy.id}`, { token });
    expect(after.body).toMatchObject({ responseStatus: { response: 'declined' }, showAs: 'free' });
    const stale = await call(sim, 'DELETE', `/v1.0/users/${BOB}/events/${copy.id}`, { token, headers: { 'if-match': copy['@odata.etag'] } });
    expect(stale.status).toBe(412);
  });
});
