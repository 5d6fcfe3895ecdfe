/**
 * Civil (wall-clock) dates as day numbers, so meeting times are built without a Date object per
 * event; only occurrence starts of recurring series are converted to UTC (through luxon).
 */
import { DateTime } from 'luxon';
import { civilFromDays, daysFromCivil, MS_PER_DAY } from '../time/civil.js';

/** Day arithmetic is the time module's; this file adds the generator's formatting and zones. */
export { daysFromCivil, civilFromDays, daysInMonth, dayOfWeek as weekday } from '../time/civil.js';
export type { CivilDate as Civil } from '../time/civil.js';

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** yyyy-MM-dd */
export function isoDate(days: number): string {
  const c = civilFromDays(days);
  return `${c.year}-${PAD2[c.month]}-${PAD2[c.day]}`;
}

/** yyyy-MM-ddTHH:mm:ss (local wall time, as Graph's dateTimeTimeZone.dateTime). */
export function isoLocal(days: number, minuteOfDay: number): string {
  const c = civilFromDays(days);
  return `${c.year}-${PAD2[c.month]}-${PAD2[c.day]}T${PAD2[Math.floor(minuteOfDay / 60)]}:${PAD2[minuteOfDay % 60]}:00`;
}

function luxonZonedToUtcMs(days: number, minuteOfDay: number, iana: string): number {
  const c = civilFromDays(days);
  return DateTime.fromObject(
    { year: c.year, month: c.month, day: c.day, hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 },
    { zone: iana },
  ).toMillis();
}

/**
 * Memo of a zone's UTC offset (minutes) per civil day, NaN on days with a transition. A pure
 * cache: results do not depend on what was asked before. Bounded; cleared when full.
 */
const dayOffsets = new Map<string, number>();
const DAY_OFFSETS_MAX = 200_000;

/** UTC ms of a wall time in an IANA zone (times in a DST gap move forward, as Exchange does). */
export function zonedToUtcMs(days: number, minuteOfDay: number, iana: string): number {
  const key = iana + '|' + days;
  let offset = dayOffsets.get(key);
  if (offset === undefined) {
    const offsetAtStart = (days * MS_PER_DAY - luxonZonedToUtcMs(days, 0, iana)) / 60_000;
    const offsetAtEnd = (days * MS_PER_DAY + 1439 * 60_000 - luxonZonedToUtcMs(days, 1439, iana)) / 60_000;
    offset = offsetAtStart === offsetAtEnd ? offsetAtStart : Number.NaN;
    if (dayOffsets.size >= DAY_OFFSETS_MAX) dayOffsets.clear();
    dayOffsets.set(key, offset);
  }
  if (Number.isNaN(offset)) return luxonZonedToUtcMs(days, minuteOfDay, iana);
  return days * MS_PER_DAY + (minuteOfDay - offset) * 60_000;
}

/** The civil day (in the zone) that contains the instant `ms`. */
export function localDayOf(ms: number, iana: string): number {
  const dt = DateTime.fromMillis(ms, { zone: iana });
  return daysFromCivil(dt.year, dt.month, dt.day);
}

export function utcDayOf(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}
