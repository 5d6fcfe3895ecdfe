/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import type { GraphSimulator } from '../../index.js';
import { ALICE, BOB, appToken, call, startSeeded } from './helpers.js';

let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));

beforeAll(async () => {
  sim = await startSeeded({ clock });
  token = await appToken(sim);
});
afterAll(async () => sim.close());

const meeting = (subject: string, day: number, hour = 10) => ({
  subject,
  body: { contentType: 'HTML', content: `<p>About ${subject}</p>` },
  start: { dateTime: `2026-01-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00`, timeZone: 'Pacific Standard Time' },
  end: { dateTime: `2026-01-${String(day).padStart(2, '0')}T${String(hour + 1).padStart(2, '0')}:00:00`, timeZone: 'Pacific Standard Time' },
  location: { displayName: "Harry's Bar" },
  attendees: [{ type: 'required', emailAddress: { name: 'Bob Brown', address: 'bob@contoso.com' } }],
});

describe('sim/graph events', () => {
  it('events – creates an event with the documented 201 shape, etag and Preference-Applied', async () => {
    const res = await call(sim, 'POST', `/v1.0/users/alice@contoso.com/calendar/events`, { token, body: meeting('Lunch', 15), headers: { prefer: 'outlook.timezone="Pacific Standard Time"' } });
    expect(res.status).toBe(201);
    expect(res.headers['preference-applied']).toBe('outlook.timezone="Pacific Standard Time"');
    const ev = res.body;
    expect(ev['@odata.context']).toBe(`${sim.graphBaseUrl}/v1.0/$metadata#users('alice%40contoso.com')/calendar/events/$entity`);
    expect(ev['@odata.etag']).toBe(`W/"${ev.changeKey}"`);
    expect(ev).toMatchObject({
      type: 'singleInstance', seriesMasterId: null, recurrence: null, onlineMeetingUrl: null, isOrganizer: true, showAs: 'busy',
      responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
      start: { dateTime: '2026-01-15T10:00:00.0000000', timeZone: 'Pacific Standard Time' },
      location: { displayName: "Harry's Bar", locationType: 'default', uniqueId: "Harry's Bar", uniqueIdType: 'private' },
      locations: [{ displayName: "Harry's Bar", locationType: 'default', uniqueIdType: 'unknown' }],
      attendees: [{ type: 'required', status: { response: 'none', time: '0001-01-01T00:00:00Z' }, emailAddress: { name: 'Bob Brown', address: 'bob@contoso.com' } }],
      organizer: { emailAddress: { name: 'Alice Adams', address: 'alice@contoso.com' } },
      body: { contentType: 'html' },
    });
    expect(ev.createdDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
    expect(ev.iCalUId).toMatch(/^040000008200E00074C5B7101A82E008/);
    expect(ev.body.content).toContain('<html>');
    // the invitation reached Bob's calendar
    const bobs = await call(sim, 'GET', `/v1.0/users/${BOB}/events`, { token });
    expect(bobs.body.value.some((e: any) => e.iCalUId === ev.iCalUId && e.isOrganizer === false && e.responseStatus.response === 'notResponded')).toBe(true);
  });

  it('events – gets in UTC without Prefer, text bodies on request', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: meeting('Text body', 16) });
    const res = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${created.body.id}`, { token, headers: { prefer: 'outlook.body-content-type="text"' } });
    expect(res.status).toBe(200);
    expect(res.body.start).toEqual({ dateTime: '2026-01-16T18:00:00.0000000', timeZone: 'UTC' });
    expect(res.body.body).toEqual({ contentType: 'text', content: 'About Text body' });
    expect(res.headers['preference-applied']).toBe('outlook.body-content-type="text"');
  });

  it('events – lists with default page 10 and $skip nextLinks, $top, $select, $filter and $orderby', async () => {
    for (let d = 1; d <= 12; d += 1) await call(sim, 'POST', `/v1.0/users/${BOB}/events`, { token, body: { ...meeting(`Page ${d}`, d + 1), attendees: [] } });
    const first = await call(sim, 'GET', `/v1.0/users/${BOB}/calendar/events?$orderby=start/dateTime`, { token });
    expect(first.body.value).toHaveLength(10);
    expect(first.body['@odata.nextLink']).toContain('$skip=10');
    const second = await call(sim, 'GET', first.body['@odata.nextLink'], { token });
    expect(second.body.value.length).toBeGreaterThan(0);
    expect(second.body['@odata.nextLink']).toBeUndefined();
    const selected = await call(sim, 'GET', `/v1.0/users/${BOB}/events?$top=3&$select=subject,start&$filter=start/dateTime ge '2026-01-05T00:00:00' and start/dateTime lt '2026-01-08T00:00:00'&$orderby=start/dateTime desc`, { token });
    expect(selected.status).toBe(200);
    expect(selected.body.value.map((e: any) => e.subject)).toEqual(['Page 6', 'Page 5', 'Page 4']);
    expect(Object.keys(selected.body.value[0]).sort()).toEqual(['@odata.etag', 'id', 'start', 'subject']);
    const bad = await call(sim, 'GET', `/v1.0/users/${BOB}/events?$filter=nosuch eq 1`, { token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BadRequest');
  });

  it('events – PATCH with a stale If-Match fails with 412 ErrorIrresolvableConflict', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: meeting('Etag', 20) });
    const ok = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/events/${created.body.id}`, { token, body: { subject: 'Etag 2' }, headers: { 'if-match': created.body['@odata.etag'] } });
    expect(ok.status).toBe(200);
    expect(ok.body.changeKey).not.toBe(created.body.changeKey);
    const stale = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/events/${created.body.id}`, { token, body: { subject: 'Etag 3' }, headers: { 'if-match': created.body['@odata.etag'] } });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('ErrorIrresolvableConflict');
    const del = await call(sim, 'DELETE', `/v1.0/users/${ALICE}/events/${created.body.id}`, { token });
    expect(del.status).toBe(204);
    const gone = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${created.body.id}`, { token });
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' });
    expect(gone.body.error.innerError['request-id']).toBeTypeOf('string');
  });

  it('events – bad input gets Graph error shapes: malformed JSON, unknown fields, oversize, unknown users', async () => {
    const malformed = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, raw: '{"subject":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('BadRequest');
    const unknown = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: { ...meeting('x', 3), colour: 'red' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'RequestBodyRead' });
    expect(unknown.body.error.message).toContain("'colour' does not exist on type 'microsoft.graph.event'");
    const big = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, raw: JSON.stringify({ subject: 'x'.repeat(5 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBeTypeOf('string');
    const nobody = await call(sim, 'GET', `/v1.0/users/nobody@contoso.com/events`, { token });
    expect(nobody.status).toBe(404);
    const guest = await call(sim, 'GET', `/v1.0/users/guest@contoso.com/events`, { token });
    expect(guest.status).toBe(404);
    expect(guest.body.error.code).toBe('MailboxNotEnabledForRESTAPI');
    const anon = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`);
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('InvalidAuthenticationToken');
    expect(anon.headers['www-authenticate']).toContain('Bearer');
  });

  it('calendarView – expands series with modified and cancelled occurrences; instances agree', async () => {
    const series = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, {
      token,
      body: {
        subject: 'Standup', start: { dateTime: '2026-02-02T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-02-02T09:15:00', timeZone: 'UTC' },
        recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: '2026-02-02', numberOfOccurrences: 5 } },
      },
    });
    expect(series.status).toBe(201);
    expect(series.body.type).toBe('seriesMaster');
    expect(series.body.recurrence.range).toMatchObject({ type: 'numbered', recurrenceTimeZone: 'UTC', numberOfOccurrences: 5 });
    const window = 'startDateTime=2026-02-01T00:00:00Z&endDateTime=2026-02-10T00:00:00Z';
    const inst = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${series.body.id}/instances?${window}`, { token });
    expect(inst.body.value).toHaveLength(5);
    expect(inst.body.value[0]).toMatchObject({ type: 'occurrence', seriesMasterId: series.body.id, recurrence: null });
    const [o1, o2] = inst.body.value;
    await call(sim, 'PATCH', `/v1.0/users/${ALICE}/events/${o1.id}`, { token, body: { subject: 'Standup (moved)', start: { dateTime: '2026-02-02T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-02-02T10:15:00', timeZone: 'UTC' } } });
    expect((await call(sim, 'DELETE', `/v1.0/users/${ALICE}/events/${o2.id}`, { token })).status).toBe(204);
    const view = await call(sim, 'GET', `/v1.0/users/${ALICE}/calendar/calendarView?${window}&$top=50`, { token });
    const standups = view.body.value.filter((e: any) => e.seriesMasterId === series.body.id);
    expect(standups).toHaveLength(4);
    expect(standups[0]).toMatchObject({ type: 'exception', subject: 'Standup (moved)', start: { dateTime: '2026-02-02T10:00:00.0000000' } });
    const again = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${series.body.id}/instances?${window}`, { token });
    expect(again.body.value.map((e: any) => e.id)).toEqual(standups.map((e: any) => e.id));
    const missing = await call(sim, 'GET', `/v1.0/users/${ALICE}/calendarView`, { token });
    expect(missing.status).toBe(400);
  });

  it('delta – initial pages with maxpagesize, then only changes with @removed, bad tokens 410', async () => {
    const url = `/v1.0/users/${BOB}/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-03-01T00:00:00Z`;
    const seen = new Map<string, any>();
    let next: string | undefined = url;
    let deltaLink: string | undefined;
    let pages = 0;
    while (next !== undefined) {
      const res = await call(sim, 'GET', next, { token, headers: { prefer: 'odata.maxpagesize=4' } });
      expect(res.status).toBe(200);
      expect(res.body['@odata.context']).toContain('$metadata#Collection(event)');
      expect(res.body.value.length).toBeLessThanOrEqual(4);
      for (const item of res.body.value) seen.set(item.id, item);
      pages += 1;
      next = res.body['@odata.nextLink'];
      deltaLink = res.body['@odata.deltaLink'];
    }
    expect(pages).toBeGreaterThan(2);
    expect(deltaLink).toContain('$deltatoken=');
    const live = await call(sim, 'GET', `/v1.0/users/${BOB}/calendarView?startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-03-01T00:00:00Z&$top=100`, { token });
    expect([...seen.keys()].sort()).toEqual(live.body.value.map((e: any) => e.id).sort());
    const quiet = await call(sim, 'GET', deltaLink!, { token });
    expect(quiet.body.value).toEqual([]);
    const victim = live.body.value[0];
    await call(sim, 'DELETE', `/v1.0/users/${BOB}/events/${victim.id}`, { token });
    const created = await call(sim, 'POST', `/v1.0/users/${BOB}/events`, { token, body: { ...meeting('New one', 25), attendees: [] } });
    const changes = await call(sim, 'GET', quiet.body['@odata.deltaLink'], { token });
    expect(changes.body.value).toContainEqual({ '@odata.type': '#microsoft.graph.event', id: victim.id, '@removed': { reason: 'deleted' } });
    expect(changes.body.value.some((e: any) => e.id === created.body.id && e['@odata.type'] === '#microsoft.graph.event')).toBe(true);
    const bad = await call(sim, 'GET', `/v1.0/users/${BOB}/calendarView/delta?$deltatoken=garbage`, { token });
    expect(bad.status).toBe(410);
    expect(bad.body.error.code).toBe('syncStateNotFound');
  });
});
