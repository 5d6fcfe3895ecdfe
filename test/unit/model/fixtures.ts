import fc from 'fast-check';
import { expect } from 'vitest';
import type { MeetingOccurrence } from '../../../schemas/index.js';

export const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** A calendar.meetings.v1 value for unit tests (ciphertext fields are opaque marker bytes). */
export function occurrence(overrides: Partial<MeetingOccurrence> = {}): MeetingOccurrence {
  const start = overrides.start ?? T0 + HOUR;
  const id = overrides.meetingId ?? 'evt-1';
  return {
    tenantId: 'tenant-a',
    mailboxId: 'room-1',
    meetingId: id,
    seriesMasterId: null,
    version: 1,
    op: 'UPSERT',
    start,
    end: start + 30 * MIN,
    isAllDay: false,
    isCancelled: false,
    isPrivate: false,
    isOrganizer: false,
    showAs: 'BUSY',
    providerKind: 'WEBEX',
    intent: null,
    attendeeCount: 3,
    roomMailboxIds: [],
    keyRef: { keyId: 'k1', version: 1 },
    subject: Buffer.from(`subject-ct-${id}`),
    body: null,
    location: Buffer.from(`location-ct-${id}`),
    organizer: Buffer.from(`organizer-ct-${id}`),
    attendees: null,
    joinDetails: Buffer.from(`join-ct-${id}`),
    sourceFetchedAt: T0,
    responseStatus: 'ACCEPTED',
    ...overrides,
  };
}

/**
 * Property: for any histories, delivering their records in any order, some of them twice, ends in
 * the same result (`outcome`) as delivering them once in order.
 */
export async function assertConverges<H>(histories: fc.Arbitrary<H>, records: (h: H, seriesRemoved: boolean) => MeetingOccurrence[], outcome: (input: readonly MeetingOccurrence[]) => Promise<unknown>): Promise<void> {
  await fc.assert(
    fc.asyncProperty(histories, fc.boolean(), fc.infiniteStream(fc.nat()), async (h, seriesRemoved, randoms) => {
      const inOrder = records(h, seriesRemoved);
      const it = randoms[Symbol.iterator]();
      const scrambled = [...inOrder, ...inOrder.filter(() => it.next().value % 2 === 0)]
        .map((m) => ({ m, r: it.next().value }))
        .sort((x, y) => x.r - y.r)
        .map(({ m }) => m);
      expect(await outcome(scrambled)).toEqual(await outcome(inOrder));
    }),
    { numRuns: 150 },
  );
}
