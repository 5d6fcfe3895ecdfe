import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { registerSimCommand } from '../../cli.js';
import { ManualClock } from '../../clock.js';
import { Throttle } from '../../throttle/index.js';
import { SimGraphError } from '../../model.js';
import { parseEventFilter, parseOrderBy, parseQuery, parseSelect } from '../../server/odata.js';
import { parseEventInput } from '../../store/index.js';
import { localToUtcMs } from '../../store/store.js';
import { zonedToUtcMs } from '../../time/index.js';

const onlyGraphErrors = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SimGraphError);
    expect((error as SimGraphError).status).toBe(400);
  }
};

describe('sim/graph parsers and conversions', () => {
  it('odata – any $filter, $orderby, $select or query string either parses or answers a Graph 400, never crashes', () => {
    const alphabet = fc.constantFrom("start/dateTime", "end/dateTime", 'subject', ' eq ', ' ge ', ' and ', ' or ', 'not ', '(', ')', "'x'", "'2026-01-01T00:00:00'", '1', 'true', '/', ':', ',', 'any(', 'e', 'e/id', "''", '%', '&', '=', '$top', 'singleValueExtendedProperties');
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 12 }).map((a) => a.join('')), (text) => {
      onlyGraphErrors(() => parseEventFilter(text));
      onlyGraphErrors(() => parseOrderBy(text));
      onlyGraphErrors(() => parseSelect(text));
      onlyGraphErrors(() => parseQuery(text));
    }), { numRuns: 2000 });
  });

  it('odata – filters on start/dateTime compare in UTC, strings case-insensitively', () => {
    const filter = parseEventFilter("start/dateTime ge '2026-01-01T10:00:00' and subject eq 'HELLO'");
    const view = { startMs: Date.UTC(2026, 0, 1, 10), event: { subject: 'hello' } } as never;
    expect(filter?.(view)).toBe(true);
  });

  it('events input – arbitrary JSON bodies are accepted or rejected with RequestBodyRead', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      try {
        parseEventInput(value);
      } catch (error) {
        expect(error).toBeInstanceOf(SimGraphError);
        expect((error as SimGraphError).graphCode).toBe('RequestBodyRead');
      }
    }), { numRuns: 500 });
  });

  it('store – its zone conversion equals the time module at every quarter hour of a year, DST change hours included', () => {
    const zones = ['Pacific Standard Time', 'W. Europe Standard Time', 'Europe/London', 'Australia/Lord_Howe', 'Chatham Islands Standard Time', 'America/St_Johns', 'Asia/Tehran'];
    for (const zone of zones) {
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 15 * 60_000) {
        const local = new Date(ms).toISOString().slice(0, 19);
        expect(localToUtcMs(`${local}.0000000`, zone)).toBe(zonedToUtcMs({ dateTime: local, timeZone: zone }));
      }
    }
  });

  it('store – its zone conversion equals the time module across DST, Windows and IANA names', () => {
    const zones = ['Pacific Standard Time', 'W. Europe Standard Time', 'Europe/London', 'America/New_York', 'UTC', 'AUS Eastern Standard Time', 'India Standard Time', 'Australia/Lord_Howe'];
    fc.assert(fc.property(
      fc.constantFrom(...zones),
      fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2028, 0, 1) }),
      (zone, ms) => {
        const local = new Date(Math.floor(ms / 60_000) * 60_000).toISOString().slice(0, 19);
        expect(localToUtcMs(`${local}.0000000`, zone)).toBe(zonedToUtcMs({ dateTime: local, timeZone: zone }));
      },
    ), { numRuns: 1000 });
  });

  it('throttle – a fifth concurrent request per app and mailbox gets 429; releasing frees a slot; other mailboxes are separate', () => {
    const throttle = new Throttle(new ManualClock(0));
    const held = [1, 2, 3, 4].map(() => throttle.acquire('app', 'mbx'));
    expect(() => throttle.acquire('app', 'mbx')).toThrow(SimGraphError);
    const other = throttle.acquire('app', 'other');
    held[0]?.();
    const again = throttle.acquire('app', 'mbx');
    for (const release of [...held, other, again]) release?.();
  });

  it('cli – the sim command registers --users, --rooms and --seed', () => {
    const program = new Command('hycal');
    registerSimCommand(program);
    const sim = program.commands.find((c) => c.name() === 'sim');
    expect(sim?.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--users', '--rooms', '--seed']));
  });
});
