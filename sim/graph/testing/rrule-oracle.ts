/**
 * An independent expansion of Graph recurrences: the rrule package (RFC 5545) for the dates and
 * luxon for wall time <-> instant. Shares no code with sim/graph/recurrence or sim/graph/time.
 *
 * Graph -> RRULE mapping, and where the semantics differ:
 * - daily / weekly: FREQ=DAILY|WEEKLY;INTERVAL=n. Weekly uses BYDAY=<daysOfWeek> and
 *   WKST=<firstDayOfWeek>: RFC 5545 counts INTERVAL weeks from the WKST-delimited week holding
 *   DTSTART, which is exactly Graph's "week of startDate is week 0" rule.
 * - absoluteMonthly day d: RFC 5545 BYMONTHDAY=31 skips months without a 31st; Exchange/Outlook
 *   clamps to the month's last day. Mapped as BYMONTHDAY=28..d;BYSETPOS=-1 (the last existing of
 *   those days) when d > 28, plain BYMONTHDAY=d otherwise. absoluteYearly likewise with BYMONTH.
 * - relativeMonthly / relativeYearly: Graph's index over several daysOfWeek ("first match wins")
 *   is BYDAY=<days>;BYSETPOS=1..4, and last is BYSETPOS=-1 (the n-th of the month's matching days).
 * - DTSTART not matching the pattern: RFC 5545 says DTSTART is the first instance even then; Graph
 *   starts at the first matching date on/after range.startDate. rrule.js only yields matching
 *   dates, which is Graph's rule, so COUNT counts the same occurrences. No mapping needed.
 * - endDate: inclusive of that whole local date -> UNTIL=<endDate>T23:59:59.999 (floating).
 * - Times: the recurrence zone's wall time is fixed; a wall time in a spring-forward gap moves
 *   forward by the gap and a repeated one takes the first instant (Exchange). luxon moves gap times
 *   forward; for repeated times we take the earliest of luxon's possible offsets.
 * - rrule's own tzid support (mode 'tzid') converts with the offset in force at the wall time
 *   read as UTC (dateutil.dateInTimeZone), which is wrong within hours of a transition, so the
 *   tzid property restricts starts to 10:00-12:00, where that shortcut is exact for the tested zones.
 */
import rrulePackage from 'rrule';
import type { Options, Weekday } from 'rrule';
import { DateTime } from 'luxon';
import { findIana } from 'windows-iana';
import type { SeriesDefinition } from '../recurrence/index.js';

const { RRule } = rrulePackage;
const DAY = 86_400_000;

const WEEKDAYS: Readonly<Record<string, Weekday>> = {
  monday: RRule.MO,
  tuesday: RRule.TU,
  wednesday: RRule.WE,
  thursday: RRule.TH,
  friday: RRule.FR,
  saturday: RRule.SA,
  sunday: RRule.SU,
};
const INDEX: Readonly<Record<string, number>> = { first: 1, second: 2, third: 3, fourth: 4, last: -1 };

export interface OracleOccurrence {
  startMs: number;
  endMs: number;
  start: string;
  end: string;
}

/** IANA name via windows-iana's own lookup (Windows names) or as is. */
export function oracleIana(name: string): string {
  const viaWindows = findIana(name);
  if (viaWindows.length > 0) return viaWindows[0] as string;
  return name === 'UTC' ? 'UTC' : name;
}

/** Local wall ms (fields as UTC) of a floating 'yyyy-MM-ddTHH:mm:ss'. */
function wallMs(text: string): number {
  return Date.parse(`${text.slice(0, 19)}Z`);
}

/** Exchange's wall -> instant via luxon: gap moves forward, repeated wall time takes the first. */
export function luxonInstant(wall: number, zone: string): number {
  const d = new Date(wall);
  const dt = DateTime.fromObject(
    { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() },
    { zone },
  );
  return Math.min(...dt.getPossibleOffsets().map((x) => x.toMillis()));
}

/** Wall ms of an instant in a zone, via luxon. */
function luxonWall(ms: number, zone: string): number {
  const dt = DateTime.fromMillis(ms, { zone });
  return Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second, dt.millisecond);
}

function graphText(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'0000'");
}

export interface OracleSetup {
  rule: InstanceType<typeof RRule>;
  recurrenceZone: string;
  startZone: string;
  endZone: string;
  /** Fixed wall-clock duration of every occurrence. */
  wallDurationMs: number;
  tzid: boolean;
}

