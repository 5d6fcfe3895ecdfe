/* eslint-disable @typescript-eslint/no-unsafe-call -- JSON from the wire */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { GraphSimulator } from '../../../index.js';
import { loadScenario } from '../../../scenarios/index.js';
import { SimStore } from '../../../store/index.js';
import { teamsFromBody } from '../../../store/teams.js';
import { ALICE, BOB, TENANT, appToken, call, startSeeded } from '../helpers.js';

let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));

beforeAll(async () => {
  sim = await startSeeded({ clock });
  token = await appToken(sim);
});
afterAll(async () => sim.close());

const online = (subject: string, extra: Record<string, unknown> = {}) => ({
  subject, isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness',
  body: { contentType: 'text', content: 'Agenda: budget & plans' },
  start: { dateTime: '2026-01-20T15:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-20T16:00:00', timeZone: 'UTC' },
  attendees: [{ type: 'required', emailAddress: { address: 'bob@contoso.com' } }], ...extra,
});

describe('fidelity – Teams online meetings', () => {
  it('teams – an online meeting gets joinUrl, conferenceId, toll and toll-free numbers, and the body a Teams block with the same details', async () => {
    const res = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: online('Budget') });
    expect(res.status).toBe(201);
    const om = res.body.onlineMeeting;
    expect(om.joinUrl).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\/19%3ameeting_[A-Za-z0-9_-]+%40thread\.v2\/0\?context=%7b%22Tid%22%3a%22/);
    expect(om.joinUrl).toContain(TENANT);
    expect(om.conferenceId).toMatch(/^\d{9}$/);
    expect(om.tollNumber).toMatch(/^\+1 \d{3}-\d{3}-\d{4}$/);
    expect(om.tollFreeNumbers).toHaveLength(1);
    expect(om.quickDial).toBe(`${om.tollNumber},,${om.conferenceId}#`);
    expect(res.body).toMatchObject({ isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' });
    const content = res.body.body.content as string;
    expect(res.body.body.contentType).toBe('html');
    expect(content).toContain('Agenda: budget &amp; plans');
    expect(content).toContain('Microsoft Teams meeting');
    expect(content).toContain(om.joinUrl.replace(/&/g, '&amp;'));
    expect(teamsFromBody(content)).toMatchObject({ joinUrl: om.joinUrl, conferenceId: om.conferenceId, tollNumber: om.tollNumber });
    // The attendee's copy carries the same meeting.
    const copies = await call(sim, 'GET', `/v1.0/users/${BOB}/events?$filter=subject eq 'Budget'`, { token });
    expect(copies.body.value[0].onlineMeeting.joinUrl).toBe(om.joinUrl);
    // PATCHing the subject keeps the meeting and does not add a second block.
    const patched = await call(sim, 'PATCH', `/v1.0/users/${ALICE}/events/${res.body.id}`, { token, body: { subject: 'Budget 2' } });
    expect(patched.body.onlineMeeting.joinUrl).toBe(om.joinUrl);
    expect((patched.body.body.content as string).split('Microsoft Teams meeting').length).toBe(2);
  });

  it('teams – the block is written in the organizer\'s language', async () => {
    await call(sim, 'PATCH', `/v1.0/users/${BOB}/mailboxSettings`, { token, body: { language: { locale: 'de-DE', displayName: 'Deutsch (Deutschland)' } } });
    const res = await call(sim, 'POST', `/v1.0/users/${BOB}/events`, { token, body: online('Planung', { attendees: [] }) });
    const content = res.body.body.content as string;
    expect(content).toContain('Microsoft Teams-Besprechung');
    expect(content).toContain('Telefonkonferenz-ID');
    expect(content).toContain('lang="de-DE"');
  });

  it('teams – an event that is not online has onlineMeeting null and an untouched body', async () => {
    const res = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, { token, body: { ...online('Offline'), isOnlineMeeting: false, onlineMeetingProvider: 'unknown' } });
    expect(res.body.onlineMeeting).toBeNull();
    expect(res.body.body.content).not.toContain('Teams');
  });

  it('teams – generated Teams meetings keep their own block, and onlineMeeting is read from it', () => {
    const store = new SimStore(clock);
    const summary = loadScenario(store, { seed: 11, tenants: 1, usersPerTenant: 6, roomsPerTenant: 1, meetingsPerMailbox: 20, anchorMs: Date.UTC(2026, 0, 5) });
    let checked = 0;
    for (const mbx of store.requireTenant(summary.tenants[0]?.id ?? '').mailboxes.values()) {
      for (const ev of mbx.events.values()) {
        if (!ev.isOnlineMeeting || ev.teams === undefined) continue;
        checked += 1;
        expect(ev.bodyContent).toContain(ev.teams.joinUrl.replace(/&/g, '&amp;'));
        expect(ev.bodyContent.split('meetup-join').length).toBeLessThanOrEqual(3);
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
