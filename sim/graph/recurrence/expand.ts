/**
 * Expanding a compiled series into the occurrences that overlap a window. The expander never walks
 * from the series start: it maps the window to the first period that can hold an overlapping
 * occurrence (periodOf) and numbers occurrences arithmetically (every period after the first holds
 * `perPeriod` dates), so a noEnd or numbered series is as cheap to expand in 2090 as in its first week.
 */
import type { DateTimeTimeZone } from '../model.js';
import { MS_PER_DAY, formatLocalMs } from '../time/index.js';
import type { CompiledSeries } from './series.js';

export interface ExpandedOccurrence {
  originalStartMs: number;
  startMs: number;
  endMs: number;
  /** In the series' start zone (the name as given). */
  start: DateTimeTimeZone;
  /** In the series' end zone (the name as given). */
  end: DateTimeTimeZone;
}

/** Instants of the occurrence on a local date. */
export function occurrenceInstants(series: CompiledSeries, day: number): { startMs: number; endMs: number } {
  const startLocal = day * MS_PER_DAY + series.timeOfDayMs;
  const startMs = series.zone.localToUtc(startLocal);
  const endMs = Math.max(startMs, series.zone.localToUtc(startLocal + series.wallDurationMs));
  return { startMs, endMs };
}

/**
 * Occurrences overlapping [windowStartMs, windowEndMs), sorted by start, at most `limit`.
 * Overlap means start < windowEnd and end > windowStart; a zero-length occurrence overlaps when
 * windowStart <= start < windowEnd.
 */
export function expandCompiled(series: CompiledSeries, windowStartMs: number, windowEndMs: number, limit = Infinity): ExpandedOccurrence[] {
  const out: ExpandedOccurrence[] = [];
  if (!(windowEndMs > windowStartMs) || !(limit > 0)) return out;
  const { generator, startDay, count, firstPeriodCount } = series;
  const perPeriod = generator.perPeriod;
  // Local dates that can overlap: offsets are within +-15 h and a DST shift changes a duration
  // by hours, so two days of margin on each side are enough.
  const dayLo = Math.floor((windowStartMs - series.wallDurationMs) / MS_PER_DAY) - 2;
  const lastDay = Math.min(series.endDay, Math.floor(windowEndMs / MS_PER_DAY) + 2);
  if (lastDay < startDay) return out;
  let period = Math.max(0, generator.periodOf(Math.max(dayLo, startDay)));
  let sorted = true;
  let previousStart = -Infinity;
  for (;;) {
    let ordinal = period === 0 ? 0 : firstPeriodCount + (period - 1) * perPeriod;
    if (ordinal >= count) break;
    const dates = generator.datesOf(period);
    if ((dates[0] as number) > lastDay) break;
    for (const day of dates) {
      if (period === 0 && day < startDay) continue;
      if (ordinal >= count || day > lastDay) break;
      ordinal += 1;
      if (day < dayLo) continue;
      const { startMs, endMs } = occurrenceInstants(series, day);
      const overlaps = startMs < windowEndMs && (endMs > windowStartMs || (endMs === startMs && startMs >= windowStartMs));
      if (!overlaps) continue;
      if (startMs < previousStart) sorted = false;
      previousStart = startMs;
      out.push({
        originalStartMs: startMs,
        startMs,
        endMs,
        start: { dateTime: formatLocalMs(series.startZone.utcToLocal(startMs)), timeZone: series.startZoneName },
        end: { dateTime: formatLocalMs(series.endZone.utcToLocal(endMs)), timeZone: series.endZoneName },
      });
      // Dates ascend, so starts ascend except across a zone's skipped calendar day; stop early
      // only while that holds.
      if (sorted && out.length >= limit) return out;
    }
    period += 1;
  }
  if (!sorted) out.sort((a, b) => a.startMs - b.startMs);
  return out.length > limit ? out.slice(0, limit) : out;
}

/** The occurrence that starts exactly at `originalStartMs`, if the series has one. */
export function occurrenceAtCompiled(series: CompiledSeries, originalStartMs: number): ExpandedOccurrence | undefined {
  return expandCompiled(series, originalStartMs, originalStartMs + 1).find((o) => o.startMs === originalStartMs);
}

export interface SeriesBounds {
  /** Start of the first occurrence. */
  firstStartMs: number;
  /** End of the last occurrence; Infinity for a noEnd range. */
  lastEndMs: number;
  /** Number of occurrences; Infinity for a noEnd range. */
  count: number;
}

/**
 * First start, last end and number of occurrences, by arithmetic (no walk): lets a store skip
 * series whose span misses a calendarView window before expanding them.
 */
export function seriesBounds(series: CompiledSeries): SeriesBounds {
  const { generator, startDay, firstPeriodCount } = series;
  const perPeriod = generator.perPeriod;
  const firstPeriod = generator.datesOf(0).filter((d) => d >= startDay);
  const firstDay = firstPeriod[0] ?? generator.datesOf(1)[0] ?? Infinity;
  const firstStartMs = occurrenceInstants(series, firstDay).startMs;
  /** Date of the occurrence with the given 0-based ordinal. */
  const dateOf = (ordinal: number): number => {
    if (ordinal < firstPeriodCount) return firstPeriod[ordinal] as number;
    const rest = ordinal - firstPeriodCount;
    const period = 1 + Math.floor(rest / perPeriod);
    return generator.datesOf(period)[rest % perPeriod] as number;
  };
  /** Number of occurrences on or before a date. */
  const countThrough = (day: number): number => {
    if (day < firstDay) return 0;
    const period = Math.max(0, generator.periodOf(day));
    if (period === 0) return firstPeriod.filter((d) => d <= day).length;
    const inPeriod = generator.datesOf(period).filter((d) => d <= day).length;
    return firstPeriodCount + (period - 1) * perPeriod + inPeriod;
  };
  let count = series.count;
  if (series.endDay !== Infinity) count = Math.min(count, countThrough(series.endDay));
  if (count === Infinity) return { firstStartMs, lastEndMs: Infinity, count };
  const lastDay = dateOf(count - 1);
  return { firstStartMs, lastEndMs: occurrenceInstants(series, lastDay).endMs, count };
}
