import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { GraphSimulator } from '../../../index.js';
import { BOB, appToken, call, startSeeded } from '../helpers.js';

let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 2, 2, 8, 0, 0));
const WINDOW = '?startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-04-01T00:00:00Z';

beforeAll(async () => {
  sim = await startSeeded({ clock });
  token = await appToken(sim);
  for (let d = 3; d <= 6; d += 1) {
    await call(sim, 'POST', `/v1.0/users/${BOB}/events`, { token, body: { subject: `E${d}`, start: { dateTime: `2026-03-0${d}T10:00:00`, timeZone: 'UTC' }, end: { dateTime: `2026-03-0${d}T11:00:00`, timeZone: 'UTC' } } });
  }
});
afterAll(async () => sim.close());

describe('fidelity – calendarView/delta sync state expiry', () => {
  it('delta – after the service forgets its sync states, both a $skiptoken and a $deltatoken answer 410 syncStateNotFound with a Location to restart from', async () => {
    const first = await call(sim, 'GET', `/v1.0/users/${BOB}/calendarView/delta${WINDOW}`, { token, headers: { prefer: 'odata.maxpagesize=2' } });
    const nextLink: string = first.body['@odata.nextLink'];
    let url: string | undefined = nextLink;
    let deltaLink = '';
    while (url !== undefined) {
      const page = await call(sim, 'GET', url, { token, headers: { prefer: 'odata.maxpagesize=2' } });
      deltaLink = page.body['@odata.deltaLink'] ?? deltaLink;
      url = page.body['@odata.nextLink'];
    }
    sim.api.expireSyncStates();
    for (const link of [nextLink, deltaLink]) {
      const gone = await call(sim, 'GET', link, { token });
      expect(gone.status).toBe(410);
      expect(gone.body.error.code).toBe('syncStateNotFound');
      expect(String(gone.headers['location'])).toMatch(/\/calendarView\/delta\?\$deltatoken=$/);
    }
    // A full resync from the window works again and returns everything.
    const again = await call(sim, 'GET', `/v1.0/users/${BOB}/calendarView/delta${WINDOW}`, { token });
    expect(again.status).toBe(200);
    expect(again.body.value).toHaveLength(4);
  });
});
