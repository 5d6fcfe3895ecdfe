import { describe, expect, it } from 'vitest';
import { applyToLedger, inMeetingWindow, type Ledger, type LedgerEntry } from '../../../schemas/index.js';
import { DAY, occurrence, T0 } from './fixtures.js';

type Entry = LedgerEntry & { readonly ok: boolean };
const empty: Ledger<Entry> = { entries: [], tombs: [], series: [] };
const apply = (ledger: Ledger<Entry>, m: ReturnType<typeof occurrence>): Ledger<Entry> | null =>
  applyToLedger<Ledger<Entry>, Entry>(ledger, m, T0, () => ({ id: m.meetingId, v: m.version, master: m.seriesMasterId, ok: true }), (e) => ({ ...e, ok: false }));

describe('meeting model – versions, removals and the window', () => {
  it('model – keeps the highest version and ignores a replayed older record', () => {
    const a = apply(empty, occurrence({ version: 5 }))!;
    expect(apply(a, occurrence({ version: 5 }))).toBeNull();
    expect(apply(a, occurrence({ version: 3 }))).toBeNull();
    expect(apply(a, occurrence({ version: 6 }))!.entries[0]!.v).toBe(6);
  });

  it('model – a removal leaves a tombstone: an older upsert replayed later does not bring the meeting back', () => {
    const a = apply(empty, occurrence({ version: 5 }))!;
    const removed = apply(a, occurrence({ version: 7, op: 'REMOVE' }))!;
    expect(removed.entries[0]!.ok).toBe(false);
    expect(apply(removed, occurrence({ version: 6 }))).toBeNull();
  });

  it('model – deleting a series retracts every occurrence, also occurrences replayed after the deletion', () => {
    let ledger = empty;
    for (const n of [1, 2, 3]) ledger = apply(ledger, occurrence({ meetingId: `occ-${n}`, seriesMasterId: 'master', version: 10 + n }))!;
    ledger = apply(ledger, occurrence({ meetingId: 'single', version: 3 }))!;
    ledger = apply(ledger, occurrence({ meetingId: 'master', seriesMasterId: null, op: 'REMOVE', version: 20 }))!;
    expect(ledger.entries.filter((e) => e.ok).map((e) => e.id)).toEqual(['single']);
    expect(apply(ledger, occurrence({ meetingId: 'occ-4', seriesMasterId: 'master', version: 15 }))).toBeNull();
  });

  it('model – the window is [now − 7 d, now + 31 d]: multi-day meetings count while they overlap it', () => {
    expect(inMeetingWindow(T0 - 8 * DAY, T0 - 7 * DAY, T0)).toBe(false);
    expect(inMeetingWindow(T0 - 8 * DAY, T0 - 7 * DAY + 1, T0)).toBe(true);
    expect(inMeetingWindow(T0 + 31 * DAY, T0 + 32 * DAY, T0)).toBe(false);
    expect(inMeetingWindow(T0 + 31 * DAY - 1, T0 + 32 * DAY, T0)).toBe(true);
  });
});
