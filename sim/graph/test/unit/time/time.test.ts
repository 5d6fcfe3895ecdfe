import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { WINDOWS_TO_IANA_MAP } from 'windows-iana';
import { SimGraphError } from '../../../model.js';
import type { DateTimeTimeZone } from '../../../model.js';
import { toIanaZone, utcMsToZoned, zonedToUtcMs } from '../../../time/index.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const utc = (dateTime: string, timeZone: string): string => iso(zonedToUtcMs({ dateTime, timeZone }));

function graphError(fn: () => unknown): SimGraphError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SimGraphError) return error;
    throw error;
  }
  throw new Error('expected a SimGraphError');
}

/** Zones with daylight saving in both hemispheres, half-hour offsets and a 30-minute DST. */
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'America/Santiago',
  'Pacific/Auckland',
  'Pacific/Chatham',
  'America/St_Johns',
  'Asia/Kolkata',
  'Africa/Casablanca',
  'Europe/London',
  'UTC',
];

describe('sim/graph/time – zone names', () => {
  it('time – maps Windows zone names to IANA, ignoring case', () => {
    expect(toIanaZone('W. Europe Standard Time')).toBe('Europe/Berlin');
    expect(toIanaZone('Eastern Standard Time')).toBe('America/New_York');
    expect(toIanaZone('eastern STANDARD time')).toBe('America/New_York');
    expect(toIanaZone('AUS Eastern Standard Time')).toBe('Australia/Sydney');
    expect(toIanaZone('Pacific Standard Time')).toBe('America/Los_Angeles');
    expect(toIanaZone('UTC')).toBe('UTC');
    expect(toIanaZone('tzone://Microsoft/Utc')).toBe('UTC');
  });

  it('time – resolves every Windows zone name of the CLDR table to a zone Intl knows', () => {
    const names = new Set(WINDOWS_TO_IANA_MAP.map((e) => e.windowsName));
    expect(names.size).toBeGreaterThan(130);
    for (const name of names) {
      const iana = toIanaZone(name);
      expect(iana, name).toBeDefined();
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone: iana })).not.toThrow();
    }
  });

  it('time – accepts IANA names and rejects unknown names and bare offsets', () => {
    expect(toIanaZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(toIanaZone('Etc/GMT')).toBeDefined();
    expect(toIanaZone('America/Los_Angeles')).toBe('America/Los_Angeles');
    expect(toIanaZone('Mars/Olympus_Mons')).toBeUndefined();
    expect(toIanaZone('Central Mars Standard Time')).toBeUndefined();
    expect(toIanaZone('+01:00')).toBeUndefined();
    expect(toIanaZone('')).toBeUndefined();
  });
});

