/** Recurrence of generated series: every Graph pattern and range type, occurrence days, and planned exceptions. */
import type {
  DayOfWeek,
  GraphEventInput,
  PatternedRecurrence,
  RecurrencePattern,
  RecurrencePatternType,
  RecurrenceRange,
  WeekIndex,
} from '../model.js';
import { PLAIN_LOCATION_OBJECTS } from './bodies.js';
import { civilFromDays, daysFromCivil, daysInMonth, isoDate, isoLocal, weekday, zonedToUtcMs } from './civil.js';
import type { Rng } from './rng.js';

export const PATTERN_TYPES: readonly RecurrencePatternType[] = ['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly'];
const PATTERN_WEIGHTS: readonly number[] = [14, 50, 10, 14, 6, 6];
export const RANGE_TYPES: readonly RecurrenceRange['type'][] = ['noEnd', 'endDate', 'numbered'];
const DAY_NAMES: readonly DayOfWeek[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const WEEK_INDEX: readonly WeekIndex[] = ['first', 'second', 'third', 'fourth', 'last'];

export interface SeriesPlan {
  pattern: RecurrencePattern;
  range: RecurrenceRange;
  startDay: number;
  startMinute: number;
  durationMinutes: number;
  /** All-day series: whole days. */
  allDay: boolean;
  timeZone: string;
  iana: string;
  subject: string;
}

function nthWeekdayOfMonth(y: number, m: number, dow: number, index: WeekIndex): number | null {
  const first = daysFromCivil(y, m, 1);
  if (index === 'last') {
    const last = first + daysInMonth(y, m) - 1;
    return last - ((weekday(last) - dow + 7) % 7);
  }
  const n = WEEK_INDEX.indexOf(index);
  const day = first + ((dow - weekday(first) + 7) % 7) + 7 * n;
  return civilFromDays(day).month === m ? day : null;
}

/**
 * Civil days of the series' occurrences, in order, up to `untilDay` (inclusive) and at most
 * `max` of them, honouring the range (endDate / numbered). Pure; used to pick exceptions.
 */
export function occurrenceDays(plan: Pick<SeriesPlan, 'pattern' | 'range' | 'startDay'>, untilDay: number, max: number): number[] {
  const { pattern, range, startDay } = plan;
  const out: number[] = [];
  const endDay = range.type === 'endDate' && range.endDate !== undefined ? dayOfIso(range.endDate) : Number.POSITIVE_INFINITY;
  const limitCount = range.type === 'numbered' ? range.numberOfOccurrences ?? 1 : Number.POSITIVE_INFINITY;
  const last = Math.min(untilDay, endDay);
  const push = (d: number): boolean => {
    if (d < startDay) return true;
    if (d > last || out.length >= max || out.length >= limitCount) return false;
    out.push(d);
    return true;
  };
  const interval = Math.max(1, pattern.interval);
  const start = civilFromDays(startDay);
  switch (pattern.type) {
    case 'daily':
      for (let d = startDay; push(d); d += interval);
      break;
    case 'weekly': {
      const fdow = DAY_NAMES.indexOf(pattern.firstDayOfWeek ?? 'sunday');
      const offsets = (pattern.daysOfWeek ?? []).map((n) => (DAY_NAMES.indexOf(n) - fdow + 7) % 7).sort((x, y) => x - y);
      const week0 = startDay - ((weekday(startDay) - fdow + 7) % 7);
      outer: for (let w = 0; w < 5000; w += interval) {
        for (const off of offsets) if (!push(week0 + w * 7 + off)) break outer;
      }
      break;
    }
    case 'absoluteMonthly':
    case 'relativeMonthly':
    case 'absoluteYearly':
    case 'relativeYearly': {
      const yearly = pattern.type === 'absoluteYearly' || pattern.type === 'relativeYearly';
      const stepMonths = yearly ? 12 * interval : interval;
      let y = start.year;
      let m = yearly ? pattern.month ?? start.month : start.month;
      for (let i = 0; i < 2000; i += 1) {
        let day: number | null;
        if (pattern.type === 'absoluteMonthly' || pattern.type === 'absoluteYearly') {
          const dom = pattern.dayOfMonth ?? 1;
          day = dom <= daysInMonth(y, m) ? daysFromCivil(y, m, dom) : null;
        } else {
          day = nthWeekdayOfMonth(y, m, DAY_NAMES.indexOf((pattern.daysOfWeek ?? ['monday'])[0] ?? 'monday'), pattern.index ?? 'first');
        }
        if (day !== null && !push(day)) break;
        m += stepMonths;
        while (m > 12) {
          m -= 12;
          y += 1;
        }
      }
      break;
    }
  }
  return out;
}

function dayOfIso(date: string): number {
  return daysFromCivil(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));
}

