/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- JSON from the wire */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import type { GraphSimulator } from '../../../index.js';
import { appToken, call, startSeeded, TENANT } from '../helpers.js';

let sim: GraphSimulator;
let token: string;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
const MAILBOXES = Array.from({ length: 12 }, (_, i) => `0b0b0b0b-0000-4000-8000-${String(i).padStart(12, '0')}`);

beforeAll(async () => {
  sim = await startSeeded({ clock });
  MAILBOXES.forEach((id, i) => sim.store.addMailbox(TENANT, {
    id, userPrincipalName: `casing${i}@contoso.com`, displayName: `Casing ${i}`, mail: `casing${i}@contoso.com`, kind: 'user', mailboxEnabled: true,
    mailboxSettings: { automaticRepliesSetting: { status: 'scheduled', externalAudience: 'all', scheduledStartDateTime: { dateTime: '2026-01-10T00:00:00', timeZone: 'UTC' }, scheduledEndDateTime: { dateTime: '2026-01-20T00:00:00', timeZone: 'UTC' } } },
  }));
  token = await appToken(sim);
});
afterAll(async () => sim.close());

async function replies(): Promise<{ status: string; externalAudience: string }[]> {
  return Promise.all(MAILBOXES.map(async (id) => (await call(sim, 'GET', `/v1.0/users/${id}/mailboxSettings/automaticRepliesSetting`, { token })).body));
}

describe('fidelity – enum casing as Graph is observed to write it', () => {
  it('mailboxSettings – a tenant answers a seeded mix of Scheduled/scheduled and All/all across its mailboxes (default)', async () => {
    const got = await replies();
    expect(new Set(got.map((r) => r.status))).toEqual(new Set(['scheduled', 'Scheduled']));
    expect(new Set(got.map((r) => r.externalAudience))).toEqual(new Set(['all', 'All']));
    // Stable per mailbox: the same mailbox answers the same way each time.
    expect(await replies()).toEqual(got);
    // Case-insensitively they are all the schema's values.
    for (const r of got) expect([r.status.toLowerCase(), r.externalAudience.toLowerCase()]).toEqual(['scheduled', 'all']);
  });

  it('mailboxSettings – the tenant switch gives the schema casing or the documented casing everywhere', async () => {
    sim.store.setEnumCasing(TENANT, 'schema');
    expect(new Set((await replies()).map((r) => `${r.status}/${r.externalAudience}`))).toEqual(new Set(['scheduled/all']));
    sim.store.setEnumCasing(TENANT, 'documented');
    expect(new Set((await replies()).map((r) => `${r.status}/${r.externalAudience}`))).toEqual(new Set(['Scheduled/All']));
    sim.store.setEnumCasing(TENANT, 'mixed');
    expect(() => sim.store.setEnumCasing(TENANT, 'upper' as any)).toThrow(/enumCasing/);
  });

  it('getSchedule – scheduleItems status follows the tenant casing (Busy as the concept page shows, busy as the schema)', async () => {
    const id = MAILBOXES[0] ?? '';
    await call(sim, 'POST', `/v1.0/users/${id}/events`, { token, body: { subject: 'x', start: { dateTime: '2026-01-06T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-06T11:00:00', timeZone: 'UTC' } } });
    const ask = () => call(sim, 'POST', `/v1.0/users/${id}/calendar/getSchedule`, { token, body: { schedules: ['casing0@contoso.com'], startTime: { dateTime: '2026-01-06T09:00:00', timeZone: 'UTC' }, endTime: { dateTime: '2026-01-06T12:00:00', timeZone: 'UTC' }, availabilityViewInterval: 60 } });
    sim.store.setEnumCasing(TENANT, 'documented');
    expect((await ask()).body.value[0].scheduleItems[0].status).toBe('Busy');
    sim.store.setEnumCasing(TENANT, 'schema');
    expect((await ask()).body.value[0].scheduleItems[0].status).toBe('busy');
    sim.store.setEnumCasing(TENANT, 'mixed');
  });
});