describe('sim/graph/time – conversions', () => {
  it('time – converts a wall time in winter and summer with the offset in force', () => {
    expect(utc('2026-01-15T09:00:00', 'Europe/Berlin')).toBe('2026-01-15T08:00:00.000Z');
    expect(utc('2026-07-15T09:00:00', 'W. Europe Standard Time')).toBe('2026-07-15T07:00:00.000Z');
    expect(utc('2026-07-15T09:00:00', 'Eastern Standard Time')).toBe('2026-07-15T13:00:00.000Z');
    expect(utc('2026-07-15T09:00:00', 'AUS Eastern Standard Time')).toBe('2026-07-14T23:00:00.000Z');
    expect(utc('2026-07-15T09:00:00', 'India Standard Time')).toBe('2026-07-15T03:30:00.000Z');
  });

  it('time – accepts 0 to 7 fraction digits and keeps the milliseconds', () => {
    expect(utc('2026-01-15T09:00:00.0000000', 'UTC')).toBe('2026-01-15T09:00:00.000Z');
    expect(utc('2026-01-15T09:00:00.1234567', 'UTC')).toBe('2026-01-15T09:00:00.123Z');
    expect(utc('2026-01-15T09:00:00.5', 'UTC')).toBe('2026-01-15T09:00:00.500Z');
  });

  it('time – moves a wall time in the spring-forward gap forward by the gap (Berlin, New York, Sydney)', () => {
    // Berlin 2026-03-29 02:00 CET -> 03:00 CEST.
    expect(utc('2026-03-29T02:30:00', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    expect(utcMsToZoned(zonedToUtcMs({ dateTime: '2026-03-29T02:30:00', timeZone: 'Europe/Berlin' }), 'Europe/Berlin').dateTime).toBe('2026-03-29T03:30:00.0000000');
    // New York 2026-03-08 02:00 EST -> 03:00 EDT.
    expect(utc('2026-03-08T02:15:00', 'Eastern Standard Time')).toBe('2026-03-08T07:15:00.000Z');
    // Sydney 2026-10-04 02:00 AEST -> 03:00 AEDT.
    expect(utc('2026-10-04T02:45:00', 'Australia/Sydney')).toBe('2026-10-03T16:45:00.000Z');
  });

  it('time – resolves a repeated fall-back wall time to the first instant (Berlin, New York, Sydney)', () => {
    // Berlin 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice, first at 00:30Z.
    expect(utc('2026-10-25T02:30:00', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
    // New York 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 first at 05:30Z.
    expect(utc('2026-11-01T01:30:00', 'Eastern Standard Time')).toBe('2026-11-01T05:30:00.000Z');
    // Sydney 2026-04-05 03:00 AEDT -> 02:00 AEST: 02:30 first at 15:30Z the day before.
    expect(utc('2026-04-05T02:30:00', 'AUS Eastern Standard Time')).toBe('2026-04-04T15:30:00.000Z');
  });

  it('time – writes instants in Graph format and echoes the zone name as given', () => {
    expect(utcMsToZoned(Date.UTC(2026, 6, 1, 12, 0, 0), 'Pacific Standard Time')).toEqual({ dateTime: '2026-07-01T05:00:00.0000000', timeZone: 'Pacific Standard Time' });
    expect(utcMsToZoned(Date.UTC(2026, 0, 1, 0, 0, 0, 250), 'UTC')).toEqual({ dateTime: '2026-01-01T00:00:00.2500000', timeZone: 'UTC' });
    expect(utcMsToZoned(Date.UTC(2026, 11, 31, 23, 0), 'europe/berlin')).toEqual({ dateTime: '2027-01-01T00:00:00.0000000', timeZone: 'europe/berlin' });
  });

  it('time – rejects an unknown zone with ErrorInvalidTimeZone', () => {
    const error = graphError(() => zonedToUtcMs({ dateTime: '2026-01-15T09:00:00', timeZone: 'Mars Standard Time' }));
    expect(error.status).toBe(400);
    expect(error.graphCode).toBe('ErrorInvalidTimeZone');
    expect(graphError(() => utcMsToZoned(0, 'Nowhere/Special')).graphCode).toBe('ErrorInvalidTimeZone');
  });

  it('time – rejects malformed dateTimes with ErrorInvalidRequest', () => {
    for (const dateTime of ['2026-01-15', '2026-01-15T09:00', '2026-01-15T09:00:00Z', '2026-01-15T09:00:00+01:00', '2026-02-30T09:00:00', '2026-13-01T00:00:00', '2026-01-15T24:00:00', '2026-01-15T09:00:00.12345678', 'tomorrow', '']) {
      const error = graphError(() => zonedToUtcMs({ dateTime, timeZone: 'UTC' }));
      expect(error.graphCode, dateTime).toBe('ErrorInvalidRequest');
      expect(error.status).toBe(400);
    }
    expect(graphError(() => zonedToUtcMs({ dateTime: 42, timeZone: 'UTC' } as unknown as DateTimeTimeZone)).graphCode).toBe('ErrorInvalidRequest');
  });

  it('time – agrees with luxon on UTC -> wall time for random instants and zones', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2045, 0, 1) }), fc.constantFrom(...ZONES), (ms, zone) => {
        const expected = DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'0000'");
        expect(utcMsToZoned(ms, zone).dateTime).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('time – agrees with luxon on wall time -> UTC, taking the first instant when repeated', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 55 * 366 * 24 * 4 }),
        fc.constantFrom(...ZONES),
        (quarterHours, zone) => {
          const local = Date.UTC(1990, 0, 1) + quarterHours * 900_000;
          const d = new Date(local);
          const luxon = DateTime.fromObject(
            { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() },
            { zone },
          );
          // luxon moves gap times forward like Exchange; for repeated times it offers both.
          const expected = Math.min(...luxon.getPossibleOffsets().map((x) => x.toMillis()));
          const dateTime = d.toISOString().slice(0, 19);
          expect(zonedToUtcMs({ dateTime, timeZone: zone })).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('time – agrees with luxon for every Windows zone, 2015-2035', () => {
    const names = [...new Set(WINDOWS_TO_IANA_MAP.map((e) => e.windowsName))];
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.integer({ min: Date.UTC(2015, 0, 1), max: Date.UTC(2035, 0, 1) }), (name, ms) => {
        const zone = toIanaZone(name)!;
        expect(utcMsToZoned(ms, name).dateTime).toBe(DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'0000'"));
      }),
      { numRuns: 4000 },
    );
  });

  it('time – round-trips every instant that is not the second pass of a repeated hour', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom(...ZONES), (ms, zone) => {
        const back = zonedToUtcMs(utcMsToZoned(ms, zone));
        const luxon = DateTime.fromMillis(ms, { zone });
        const firstPass = Math.min(...luxon.getPossibleOffsets().map((x) => x.toMillis()));
        expect(back).toBe(firstPass);
      }),
      { numRuns: 2000 },
    );
  });
});