/** Builds the RRULE for a Graph series. */
export function buildOracle(series: SeriesDefinition, mode: 'floating' | 'tzid' = 'floating'): OracleSetup {
  const { pattern, range } = series.recurrence;
  const startZone = oracleIana(series.start.timeZone);
  const endZone = oracleIana(series.end.timeZone);
  const startUtc = luxonInstant(wallMs(series.start.dateTime), startZone);
  const endUtc = luxonInstant(wallMs(series.end.dateTime), endZone);
  const recurrenceZone = series.isAllDay ? startZone : oracleIana(range.recurrenceTimeZone ?? series.start.timeZone);
  const startWall = recurrenceZone === startZone ? wallMs(series.start.dateTime) : luxonWall(startUtc, recurrenceZone);
  const endWall = recurrenceZone === endZone ? wallMs(series.end.dateTime) : luxonWall(endUtc, recurrenceZone);

  const options: Partial<Options> = { dtstart: new Date(startWall), interval: pattern.interval };
  const days = (pattern.daysOfWeek ?? []).map((d) => WEEKDAYS[d.toLowerCase()] as Weekday);
  const clampedMonthDays = (d: number): Partial<Options> =>
    d <= 28 ? { bymonthday: [d] } : { bymonthday: Array.from({ length: d - 27 }, (_, i) => 28 + i), bysetpos: [-1] };
  switch (pattern.type) {
    case 'daily':
      options.freq = RRule.DAILY;
      break;
    case 'weekly':
      options.freq = RRule.WEEKLY;
      options.byweekday = days;
      options.wkst = WEEKDAYS[pattern.firstDayOfWeek ?? 'sunday'] as Weekday;
      break;
    case 'absoluteMonthly':
      Object.assign(options, { freq: RRule.MONTHLY }, clampedMonthDays(pattern.dayOfMonth as number));
      break;
    case 'relativeMonthly':
      Object.assign(options, { freq: RRule.MONTHLY, byweekday: days, bysetpos: [INDEX[pattern.index ?? 'first']] });
      break;
    case 'absoluteYearly':
      Object.assign(options, { freq: RRule.YEARLY, bymonth: [pattern.month] }, clampedMonthDays(pattern.dayOfMonth as number));
      break;
    case 'relativeYearly':
      Object.assign(options, { freq: RRule.YEARLY, bymonth: [pattern.month], byweekday: days, bysetpos: [INDEX[pattern.index ?? 'first']] });
      break;
  }
  if (range.type === 'numbered') options.count = range.numberOfOccurrences as number;
  if (range.type === 'endDate') options.until = new Date(Date.parse(`${range.endDate as string}T23:59:59.999Z`));
  if (mode === 'tzid') options.tzid = recurrenceZone;
  return { rule: new RRule(options), recurrenceZone, startZone, endZone, wallDurationMs: endWall - startWall, tzid: mode === 'tzid' };
}

/** Occurrences overlapping [windowStart, windowEnd), in the shape the engine returns. */
export function oracleExpand(setup: OracleSetup, windowStartMs: number, windowEndMs: number): OracleOccurrence[] {
  const out: OracleOccurrence[] = [];
  const stopAfter = windowEndMs + 2 * DAY;
  const lowest = windowStartMs - setup.wallDurationMs - 2 * DAY;
  const dates = setup.rule.between(new Date(lowest), new Date(stopAfter), true);
  for (const date of dates) {
    // floating: the date is the wall time; tzid: rrule already converted it to an instant.
    const startMs = setup.tzid ? date.getTime() : luxonInstant(date.getTime(), setup.recurrenceZone);
    const wall = setup.tzid ? luxonWall(startMs, setup.recurrenceZone) : date.getTime();
    const endMs = Math.max(startMs, luxonInstant(wall + setup.wallDurationMs, setup.recurrenceZone));
    const overlaps = startMs < windowEndMs && (endMs > windowStartMs || (endMs === startMs && startMs >= windowStartMs));
    if (!overlaps) continue;
    out.push({ startMs, endMs, start: graphText(startMs, setup.startZone), end: graphText(endMs, setup.endZone) });
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}

/** True if the series has at least one occurrence at all. */
export function oracleHasOccurrence(setup: OracleSetup): boolean {
  return setup.rule.all((_d, i) => i < 1).length > 0;
}
