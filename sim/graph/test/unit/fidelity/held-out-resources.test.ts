/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- JSON from the wire */
/**
 * Held-out fidelity expectations: written from the v1.0 reference pages of mailboxSettings,
 * calendarView/delta and getSchedule (the documented properties, types, casing, status codes and
 * headers) before the simulator's answers were looked at. Kept apart from the tests written while
 * fixing, so their first score is an honest measure of the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { GraphSimulator } from '../../../index.js';
import { ALICE, BOB, appToken, call, startSeeded } from '../helpers.js';

let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 2, 2, 8, 0, 0));
const FRACTION7 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$/;

beforeAll(async () => {
  sim = await startSeeded({ clock });
  token = await appToken(sim);
});
afterAll(async () => sim.close());

const ev = (subject: string, day: number, hour = 10) => ({
  subject, start: { dateTime: `2026-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
  end: { dateTime: `2026-03-${String(day).padStart(2, '0')}T${String(hour + 1).padStart(2, '0')}:00:00`, timeZone: 'UTC' },
});

describe('held-out – mailboxSettings as the reference page documents it', () => {
  it('mailboxSettings – GET answers every documented property with its type', async () => {
    const r = await call(sim, 'GET', `/v1.0/users/${ALICE}/mailboxSettings`, { token });
    expect(r.status).toBe(200);
    expect(r.body['@odata.context']).toBe(`${sim.graphBaseUrl}/v1.0/$metadata#users('${ALICE}')/mailboxSettings`);
    for (const key of ['archiveFolder', 'timeZone', 'dateFormat', 'timeFormat', 'delegateMeetingMessageDeliveryOptions']) expect(typeof r.body[key]).toBe('string');
    expect(Object.keys(r.body.language).sort()).toEqual(['displayName', 'locale']);
    expect(r.body.timeZone).toBe('Pacific Standard Time');
    expect(['user', 'linked', 'shared', 'room', 'equipment', 'others']).toContain(String(r.body.userPurpose).toLowerCase());
  });

  it('mailboxSettings – automaticRepliesSetting carries status, audience, both messages and scheduled times as dateTimeTimeZone with 7 fraction digits', async () => {
    const r = (await call(sim, 'GET', `/v1.0/users/${ALICE}/mailboxSettings`, { token })).body.automaticRepliesSetting;
    expect(Object.keys(r).sort()).toEqual(['externalAudience', 'externalReplyMessage', 'internalReplyMessage', 'scheduledEndDateTime', 'scheduledStartDateTime', 'status']);
    expect(['disabled', 'alwaysenabled', 'scheduled']).toContain(String(r.status).toLowerCase());
    expect(['none', 'contactsonly', 'all']).toContain(String(r.externalAudience).toLowerCase());
    expect(r.scheduledStartDateTime.dateTime).toMatch(FRACTION7);
    expect(r.scheduledEndDateTime.dateTime).toMatch(FRACTION7);
    expect(typeof r.scheduledStartDateTime.timeZone).toBe('string');
  });

  it('mailboxSettings – workingHours has daysOfWeek in lower case, times as hh:mm:ss.fffffff and a timeZone object with name', async () => {
    const w = (await call(sim, 'GET', `/v1.0/users/${ALICE}/mailboxSettings`, { token })).body.workingHours;
    for (const d of w.daysOfWeek) expect(d).toMatch(/^(sunday|monday|tuesday|wednesday|thursday|friday|saturday)$/);
    expect(w.startTime).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{7}$/);
    expect(w.endTime).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{7}$/);
    expect(typeof w.timeZone.name).toBe('string');
  });

  it('mailboxSettings – a single setting is its own resource: timeZone comes back as { @odata.context, value }', async () => {
    const r = await call(sim, 'GET', `/v1.0/users/${ALICE}/mailboxSettings/timeZone`, { token });
    expect(r.status).toBe(200);
    expect(r.body['@odata.context']).toBe(`${sim.graphBaseUrl}/v1.0/$metadata#users('${ALICE}')/mailboxSettings/timeZone`);
    expect(r.body.value).toBe('Pacific Standard Time');
  });

  it('mailboxSettings – PATCH answers 200 with the changed properties, and an unknown time zone is a 400', async () => {
    const r = await call(sim, 'PATCH', `/v1.0/users/${BOB}/mailboxSettings`, { token, body: { timeZone: 'W. Europe Standard Time' } });
    expect(r.status).toBe(200);
    expect(r.body.timeZone).toBe('W. Europe Standard Time');
    expect(String(r.body['@odata.context'])).toMatch(/\/mailboxSettings$/);
    const bad = await call(sim, 'PATCH', `/v1.0/users/${BOB}/mailboxSettings`, { token, body: { timeZone: 'Mars Standard Time' } });
    expect(bad.status).toBe(400);
    expect(typeof bad.body.error.code).toBe('string');
  });
});

describe('held-out – calendarView/delta as the reference page documents it', () => {
  const window = '?startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-04-01T00:00:00Z';
  const ids: string[] = [];

  beforeAll(async () => {
    for (let d = 3; d <= 7; d += 1) ids.push((await call(sim, 'POST', `/v1.0/users/${BOB}/events`, { token, body: ev(`Delta ${d}`, d) })).body.id);
  });

  async function round(url: string): Promise<{ items: any[]; deltaLink: string; pages: any[] }> {
    const items: any[] = [];
    const pages: any[] = [];
    let next: string | undefined = url;
    for (let guard = 0; next !== undefined && guard < 50; guard += 1) {
      const r = await call(sim, 'GET', next, { token, headers: { prefer: 'odata.maxpagesize=2' } });
      expect(r.status).toBe(200);
      pages.push(r.body);
      items.push(...r.body.value);
      if (r.body['@odata.deltaLink'] !== undefined) return { items, deltaLink: r.body['@odata.deltaLink'], pages };
      next = r.body['@odata.nextLink'];
    }
    throw new Error('no deltaLink');
  }

  it('delta – pages follow odata.maxpagesize with $skiptoken nextLinks and end with a $deltatoken deltaLink', async () => {
    const { items, pages, deltaLink } = await round(`/v1.0/users/${BOB}/calendarView/delta${window}`);
    expect(items.map((i) => i.id).sort()).toEqual([...ids].sort());
    for (const p of pages.slice(0, -1)) {
      expect(p.value.length).toBeLessThanOrEqual(2);
      expect(p['@odata.nextLink']).toMatch(/\/calendarView\/delta\?\$skiptoken=/);
      expect(p['@odata.deltaLink']).toBeUndefined();
    }
    expect(deltaLink).toMatch(/\/calendarView\/delta\?\$deltatoken=/);
    expect(pages.at(-1)['@odata.nextLink']).toBeUndefined();
    expect(String(pages[0]['@odata.context'])).toMatch(/\$metadata#Collection\(event\)$/);
  });

  it('delta – every item carries @odata.type #microsoft.graph.event and UTC start/end with 7 fraction digits', async () => {
    const { items } = await round(`/v1.0/users/${BOB}/calendarView/delta${window}`);
    for (const i of items) {
      expect(i['@odata.type']).toBe('#microsoft.graph.event');
      expect(i.start.timeZone).toBe('UTC');
      expect(i.start.dateTime).toMatch(FRACTION7);
    }
  });

  it('delta – the next round reports an updated event in full and a deleted one as @removed with reason deleted', async () => {
    const { deltaLink } = await round(`/v1.0/users/${BOB}/calendarView/delta${window}`);
    await call(sim, 'PATCH', `/v1.0/users/${BOB}/events/${ids[0]}`, { token, body: { subject: 'Delta renamed' } });
    await call(sim, 'DELETE', `/v1.0/users/${BOB}/events/${ids[1]}`, { token });
    const { items } = await round(deltaLink);
    const updated = items.find((i) => i.id === ids[0]);
    expect(updated.subject).toBe('Delta renamed');
    const removed = items.find((i) => i.id === ids[1]);
    expect(removed).toEqual({ '@odata.type': '#microsoft.graph.event', id: ids[1], '@removed': { reason: 'deleted' } });
  });

  it('delta – a delta token the service no longer knows answers 410 Gone with syncStateNotFound and a Location to restart', async () => {
    const r = await call(sim, 'GET', `/v1.0/users/${BOB}/calendarView/delta?$deltatoken=bm90LWEtdG9rZW4`, { token });
    expect(r.status).toBe(410);
    expect(r.body.error.code).toBe('syncStateNotFound');
    expect(String(r.headers['location'])).toMatch(/calendarView\/delta/);
  });

  it('delta – $filter and $orderby are not supported (400)', async () => {
    expect((await call(sim, 'GET', `/v1.0/users/${BOB}/calendarView/delta${window}&$filter=subject eq 'x'`, { token })).status).toBe(400);
    expect((await call(sim, 'GET', `/v1.0/users/${BOB}/calendarView/delta${window}&$orderby=start/dateTime`, { token })).status).toBe(400);
  });
});

describe('held-out – getSchedule as the reference page documents it', () => {
  const body = (extra: Record<string, unknown> = {}) => ({
    schedules: ['alice@contoso.com', 'nobody@fabrikam.example'],
    startTime: { dateTime: '2026-03-10T08:00:00', timeZone: 'UTC' }, endTime: { dateTime: '2026-03-10T12:00:00', timeZone: 'UTC' },
    availabilityViewInterval: 60, ...extra,
  });

  beforeAll(async () => {
    await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: ev('Busy block', 10, 9) });
  });

  it('getSchedule – 200 with a Collection(microsoft.graph.scheduleInformation) of one item per schedule', async () => {
    const r = await call(sim, 'POST', `/v1.0/users/${ALICE}/calendar/getSchedule`, { token, body: body() });
    expect(r.status).toBe(200);
    expect(String(r.body['@odata.context'])).toMatch(/\$metadata#Collection\(microsoft\.graph\.scheduleInformation\)$/);
    expect(r.body.value.map((v: any) => v.scheduleId)).toEqual(['alice@contoso.com', 'nobody@fabrikam.example']);
  });

  it('getSchedule – availabilityView has one digit per interval, items are dateTimeTimeZone with 7 fraction digits, workingHours documented', async () => {
    const a = (await call(sim, 'POST', `/v1.0/users/${ALICE}/calendar/getSchedule`, { token, body: body() })).body.value[0];
    expect(a.availabilityView).toMatch(/^[0-4]{4}$/);
    expect(a.availabilityView[1]).toBe('2');
    const item = a.scheduleItems[0];
    expect(item.start.dateTime).toMatch(FRACTION7);
    expect(item.start.timeZone).toBe('UTC');
    expect(typeof a.workingHours.startTime).toBe('string');
    expect(Array.isArray(a.workingHours.daysOfWeek)).toBe(true);
    expect(typeof a.workingHours.timeZone.name).toBe('string');
  });

  it('getSchedule – an unknown schedule answers an item with error { message, responseCode }, not a failed call', async () => {
    const b = (await call(sim, 'POST', `/v1.0/users/${ALICE}/calendar/getSchedule`, { token, body: body() })).body.value[1];
    expect(typeof b.error.message).toBe('string');
    expect(typeof b.error.responseCode).toBe('string');
  });

  it('getSchedule – availabilityViewInterval below 5 minutes and a range of 62 days or more are refused with 400', async () => {
    expect((await call(sim, 'POST', `/v1.0/users/${ALICE}/calendar/getSchedule`, { token, body: body({ availabilityViewInterval: 4 }) })).status).toBe(400);
    const long = body({ endTime: { dateTime: '2026-05-12T08:00:00', timeZone: 'UTC' } });
    expect((await call(sim, 'POST', `/v1.0/users/${ALICE}/calendar/getSchedule`, { token, body: long })).status).toBe(400);
  });
});
