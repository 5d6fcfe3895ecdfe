import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../common/clock.js';
import type { GraphConnections } from '../../../graph/index.js';
import type { GraphNotification } from '../../../schemas/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { ALICE, APP, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { MailboxProbe, command, mailboxDriver, simConnections, startHookStub, testKeyring } from './helpers.js';

/**
 * What a change notification may put on calendar.raw.v1: only what the delta rounds also keep —
 * instances inside the window, as Graph answers them now. A series master, an event outside the
 * window, or a deletion notification arriving after the item came back would otherwise stay in the
 * raw stream with no round ever retracting or restoring it (the reliability suite's storm scenario
 * found 168 such events: series masters and events moved out of the window, all from notifications).
 */
describe('connector mailbox actor – what notifications emit', () => {
  const DAY = 86_400_000;
  let sim: GraphSimulator;
  let connections: GraphConnections;
  let hook: { url: string; close: () => Promise<void> };
  let probe: MailboxProbe;

  beforeAll(async () => {
    sim = await startSeeded();
    hook = await startHookStub();
    connections = simConnections(sim, systemClock);
    const graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
    probe = new MailboxProbe(mailboxDriver({
      graph: { graphFor: () => Promise.resolve(graph) }, keyring: testKeyring(systemClock),
      options: { notificationUrl: hook.url, settingsPollMs: 5 * 60_000, reconcileMs: 30 * 60_000, deltaPageSize: 50 },
      random: () => 0.5,
    }, new ManualClock(Date.now())), `${TENANT}/${ALICE}`);
    await probe.process(command('ACTIVATE'));
    expect(probe.state?.status).toBe('ACTIVATED');
  });

  afterAll(async () => {
    connections.close();
    await hook.close();
    await sim.close();
  });

  const change = (changeType: GraphNotification['changeType'], eventId: string): GraphNotification => ({
    tenantId: TENANT, mailboxId: ALICE, kind: 'CHANGE', changeType, lifecycleEvent: 'NONE', command: 'NONE',
    subscriptionId: probe.state?.subscription?.id ?? null, eventId, changeKey: null, receivedAt: 0,
  });
  const at = (ms: number): { dateTime: string; timeZone: string } => ({ dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' });
  const day = Math.floor(Date.now() / DAY) * DAY;

  it('notifications – a series master is never emitted; its occurrences are read by a delta round', async () => {
    const before = probe.raw().length;
    const start = day + 3 * DAY + 9 * 3_600_000;
    const master = sim.store.createEvent(TENANT, ALICE, {
      subject: 'Weekly sync', start: at(start), end: at(start + 1_800_000),
      recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: new Date(start).toISOString().slice(0, 10), numberOfOccurrences: 3 } },
    });
    await probe.process(change('CREATED', master));
    const emitted = probe.raw().slice(before);
    expect(emitted.map((r) => r.eventId)).not.toContain(master);
    expect(emitted).toHaveLength(3);
    expect(emitted.every((r) => r.changeType === 'CREATED' && r.source === 'RECONCILE' && r.eventId.startsWith(master))).toBe(true);
  });

  it('notifications – an event moved out of the window is retracted, and one created outside it is not emitted', async () => {
    const start = day + 5 * DAY + 10 * 3_600_000;
    const moved = sim.store.createEvent(TENANT, ALICE, { subject: 'Moved later', start: at(start), end: at(start + 3_600_000) });
    await probe.process(change('CREATED', moved));
    expect(probe.raw().at(-1)).toMatchObject({ eventId: moved, changeType: 'CREATED', source: 'NOTIFICATION' });
    const before = probe.raw().length;
    sim.store.updateEvent(TENANT, ALICE, moved, { start: at(start + 60 * DAY), end: at(start + 60 * DAY + 3_600_000) });
    await probe.process(change('UPDATED', moved));
    const far = sim.store.createEvent(TENANT, ALICE, { subject: 'Far away', start: at(day + 90 * DAY), end: at(day + 90 * DAY + 3_600_000) });
    await probe.process(change('CREATED', far));
    expect(probe.raw().slice(before).map((r) => [r.eventId, r.changeType])).toEqual([[moved, 'DELETED']]);
    expect(probe.state?.known.some((k) => k.i === moved || k.i === far)).toBe(false);
  });

  it('notifications – a deletion notification for an item Graph still has (it came back) retracts nothing', async () => {
    const start = day + 6 * DAY + 11 * 3_600_000;
    const kept = sim.store.createEvent(TENANT, ALICE, { subject: 'Still here', start: at(start), end: at(start + 3_600_000) });
    await probe.process(change('CREATED', kept));
    const before = probe.raw().length;
    await probe.process(change('DELETED', kept));
    expect(probe.raw().slice(before)).toEqual([]);
    expect(probe.state?.known.some((k) => k.i === kept)).toBe(true);
    sim.store.deleteEvent(TENANT, ALICE, kept);
    await probe.process(change('DELETED', kept));
    expect(probe.raw().slice(before).map((r) => [r.eventId, r.changeType, r.source])).toEqual([[kept, 'DELETED', 'NOTIFICATION']]);
  });
});
