import { describe, expect, it } from 'vitest';
import { expandSeries } from '../../../recurrence/index.js';
import type { SeriesDefinition } from '../../../recurrence/index.js';
import { at, series } from './fixtures.js';

const HOUR = 3_600_000;

function occurrences(s: SeriesDefinition, from: string, to: string): { start: string; end: string; startUtc: string; hours: number }[] {
  return expandSeries(s, at(from), at(to)).map((o) => ({
    start: o.start.dateTime,
    end: o.end.dateTime,
    startUtc: new Date(o.startMs).toISOString(),
    hours: (o.endMs - o.startMs) / HOUR,
  }));
}

describe('sim/graph/recurrence – daylight saving', () => {
  it('dst – a weekly 09:00 Europe/Berlin meeting stays at 09:00 local across the March and October changes', () => {
    const s = series({ type: 'weekly', daysOfWeek: ['wednesday'] }, {}, { start: '2026-03-25T09:00:00', end: '2026-03-25T10:00:00', timeZone: 'Europe/Berlin' });
    const march = occurrences(s, '2026-03-20T00:00:00Z', '2026-04-02T00:00:00Z');
    expect(march).toEqual([
      { start: '2026-03-25T09:00:00.0000000', end: '2026-03-25T10:00:00.0000000', startUtc: '2026-03-25T08:00:00.000Z', hours: 1 },
      { start: '2026-04-01T09:00:00.0000000', end: '2026-04-01T10:00:00.0000000', startUtc: '2026-04-01T07:00:00.000Z', hours: 1 },
    ]);
    const october = occurrences(s, '2026-10-20T00:00:00Z', '2026-11-01T00:00:00Z');
    expect(october.map((o) => [o.start, o.startUtc])).toEqual([
      ['2026-10-21T09:00:00.0000000', '2026-10-21T07:00:00.000Z'],
      ['2026-10-28T09:00:00.0000000', '2026-10-28T08:00:00.000Z'],
    ]);
  });

  it('dst – America/New_York via "Eastern Standard Time" keeps 09:00 across March and November', () => {
    const s = series({ type: 'daily', interval: 7 }, {}, { start: '2026-03-02T09:00:00', end: '2026-03-02T09:30:00', timeZone: 'Eastern Standard Time' });
    expect(occurrences(s, '2026-03-01T00:00:00Z', '2026-03-17T00:00:00Z').map((o) => [o.start, o.startUtc])).toEqual([
      ['2026-03-02T09:00:00.0000000', '2026-03-02T14:00:00.000Z'],
      ['2026-03-09T09:00:00.0000000', '2026-03-09T13:00:00.000Z'],
      ['2026-03-16T09:00:00.0000000', '2026-03-16T13:00:00.000Z'],
    ]);
    expect(occurrences(s, '2026-10-26T00:00:00Z', '2026-11-10T00:00:00Z').map((o) => [o.start, o.startUtc])).toEqual([
      ['2026-10-26T09:00:00.0000000', '2026-10-26T13:00:00.000Z'],
      ['2026-11-02T09:00:00.0000000', '2026-11-02T14:00:00.000Z'],
      ['2026-11-09T09:00:00.0000000', '2026-11-09T14:00:00.000Z'],
    ]);
  });

  it('dst – Australia/Sydney moves the other way (April back, October forward)', () => {
    const s = series({ type: 'weekly', daysOfWeek: ['monday'] }, {}, { start: '2026-03-30T09:00:00', end: '2026-03-30T10:00:00', timeZone: 'AUS Eastern Standard Time' });
    expect(occurrences(s, '2026-03-29T00:00:00Z', '2026-04-08T00:00:00Z').map((o) => [o.start, o.startUtc])).toEqual([
      ['2026-03-30T09:00:00.0000000', '2026-03-29T22:00:00.000Z'],
      ['2026-04-06T09:00:00.0000000', '2026-04-05T23:00:00.000Z'],
    ]);
    expect(occurrences(s, '2026-09-27T00:00:00Z', '2026-10-07T00:00:00Z').map((o) => [o.start, o.startUtc])).toEqual([
      ['2026-09-28T09:00:00.0000000', '2026-09-27T23:00:00.000Z'],
      ['2026-10-05T09:00:00.0000000', '2026-10-04T22:00:00.000Z'],
    ]);
  });

  it('dst – an occurrence whose wall time does not exist moves forward by the gap; the next day is back on time', () => {
    const s = series({ type: 'daily' }, {}, { start: '2026-03-27T02:30:00', end: '2026-03-27T03:00:00', timeZone: 'Europe/Berlin' });
    expect(occurrences(s, '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z').map((o) => [o.start, o.startUtc])).toEqual([
      ['2026-03-28T02:30:00.0000000', '2026-03-28T01:30:00.000Z'],
      ['2026-03-29T03:30:00.0000000', '2026-03-29T01:30:00.000Z'],
      ['2026-03-30T02:30:00.0000000', '2026-03-30T00:30:00.000Z'],
    ]);
  });

  it('dst – durations are kept in wall-clock time, so the fall-back night lasts an hour longer', () => {
    const s = series({ type: 'daily' }, {}, { start: '2026-10-20T01:00:00', end: '2026-10-20T04:00:00', timeZone: 'Europe/Berlin' });
    const [before, night] = occurrences(s, '2026-10-23T12:00:00Z', '2026-10-25T12:00:00Z');
    expect(before).toMatchObject({ start: '2026-10-24T01:00:00.0000000', end: '2026-10-24T04:00:00.0000000', hours: 3 });
    expect(night).toMatchObject({ start: '2026-10-25T01:00:00.0000000', end: '2026-10-25T04:00:00.0000000', hours: 4 });
  });

  it('dst – a wall time repeated at fall-back takes the first pass', () => {
    const s = series({ type: 'daily' }, {}, { start: '2026-10-30T01:30:00', end: '2026-10-30T02:00:00', timeZone: 'Eastern Standard Time' });
    const [sunday] = occurrences(s, '2026-11-01T00:00:00Z', '2026-11-01T12:00:00Z');
    expect(sunday).toMatchObject({ start: '2026-11-01T01:30:00.0000000', startUtc: '2026-11-01T05:30:00.000Z' });
  });
});

