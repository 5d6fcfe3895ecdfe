import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../clock.js';
import { loadScenario } from '../../../scenarios/index.js';
import { SimStore, type Mailbox, type StoredEvent } from '../../../store/index.js';

const ANCHOR = Date.UTC(2026, 0, 5, 9);

function seeded(): { store: SimStore; tenantId: string } {
  const store = new SimStore(new ManualClock(ANCHOR));
  const summary = loadScenario(store, { seed: 31, tenants: 1, usersPerTenant: 12, roomsPerTenant: 2, meetingsPerMailbox: 12, anchorMs: ANCHOR });
  return { store, tenantId: summary.tenants[0]?.id ?? '' };
}

/** Every attendee copy in a mailbox of the tenant whose organizer is also a mailbox of the tenant. */
function copies(store: SimStore, tenantId: string): { copy: StoredEvent; mbx: Mailbox; organizer: Mailbox }[] {
  const tenant = store.requireTenant(tenantId);
  const out: { copy: StoredEvent; mbx: Mailbox; organizer: Mailbox }[] = [];
  for (const mbx of tenant.mailboxes.values()) {
    for (const ev of mbx.events.values()) {
      if (ev.isOrganizer || ev.seriesMasterId !== undefined) continue;
      const organizer = tenant.byAddress.get(ev.organizer?.emailAddress.address.toLowerCase() ?? '');
      if (organizer !== undefined && organizer !== mbx) out.push({ copy: ev, mbx, organizer });
    }
  }
  return out;
}

function organizerEventOf(organizer: Mailbox, copy: StoredEvent): StoredEvent | undefined {
  return [...organizer.events.values()].find((e) => e.isOrganizer && e.iCalUId === copy.iCalUId);
}

const same = (r: string | undefined): string => (r === undefined || r === 'none' ? 'notResponded' : r);

describe('fidelity – the generator links invitation copies to the organizer’s event', () => {
  it('scenarios – every copy (colleague invitations and room bookings) has the organizer’s event with the same iCalUId', () => {
    const { store, tenantId } = seeded();
    const all = copies(store, tenantId);
    expect(all.filter((c) => c.mbx.kind === 'room').length).toBeGreaterThan(0);
    expect(all.filter((c) => c.mbx.kind === 'user').length).toBeGreaterThan(0);
    for (const { copy, organizer } of all) expect(organizerEventOf(organizer, copy)?.id).toBeDefined();
  });

  it('scenarios – the response is the same on both sides: rooms accepted, invitees as the organizer’s attendees[] says', () => {
    const { store, tenantId } = seeded();
    for (const { copy, mbx, organizer } of copies(store, tenantId)) {
      const org = organizerEventOf(organizer, copy);
      const entry = org?.attendees.find((a) => a.emailAddress.address.toLowerCase() === mbx.mail.toLowerCase());
      if (mbx.kind === 'room') expect(copy.response).toBe('accepted');
      if (entry !== undefined) expect(same(entry.status?.response)).toBe(same(copy.response));
      expect(copy.showAs === 'tentative' || copy.response !== 'notResponded' || copy.showAs === org?.showAs).toBe(true);
    }
  });

  it('scenarios – a decline on a generated invitation reaches the organizer’s attendees[] (with its proposed time)', () => {
    const { store, tenantId } = seeded();
    const invitation = copies(store, tenantId).find((c) => c.mbx.kind === 'user' && c.copy.recurrence === null && c.copy.allowNewTimeProposals);
    expect(invitation).toBeDefined();
    if (invitation === undefined) return;
    const { copy, mbx, organizer } = invitation;
    const proposal = { start: { dateTime: '2026-01-20T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-20T11:00:00', timeZone: 'UTC' } };
    store.respond(mbx, copy.id, 'declined', proposal);
    const entry = organizerEventOf(organizer, copy)?.attendees.find((a) => a.emailAddress.address.toLowerCase() === mbx.mail.toLowerCase());
    expect(entry?.status?.response).toBe('declined');
    expect(entry?.proposedNewTime?.start.dateTime).toMatch(/^2026-01-20T10:00:00/);
  });
});
