import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileSeries, expandSeries, occurrenceAt, seriesBounds, validateSeries } from '../../../recurrence/index.js';
import { seriesCaseArb } from '../../../testing/index.js';
import { at, series } from './fixtures.js';

const DAY = 86_400_000;

describe('sim/graph/recurrence – bounds and single occurrences', () => {
  it('bounds – a numbered series spans its first start to its last end', () => {
    const s = series({ type: 'weekly', daysOfWeek: ['tuesday', 'thursday'] }, { type: 'numbered', numberOfOccurrences: 5 });
    expect(seriesBounds(compileSeries(s))).toEqual({ firstStartMs: at('2026-03-03T08:00:00Z'), lastEndMs: at('2026-03-17T09:00:00Z'), count: 5 });
  });

  it('bounds – a noEnd series has no last end', () => {
    const s = series({ type: 'daily' });
    expect(seriesBounds(compileSeries(s))).toEqual({ firstStartMs: at('2026-03-02T08:00:00Z'), lastEndMs: Infinity, count: Infinity });
  });

  it('bounds – agree with a full expansion for random finite series', () => {
    fc.assert(
      fc.property(seriesCaseArb(), (c) => {
        try {
          validateSeries(c.series);
        } catch {
          return; // no occurrence at all
        }
        const bounds = seriesBounds(compileSeries(c.series));
        const horizon = bounds.lastEndMs === Infinity ? bounds.firstStartMs + 400 * DAY : bounds.lastEndMs + 2 * DAY;
        const all = expandSeries(c.series, bounds.firstStartMs - 2 * DAY, horizon);
        expect(all[0]?.startMs).toBe(bounds.firstStartMs);
        if (bounds.lastEndMs !== Infinity) {
          expect(all).toHaveLength(bounds.count);
          expect(all.at(-1)?.endMs).toBe(bounds.lastEndMs);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('occurrenceAt – finds the occurrence with that original start and nothing at other instants', () => {
    const s = series({ type: 'relativeMonthly', daysOfWeek: ['monday'], index: 'first' });
    expect(occurrenceAt(s, at('2026-04-06T07:00:00Z'))?.start.dateTime).toBe('2026-04-06T09:00:00.0000000');
    expect(occurrenceAt(s, at('2026-04-06T07:30:00Z'))).toBeUndefined();
    expect(occurrenceAt(s, at('2026-04-13T07:00:00Z'))).toBeUndefined();
  });
});
