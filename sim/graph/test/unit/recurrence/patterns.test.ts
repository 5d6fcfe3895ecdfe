import { describe, expect, it } from 'vitest';
import { expandSeries } from '../../../recurrence/index.js';
import type { SeriesDefinition } from '../../../recurrence/index.js';
import { at, series } from './fixtures.js';

/** Start dates (yyyy-MM-dd) of the occurrences in [from, to). */
function dates(s: SeriesDefinition, from = '2026-01-01T00:00:00Z', to = '2027-01-01T00:00:00Z', limit?: number): string[] {
  return expandSeries(s, at(from), at(to), limit).map((o) => o.start.dateTime.slice(0, 10));
}

describe('sim/graph/recurrence – daily', () => {
  it('daily – recurs every interval days from the start date', () => {
    expect(dates(series({ type: 'daily', interval: 3 }, { type: 'numbered', numberOfOccurrences: 4 }))).toEqual(['2026-03-02', '2026-03-05', '2026-03-08', '2026-03-11']);
  });

  it('daily – keeps the wall-clock time and duration of the first occurrence', () => {
    const [first, second] = expandSeries(series({ type: 'daily' }, { type: 'numbered', numberOfOccurrences: 2 }), at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'));
    expect(first).toMatchObject({ start: { dateTime: '2026-03-02T09:00:00.0000000', timeZone: 'W. Europe Standard Time' }, end: { dateTime: '2026-03-02T10:00:00.0000000' } });
    expect(second).toMatchObject({ start: { dateTime: '2026-03-03T09:00:00.0000000' }, end: { dateTime: '2026-03-03T10:00:00.0000000' } });
    expect(second!.startMs).toBe(at('2026-03-03T08:00:00Z'));
    expect(second!.originalStartMs).toBe(second!.startMs);
  });
});

describe('sim/graph/recurrence – weekly', () => {
  it('weekly – recurs on each listed day, every interval weeks counted from the week of the start', () => {
    // 2026-03-04 is a Wednesday; weeks start on Sunday: week 0 (Mar 1-7) has no listed day left.
    const s = series({ type: 'weekly', interval: 2, daysOfWeek: ['sunday', 'tuesday'], firstDayOfWeek: 'sunday' }, { type: 'numbered', numberOfOccurrences: 4 }, { start: '2026-03-04T09:00:00', end: '2026-03-04T10:00:00' });
    expect(dates(s)).toEqual(['2026-03-15', '2026-03-17', '2026-03-29', '2026-03-31']);
  });

  it('weekly – firstDayOfWeek decides which weeks an interval > 1 selects', () => {
    // Weeks start on Monday: week 0 (Mar 2-8) still holds Sunday Mar 8.
    const s = series({ type: 'weekly', interval: 2, daysOfWeek: ['sunday', 'tuesday'], firstDayOfWeek: 'monday' }, { type: 'numbered', numberOfOccurrences: 5 }, { start: '2026-03-04T09:00:00', end: '2026-03-04T10:00:00' });
    expect(dates(s)).toEqual(['2026-03-08', '2026-03-17', '2026-03-22', '2026-03-31', '2026-04-05']);
  });

  it('weekly – starts on the first listed day on or after the start date', () => {
    const s = series({ type: 'weekly', daysOfWeek: ['friday'] }, { type: 'numbered', numberOfOccurrences: 2 });
    expect(dates(s)).toEqual(['2026-03-06', '2026-03-13']);
  });

  it('weekly – accepts day names in any case, as Graph does', () => {
    const s = series({ type: 'weekly', daysOfWeek: ['Monday', 'WEDNESDAY'] as never }, { type: 'numbered', numberOfOccurrences: 3 });
    expect(dates(s)).toEqual(['2026-03-02', '2026-03-04', '2026-03-09']);
  });
});

describe('sim/graph/recurrence – absoluteMonthly', () => {
  it('absoluteMonthly – day 31 falls on the last day of shorter months (Outlook behaviour)', () => {
    const s = series({ type: 'absoluteMonthly', dayOfMonth: 31 }, { type: 'numbered', numberOfOccurrences: 5 }, { start: '2026-01-31T09:00:00', end: '2026-01-31T10:00:00' });
    expect(dates(s)).toEqual(['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31']);
  });

  it('absoluteMonthly – day 30 is Feb 29 in a leap year', () => {
    const s = series({ type: 'absoluteMonthly', dayOfMonth: 30 }, { type: 'numbered', numberOfOccurrences: 3 }, { start: '2028-01-30T09:00:00', end: '2028-01-30T10:00:00' });
    expect(dates(s, '2028-01-01T00:00:00Z', '2029-01-01T00:00:00Z')).toEqual(['2028-01-30', '2028-02-29', '2028-03-30']);
  });

  it('absoluteMonthly – counts the interval from the start month and skips a day already past', () => {
    const s = series({ type: 'absoluteMonthly', interval: 2, dayOfMonth: 1 }, { type: 'numbered', numberOfOccurrences: 3 });
    expect(dates(s)).toEqual(['2026-05-01', '2026-07-01', '2026-09-01']);
  });
});

describe('sim/graph/recurrence – relativeMonthly', () => {
  it('relativeMonthly – the second Tuesday of every month', () => {
    const s = series({ type: 'relativeMonthly', daysOfWeek: ['tuesday'], index: 'second' }, { type: 'numbered', numberOfOccurrences: 3 });
    expect(dates(s)).toEqual(['2026-03-10', '2026-04-14', '2026-05-12']);
  });

  it('relativeMonthly – the last Friday of every other month', () => {
    const s = series({ type: 'relativeMonthly', interval: 2, daysOfWeek: ['friday'], index: 'last' }, { type: 'numbered', numberOfOccurrences: 3 });
    expect(dates(s)).toEqual(['2026-03-27', '2026-05-29', '2026-07-31']);
  });

  it('relativeMonthly – index defaults to first', () => {
    const s = series({ type: 'relativeMonthly', daysOfWeek: ['monday'] }, { type: 'numbered', numberOfOccurrences: 2 });
    expect(dates(s)).toEqual(['2026-03-02', '2026-04-06']);
  });

  it('relativeMonthly – with several days the first match wins: the first weekend day', () => {
    // Feb 1 and Mar 1 2026 are Sundays; Apr 4 and May 2 are Saturdays.
    const s = series({ type: 'relativeMonthly', daysOfWeek: ['saturday', 'sunday'], index: 'first' }, { type: 'numbered', numberOfOccurrences: 4 }, { start: '2026-02-01T09:00:00', end: '2026-02-01T10:00:00' });
    expect(dates(s)).toEqual(['2026-02-01', '2026-03-01', '2026-04-04', '2026-05-02']);
  });

  it('relativeMonthly – the third weekday and the last day of the month', () => {
    const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const;
    const third = series({ type: 'relativeMonthly', daysOfWeek: [...weekdays], index: 'third' }, { type: 'numbered', numberOfOccurrences: 2 }, { start: '2026-02-01T09:00:00', end: '2026-02-01T10:00:00' });
    expect(dates(third)).toEqual(['2026-02-04', '2026-03-04']);
    const all = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
    const last = series({ type: 'relativeMonthly', daysOfWeek: [...all], index: 'last' }, { type: 'numbered', numberOfOccurrences: 3 }, { start: '2026-02-01T09:00:00', end: '2026-02-01T10:00:00' });
    expect(dates(last)).toEqual(['2026-02-28', '2026-03-31', '2026-04-30']);
  });
});

describe('sim/graph/recurrence – yearly', () => {
  it('absoluteYearly – Feb 29 recurs on Feb 28 in common years and Feb 29 in leap years', () => {
    const s = series({ type: 'absoluteYearly', month: 2, dayOfMonth: 29 }, { type: 'numbered', numberOfOccurrences: 5 }, { start: '2024-02-29T09:00:00', end: '2024-02-29T10:00:00' });
    expect(dates(s, '2024-01-01T00:00:00Z', '2030-01-01T00:00:00Z')).toEqual(['2024-02-29', '2025-02-28', '2026-02-28', '2027-02-28', '2028-02-29']);
  });

  it('absoluteYearly – a month other than the start month starts in the next year it is reached', () => {
    const s = series({ type: 'absoluteYearly', month: 1, dayOfMonth: 15, interval: 2 }, { type: 'numbered', numberOfOccurrences: 2 });
    expect(dates(s, '2026-01-01T00:00:00Z', '2031-01-01T00:00:00Z')).toEqual(['2028-01-15', '2030-01-15']);
  });

  it('relativeYearly – the fourth Thursday of November', () => {
    const s = series({ type: 'relativeYearly', month: 11, daysOfWeek: ['thursday'], index: 'fourth' }, { type: 'numbered', numberOfOccurrences: 3 });
    expect(dates(s, '2026-01-01T00:00:00Z', '2030-01-01T00:00:00Z')).toEqual(['2026-11-26', '2027-11-25', '2028-11-23']);
  });

  it('relativeYearly – the last Sunday of March', () => {
    const s = series({ type: 'relativeYearly', month: 3, daysOfWeek: ['sunday'], index: 'last' }, { type: 'numbered', numberOfOccurrences: 3 });
    expect(dates(s, '2026-01-01T00:00:00Z', '2030-01-01T00:00:00Z')).toEqual(['2026-03-29', '2027-03-28', '2028-03-26']);
  });
});

describe('sim/graph/recurrence – ranges and windows', () => {
  it('range – endDate includes an occurrence on that date, even late in the day', () => {
    const s = series({ type: 'daily' }, { type: 'endDate', endDate: '2026-03-04' }, { start: '2026-03-02T23:00:00', end: '2026-03-02T23:30:00' });
    expect(dates(s)).toEqual(['2026-03-02', '2026-03-03', '2026-03-04']);
  });

  it('range – numbered counts matching dates, not the start when it does not match', () => {
    const s = series({ type: 'weekly', daysOfWeek: ['thursday'] }, { type: 'numbered', numberOfOccurrences: 2 });
    expect(dates(s)).toEqual(['2026-03-05', '2026-03-12']);
  });

  it('range – numbered series end after the last occurrence even when the window starts late', () => {
    const s = series({ type: 'weekly', interval: 3, daysOfWeek: ['monday', 'thursday', 'saturday'], firstDayOfWeek: 'wednesday' }, { type: 'numbered', numberOfOccurrences: 1000 });
    const all = dates(s, '2026-01-01T00:00:00Z', '2100-01-01T00:00:00Z');
    expect(all).toHaveLength(1000);
    const last = all[999]!;
    // A window around the last occurrence finds exactly it, and nothing after.
    const dayAfter = new Date(Date.parse(`${last}T00:00:00Z`) + 86_400_000).toISOString();
    expect(dates(s, `${last}T00:00:00Z`, '2100-01-01T00:00:00Z')).toEqual([last]);
    expect(dates(s, dayAfter, '2100-01-01T00:00:00Z')).toEqual([]);
  });

  it('range – noEnd series far in the future expand the same as walking from the start', () => {
    const cases = [
      series({ type: 'daily', interval: 7 }),
      series({ type: 'weekly', interval: 5, daysOfWeek: ['monday', 'friday'], firstDayOfWeek: 'thursday' }),
      series({ type: 'absoluteMonthly', interval: 7, dayOfMonth: 31 }),
      series({ type: 'relativeMonthly', interval: 5, daysOfWeek: ['wednesday', 'friday'], index: 'last' }),
      series({ type: 'absoluteYearly', interval: 3, month: 2, dayOfMonth: 29 }),
      series({ type: 'relativeYearly', interval: 2, month: 10, daysOfWeek: ['sunday'], index: 'last' }),
    ];
    for (const s of cases) {
      const walked = expandSeries(s, at('2026-01-01T00:00:00Z'), at('2400-02-08T00:00:00Z')).filter((o) => o.endMs > at('2399-12-01T00:00:00Z'));
      const jumped = expandSeries(s, at('2399-12-01T00:00:00Z'), at('2400-02-08T00:00:00Z'));
      expect(jumped, s.recurrence.pattern.type).toEqual(walked);
    }
  });

  it('window – includes an occurrence that started before the window and ends inside it, not one that ends at its start', () => {
    const s = series({ type: 'daily' }, {}, { start: '2026-03-02T09:00:00', end: '2026-03-02T11:00:00', timeZone: 'UTC' });
    expect(dates(s, '2026-03-03T10:00:00Z', '2026-03-03T12:00:00Z')).toEqual(['2026-03-03']);
    expect(dates(s, '2026-03-03T11:00:00Z', '2026-03-04T09:00:00Z')).toEqual([]);
  });

  it('window – a zero-length occurrence counts when it starts inside the window', () => {
    const s = series({ type: 'daily' }, {}, { start: '2026-03-02T09:00:00', end: '2026-03-02T09:00:00', timeZone: 'UTC' });
    expect(dates(s, '2026-03-03T09:00:00Z', '2026-03-03T09:00:01Z')).toEqual(['2026-03-03']);
    expect(dates(s, '2026-03-03T08:00:00Z', '2026-03-03T09:00:00Z')).toEqual([]);
  });

  it('window – limit caps the number of occurrences and keeps the earliest', () => {
    const s = series({ type: 'daily' });
    expect(dates(s, '2026-03-01T00:00:00Z', '2027-01-01T00:00:00Z', 3)).toEqual(['2026-03-02', '2026-03-03', '2026-03-04']);
    expect(dates(s, '2026-03-01T00:00:00Z', '2026-02-01T00:00:00Z')).toEqual([]);
  });

  it('window – occurrences come sorted by start', () => {
    const s = series({ type: 'weekly', daysOfWeek: ['saturday', 'monday', 'wednesday'] });
    const starts = expandSeries(s, at('2026-03-01T00:00:00Z'), at('2026-06-01T00:00:00Z')).map((o) => o.startMs);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(starts.length).toBe(39);
  });
});