describe('sim/graph/recurrence – zones of a series', () => {
  it('recurrenceTimeZone – occurrences keep the wall time of the recurrence zone, not the start zone', () => {
    // 09:00 Pacific = 18:00 Berlin on Mar 2. The US changes on Mar 8, Europe on Mar 29.
    const s = series({ type: 'weekly', daysOfWeek: ['monday'] }, { recurrenceTimeZone: 'W. Europe Standard Time' }, { start: '2026-03-02T09:00:00', end: '2026-03-02T10:00:00', timeZone: 'Pacific Standard Time' });
    expect(occurrences(s, '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z').map((o) => o.start)).toEqual([
      '2026-03-02T09:00:00.0000000',
      '2026-03-09T10:00:00.0000000',
      '2026-03-16T10:00:00.0000000',
      '2026-03-23T10:00:00.0000000',
      '2026-03-30T09:00:00.0000000',
    ]);
    const inOwnZone = series({ type: 'weekly', daysOfWeek: ['monday'] }, {}, { start: '2026-03-02T09:00:00', end: '2026-03-02T10:00:00', timeZone: 'Pacific Standard Time' });
    expect(occurrences(inOwnZone, '2026-03-08T00:00:00Z', '2026-03-15T00:00:00Z').map((o) => o.start)).toEqual(['2026-03-09T09:00:00.0000000']);
  });

  it('zones – start and end may use different zones; each is written in its own', () => {
    const s = series({ type: 'daily' }, { type: 'numbered', numberOfOccurrences: 1 }, { start: '2026-03-02T09:00:00', end: '2026-03-02T12:00:00', timeZone: 'Europe/Berlin', endTimeZone: 'Europe/London' });
    const [o] = expandSeries(s, at('2026-03-01T00:00:00Z'), at('2026-03-05T00:00:00Z'));
    expect(o).toMatchObject({ start: { dateTime: '2026-03-02T09:00:00.0000000', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T12:00:00.0000000', timeZone: 'Europe/London' } });
    expect((o!.endMs - o!.startMs) / HOUR).toBe(4);
  });

  it('zones – IANA and Windows names give the same instants', () => {
    const windows = series({ type: 'relativeMonthly', daysOfWeek: ['friday'], index: 'last' }, {}, { timeZone: 'Eastern Standard Time' });
    const iana = series({ type: 'relativeMonthly', daysOfWeek: ['friday'], index: 'last' }, {}, { timeZone: 'America/New_York' });
    const ms = (s: SeriesDefinition): number[] => expandSeries(s, at('2026-01-01T00:00:00Z'), at('2028-01-01T00:00:00Z')).map((o) => o.startMs);
    expect(ms(windows)).toEqual(ms(iana));
    expect(ms(iana)).toHaveLength(22);
  });
});

describe('sim/graph/recurrence – all-day series', () => {
  it('all-day – runs midnight to midnight in wall time, 23 hours on the spring-forward day', () => {
    const s = series({ type: 'daily' }, { type: 'endDate', endDate: '2026-03-30' }, { start: '2026-03-28T00:00:00', end: '2026-03-29T00:00:00', timeZone: 'Europe/Berlin', isAllDay: true });
    expect(occurrences(s, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z')).toEqual([
      { start: '2026-03-28T00:00:00.0000000', end: '2026-03-29T00:00:00.0000000', startUtc: '2026-03-27T23:00:00.000Z', hours: 24 },
      { start: '2026-03-29T00:00:00.0000000', end: '2026-03-30T00:00:00.0000000', startUtc: '2026-03-28T23:00:00.000Z', hours: 23 },
      { start: '2026-03-30T00:00:00.0000000', end: '2026-03-31T00:00:00.0000000', startUtc: '2026-03-29T22:00:00.000Z', hours: 24 },
    ]);
  });

  it('all-day – multi-day weekly events keep their length in days', () => {
    const s = series({ type: 'weekly', interval: 2, daysOfWeek: ['friday'] }, { type: 'numbered', numberOfOccurrences: 3 }, { start: '2026-10-16T00:00:00', end: '2026-10-19T00:00:00', timeZone: 'Eastern Standard Time', isAllDay: true });
    expect(occurrences(s, '2026-10-01T00:00:00Z', '2026-12-01T00:00:00Z').map((o) => [o.start, o.end, o.hours])).toEqual([
      ['2026-10-16T00:00:00.0000000', '2026-10-19T00:00:00.0000000', 72],
      ['2026-10-30T00:00:00.0000000', '2026-11-02T00:00:00.0000000', 73],
      ['2026-11-13T00:00:00.0000000', '2026-11-16T00:00:00.0000000', 72],
    ]);
  });

  it('all-day – yearly birthday on Feb 29', () => {
    const s = series({ type: 'absoluteYearly', month: 2, dayOfMonth: 29 }, {}, { start: '2028-02-29T00:00:00', end: '2028-03-01T00:00:00', timeZone: 'UTC', isAllDay: true });
    expect(occurrences(s, '2029-01-01T00:00:00Z', '2033-01-01T00:00:00Z').map((o) => o.start.slice(0, 10))).toEqual(['2029-02-28', '2030-02-28', '2031-02-28', '2032-02-29']);
  });
});
