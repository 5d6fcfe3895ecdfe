/**
 * Time zones of the Graph simulator: Graph's `dateTimeTimeZone` (a wall time plus a Windows or
 * IANA zone name) to and from UTC instants. Pure functions; offsets come from per-zone tables built
 * once from Intl (see zone-rules.ts), so conversions are cheap enough for bulk expansion.
 */
import { SimGraphError } from '../model.js';
import type { DateTimeTimeZone } from '../model.js';
import { formatLocalMs, parseLocalDateTime } from './civil.js';
import { toIanaZone, zoneRules } from './zones.js';
import type { ZoneRules } from './zone-rules.js';

export { toIanaZone, zoneRules };
export type { ZoneRules };
export {
  MS_PER_DAY,
  civilFromDays,
  dayOfWeek,
  daysFromCivil,
  daysInMonth,
  formatDate,
  formatLocalMs,
  isLeapYear,
  parseDate,
  parseLocalDateTime,
} from './civil.js';
export type { CivilDate } from './civil.js';

/** Zone rules for a name, or Graph's 400 ErrorInvalidTimeZone. */
export function requireZone(name: unknown): ZoneRules {
  const rules = typeof name === 'string' ? zoneRules(name) : undefined;
  if (rules === undefined) {
    throw new SimGraphError(400, 'ErrorInvalidTimeZone', `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${String(name)}'.`);
  }
  return rules;
}

/** Local ms of a Graph dateTime string, or Graph's 400 ErrorInvalidRequest. */
export function requireLocalDateTime(text: unknown, what = 'dateTime'): number {
  const local = typeof text === 'string' ? parseLocalDateTime(text) : undefined;
  if (local === undefined) {
    throw new SimGraphError(400, 'ErrorInvalidRequest', `Cannot convert the literal '${String(text)}' to the expected type 'Edm.DateTime' (${what}); use yyyy-MM-ddTHH:mm:ss[.fffffff].`);
  }
  return local;
}

/**
 * UTC ms of a wall time in its zone. Wall times skipped by a spring-forward transition move
 * forward by the gap (like Exchange); wall times repeated at fall-back take the first instant.
 */
export function zonedToUtcMs(dt: DateTimeTimeZone): number {
  // Zone first: Graph reports an unknown zone even when the dateTime is also bad.
  const rules = requireZone(dt.timeZone);
  return rules.localToUtc(requireLocalDateTime(dt.dateTime));
}

/** A UTC instant as Graph writes it in `timeZone` (the given name is echoed). */
export function utcMsToZoned(ms: number, timeZone: string): DateTimeTimeZone {
  const rules = requireZone(timeZone);
  return { dateTime: formatLocalMs(rules.utcToLocal(ms)), timeZone };
}
