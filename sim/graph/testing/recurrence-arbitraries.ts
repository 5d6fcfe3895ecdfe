/**
 * Random Graph series for property tests and the benchmark: every pattern type, intervals,
 * several days, indexes, all three range types, all-day series, Windows and IANA names of zones
 * with daylight saving in both hemispheres, half-hour and 45-minute offsets, midnight transitions
 * and a 30-minute DST (Lord Howe), plus a recurrenceTimeZone that differs from the start's zone.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import type { DayOfWeek, RecurrencePattern, RecurrenceRange, WeekIndex } from '../model.js';
import type { SeriesDefinition } from '../recurrence/index.js';
import { luxonInstant, oracleIana } from './rrule-oracle.js';

export const ZONE_NAMES = [
  'Europe/Berlin',
  'W. Europe Standard Time',
  'America/New_York',
  'Eastern Standard Time',
  'Australia/Sydney',
  'AUS Eastern Standard Time',
  'Pacific Standard Time',
  'India Standard Time',
  'UTC',
  'America/Santiago',
  'Pacific SA Standard Time',
  'New Zealand Standard Time',
  'GMT Standard Time',
  'Tokyo Standard Time',
  'Lord Howe Standard Time',
  'Iran Standard Time',
  'Morocco Standard Time',
  'Chatham Islands Standard Time',
  'Newfoundland Standard Time',
  'Israel Standard Time',
  'Middle East Standard Time',
  'Asia/Jerusalem',
] as const;

const DAY = 86_400_000;
const DAYS: readonly DayOfWeek[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const INDEXES: readonly WeekIndex[] = ['first', 'second', 'third', 'fourth', 'last'];
const MONTH_MAX = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const daysOfWeek = fc.uniqueArray(fc.constantFrom(...DAYS), { minLength: 1, maxLength: 7 });

export const patternArb: fc.Arbitrary<RecurrencePattern> = fc.oneof(
  fc.record({ type: fc.constant('daily' as const), interval: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ type: fc.constant('weekly' as const), interval: fc.integer({ min: 1, max: 4 }), daysOfWeek, firstDayOfWeek: fc.constantFrom(...DAYS) }),
  fc.record({ type: fc.constant('absoluteMonthly' as const), interval: fc.integer({ min: 1, max: 4 }), dayOfMonth: fc.integer({ min: 1, max: 31 }) }),
  fc.record({ type: fc.constant('relativeMonthly' as const), interval: fc.integer({ min: 1, max: 4 }), daysOfWeek, index: fc.constantFrom(...INDEXES) }),
  fc
    .integer({ min: 1, max: 12 })
    .chain((month) =>
      fc.record({ type: fc.constant('absoluteYearly' as const), interval: fc.integer({ min: 1, max: 3 }), month: fc.constant(month), dayOfMonth: fc.integer({ min: 1, max: MONTH_MAX[month - 1] as number }) }),
    ),
  fc.record({ type: fc.constant('relativeYearly' as const), interval: fc.integer({ min: 1, max: 3 }), month: fc.integer({ min: 1, max: 12 }), daysOfWeek, index: fc.constantFrom(...INDEXES) }),
);

export interface SeriesCase {
  series: SeriesDefinition;
  windowStartMs: number;
  windowEndMs: number;
}

export interface SeriesArbOptions {
  /** Minutes of the day a start may take (defaults to any minute, in 5-minute steps). */
  minuteRange?: [number, number];
  allDay?: boolean;
  recurrenceZone?: boolean;
  /** Days from the start to the window start. */
  windowOffsetDays?: [number, number];
  windowLengthDays?: [number, number];
}

function iso(wall: number): string {
  return new Date(wall).toISOString().slice(0, 19);
}

export function seriesCaseArb(options: SeriesArbOptions = {}): fc.Arbitrary<SeriesCase> {
  const [minMinute, maxMinute] = options.minuteRange ?? [0, 1439];
  const [minOffset, maxOffset] = options.windowOffsetDays ?? [-20, 1100];
  const [minLength, maxLength] = options.windowLengthDays ?? [1, 60];
  return fc
    .record({
      startDay: fc.integer({ min: Date.UTC(2018, 0, 1) / DAY, max: Date.UTC(2030, 11, 31) / DAY }),
      minute: fc.integer({ min: Math.ceil(minMinute / 5), max: Math.floor(maxMinute / 5) }).map((m) => m * 5),
      durationMinutes: fc.oneof(fc.integer({ min: 0, max: 240 }), fc.integer({ min: 0, max: 4320 })),
      allDay: options.allDay === false ? fc.constant(false) : fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      allDayDays: fc.integer({ min: 1, max: 3 }),
      zone: fc.constantFrom(...ZONE_NAMES),
      recurrenceZone: options.recurrenceZone === false ? fc.constant(undefined) : fc.option(fc.constantFrom(...ZONE_NAMES), { freq: 4 }),
      pattern: patternArb,
      rangeKind: fc.constantFrom('noEnd', 'numbered', 'endDate'),
      count: fc.integer({ min: 1, max: 60 }),
      endAfterDays: fc.integer({ min: 0, max: 1000 }),
      windowOffsetMinutes: fc.integer({ min: minOffset * 1440, max: maxOffset * 1440 }),
      windowLengthMinutes: fc.integer({ min: minLength * 1440, max: maxLength * 1440 }),
    })
    .map((r) => {
      const allDay = r.allDay;
      const startWall = r.startDay * DAY + (allDay ? 0 : r.minute * 60_000);
      const endWall = allDay ? startWall + r.allDayDays * DAY : startWall + r.durationMinutes * 60_000;
      const recurrenceZone = allDay ? undefined : (r.recurrenceZone ?? undefined);
      // range.startDate is the start's date in the recurrence zone.
      let startDate = iso(startWall).slice(0, 10);
      if (recurrenceZone !== undefined) {
        const startUtc = luxonInstant(startWall, oracleIana(r.zone));
        startDate = DateTime.fromMillis(startUtc, { zone: oracleIana(recurrenceZone) }).toFormat('yyyy-MM-dd');
      }
      const range: RecurrenceRange = { type: r.rangeKind, startDate };
      if (r.rangeKind === 'numbered') range.numberOfOccurrences = r.count;
      if (r.rangeKind === 'endDate') range.endDate = new Date(Date.parse(`${startDate}T00:00:00Z`) + r.endAfterDays * DAY).toISOString().slice(0, 10);
      if (recurrenceZone !== undefined) range.recurrenceTimeZone = recurrenceZone;
      const windowStartMs = startWall + r.windowOffsetMinutes * 60_000;
      return {
        series: {
          start: { dateTime: iso(startWall), timeZone: r.zone },
          end: { dateTime: iso(endWall), timeZone: r.zone },
          isAllDay: allDay,
          recurrence: { pattern: r.pattern, range },
        },
        windowStartMs,
        windowEndMs: windowStartMs + r.windowLengthMinutes * 60_000,
      };
    });
}
