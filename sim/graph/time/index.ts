// STUB (sim-core branch): replaced by the real time-zone module when the lead merges sim/graph/time.
import { DateTime } from 'luxon';
import { findIana } from 'windows-iana';
import { SimGraphError, type DateTimeTimeZone } from '../model.js';

export function toIanaZone(name: string): string | undefined {
  if (name === 'UTC' || name === 'tzone://Microsoft/Utc') return 'UTC';
  const fromWindows = findIana(name)[0];
  if (fromWindows !== undefined) return fromWindows;
  return DateTime.local().setZone(name).isValid ? name : undefined;
}

export function zonedToUtcMs(dt: DateTimeTimeZone): number {
  const zone = toIanaZone(dt.timeZone);
  if (zone === undefined) throw new SimGraphError(400, 'ErrorInvalidTimeZone', `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${dt.timeZone}'.`);
  const parsed = DateTime.fromISO(dt.dateTime.replace(/Z$/, ''), { zone });
  if (!parsed.isValid) throw new SimGraphError(400, 'ErrorInvalidRequest', `Cannot convert the literal '${dt.dateTime}' to the expected type 'Edm.DateTimeOffset'.`);
  return parsed.toMillis();
}

export function utcMsToZoned(ms: number, timeZone: string): DateTimeTimeZone {
  const zone = toIanaZone(timeZone) ?? 'UTC';
  const local = DateTime.fromMillis(ms, { zone });
  return { dateTime: `${local.toFormat("yyyy-MM-dd'T'HH:mm:ss")}.0000000`, timeZone };
}
