import { describe, expect, it } from 'vitest';
import { daysOf, unspillListState, userMeetingDayIds, USER_MEETINGS_VIEW, type ListEntry, type ListState } from '../../../processors/materialize/index.js';
import type { MeetingOccurrence } from '../../../schemas/index.js';
import { DAY, HOUR, occurrence, T0 } from '../model/fixtures.js';
import { MaterializeHarness } from './harness.js';

const m = (o: Partial<MeetingOccurrence>): MeetingOccurrence => occurrence({ mailboxId: 'user-1', ...o });
/** The view as day → meeting ids (days with a document only). */
function view(d: MaterializeHarness): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [day, doc] of d.days()) out[day] = (doc['meetings'] as { meetingId: string }[]).map((x) => x.meetingId);
  return out;
}

const modes = [
  { passivate: false, how: 'actors kept in memory' },
  { passivate: true, how: 'every record and timer on a key loaded afresh from the store' },
];

describe.each(modes)('materialize – a user\'s meeting list, one document per day, inside [now − 7 d, now + 31 d] ($how)', ({ passivate }) => {
  const driver = (): MaterializeHarness => new MaterializeHarness({ passivate });

  it('materialize – a user\'s meetings between two times are the documents of the days in between', () => {
    expect(userMeetingDayIds('t', 'u', Date.UTC(2026, 2, 2, 23), Date.UTC(2026, 2, 4, 1))).toEqual(['t/u/2026-03-02', 't/u/2026-03-03', 't/u/2026-03-04']);
    expect(daysOf(Date.UTC(2026, 2, 2), Date.UTC(2026, 2, 3))).toEqual(['2026-03-02']);
  });

  it('materialize – lists meetings by day, all-day and multi-day ones on every day they touch, ordered by start', async () => {
    const d = driver();
    await d.process(m({ meetingId: 'b', start: T0 + 2 * HOUR }));
    await d.process(m({ meetingId: 'a', start: T0 + HOUR }));
    await d.process(m({ meetingId: 'allday', isAllDay: true, start: Date.UTC(2026, 2, 3), end: Date.UTC(2026, 2, 4) }));
    await d.process(m({ meetingId: 'trip', start: Date.UTC(2026, 2, 4, 12), end: Date.UTC(2026, 2, 6, 12) }));
    expect(view(d)).toEqual({ '2026-03-02': ['a', 'b'], '2026-03-03': ['allday'], '2026-03-04': ['trip'], '2026-03-05': ['trip'], '2026-03-06': ['trip'] });
  });

  it('materialize – moves, cancellations, declines and removals update the days; older replays are ignored', async () => {
    const d = driver();
    await d.process(m({ meetingId: 'a', version: 1 }));
    await d.process(m({ meetingId: 'b', version: 1 }));
    await d.process(m({ meetingId: 'c', version: 1 }));
    await d.process(m({ meetingId: 'a', version: 2, start: T0 + DAY }));
    await d.process(m({ meetingId: 'b', version: 2, isCancelled: true }));
    await d.process(m({ meetingId: 'c', version: 2, responseStatus: 'DECLINED' }));
    await d.process(m({ meetingId: 'b', version: 1 }));
    expect(view(d)).toEqual({ '2026-03-03': ['a'] });
    await d.process(m({ meetingId: 'a', version: 3, op: 'REMOVE', start: 0, end: 0 }));
    expect(view(d)).toEqual({});
  });

  it('materialize – the window sweeper drops meetings 7 days after they end and admits them 31 days before they start', async () => {
    const d = driver();
    await d.process(m({ meetingId: 'now', start: T0 }));
    await d.process(m({ meetingId: 'far', start: T0 + 40 * DAY }));
    await d.process(m({ meetingId: 'old', start: T0 - 8 * DAY }));
    expect(Object.values(view(d)).flat()).toEqual(['now']);
    await d.advance(7 * DAY + HOUR);
    expect(Object.values(view(d)).flat()).toEqual([]);
    await d.advance(2 * DAY);
    expect(view(d)).toEqual({ '2026-04-11': ['far'] });
    expect(d.timers()).toHaveLength(1);
  });

  it('materialize – deleting a series removes every occurrence from the list', async () => {
    const d = driver();
    for (const n of [0, 1, 2]) await d.process(m({ meetingId: `occ-${n}`, seriesMasterId: 'master', start: T0 + n * DAY, version: 5 }));
    await d.process(m({ meetingId: 'master', seriesMasterId: null, op: 'REMOVE', version: 9, start: 0, end: 0 }));
    expect(view(d)).toEqual({});
  });

  it('materialize – keeps the encrypted fields as they are and nothing of the body or attendees', async () => {
    const d = driver();
    await d.process(m({ meetingId: 'a', body: Buffer.from('body-ct'), attendees: Buffer.from('att-ct') }));
    const doc = [...d.days().values()][0] as unknown as { meetings: Record<string, unknown>[] };
    // The driver's store clones documents (a Buffer comes back as its bytes): compare the bytes.
    const first = doc.meetings[0]!;
    expect({ subject: Buffer.from(first['subject'] as Uint8Array), joinDetails: Buffer.from(first['joinDetails'] as Uint8Array) }).toEqual({ subject: Buffer.from('subject-ct-a'), joinDetails: Buffer.from('join-ct-a') });
    expect(doc.meetings[0]).not.toHaveProperty('body');
    expect(doc.meetings[0]).not.toHaveProperty('attendees');
  });

  it('materialize – a meeting with a card keeps the card alone (lists open one ciphertext per meeting); one without keeps its four fields', async () => {
    const d = driver();
    await d.process(m({ meetingId: 'a', card: Buffer.from('card-ct-a') }));
    await d.process(m({ meetingId: 'b', start: T0 + HOUR, card: null }));
    const doc = [...d.days().values()][0] as unknown as { meetings: Record<string, unknown>[] };
    const [a, b] = doc.meetings as [Record<string, unknown>, Record<string, unknown>];
    expect(Buffer.from(a['card'] as Uint8Array)).toEqual(Buffer.from('card-ct-a'));
    for (const field of ['subject', 'location', 'organizer', 'joinDetails', 'body', 'attendees']) expect(a).not.toHaveProperty(field);
    expect(b).not.toHaveProperty('card');
    expect(Buffer.from(b['subject'] as Uint8Array)).toEqual(Buffer.from('subject-ct-b'));
    // An edit that brings a card replaces the fields in the day document.
    await d.process(m({ meetingId: 'b', start: T0 + HOUR, version: 2, card: Buffer.from('card-ct-b') }));
    const again = ([...d.days().values()][0] as unknown as { meetings: Record<string, unknown>[] }).meetings[1]!;
    expect(Buffer.from(again['card'] as Uint8Array)).toEqual(Buffer.from('card-ct-b'));
    expect(again).not.toHaveProperty('subject');
  });
});

