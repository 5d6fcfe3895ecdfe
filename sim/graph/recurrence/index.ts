/**
 * Recurrence engine of the Graph simulator: validates Graph's patternedRecurrence and expands a
 * series into occurrences for a window (instances, calendarView, delta). Pure functions over the
 * shared Graph types; see patterns.ts for Exchange's semantics and series.ts for the time model.
 */
import { compileSeries } from './series.js';
import type { SeriesDefinition } from './series.js';
import { expandCompiled, occurrenceAtCompiled, seriesBounds } from './expand.js';
import type { ExpandedOccurrence, SeriesBounds } from './expand.js';

export { compileSeries, expandCompiled, occurrenceAtCompiled, seriesBounds };
export { occurrenceInstants } from './expand.js';
export type { SeriesDefinition, ExpandedOccurrence, SeriesBounds };
export type { CompiledSeries } from './series.js';

/**
 * Throws SimGraphError (400) if Graph would reject the series: ErrorInvalidRequest for missing or
 * malformed fields, ErrorPropertyValidationFailure for values out of range (interval < 1,
 * startDate not the start's date, numberOfOccurrences < 1, endDate before startDate, all-day not
 * at midnight), ErrorInvalidTimeZone for unknown zones, ErrorRecurrenceHasNoOccurrence for an
 * endDate range that ends before the first occurrence.
 */
export function validateSeries(series: SeriesDefinition): void {
  compileSeries(series);
}

/**
 * Occurrences of a series overlapping [windowStartMs, windowEndMs), sorted by start, capped at
 * `limit`. Validates like validateSeries. For repeated expansion of one series, compile once with
 * compileSeries and call expandCompiled.
 */
export function expandSeries(series: SeriesDefinition, windowStartMs: number, windowEndMs: number, limit?: number): ExpandedOccurrence[] {
  return expandCompiled(compileSeries(series), windowStartMs, windowEndMs, limit);
}

/** The occurrence of a series that starts exactly at `originalStartMs` (UTC ms), if any. */
export function occurrenceAt(series: SeriesDefinition, originalStartMs: number): ExpandedOccurrence | undefined {
  return occurrenceAtCompiled(compileSeries(series), originalStartMs);
}
