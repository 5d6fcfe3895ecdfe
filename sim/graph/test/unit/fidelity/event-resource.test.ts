 
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

type Kind = 'string' | 'boolean' | 'number' | 'object' | 'array' | 'null';
const kind = (v: unknown): Kind => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as Kind));

/** v1.0 event properties a full GET returns, with the JSON kinds each may take (from the event resource page). */
const EVENT: Record<string, Kind[]> = {
  '@odata.etag': ['string'], id: ['string'], createdDateTime: ['string'], lastModifiedDateTime: ['string'], changeKey: ['string'],
  categories: ['array'], originalStartTimeZone: ['string'], originalEndTimeZone: ['string'], iCalUId: ['string'],
  reminderMinutesBeforeStart: ['number'], isReminderOn: ['boolean'], hasAttachments: ['boolean'], subject: ['string'], bodyPreview: ['string'],
  importance: ['string'], sensitivity: ['string'], isAllDay: ['boolean'], isCancelled: ['boolean'], isOrganizer: ['boolean'],
  responseRequested: ['boolean'], seriesMasterId: ['string', 'null'], showAs: ['string'], type: ['string'], webLink: ['string'],
  onlineMeetingUrl: ['string', 'null'], isOnlineMeeting: ['boolean'], onlineMeetingProvider: ['string'], allowNewTimeProposals: ['boolean'],
  isDraft: ['boolean'], hideAttendees: ['boolean'], responseStatus: ['object'], body: ['object'], start: ['object'], end: ['object'],
  location: ['object'], locations: ['array'], recurrence: ['object', 'null'], attendees: ['array'], organizer: ['object'], onlineMeeting: ['object', 'null'],
};
const ENUMS: Record<string, readonly string[]> = {
  importance: ['low', 'normal', 'high'], sensitivity: ['normal', 'personal', 'private', 'confidential'],
  showAs: ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'], type: ['singleInstance', 'occurrence', 'exception', 'seriesMaster'],
  onlineMeetingProvider: ['unknown', 'skypeForBusiness', 'skypeForConsumer', 'teamsForBusiness'],
};

describe('fidelity – the event resource', () => {
  it('event – a full GET carries every documented v1.0 property with its JSON type and the schema enum values', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, {
      token, body: { subject: 'Shape', body: { contentType: 'HTML', content: '<p>x</p>' }, start: { dateTime: '2026-01-09T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-09T11:00:00', timeZone: 'UTC' }, attendees: [{ emailAddress: { address: 'bob@contoso.com', name: 'Bob' } }] },
    });
    const ev = (await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${created.body.id}`, { token })).body;
    for (const [name, kinds] of Object.entries(EVENT)) {
      expect(name in ev, name).toBe(true);
      expect(kinds, name).toContain(kind(ev[name]));
    }
    for (const [name, values] of Object.entries(ENUMS)) expect(values, name).toContain(ev[name]);
    expect(ev['@odata.etag']).toBe(`W/"${ev.changeKey}"`);
    expect(ev.body).toEqual({ contentType: 'html', content: expect.stringMatching(/^<html>[\s\S]*<\/html>\s*$/) });
    expect(ev.responseStatus).toEqual({ response: 'organizer', time: '0001-01-01T00:00:00Z' });
    expect(ev.organizer).toEqual({ emailAddress: { name: 'Alice Adams', address: 'alice@contoso.com' } });
    expect(ev.attendees[0]).toEqual({ type: 'required', status: { response: 'none', time: '0001-01-01T00:00:00Z' }, emailAddress: { name: 'Bob', address: 'bob@contoso.com' } });
    expect(ev.webLink).toMatch(/^https:\/\/outlook\.office365\.com\/owa\/\?itemid=.+&exvsurl=1&path=\/calendar\/item$/);
    expect(ev.iCalUId).toMatch(/^040000008200E00074C5B7101A82E008[0-9A-F]+$/);
    expect(ev['calendar@odata.navigationLink']).toEqual(expect.any(String));
  });

  it('event – responses carry the JSON and OData headers Graph sends', async () => {
    const res = await call(sim, 'GET', `/v1.0/users/${ALICE}/events`, { token });
    expect(res.headers['content-type']).toMatch(/^application\/json;odata\.metadata=minimal;odata\.streaming=true;IEEE754Compatible=false;charset=utf-8$/);
    expect(res.headers['odata-version']).toBe('4.0');
    expect(res.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['client-request-id']).toEqual(expect.any(String));
  });

  it('event – DELETE answers 204 with no body; the deleted event then answers 404 ErrorItemNotFound', async () => {
    const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: { subject: 'Gone', start: { dateTime: '2026-01-09T12:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-09T13:00:00', timeZone: 'UTC' } } });
    const del = await call(sim, 'DELETE', `/v1.0/users/${ALICE}/events/${created.body.id}`, { token });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const missing = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${created.body.id}`, { token });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ErrorItemNotFound');
  });
});
