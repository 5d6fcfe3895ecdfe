/**
 * Compiling a recurring series (start, end, isAllDay, patternedRecurrence) into numbers the
 * expander works on, validating it on the way with Graph's rules and error codes.
 *
 * Time model (Exchange's): a series has a recurrence zone R = range.recurrenceTimeZone, else the
 * start's zone. Occurrence dates are computed on R's calendar; every occurrence starts at the same
 * wall-clock time in R and lasts the same wall-clock duration, so a 09:00-10:00 Europe/Berlin
 * meeting is 08:00Z in winter and 07:00Z in summer. All-day series run from midnight to midnight in
 * the start's zone for a whole number of days (recurrenceTimeZone does not move them).
 */
import { SimGraphError } from '../model.js';
import type { DateTimeTimeZone, PatternedRecurrence } from '../model.js';
import { MS_PER_DAY, daysInMonth, parseDate, requireLocalDateTime, requireZone } from '../time/index.js';
import type { ZoneRules } from '../time/index.js';
import {
  WEEKDAY_INDEX,
  WEEK_INDEX,
  absoluteDay,
  dailyGenerator,
  monthlyGenerator,
  relativePick,
  weeklyGenerator,
  yearlyGenerator,
} from './patterns.js';
import type { PatternGenerator } from './patterns.js';

export interface SeriesDefinition {
  start: DateTimeTimeZone;
  end: DateTimeTimeZone;
  isAllDay: boolean;
  recurrence: PatternedRecurrence;
}

export interface CompiledSeries {
  readonly generator: PatternGenerator;
  /** Recurrence zone: dates and wall times of occurrences live here. */
  readonly zone: ZoneRules;
  readonly startZone: ZoneRules;
  readonly endZone: ZoneRules;
  readonly startZoneName: string;
  readonly endZoneName: string;
  readonly isAllDay: boolean;
  /** range.startDate as an epoch day in the recurrence zone. */
  readonly startDay: number;
  /** Wall-clock time of day of each start, ms after midnight (0 for all-day). */
  readonly timeOfDayMs: number;
  /** Wall-clock duration (whole days for all-day). */
  readonly wallDurationMs: number;
  /** Last allowed date (inclusive), Infinity without one. */
  readonly endDay: number;
  /** Number of occurrences, Infinity unless numbered. */
  readonly count: number;
  /** Dates of period 0 on or after startDay. */
  readonly firstPeriodCount: number;
}

const PATTERN_TYPES = ['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly'] as const;
type PatternType = (typeof PATTERN_TYPES)[number];
const RANGE_TYPES = ['endDate', 'noEnd', 'numbered'] as const;

/** A received value as text for an error message. */
function show(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

function invalidRequest(message: string): SimGraphError {
  return new SimGraphError(400, 'ErrorInvalidRequest', message);
}

function validationFailure(message: string): SimGraphError {
  return new SimGraphError(400, 'ErrorPropertyValidationFailure', message);
}

/** Enum values are matched case-insensitively, as Graph does ("Monday" is accepted). */
function enumValue<T extends string>(value: unknown, allowed: readonly T[], property: string): T {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    const match = allowed.find((a) => a.toLowerCase() === lower);
    if (match !== undefined) return match;
  }
  throw invalidRequest(`Invalid value '${show(value)}' for property '${property}'. Allowed values: ${allowed.join(', ')}.`);
}

function weekday(value: unknown, property: string): number {
  const name = enumValue(value, Object.keys(WEEKDAY_INDEX), property);
  return WEEKDAY_INDEX[name] as number;
}

function requiredInteger(value: unknown, property: string, min: number, max: number): number {
  if (value === undefined || value === null) {
    throw invalidRequest(`The property '${property}' is required for this recurrence pattern.`);
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidRequest(`Cannot convert the literal '${show(value)}' to the expected type 'Edm.Int32' (${property}).`);
  }
  if (value < min || value > max) {
    throw validationFailure(`The value ${value} of property '${property}' is out of range; it must be between ${min} and ${max}.`);
  }
  return value;
}

function weekdays(value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidRequest("The property 'daysOfWeek' is required for this recurrence pattern and must list at least one day.");
  }
  return value.map((v) => weekday(v, 'recurrence.pattern.daysOfWeek'));
}

function weekIndex(value: unknown): number {
  if (value === undefined || value === null) return 1;
  return WEEK_INDEX[enumValue(value, Object.keys(WEEK_INDEX), 'recurrence.pattern.index')] as number;
}

function requiredDate(value: unknown, property: string): number {
  if (value === undefined || value === null) throw invalidRequest(`The property '${property}' is required for this recurrence range.`);
  const day = typeof value === 'string' ? parseDate(value) : undefined;
  if (day === undefined) throw invalidRequest(`Cannot convert the literal '${show(value)}' to the expected type 'Edm.Date' (${property}); use yyyy-MM-dd.`);
  return day;
}

