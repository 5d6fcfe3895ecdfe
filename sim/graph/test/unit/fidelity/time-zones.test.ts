import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { GraphSimulator } from '../../../index.js';
import { ALICE, appToken, call, startSeeded } from '../helpers.js';

let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));

beforeAll(async () => {
  sim = await startSeeded({ clock });
  token = await appToken(sim);
});
afterAll(async () => sim.close());

const body = {
  subject: 'Across zones',
  start: { dateTime: '2026-03-10T09:00:00', timeZone: 'W. Europe Standard Time' },
  end: { dateTime: '2026-03-10T06:00:00', timeZone: 'Eastern Standard Time' },
};

describe('fidelity – time zones of create and PATCH responses', () => {
  it('events – a create answers start and end each in the zone the request used, and keeps them as originalStart/EndTimeZone', async () => {
    const res = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body });
    expect(res.status).toBe(201);
    expect(res.body.start).toEqual({ dateTime: '2026-03-10T09:00:00.0000000', timeZone: 'W. Europe Standard Time' });
    expect(res.body.end).toEqual({ dateTime: '2026-03-10T06:00:00.0000000', timeZone: 'Eastern Standard Time' });
    expect(res.body).toMatchObject({ originalStartTimeZone: 'W. Europe Standard Time', originalEndTimeZone: 'Eastern Standard Time' });
    expect(res.headers['preference-applied']).toBeUndefined();
    // A later GET without Prefer answers in UTC, with the original zones still there.
    const got = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${res.body.id}`, { token });
    expect(got.body.start).toEqual({ dateTime: '2026-03-10T08:00:00.0000000', timeZone: 'UTC' });
    // 06:00 New York is 10:00 UTC: US daylight time began on 8 March 2026.
    expect(got.body.end).toEqual({ dateTime: '2026-03-10T10:00:00.0000000', timeZone: 'UTC' });
    expect(got.body).toMatchObject({ originalStartTimeZone: 'W. Europe Standard Time', originalEndTimeZone: 'Eastern Standard Time' });
  });

  it('events – Prefer: outlook.timezone wins over the request zones on create and PATCH', async () => {
    const prefer = { prefer: 'outlook.timezone="Tokyo Standard Time"' };
    const res = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body, headers: prefer });
    expect(res.body.start).toEqual({ dateTime: '2026-03-10T17:00:00.0000000', timeZone: 'Tokyo Standard Time' });
    expect(res.headers['preference-applied']).toBe('outlook.timezone="Tokyo Standard Time"');
    const patched = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/events/${res.body.id}`, {
      token, headers: prefer, body: { start: { dateTime: '2026-03-10T10:00:00', timeZone: 'Europe/Berlin' } },
    });
    expect(patched.body.start).toEqual({ dateTime: '2026-03-10T18:00:00.0000000', timeZone: 'Tokyo Standard Time' });
  });

  it('events – a PATCH answers the times it changed in its own zones and the rest in UTC', async () => {
    const res = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body });
    const patched = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/events/${res.body.id}`, {
      token, body: { start: { dateTime: '2026-03-10T08:30:00', timeZone: 'Europe/London' } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.start).toEqual({ dateTime: '2026-03-10T08:30:00.0000000', timeZone: 'Europe/London' });
    expect(patched.body.end).toEqual({ dateTime: '2026-03-10T10:00:00.0000000', timeZone: 'UTC' });
    expect(patched.body).toMatchObject({ originalStartTimeZone: 'Europe/London', originalEndTimeZone: 'Eastern Standard Time' });
    const subjectOnly = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/events/${res.body.id}`, { token, body: { subject: 'renamed' } });
    expect(subjectOnly.body.start.timeZone).toBe('UTC');
  });
});
