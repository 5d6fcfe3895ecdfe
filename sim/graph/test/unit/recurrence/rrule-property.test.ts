import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SimGraphError } from '../../../model.js';
import { expandSeries, validateSeries } from '../../../recurrence/index.js';
import { seriesCaseArb } from '../../../testing/index.js';
import type { SeriesCase } from '../../../testing/index.js';
import { buildOracle, oracleExpand, oracleHasOccurrence } from '../../../testing/index.js';

function compare(c: SeriesCase, mode: 'floating' | 'tzid'): void {
  const oracle = buildOracle(c.series, mode);
  try {
    validateSeries(c.series);
  } catch (error) {
    // The only rejection a generated series may meet: an endDate before the first occurrence.
    expect(error).toBeInstanceOf(SimGraphError);
    expect((error as SimGraphError).graphCode).toBe('ErrorRecurrenceHasNoOccurrence');
    expect(oracleHasOccurrence(oracle)).toBe(false);
    return;
  }
  const expected = oracleExpand(oracle, c.windowStartMs, c.windowEndMs);
  const actual = expandSeries(c.series, c.windowStartMs, c.windowEndMs).map((o) => ({ startMs: o.startMs, endMs: o.endMs, start: o.start.dateTime, end: o.end.dateTime }));
  expect(actual).toEqual(expected);
}

describe('sim/graph/recurrence – agrees with rrule', () => {
  beforeAll(() => {
    // rrule's tzid conversion reads the process zone; make it explicit.
    process.env.TZ = 'UTC';
  });

  it('rrule – random series of every pattern, range and zone expand like RRULE + luxon at any time of day', () => {
    fc.assert(fc.property(seriesCaseArb(), (c) => compare(c, 'floating')), { numRuns: 600 });
  });

  it('rrule – random series expand like RRule with tzid (starts 10:00-12:00, where rrule converts exactly)', () => {
    // No recurrenceTimeZone here: it would move the wall time out of 10:00-12:00 in the zone rrule converts in.
    const cases = seriesCaseArb({ minuteRange: [600, 720], allDay: false, recurrenceZone: false, windowOffsetDays: [-20, 400] });
    fc.assert(fc.property(cases, (c) => compare(c, 'tzid')), { numRuns: 300 });
  });

  it('rrule – windows right at the start of a series agree, including numbered ranges', () => {
    fc.assert(fc.property(seriesCaseArb({ windowOffsetDays: [-3, 40], windowLengthDays: [1, 120] }), (c) => compare(c, 'floating')), { numRuns: 400 });
  });
});
