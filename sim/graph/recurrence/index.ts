// STUB (sim-core branch): replaced by the real recurrence module when the lead merges sim/graph/recurrence.
// Handles daily and weekly patterns only, enough for the core's own tests.
import { SimGraphError, type DateTimeTimeZone, type PatternedRecurrence } from '../model.js';
import { utcMsToZoned, zonedToUtcMs } from '../time/index.js';

export interface SeriesDefinition { start: DateTimeTimeZone; end: DateTimeTimeZone; isAllDay: boolean; recurrence: PatternedRecurrence }
export interface ExpandedOccurrence { originalStartMs: number; startMs: number; endMs: number; start: DateTimeTimeZone; end: DateTimeTimeZone }

const DAY = 86_400_000;
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export function validateSeries(series: SeriesDefinition): void {
  const { pattern, range } = series.recurrence;
  if (!Number.isInteger(pattern.interval) || pattern.interval < 1) throw new SimGraphError(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation.');
  if (range.type === 'numbered' && !((range.numberOfOccurrences ?? 0) > 0)) throw new SimGraphError(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation.');
  if (range.type === 'endDate' && range.endDate === undefined) throw new SimGraphError(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation.');
}

export function expandSeries(series: SeriesDefinition, windowStartMs: number, windowEndMs: number, limit?: number): ExpandedOccurrence[] {
  const { pattern, range } = series.recurrence;
  const zone = series.start.timeZone;
  const startLocal = series.start.dateTime.slice(0, 19);
  const durationMs = zonedToUtcMs(series.end) - zonedToUtcMs(series.start);
  const base = Date.parse(`${startLocal}Z`);
  const endLimit = range.type === 'endDate' && range.endDate !== undefined ? Date.parse(`${range.endDate}T23:59:59Z`) : Infinity;
  const maxCount = range.type === 'numbered' ? (range.numberOfOccurrences ?? 0) : Infinity;
  const days = (pattern.daysOfWeek ?? []).map((d) => DAYS.indexOf(d.toLowerCase()));
  const out: ExpandedOccurrence[] = [];
  let count = 0;
  for (let i = 0; i < 5000 && count < maxCount; i += 1) {
    const localMs = base + i * DAY;
    if (localMs > endLimit) break;
    const dow = new Date(localMs).getUTCDay();
    let hit = false;
    if (pattern.type === 'weekly') {
      const week = Math.floor((i + new Date(base).getUTCDay()) / 7);
      hit = days.includes(dow) && week % pattern.interval === 0;
    } else hit = i % pattern.interval === 0;
    if (!hit) continue;
    count += 1;
    const local = new Date(localMs).toISOString().slice(0, 19);
    const startMs = zonedToUtcMs({ dateTime: local, timeZone: zone });
    const endMs = startMs + durationMs;
    if (limit === undefined && (endMs <= windowStartMs || startMs >= windowEndMs)) {
      if (startMs >= windowEndMs) break;
      continue;
    }
    out.push({ originalStartMs: startMs, startMs, endMs, start: utcMsToZoned(startMs, zone), end: utcMsToZoned(endMs, series.end.timeZone) });
    if (limit !== undefined && out.length >= limit) break;
  }
  return out;
}
