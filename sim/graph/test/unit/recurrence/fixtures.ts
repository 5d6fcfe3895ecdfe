import type { RecurrencePattern, RecurrenceRange } from '../../../model.js';
import { SimGraphError } from '../../../model.js';
import type { SeriesDefinition } from '../../../recurrence/index.js';

export interface SeriesOptions {
  start?: string;
  end?: string;
  timeZone?: string;
  endTimeZone?: string;
  isAllDay?: boolean;
}

/** A series whose range.startDate defaults to the start's date. */
export function series(pattern: Partial<RecurrencePattern> & Pick<RecurrencePattern, 'type'>, range: Partial<RecurrenceRange> = {}, options: SeriesOptions = {}): SeriesDefinition {
  const start = options.start ?? '2026-03-02T09:00:00';
  const end = options.end ?? '2026-03-02T10:00:00';
  const timeZone = options.timeZone ?? 'W. Europe Standard Time';
  return {
    start: { dateTime: start, timeZone },
    end: { dateTime: end, timeZone: options.endTimeZone ?? timeZone },
    isAllDay: options.isAllDay ?? false,
    recurrence: {
      pattern: { interval: 1, ...pattern },
      range: { type: 'noEnd', startDate: start.slice(0, 10), ...range },
    },
  };
}

export const at = (iso: string): number => Date.parse(iso);

export function graphError(fn: () => unknown): SimGraphError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SimGraphError) return error;
    throw error;
  }
  throw new Error('expected a SimGraphError');
}
