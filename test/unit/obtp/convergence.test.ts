import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { MeetingOccurrence } from '../../../schemas/index.js';
import { assertConverges, HOUR, MIN, occurrence, T0 } from '../model/fixtures.js';
import { ObtpHarness } from './harness.js';

const step = fc.record({ at: fc.integer({ min: -3 * 60, max: 80 * 60 }), cancelled: fc.boolean(), declined: fc.boolean(), priv: fc.boolean() });
const history = fc.record({ id: fc.constantFrom('a', 'b', 'occ-1', 'occ-2'), steps: fc.array(step, { minLength: 1, maxLength: 4 }), removed: fc.boolean() });

function records(histories: { id: string; steps: { at: number; cancelled: boolean; declined: boolean; priv: boolean }[]; removed: boolean }[], seriesRemoved: boolean): MeetingOccurrence[] {
  const out: MeetingOccurrence[] = [];
  for (const h of histories) {
    const master = h.id.startsWith('occ') ? 'master' : null;
    h.steps.forEach((s, i) => out.push(occurrence({ meetingId: h.id, seriesMasterId: master, version: 10 + i, start: T0 + s.at * MIN, isCancelled: s.cancelled, isPrivate: s.priv, responseStatus: s.declined ? 'DECLINED' : 'ACCEPTED' })));
    if (h.removed) out.push(occurrence({ meetingId: h.id, seriesMasterId: master, version: 20, op: 'REMOVE', start: 0, end: 0 }));
  }
  if (seriesRemoved) out.push(occurrence({ meetingId: 'master', seriesMasterId: null, version: 30, op: 'REMOVE', start: 0, end: 0 }));
  return out;
}

async function deviceView(input: readonly MeetingOccurrence[]): Promise<unknown> {
  const d = ObtpHarness.of('room-1', [{ deviceId: 'dev', mode: 'shared' }]);
  for (const m of input) await d.process(m);
  await d.advance(2 * HOUR);
  const doc = d.doc('dev') as { bookings: { bookingId: string; start: number; joinShown: boolean; label: unknown }[] } | undefined;
  return (doc?.bookings ?? []).map((b) => [b.bookingId, b.start, b.joinShown, b.label]);
}

describe('obtp – convergence', () => {
  it('obtp – any order of a mailbox\'s records, each delivered once or twice, ends in the same device bookings and buttons', async () => {
    await assertConverges(fc.uniqueArray(history, { selector: (h) => h.id, minLength: 1, maxLength: 4 }), records, deviceView);
  });
});
