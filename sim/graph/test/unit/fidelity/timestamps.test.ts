 
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { GraphSimulator } from '../../../index.js';
import { formatDateTimeOffset, formatNotificationDateTime } from '../../../notifications/validate.js';
import { ALICE, BOB, appToken, call, startSeeded } from '../helpers.js';

const SEVEN_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/;
let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0, 123));

beforeAll(async () => {
  sim = await startSeeded({ clock });
  token = await appToken(sim);
});
afterAll(async () => sim.close());

describe('fidelity – timestamps as Graph writes them per property', () => {
  it('events – createdDateTime and lastModifiedDateTime carry 7 fraction digits and Z; start/end dateTime 7 digits and no offset', async () => {
    const res = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, {
      token, body: { subject: 'Stamps', start: { dateTime: '2026-01-08T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-08T11:00:00', timeZone: 'UTC' }, attendees: [{ emailAddress: { address: 'bob@contoso.com' } }] },
    });
    expect(res.body.createdDateTime).toBe('2026-01-05T09:00:00.1230000Z');
    expect(res.body.lastModifiedDateTime).toMatch(SEVEN_Z);
    expect(res.body.start.dateTime).toBe('2026-01-08T10:00:00.0000000');
    // An organizer's own response and a new attendee's status: year one, no fraction, Z.
    expect(res.body.responseStatus).toEqual({ response: 'organizer', time: '0001-01-01T00:00:00Z' });
    expect(res.body.attendees[0].status).toEqual({ response: 'none', time: '0001-01-01T00:00:00Z' });
    // An answer stamps attendees[].status.time with 7 digits and Z.
    const copy = (await call(sim, 'GET', `/v1.0/users/${BOB}/events?$filter=subject eq 'Stamps'`, { token })).body.value[0];
    await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copy.id}/accept`, { token, body: {} });
    const after = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${res.body.id}`, { token });
    expect(after.body.attendees[0].status.time).toMatch(SEVEN_Z);
    const bobs = await call(sim, 'GET', `/v1.0/users/${BOB}/events/${copy.id}`, { token });
    expect(bobs.body.responseStatus.time).toMatch(SEVEN_Z);
  });

  it('subscriptions – the resource writes expirationDateTime with Z, notifications write subscriptionExpirationDateTime with +00:00, both 7 digits', () => {
    const ms = Date.UTC(2026, 0, 7, 18, 23, 45, 935);
    expect(formatDateTimeOffset(ms)).toBe('2026-01-07T18:23:45.9350000Z');
    expect(formatNotificationDateTime(ms)).toBe('2026-01-07T18:23:45.9350000+00:00');
  });
});