export function planRecurrence(rng: Rng, forcedType: RecurrencePatternType | null, forcedRange: RecurrenceRange['type'] | null, startDayIn: number, zoneName: string): { recurrence: PatternedRecurrence; startDay: number } {
  const type = forcedType ?? rng.weighted(PATTERN_TYPES, PATTERN_WEIGHTS);
  let startDay = startDayIn;
  const c0 = civilFromDays(startDay);
  if ((type === 'absoluteMonthly' || type === 'absoluteYearly') && c0.day > 28) startDay -= c0.day - 28;
  const c = civilFromDays(startDay);
  const dow = weekday(startDay);
  let pattern: RecurrencePattern;
  switch (type) {
    case 'daily':
      pattern = { type, interval: rng.chance(0.8) ? 1 : rng.int(2, 3) };
      break;
    case 'weekly': {
      const days: DayOfWeek[] = [DAY_NAMES[dow] as DayOfWeek];
      const shape = rng.next();
      if (shape < 0.15) {
        for (let d = 1; d <= 5; d += 1) if (d !== dow) days.push(DAY_NAMES[d] as DayOfWeek);
      } else if (shape < 0.35) {
        const other = 1 + ((dow + 1 + rng.int(0, 2)) % 5);
        if (other !== dow) days.push(DAY_NAMES[other] as DayOfWeek);
      }
      days.sort((a, b) => DAY_NAMES.indexOf(a) - DAY_NAMES.indexOf(b));
      pattern = { type, interval: rng.chance(0.8) ? 1 : rng.int(2, 4), daysOfWeek: days, firstDayOfWeek: rng.chance(0.6) ? 'sunday' : 'monday' };
      break;
    }
    case 'absoluteMonthly':
      pattern = { type, interval: rng.chance(0.8) ? 1 : rng.int(2, 3), dayOfMonth: c.day };
      break;
    case 'relativeMonthly':
    case 'relativeYearly': {
      const nth = Math.floor((c.day - 1) / 7);
      const isLast = c.day + 7 > daysInMonth(c.year, c.month);
      const index: WeekIndex = nth >= 4 || (isLast && rng.chance(0.5)) ? 'last' : (WEEK_INDEX[nth] as WeekIndex);
      pattern = type === 'relativeMonthly'
        ? { type, interval: rng.chance(0.8) ? 1 : 3, daysOfWeek: [DAY_NAMES[dow] as DayOfWeek], index, firstDayOfWeek: 'sunday' }
        : { type, interval: 1, month: c.month, daysOfWeek: [DAY_NAMES[dow] as DayOfWeek], index, firstDayOfWeek: 'sunday' };
      break;
    }
    case 'absoluteYearly':
      pattern = { type, interval: 1, month: c.month, dayOfMonth: c.day };
      break;
  }
  const rangeType = forcedRange ?? rng.weighted(RANGE_TYPES, [50, 30, 20]);
  const range: RecurrenceRange = { type: rangeType, startDate: isoDate(startDay), recurrenceTimeZone: zoneName };
  if (rangeType === 'endDate') range.endDate = isoDate(startDay + (type.endsWith('Yearly') ? rng.int(800, 1500) : rng.int(60, 400)));
  if (rangeType === 'numbered') range.numberOfOccurrences = type.endsWith('Yearly') ? rng.int(3, 5) : rng.int(8, 60);
  return { recurrence: { pattern, range }, startDay };
}

export interface PlannedException {
  originalStartMs: number;
  change: { cancelled: true } | { cancelled: false; patch: GraphEventInput };
}

/** Picks 1-3 occurrences near the window and cancels or modifies them. */
export function planExceptions(rng: Rng, plan: SeriesPlan, anchorDayLocal: number, count: number, forceBoth: boolean): PlannedException[] {
  const days = occurrenceDays(plan, anchorDayLocal + 31, 400);
  if (days.length < 2) return [];
  const inWindow = days.filter((d) => d >= anchorDayLocal - 7);
  const candidates = inWindow.length >= 2 ? inWindow : days;
  const chosen = new Set<number>();
  const n = Math.min(count, candidates.length - 1);
  for (let guard = 0; chosen.size < n && guard < 50; guard += 1) chosen.add(candidates[rng.int(0, candidates.length - 1)] as number);
  const out: PlannedException[] = [];
  let k = 0;
  for (const day of [...chosen].sort((a, b) => a - b)) {
    const originalStartMs = zonedToUtcMs(day, plan.allDay ? 0 : plan.startMinute, plan.iana);
    const cancel = forceBoth ? k % 2 === 0 : rng.chance(0.45);
    k += 1;
    if (cancel) {
      out.push({ originalStartMs, change: { cancelled: true } });
      continue;
    }
    const what = plan.allDay ? 0 : rng.int(0, 2);
    let patch: GraphEventInput;
    if (what === 0) {
      patch = { subject: plan.subject + ' (updated)' };
    } else if (what === 1) {
      const shift = rng.pick([-30, 30, 60, 90]);
      const s = Math.max(6 * 60, Math.min(22 * 60 - plan.durationMinutes, plan.startMinute + shift));
      patch = {
        start: { dateTime: isoLocal(day, s), timeZone: plan.timeZone },
        end: { dateTime: isoLocal(day, s + plan.durationMinutes), timeZone: plan.timeZone },
      };
    } else {
      patch = { location: rng.pick(PLAIN_LOCATION_OBJECTS) };
    }
    out.push({ originalStartMs, change: { cancelled: false, patch } });
  }
  return out;
}
