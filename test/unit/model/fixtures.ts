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