describe('materialize – the stored state keeps no item a day document holds', () => {
  it('materialize – stores the entries of listed meetings without their items, keeps the items of meetings not yet in the window, and reads the days back when loaded', async () => {
    const d = new MaterializeHarness({ passivate: true });
    await d.process(m({ meetingId: 'today', start: T0 + HOUR }));
    await d.process(m({ meetingId: 'later', start: T0 + 40 * DAY }));
    const stored = d.driver.state<ListState>('tenant-a/user-1', 'materialize')!;
    expect(stored.spilled).toBe(true);
    expect(stored.entries.map((e) => [e.id, e.m === null])).toEqual([['today', true], ['later', false]]);
    // Loaded afresh, a change of another meeting on the same day rewrites the day with both items.
    await d.process(m({ meetingId: 'second', start: T0 + 2 * HOUR }));
    const items = d.days().get('2026-03-02')!['meetings'] as { meetingId: string; card?: unknown; subject?: unknown }[];
    expect(items.map((x) => x.meetingId)).toEqual(['today', 'second']);
    expect(items[0]!.subject).toBeDefined();
    // The meeting 40 days ahead comes from the state when it slides in.
    await d.advance(10 * DAY);
    expect([...d.days().keys()]).toContain('2026-04-11');
    expect(await d.driver.counter('materialize_restore_missing_total')).toBe(0);
  });

  it('materialize – items come back from the days by meeting id; one on no day leaves its entry unlisted at version −1, so its next record lists it again', async () => {
    const entry = (id: string, days: string[], item: Record<string, unknown> | null): ListEntry => ({ id, v: 3, master: null, start: T0, end: T0 + HOUR, ok: true, m: item, days });
    const spilled: ListState = { seq: 4, entries: [entry('a', ['2026-03-02'], null), entry('lost', ['2026-03-02'], null), entry('ahead', [], { meetingId: 'ahead' })], tombs: [], series: [], spilled: true };
    const day = { _id: 'tenant-a/user-1/2026-03-02', v: 5, meetings: [{ meetingId: 'a', v: 4 }] };
    const { state, missing } = unspillListState(spilled, [day, { _id: 'x', v: 1, deleted: true }]);
    expect(missing).toBe(1);
    expect(state.spilled).toBeUndefined();
    expect(state.entries.map((e) => [e.id, e.v, e.ok, e.m])).toEqual([['a', 3, true, { meetingId: 'a', v: 4 }], ['lost', -1, false, null], ['ahead', 3, true, { meetingId: 'ahead' }]]);
    // Through the processor: a key whose stored state names an item its day lacks lists it again on the meeting's next record.
    const d = new MaterializeHarness({ passivate: true });
    await d.process(m({ meetingId: 'a', version: 1 }));
    const stored = d.driver.view('rt_materialize_state', 'tenant-a/user-1');
    expect(stored).toBeDefined();
    d.driver.view(USER_MEETINGS_VIEW, 'tenant-a/user-1/2026-03-02')!['meetings'] = [];
    await d.process(m({ meetingId: 'b', version: 1 }));
    expect(await d.driver.counter('materialize_restore_missing_total')).toBe(1);
    expect(view(d)).toEqual({ '2026-03-02': ['b'] });
    await d.process(m({ meetingId: 'a', version: 1 }));
    expect(view(d)).toEqual({ '2026-03-02': ['a', 'b'] });
  });
});