function buildGenerator(recurrence: PatternedRecurrence, startDay: number): PatternGenerator {
  const pattern = recurrence.pattern as unknown as Record<string, unknown> | undefined;
  if (pattern === undefined || pattern === null || typeof pattern !== 'object') throw invalidRequest("The property 'recurrence.pattern' is required.");
  const type: PatternType = enumValue(pattern.type, PATTERN_TYPES, 'recurrence.pattern.type');
  const interval = requiredInteger(pattern.interval, 'recurrence.pattern.interval', 1, 999);
  switch (type) {
    case 'daily':
      return dailyGenerator(startDay, interval);
    case 'weekly': {
      const first = pattern.firstDayOfWeek === undefined || pattern.firstDayOfWeek === null ? 0 : weekday(pattern.firstDayOfWeek, 'recurrence.pattern.firstDayOfWeek');
      return weeklyGenerator(startDay, interval, weekdays(pattern.daysOfWeek), first);
    }
    case 'absoluteMonthly':
      return monthlyGenerator(startDay, interval, absoluteDay(requiredInteger(pattern.dayOfMonth, 'recurrence.pattern.dayOfMonth', 1, 31)));
    case 'relativeMonthly':
      return monthlyGenerator(startDay, interval, relativePick(weekdays(pattern.daysOfWeek), weekIndex(pattern.index)));
    case 'absoluteYearly': {
      const month = requiredInteger(pattern.month, 'recurrence.pattern.month', 1, 12);
      // A yearly date must exist in some year of that month (Feb 29 does; Apr 31 does not).
      const dayOfMonth = requiredInteger(pattern.dayOfMonth, 'recurrence.pattern.dayOfMonth', 1, daysInMonth(2000, month));
      return yearlyGenerator(startDay, interval, month, absoluteDay(dayOfMonth));
    }
    case 'relativeYearly': {
      const month = requiredInteger(pattern.month, 'recurrence.pattern.month', 1, 12);
      return yearlyGenerator(startDay, interval, month, relativePick(weekdays(pattern.daysOfWeek), weekIndex(pattern.index)));
    }
  }
}

/** Validates a series with Graph's rules and compiles it for expansion. */
export function compileSeries(series: SeriesDefinition): CompiledSeries {
  const recurrence = series.recurrence as PatternedRecurrence | undefined | null;
  if (recurrence === undefined || recurrence === null || typeof recurrence !== 'object') throw invalidRequest("The property 'recurrence' is required for a recurring event.");
  const range = recurrence.range as unknown as Record<string, unknown> | undefined;
  if (range === undefined || range === null || typeof range !== 'object') throw invalidRequest("The property 'recurrence.range' is required.");

  for (const key of ['start', 'end'] as const) {
    const value = series[key] as DateTimeTimeZone | undefined | null;
    if (value === undefined || value === null || typeof value !== 'object') throw invalidRequest(`The property '${key}' is required for a recurring event.`);
  }
  const startZone = requireZone(series.start.timeZone);
  const endZone = requireZone(series.end.timeZone);
  const startLocal = requireLocalDateTime(series.start.dateTime, 'start.dateTime');
  const endLocal = requireLocalDateTime(series.end.dateTime, 'end.dateTime');
  const startUtc = startZone.localToUtc(startLocal);
  const endUtc = endZone.localToUtc(endLocal);
  if (endUtc < startUtc) throw invalidRequest("The event's end time must not be earlier than its start time.");

  const isAllDay = series.isAllDay === true;
  let zone: ZoneRules;
  let startWall: number;
  let wallDurationMs: number;
  if (isAllDay) {
    if (startLocal % MS_PER_DAY !== 0 || endLocal % MS_PER_DAY !== 0) {
      throw validationFailure('The start and end of an all-day event must be at midnight (00:00:00) in their time zone.');
    }
    if (startZone.iana !== endZone.iana) throw validationFailure('The start and end of an all-day event must be in the same time zone.');
    if (endLocal <= startLocal) throw validationFailure('An all-day event must last at least one day.');
    zone = startZone;
    startWall = startLocal;
    wallDurationMs = endLocal - startLocal;
  } else {
    const named = range.recurrenceTimeZone;
    zone = named === undefined || named === null || named === '' ? startZone : requireZone(named);
    // Keep the wall times as written when they are already in the recurrence zone (a start in a
    // spring-forward gap keeps its intended time on the other days).
    startWall = zone.iana === startZone.iana ? startLocal : zone.utcToLocal(startUtc);
    const endWall = zone.iana === endZone.iana ? endLocal : zone.utcToLocal(endUtc);
    wallDurationMs = Math.max(0, endWall - startWall);
  }
  const startDay = Math.floor(startWall / MS_PER_DAY);
  const timeOfDayMs = startWall - startDay * MS_PER_DAY;

  const rangeType = enumValue(range.type, RANGE_TYPES, 'recurrence.range.type');
  const rangeStart = requiredDate(range.startDate, 'recurrence.range.startDate');
  if (rangeStart !== startDay) {
    throw validationFailure("The recurrence range's startDate must be the same as the date of the event's start in the recurrence time zone.");
  }
  let endDay = Infinity;
  let count = Infinity;
  if (rangeType === 'endDate') {
    endDay = requiredDate(range.endDate, 'recurrence.range.endDate');
    if (endDay < rangeStart) throw validationFailure("The recurrence range's endDate must not be earlier than its startDate.");
  } else if (rangeType === 'numbered') {
    if (range.numberOfOccurrences === undefined || range.numberOfOccurrences === null) {
      throw invalidRequest("The property 'recurrence.range.numberOfOccurrences' is required for a numbered recurrence range.");
    }
    count = requiredInteger(range.numberOfOccurrences, 'recurrence.range.numberOfOccurrences', 1, 999_999);
  }

  const generator = buildGenerator(recurrence, startDay);
  const firstPeriod = generator.datesOf(0).filter((d) => d >= startDay);
  const firstPeriodCount = firstPeriod.length;
  const firstDate = firstPeriod[0] ?? generator.datesOf(1)[0] ?? Infinity;
  if (firstDate > endDay) {
    // Exchange's code for a range that ends before the pattern's first date.
    throw new SimGraphError(400, 'ErrorRecurrenceHasNoOccurrence', 'The recurrence has no occurrences in the specified range.');
  }
  return {
    generator,
    zone,
    startZone,
    endZone,
    startZoneName: series.start.timeZone,
    endZoneName: series.end.timeZone,
    isAllDay,
    startDay,
    timeOfDayMs,
    wallDurationMs,
    endDay,
    count,
    firstPeriodCount,
  };
}
