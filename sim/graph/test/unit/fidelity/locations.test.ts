/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- JSON from the wire */
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

const COFFEE = {
  displayName: 'Fourth Coffee', locationType: 'localBusiness', uniqueId: 'b8a1c2d3-4567-4890-9abc-def012345678', uniqueIdType: 'locationStore',
  address: { street: '4567 Main St', city: 'Redmond', state: 'WA', countryOrRegion: 'US', postalCode: '32008' },
  coordinates: { latitude: 47.672, longitude: -102.103 },
};
const ROOM = { displayName: 'Conf Room 3', locationType: 'conferenceRoom', locationEmailAddress: 'room1@contoso.com', uniqueId: 'room1@contoso.com', uniqueIdType: 'directory' };
const HOME = { displayName: 'Home Office', locationType: 'homeAddress', address: { city: 'Seattle', countryOrRegion: 'US' } };

const event = (extra: Record<string, unknown>) => ({
  subject: 'Places', start: { dateTime: '2026-01-07T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-07T11:00:00', timeZone: 'UTC' }, ...extra,
});

async function everywhere(id: string): Promise<any[]> {
  const got = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${id}`, { token });
  const view = await call(sim, 'GET', `/v1.0/users/${ALICE}/calendarView?startDateTime=2026-01-07T00:00:00Z&endDateTime=2026-01-08T00:00:00Z`, { token });
  const delta = await call(sim, 'GET', `/v1.0/users/${ALICE}/calendarView/delta?startDateTime=2026-01-07T00:00:00Z&endDateTime=2026-01-08T00:00:00Z`, { token, headers: { prefer: 'odata.maxpagesize=100' } });
  return [got.body, view.body.value.find((e: any) => e.id === id), delta.body.value.find((e: any) => e.id === id)];
}

describe('fidelity – locations', () => {
  it('locations – address, coordinates, locationType, uniqueId and uniqueIdType survive create, get, calendarView and delta', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: event({ location: COFFEE }) });
    expect(created.status).toBe(201);
    for (const body of [created.body, ...(await everywhere(created.body.id))]) {
      expect(body.location).toEqual(COFFEE);
      expect(body.locations).toEqual([COFFEE]);
    }
  });

  it('locations – several locations give location a ;-joined displayName and each entry keeps its own details', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: event({ locations: [ROOM, COFFEE, HOME] }) });
    expect(created.status).toBe(201);
    for (const body of [created.body, ...(await everywhere(created.body.id))]) {
      expect(body.location).toEqual({ displayName: 'Conf Room 3; Fourth Coffee; Home Office', locationType: 'default', uniqueId: 'Conf Room 3; Fourth Coffee; Home Office', uniqueIdType: 'private' });
      expect(body.locations).toEqual([ROOM, COFFEE, { ...HOME, uniqueIdType: 'unknown' }]);
    }
  });

  it('locations – a plain displayName is echoed as Graph does (uniqueId = name, private; locations entry unknown)', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: event({ location: { displayName: "Harry's Bar" } }) });
    expect(created.body.location).toEqual({ displayName: "Harry's Bar", locationType: 'default', uniqueId: "Harry's Bar", uniqueIdType: 'private' });
    expect(created.body.locations).toEqual([{ displayName: "Harry's Bar", locationType: 'default', uniqueIdType: 'unknown' }]);
  });

  it('locations – PATCH of location replaces locations; PATCH of locations rebuilds location; details kept', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: event({ locations: [ROOM, HOME] }) });
    const id = created.body.id as string;
    const one = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/events/${id}`, { token, body: { location: COFFEE } });
    expect(one.status).toBe(200);
    expect(one.body.location).toEqual(COFFEE);
    expect(one.body.locations).toEqual([COFFEE]);
    const two = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/events/${id}`, { token, body: { locations: [COFFEE, ROOM] } });
    expect(two.body.location.displayName).toBe('Fourth Coffee; Conf Room 3');
    expect(two.body.locations).toEqual([COFFEE, ROOM]);
    const [got, inView, inDelta] = await everywhere(id);
    for (const body of [got, inView, inDelta]) expect(body.locations).toEqual([COFFEE, ROOM]);
  });

  it('locations – enum values are accepted in any case and answered in the schema casing; unknown types are refused', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: event({ location: { ...ROOM, locationType: 'ConferenceRoom', uniqueIdType: 'Directory' } }) });
    expect(created.status).toBe(201);
    expect(created.body.location).toMatchObject({ locationType: 'conferenceRoom', uniqueIdType: 'directory' });
    const bad = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: event({ location: { displayName: 'x', locationType: 'spaceship' } }) });
    expect(bad.status).toBe(400);
  });

  it('locations – an event without a location answers the empty location Graph writes', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: event({}) });
    expect(created.body.location).toEqual({ displayName: '', locationType: 'default', uniqueIdType: 'unknown', address: {}, coordinates: {} });
    expect(created.body.locations).toEqual([]);
  });
});
