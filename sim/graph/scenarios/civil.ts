/**
 * Civil (wall-clock) dates as day numbers, so meeting times are built without a Date object per
 * event; only occurrence starts of recurring series are converted to UTC (through luxon).
 */
import { DateTime } from 'luxon';

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export interface Civil {
  y: number;
  m: number;
  d: number;
}

export function civilFromDays(z: number): Civil {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** 0 = Sunday ... 6 = Saturday. */
export function weekday(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

export function daysInMonth(y: number, m: number): number {
  return daysFromCivil(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1) - daysFromCivil(y, m, 1);
}

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** yyyy-MM-dd */
export function isoDate(days: number): string {
  const c = civilFromDays(days);
  return `${c.y}-${PAD2[c.m]}-${PAD2[c.d]}`;
}

/** yyyy-MM-ddTHH:mm:ss (local wall time, as Graph's dateTimeTimeZone.dateTime). */
export function isoLocal(days: number, minuteOfDay: number): string {
  const c = civilFromDays(days);
  return `${c.y}-${PAD2[c.m]}-${PAD2[c.d]}T${PAD2[Math.floor(minuteOfDay / 60)]}:${PAD2[minuteOfDay % 60]}:00`;
}

function luxonZonedToUtcMs(days: number, minuteOfDay: number, iana: string): number {
  const c = civilFromDays(days);
  return DateTime.fromObject(
    { year: c.y, month: c.m, day: c.d, hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 },
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
