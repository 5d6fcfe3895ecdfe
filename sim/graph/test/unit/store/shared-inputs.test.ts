import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { Attendee, DateTimeTimeZone, GraphEventInput, GraphLocation } from '../../../model.js';
import { SimStore } from '../../../store/index.js';

/** Scenario loading passes the same input objects to many events; the store must still read their current values. */
function storeWithMailbox(): SimStore {
  const store = new SimStore(new ManualClock(Date.UTC(2026, 2, 1)));
  store.addTenant({ id: 't1', displayName: 'T', cloud: 'worldwide', domains: [{ id: 'contoso.test', isDefault: true, isInitial: true }] } as never);
  store.addMailbox('t1', {
    id: 'm1', userPrincipalName: 'ann@contoso.test', displayName: 'Ann', mail: 'ann@contoso.test', kind: 'user', mailboxEnabled: true,
  } as never);
  return store;
}

describe('sim/graph/store shared inputs', () => {
  it('store – an input object reused after being changed gives the event its new values, not the first ones', () => {
    const store = storeWithMailbox();
    const attendee: Attendee = { type: 'required', emailAddress: { name: 'Bob', address: 'bob@contoso.test' } };
    const start: DateTimeTimeZone = { dateTime: '2026-03-02T09:00:00', timeZone: 'UTC' };
    const end: DateTimeTimeZone = { dateTime: '2026-03-02T10:00:00', timeZone: 'UTC' };
    const location: GraphLocation = { displayName: 'Room 1' };
    const organizer = { emailAddress: { name: 'Ann', address: 'ann@contoso.test' } };
    const input: GraphEventInput = { subject: 'A', start, end, attendees: [attendee], location, organizer };
    const first = store.addEvent('t1', 'm1', input);
    attendee.type = 'optional';
    attendee.emailAddress.name = 'Robert';
    attendee.status = { response: 'accepted', time: '2026-03-01T00:00:00Z' };
    start.dateTime = '2026-03-03T08:30:00';
    start.timeZone = 'Europe/Berlin';
    end.dateTime = '2026-03-03T09:45:00'; // end stays in UTC
    location.displayName = 'Room 2';
    organizer.emailAddress.name = 'Ann B';
    const second = store.addEvent('t1', 'm1', input);
    const mbx = store.requireMailbox('t1', 'm1');
    const a = mbx.events.get(first);
    const b = mbx.events.get(second);
    expect(a?.attendees[0]).toEqual({ type: 'required', emailAddress: { name: 'Bob', address: 'bob@contoso.test' }, status: { response: 'none', time: '0001-01-01T00:00:00Z' } });
    expect(b?.attendees[0]).toEqual({ type: 'optional', emailAddress: { name: 'Robert', address: 'bob@contoso.test' }, status: { response: 'accepted', time: '2026-03-01T00:00:00Z' } });
    expect([a?.startLocal, a?.startTz, a?.startMs, a?.location?.displayName, a?.organizer?.emailAddress.name])
      .toEqual(['2026-03-02T09:00:00.0000000', 'UTC', Date.UTC(2026, 2, 2, 9), 'Room 1', 'Ann']);
    expect([b?.startLocal, b?.startTz, b?.startMs, b?.endMs, b?.location?.displayName, b?.organizer?.emailAddress.name])
      .toEqual(['2026-03-03T08:30:00.0000000', 'Europe/Berlin', Date.UTC(2026, 2, 3, 7, 30), Date.UTC(2026, 2, 3, 9, 45), 'Room 2', 'Ann B']);
  });
});
