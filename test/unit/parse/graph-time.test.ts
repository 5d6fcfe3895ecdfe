import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { graphTimeMs } from '../../../processors/parse/index.js';

/** What graphTimeMs returned before its UTC fast path: luxon on the wall time, or a throw. */
function viaLuxon(dateTime: string, zone: string): number | 'throws' {
  const local = dateTime.replace(/(\.\d{3})\d+/, '$1').replace(/(Z|[+-]\d{2}:\d{2})$/, '');
  const parsed = DateTime.fromISO(local, { zone });
  return parsed.isValid ? parsed.toMillis() : 'throws';
}

function attempt(dateTime: string, timeZone: string): number | 'throws' {
  try {
    return graphTimeMs({ dateTime, timeZone }, 'start');
  } catch {
    return 'throws';
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

describe('parse – Graph date-times', () => {
  it('reads a UTC wall time exactly as luxon does, for any date, time and fraction (also impossible ones)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 60 }), fc.option(fc.integer({ min: 0, max: 60 })),
        fc.option(fc.stringMatching(/^[0-9]{1,7}$/)), fc.constantFrom('', 'Z', '+02:00'), fc.constantFrom('UTC', 'Etc/UTC'),
        (y, mo, d, h, mi, s, fraction, suffix, zone) => {
          const dateTime = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}${s === null ? '' : `:${pad(s)}`}${fraction === null ? '' : `.${fraction}`}${suffix}`;
          expect(attempt(dateTime, zone)).toBe(viaLuxon(dateTime, 'UTC'));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('reads Windows and IANA zone names, and the same name twice alike', () => {
    const wall = '2026-07-01T09:00:00.0000000';
    const berlin = Date.UTC(2026, 6, 1, 7, 0, 0);
    expect(graphTimeMs({ dateTime: wall, timeZone: 'W. Europe Standard Time' }, 'start')).toBe(berlin);
    expect(graphTimeMs({ dateTime: wall, timeZone: 'W. Europe Standard Time' }, 'start')).toBe(berlin);
    expect(graphTimeMs({ dateTime: wall, timeZone: 'Europe/Berlin' }, 'start')).toBe(berlin);
    expect(() => graphTimeMs({ dateTime: 'not a time', timeZone: 'UTC' }, 'start')).toThrow(/start is not a date-time/);
  });
});
