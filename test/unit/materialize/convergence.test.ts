import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { MeetingOccurrence } from '../../../schemas/index.js';
import { assertConverges, DAY, HOUR, occurrence, T0 } from '../model/fixtures.js';
import { MaterializeHarness } from './harness.js';

/** A meeting's history: versions 1..n, each an upsert at some time or a cancellation; maybe removed at the end. */
const history = fc.record({
  id: fc.constantFrom('a', 'b', 'c', 'occ-1', 'occ-2'),
  steps: fc.array(fc.record({ day: fc.integer({ min: -9, max: 35 }), cancelled: fc.boolean(), declined: fc.boolean() }), { minLength: 1, maxLength: 4 }),
  removed: fc.boolean(),
});

function records(histories: { id: string; steps: { day: number; cancelled: boolean; declined: boolean }[]; removed: boolean }[], seriesRemoved: boolean): MeetingOccurrence[] {
  const out: MeetingOccurrence[] = [];
  for (const h of histories) {
    const master = h.id.startsWith('occ') ? 'master' : null;
    h.steps.forEach((s, i) => out.push(occurrence({ mailboxId: 'user-1', meetingId: h.id, seriesMasterId: master, version: 10 + i, start: T0 + s.day * DAY + HOUR, isCancelled: s.cancelled, responseStatus: s.declined ? 'DECLINED' : 'ACCEPTED' })));
    if (h.removed) out.push(occurrence({ mailboxId: 'user-1', meetingId: h.id, seriesMasterId: master, version: 20, op: 'REMOVE', start: 0, end: 0 }));
  }
  if (seriesRemoved) out.push(occurrence({ mailboxId: 'user-1', meetingId: 'master', seriesMasterId: null, version: 30, op: 'REMOVE', start: 0, end: 0 }));
  return out;
}

async function finalView(input: readonly MeetingOccurrence[]): Promise<Record<string, unknown>> {
  const d = new MaterializeHarness();
  for (const m of input) await d.process(m);
  const view: Record<string, unknown> = {};
  for (const [day, doc] of d.days()) view[`tenant-a/user-1/${day}`] = (doc['meetings'] as { meetingId: string; v: number; start: number }[]).map((m) => [m.meetingId, m.v, m.start]);
  return view;
}

describe('materialize – convergence', () => {
  it('materialize – any order of a mailbox\'s records, each delivered once or twice, ends in the same meeting list', async () => {
    await assertConverges(fc.uniqueArray(history, { selector: (h) => h.id, minLength: 1, maxLength: 5 }), records, finalView);
  });
});
