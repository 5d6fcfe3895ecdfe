import { describe, expect, it } from 'vitest';
import { expandSeries, validateSeries } from '../../../recurrence/index.js';
import type { SeriesDefinition } from '../../../recurrence/index.js';
import { at, graphError, series } from './fixtures.js';

type Mutate = (s: SeriesDefinition) => void;

function rejected(s: SeriesDefinition, mutate: Mutate = () => undefined): string {
  mutate(s);
  const error = graphError(() => validateSeries(s));
  expect(error.status).toBe(400);
  expect(error.message.length).toBeGreaterThan(10);
  // Expansion validates the same way.
  expect(graphError(() => expandSeries(s, at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'))).graphCode).toBe(error.graphCode);
  return error.graphCode;
}

const pattern = (s: SeriesDefinition): Record<string, unknown> => s.recurrence.pattern as unknown as Record<string, unknown>;
const range = (s: SeriesDefinition): Record<string, unknown> => s.recurrence.range as unknown as Record<string, unknown>;

describe('sim/graph/recurrence – bad input', () => {
  it('validation – accepts a well-formed series of every pattern type', () => {
    expect(() => validateSeries(series({ type: 'daily' }))).not.toThrow();
    expect(() => validateSeries(series({ type: 'weekly', daysOfWeek: ['monday'] }))).not.toThrow();
    expect(() => validateSeries(series({ type: 'absoluteMonthly', dayOfMonth: 2 }))).not.toThrow();
    expect(() => validateSeries(series({ type: 'relativeMonthly', daysOfWeek: ['monday'], index: 'first' }))).not.toThrow();
    expect(() => validateSeries(series({ type: 'absoluteYearly', month: 3, dayOfMonth: 2 }))).not.toThrow();
    expect(() => validateSeries(series({ type: 'relativeYearly', month: 3, daysOfWeek: ['monday'], index: 'first' }))).not.toThrow();
    expect(() => validateSeries(series({ type: 'daily' }, { type: 'numbered', numberOfOccurrences: 1 }))).not.toThrow();
    expect(() => validateSeries(series({ type: 'daily' }, { type: 'endDate', endDate: '2026-03-02' }))).not.toThrow();
  });

  it('validation – missing recurrence parts and required pattern fields are ErrorInvalidRequest', () => {
    expect(rejected(series({ type: 'daily' }), (s) => { (s as unknown as Record<string, unknown>).recurrence = null; })).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }), (s) => { delete (s.recurrence as unknown as Record<string, unknown>).pattern; })).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }), (s) => { delete (s.recurrence as unknown as Record<string, unknown>).range; })).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }), (s) => { delete pattern(s).interval; })).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }), (s) => { delete (s as unknown as Record<string, unknown>).start; })).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }), (s) => { (s as unknown as Record<string, unknown>).end = null; })).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'weekly' }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'weekly', daysOfWeek: [] }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'absoluteMonthly' }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'relativeMonthly' }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'absoluteYearly', dayOfMonth: 2 }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'relativeYearly', daysOfWeek: ['monday'] }))).toBe('ErrorInvalidRequest');
  });

  it('validation – unknown enum values and wrong types are ErrorInvalidRequest', () => {
    expect(rejected(series({ type: 'hourly' as never }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'weekly', daysOfWeek: ['funday' as never] }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'weekly', daysOfWeek: ['monday'], firstDayOfWeek: 'someday' as never }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'relativeMonthly', daysOfWeek: ['monday'], index: 'fifth' as never }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily', interval: '2' as never }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily', interval: 1.5 }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }, { type: 'sometimes' as never }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }, { type: 'numbered', numberOfOccurrences: '2' as never }))).toBe('ErrorInvalidRequest');
  });

  it('validation – out-of-range values are ErrorPropertyValidationFailure', () => {
    expect(rejected(series({ type: 'daily', interval: 0 }))).toBe('ErrorPropertyValidationFailure');
    expect(rejected(series({ type: 'daily', interval: -1 }))).toBe('ErrorPropertyValidationFailure');
    expect(rejected(series({ type: 'absoluteMonthly', dayOfMonth: 0 }))).toBe('ErrorPropertyValidationFailure');
    expect(rejected(series({ type: 'absoluteMonthly', dayOfMonth: 32 }))).toBe('ErrorPropertyValidationFailure');
    expect(rejected(series({ type: 'absoluteYearly', month: 13, dayOfMonth: 1 }))).toBe('ErrorPropertyValidationFailure');
    expect(rejected(series({ type: 'absoluteYearly', month: 4, dayOfMonth: 31 }))).toBe('ErrorPropertyValidationFailure');
  });

  it('validation – the range must start on the start date, in the recurrence zone', () => {
    expect(rejected(series({ type: 'daily' }, { startDate: '2026-03-03' }))).toBe('ErrorPropertyValidationFailure');
    // 23:30 in New York is already the next day in Berlin.
    const s = series({ type: 'daily' }, { recurrenceTimeZone: 'Europe/Berlin' }, { start: '2026-03-02T23:30:00', end: '2026-03-02T23:45:00', timeZone: 'America/New_York' });
    expect(rejected(s)).toBe('ErrorPropertyValidationFailure');
    range(s).startDate = '2026-03-03';
    expect(() => validateSeries(s)).not.toThrow();
  });

  it('validation – range dates must be real dates', () => {
    expect(rejected(series({ type: 'daily' }, { startDate: '2026-3-2' }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }), (s) => { delete range(s).startDate; })).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }, { type: 'endDate' }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }, { type: 'endDate', endDate: '2026-02-30' }))).toBe('ErrorInvalidRequest');
  });

  it('validation – numbered needs a positive count and endDate must not precede startDate', () => {
    expect(rejected(series({ type: 'daily' }, { type: 'numbered' }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }, { type: 'numbered', numberOfOccurrences: 0 }))).toBe('ErrorPropertyValidationFailure');
    expect(rejected(series({ type: 'daily' }, { type: 'endDate', endDate: '2026-03-01' }))).toBe('ErrorPropertyValidationFailure');
  });

  it('validation – an endDate before the first occurrence has no occurrence (ErrorRecurrenceHasNoOccurrence)', () => {
    expect(rejected(series({ type: 'weekly', daysOfWeek: ['friday'] }, { type: 'endDate', endDate: '2026-03-05' }))).toBe('ErrorRecurrenceHasNoOccurrence');
  });

  it('validation – all-day series must start and end at midnight, at least a day apart, in one zone', () => {
    const allDay = (start: string, end: string, endTimeZone?: string): SeriesDefinition =>
      series({ type: 'daily' }, {}, { start, end, isAllDay: true, timeZone: 'Europe/Berlin', ...(endTimeZone === undefined ? {} : { endTimeZone }) });
    expect(() => validateSeries(allDay('2026-03-02T00:00:00', '2026-03-03T00:00:00'))).not.toThrow();
    expect(rejected(allDay('2026-03-02T09:00:00', '2026-03-03T00:00:00'))).toBe('ErrorPropertyValidationFailure');
    expect(rejected(allDay('2026-03-02T00:00:00', '2026-03-02T12:00:00'))).toBe('ErrorPropertyValidationFailure');
    expect(rejected(allDay('2026-03-02T00:00:00', '2026-03-02T00:00:00'))).toBe('ErrorPropertyValidationFailure');
    expect(rejected(allDay('2026-03-02T00:00:00', '2026-03-03T00:00:00', 'Europe/London'))).toBe('ErrorPropertyValidationFailure');
  });

  it('validation – unknown zones are ErrorInvalidTimeZone, bad dateTimes ErrorInvalidRequest', () => {
    expect(rejected(series({ type: 'daily' }, {}, { timeZone: 'Mars Standard Time' }))).toBe('ErrorInvalidTimeZone');
    expect(rejected(series({ type: 'daily' }, { recurrenceTimeZone: 'Nowhere/Special' }))).toBe('ErrorInvalidTimeZone');
    expect(rejected(series({ type: 'daily' }, {}, { start: '2026-03-02 09:00' }))).toBe('ErrorInvalidRequest');
    expect(rejected(series({ type: 'daily' }, {}, { end: '2026-03-02T08:00:00' }))).toBe('ErrorInvalidRequest');
  });
});
