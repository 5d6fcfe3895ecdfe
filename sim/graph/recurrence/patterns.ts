/**
 * Recurrence patterns as generators of local dates (epoch days in the recurrence zone), grouped in
 * periods: period p is the p-th day (daily), week (weekly), month (monthly) or year (yearly) that
 * the interval selects, counted from the period holding range.startDate. Every period after the
 * first holds the same number of dates (`perPeriod`), which lets a numbered range and a far-away
 * window be reached by arithmetic instead of iterating from the series start.
 *
 * Exchange semantics kept here (Outlook/CDO and MS-OXOCAL):
 * - weekly: weeks begin on firstDayOfWeek; the week holding startDate is week 0 and every
 *   interval-th week after it recurs on each listed day.
 * - absoluteMonthly / absoluteYearly: a dayOfMonth beyond the month's length falls on the month's
 *   last day ("the last day of every month can be represented by the value 31"; Outlook and CDO
 *   generate Feb 29 yearly recurrences on Feb 28 in common years — CDO RecurrencePattern.DayOfMonth,
 *   https://msdn2.microsoft.com/en-us/library/ms528295(v=exchg.10)). Every month thus has exactly one
 *   occurrence; nothing is skipped.
 * - relativeMonthly / relativeYearly: the days of the month whose weekday is listed are taken in
 *   date order; index first..fourth picks the 1st..4th of them and last picks the final one. With a
 *   single day that is "the second Tuesday"; with several days the first match wins, so
 *   [saturday, sunday] + first is "the first weekend day" and all seven days + last is "the last day"
 *   (MS-OXOCAL MonthNth: "the Nth occurrence of the days specified").
 */
import { civilFromDays, dayOfWeek, daysFromCivil, daysInMonth } from '../time/index.js';

export interface PatternGenerator {
  /** Dates per period after the first. */
  readonly perPeriod: number;
  /** The period that holds (or, for daily, precedes) the given day; may be negative. */
  periodOf(day: number): number;
  /** The period's dates, ascending. */
  datesOf(period: number): readonly number[];
}

export const WEEKDAY_INDEX: Readonly<Record<string, number>> = {
  sunday: 0,
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
};

export const WEEK_INDEX: Readonly<Record<string, number>> = { first: 1, second: 2, third: 3, fourth: 4, last: -1 };

export function dailyGenerator(startDay: number, interval: number): PatternGenerator {
  return {
    perPeriod: 1,
    periodOf: (day) => Math.floor((day - startDay) / interval),
    datesOf: (p) => [startDay + p * interval],
  };
}

export function weeklyGenerator(startDay: number, interval: number, weekdays: readonly number[], firstDayOfWeek: number): PatternGenerator {
  const weekStart0 = startDay - ((dayOfWeek(startDay) - firstDayOfWeek + 7) % 7);
  const offsets = [...new Set(weekdays.map((d) => (d - firstDayOfWeek + 7) % 7))].sort((a, b) => a - b);
  const span = 7 * interval;
  return {
    perPeriod: offsets.length,
    periodOf: (day) => Math.floor((day - weekStart0) / span),
    datesOf: (p) => {
      const base = weekStart0 + span * p;
      return offsets.map((o) => base + o);
    },
  };
}

/** The day of a month that a relative pattern selects (weekday set, index 1-4 or -1 for last). */
export function relativeDay(year: number, month: number, weekdays: readonly number[], index: number): number {
  const first = daysFromCivil(year, month, 1);
  const dim = daysInMonth(year, month);
  if (index < 0) {
    const lastDay = first + dim - 1;
    const lastDow = dayOfWeek(lastDay);
    let best = -Infinity;
    for (const d of weekdays) best = Math.max(best, lastDay - ((lastDow - d + 7) % 7));
    return best;
  }
  // The first seven days hold each weekday once; matches repeat every 7 days after them.
  const firstDow = dayOfWeek(first);
  const offsets = [...new Set(weekdays.map((d) => (d - firstDow + 7) % 7))].sort((a, b) => a - b);
  const n = index - 1;
  const week = Math.floor(n / offsets.length);
  return first + (offsets[n % offsets.length] as number) + 7 * week;
}

function monthIndexOf(day: number): number {
  const c = civilFromDays(day);
  return c.year * 12 + c.month - 1;
}

export function monthlyGenerator(startDay: number, interval: number, pick: (year: number, month: number) => number): PatternGenerator {
  const m0 = monthIndexOf(startDay);
  return {
    perPeriod: 1,
    periodOf: (day) => Math.floor((monthIndexOf(day) - m0) / interval),
    datesOf: (p) => {
      const mi = m0 + p * interval;
      const year = Math.floor(mi / 12);
      return [pick(year, mi - year * 12 + 1)];
    },
  };
}

export function yearlyGenerator(startDay: number, interval: number, month: number, pick: (year: number, month: number) => number): PatternGenerator {
  const y0 = civilFromDays(startDay).year;
  return {
    perPeriod: 1,
    periodOf: (day) => Math.floor((civilFromDays(day).year - y0) / interval),
    datesOf: (p) => [pick(y0 + p * interval, month)],
  };
}

export function absoluteDay(dayOfMonth: number): (year: number, month: number) => number {
  return (year, month) => daysFromCivil(year, month, Math.min(dayOfMonth, daysInMonth(year, month)));
}

export function relativePick(weekdays: readonly number[], index: number): (year: number, month: number) => number {
  return (year, month) => relativeDay(year, month, weekdays, index);
}
