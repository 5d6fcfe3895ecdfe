import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineMeetingsTopology, MEETINGS_TOPOLOGY_NAME } from '../../../app/index.js';
import { isStateful, type Processor } from '../../../runtime/index.js';
import type { RawCalendarRecord } from '../../../schemas/index.js';
import { standInParse, StandInParseError, type StandInGraphEvent } from '../../support/parse-standin.js';

const keyring = { lease: () => Promise.reject(new Error('not used')) };
const parse: Processor<never, never> = { name: 'parse', stateful: false, process: () => undefined };

describe('encrypt – the meetings topology', () => {
  it('encrypt – reads calendar.raw.v1 through the Avro codec, runs parse then encrypt, declares calendar.meetings.v1', () => {
    const topology = defineMeetingsTopology({ parse, keyring, maxConcurrentKeys: 64 });
    expect(topology.name).toBe(MEETINGS_TOPOLOGY_NAME);
    expect(topology.inputs).toEqual([{ topic: 'calendar.raw.v1' }]);
    expect(topology.stages.map((stage) => stage.name)).toEqual(['parse', 'encrypt']);
    expect(topology.outputs).toEqual(['calendar.meetings.v1']);
    expect(topology.maxConcurrentKeys).toBe(64);
    // encrypt keeps no state: a stateless parse makes the whole topology stateless (no state reads).
    expect(topology.stages[1]!.stateful).toBe(false);
    expect(isStateful(topology)).toBe(false);
    expect(isStateful(defineMeetingsTopology({ parse: { ...parse, stateful: true }, keyring, name: 'meetings-x' }))).toBe(true);
  });
});

const raw: RawCalendarRecord = { tenantId: 't', mailboxId: 'm', eventId: 'e1', changeType: 'CREATED', source: 'DELTA', fetchedAt: 5, sealed: null };

function event(subject: string, location: string, address: string): StandInGraphEvent {
  return {
    id: 'e1',
    subject,
    body: { contentType: 'text', content: `see https://x.webex.com/meet/${encodeURIComponent(address)}` },
    start: { dateTime: '2026-03-02T08:00:00.0000000', timeZone: 'UTC' },
    end: { dateTime: '2026-03-02T08:30:00.0000000', timeZone: 'UTC' },
    lastModifiedDateTime: '2026-03-01T00:00:00Z',
    location: { displayName: location },
    organizer: { emailAddress: { address } },
    attendees: [{ type: 'resource', emailAddress: { name: subject, address } }],
  };
}

describe('encrypt – the parse stand-in (test support until processors/parse lands)', () => {
  it('encrypt – the stand-in keeps every sensitive value exactly and puts none of them in the plaintext part', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.emailAddress(), (subject, location, address) => {
        const parsed = standInParse(raw, event(subject, location, address));
        expect(parsed.sensitive.subject).toBe(subject);
        expect(parsed.sensitive.location).toBe(location);
        expect(parsed.sensitive.organizer).toEqual({ name: null, address });
        expect(parsed.sensitive.attendees).toEqual([{ name: subject, address, type: 'resource', response: 'none' }]);
        expect(parsed).toMatchObject({ start: Date.UTC(2026, 2, 2, 8), end: Date.UTC(2026, 2, 2, 8, 30), roomMailboxIds: [], attendeeCount: 1, sourceFetchedAt: 5 });
        const { sensitive: _sensitive, ...plain } = parsed;
        const text = JSON.stringify(plain);
        for (const value of [subject, location, address]) if (value.length >= 6) expect(text).not.toContain(JSON.stringify(value).slice(1, -1));
      }),
    );
  });

  it('encrypt – the stand-in refuses what it cannot parse with errors that name paths, never values', () => {
    const secret = 'cnry-secret-subject-123';
    const cases: unknown[] = [
      { ...event(secret, 'x', 'a@b.example'), start: undefined },
      { ...event(secret, 'x', 'a@b.example'), start: { dateTime: '2026-03-02T08:00:00', timeZone: 'W. Europe Standard Time' } },
      { ...event(secret, 'x', 'a@b.example'), id: 'other' },
      { ...event(secret, 'x', 'a@b.example'), lastModifiedDateTime: secret },
      secret,
    ];
    for (const input of cases) {
      const error = (() => {
        try {
          standInParse(raw, input);
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(StandInParseError);
      expect((error as StandInParseError).retryable).toBe(false);
      expect((error as Error).message).not.toContain(secret);
    }
  });
});
