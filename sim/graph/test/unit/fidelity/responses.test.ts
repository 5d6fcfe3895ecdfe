/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- JSON from the wire */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { GraphSimulator } from '../../../index.js';
import { ALICE, BOB, TENANT, appToken, call, startSeeded } from '../helpers.js';

let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));

beforeAll(async () => {
  sim = await startSeeded({ clock });
  token = await appToken(sim);
});
afterAll(async () => sim.close());

async function invite(subject: string, day: number): Promise<{ organizerId: string; copyId: string }> {
  const created = await call(sim, 'POST', `/v1.0/users/${ALICE}/events`, {
    token, body: {
      subject, start: { dateTime: `2026-02-${day}T10:00:00`, timeZone: 'UTC' }, end: { dateTime: `2026-02-${day}T11:00:00`, timeZone: 'UTC' },
      attendees: [{ type: 'required', emailAddress: { name: 'Bob Brown', address: 'bob@contoso.com' } }],
    },
  });
  const bobs = await call(sim, 'GET', `/v1.0/users/${BOB}/events?$filter=subject eq '${subject}'`, { token });
  return { organizerId: created.body.id, copyId: bobs.body.value[0].id };
}

const schedule = (day: number) => call(sim, 'POST', `/v1.0/users/${ALICE}/calendar/getSchedule`, {
  token, body: { schedules: ['bob@contoso.com'], startTime: { dateTime: `2026-02-${day}T09:00:00`, timeZone: 'UTC' }, endTime: { dateTime: `2026-02-${day}T12:00:00`, timeZone: 'UTC' }, availabilityViewInterval: 60 },
});

describe('fidelity – meeting responses', () => {
  it('responses – a proposed new time on decline is kept on the organizer copy as attendees[].proposedNewTime, with the status time in 7 digits', async () => {
    const { organizerId, copyId } = await invite('Proposal', 10);
    clock.advance(60_000);
    const proposed = { start: { dateTime: '2026-02-11T14:00:00', timeZone: 'Pacific Standard Time' }, end: { dateTime: '2026-02-11T15:00:00', timeZone: 'Pacific Standard Time' } };
    expect((await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copyId}/decline`, { token, body: { comment: 'Thursday?', proposedNewTime: proposed } })).status).toBe(202);
    const organizer = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${organizerId}`, { token });
    const bob = organizer.body.attendees.find((a: any) => a.emailAddress.address === 'bob@contoso.com');
    expect(bob.status.response).toBe('declined');
    expect(bob.status.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(bob.proposedNewTime).toEqual({
      start: { dateTime: '2026-02-11T14:00:00.0000000', timeZone: 'Pacific Standard Time' },
      end: { dateTime: '2026-02-11T15:00:00.0000000', timeZone: 'Pacific Standard Time' },
    });
    // A later accept without a proposal clears it.
    expect((await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copyId}/accept`, { token, body: {} })).status).toBe(202);
    const after = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${organizerId}`, { token });
    const again = after.body.attendees.find((a: any) => a.emailAddress.address === 'bob@contoso.com');
    expect(again.status.response).toBe('accepted');
    expect(again.proposedNewTime).toBeUndefined();
  });

  it('responses – tentativelyAccept with a proposal is kept too; a proposal that ends before it starts is refused', async () => {
    const { organizerId, copyId } = await invite('Maybe', 12);
    const proposed = { start: { dateTime: '2026-02-13T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-02-13T09:30:00', timeZone: 'UTC' } };
    const backwards = { start: proposed.end, end: proposed.start };
    expect((await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copyId}/tentativelyAccept`, { token, body: { proposedNewTime: backwards } })).status).toBe(400);
    expect((await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copyId}/tentativelyAccept`, { token, body: { proposedNewTime: proposed } })).status).toBe(202);
    const organizer = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${organizerId}`, { token });
    const bob = organizer.body.attendees.find((a: any) => a.emailAddress.address === 'bob@contoso.com');
    expect(bob).toMatchObject({ status: { response: 'tentativelyAccepted' }, proposedNewTime: { start: { dateTime: '2026-02-13T09:00:00.0000000', timeZone: 'UTC' } } });
  });

  it('responses – an unanswered invitation shows as tentative in the attendee copy and in getSchedule; accepting makes it busy', async () => {
    sim.store.setEnumCasing(TENANT, 'schema');
    const { copyId } = await invite('Unanswered', 16);
    const copy = await call(sim, 'GET', `/v1.0/users/${BOB}/events/${copyId}`, { token });
    expect(copy.body).toMatchObject({ showAs: 'tentative', responseStatus: { response: 'notResponded' } });
    const before = await schedule(16);
    expect(before.body.value[0].availabilityView).toBe('010');
    expect(before.body.value[0].scheduleItems[0].status).toBe('tentative');
    await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copyId}/accept`, { token, body: {} });
    const after = await schedule(16);
    expect(after.body.value[0].availabilityView).toBe('020');
  });

  it('getSchedule – scheduleItems carry only the v1.0 properties', async () => {
    const res = await schedule(16);
    for (const item of res.body.value[0].scheduleItems) {
      for (const key of Object.keys(item)) expect(['isPrivate', 'status', 'subject', 'location', 'start', 'end']).toContain(key);
    }
  });

  it('responses – sendResponse false changes only the attendee copy; the organizer copy still shows no response', async () => {
    const { organizerId, copyId } = await invite('Silent', 17);
    expect((await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copyId}/decline`, { token, body: { comment: 'no', sendResponse: false } })).status).toBe(202);
    const copy = await call(sim, 'GET', `/v1.0/users/${BOB}/events/${copyId}`, { token });
    expect(copy.body.responseStatus.response).toBe('declined');
    const organizer = await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${organizerId}`, { token });
    expect(organizer.body.attendees.find((a: any) => a.emailAddress.address === 'bob@contoso.com').status.response).toBe('none');
    const proposal = { start: { dateTime: '2026-02-18T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-02-18T10:00:00', timeZone: 'UTC' } };
    expect((await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copyId}/tentativelyAccept`, { token, body: { sendResponse: false, proposedNewTime: proposal } })).status).toBe(400);
  });

  it('cancel – the organizer cancels with a comment: 202, the attendee copy is cancelled and the organizer copy is gone; an attendee may not cancel', async () => {
    const { organizerId, copyId } = await invite('Called off', 19);
    const refused = await call(sim, 'POST', `/v1.0/users/${BOB}/events/${copyId}/cancel`, { token, body: { comment: 'not mine' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('ErrorAccessDenied');
    expect((await call(sim, 'POST', `/v1.0/users/${ALICE}/events/${organizerId}/cancel`, { token, body: { comment: 'Sorry' } })).status).toBe(202);
    expect((await call(sim, 'GET', `/v1.0/users/${ALICE}/events/${organizerId}`, { token })).status).toBe(404);
    const copy = await call(sim, 'GET', `/v1.0/users/${BOB}/events/${copyId}`, { token });
    expect(copy.body.isCancelled).toBe(true);
    expect((await call(sim, 'POST', `/v1.0/users/${ALICE}/events/${organizerId}/cancel`, { token, body: { unknown: 1 } })).status).toBe(400);
  });
});
