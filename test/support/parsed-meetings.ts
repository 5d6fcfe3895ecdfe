import type { ParsedMeeting } from '../../schemas/index.js';
import type { Canaries, CanaryKind } from './canary.js';

/**
 * Builds ParsedMeetings (the in-memory model parse hands to encrypt) for tests, with every
 * sensitive value a fresh canary when `canaries` is given, so a later scan finds any leak.
 */
export interface ParsedMeetingOverrides extends Partial<Omit<ParsedMeeting, 'sensitive'>> {
  readonly sensitive?: Partial<ParsedMeeting['sensitive']>;
}

let counter = 0;

export function buildParsedMeeting(canaries: Canaries | null, overrides: ParsedMeetingOverrides = {}): ParsedMeeting {
  counter += 1;
  const text = (kind: CanaryKind, fallback: string): string =>
    canaries === null ? fallback : canaries.make(kind);
  const start = overrides.start ?? Date.UTC(2026, 0, 6, 9, 0, 0);
  const { sensitive, ...plain } = overrides;
  return {
    tenantId: 'tenant-a',
    mailboxId: 'mbx-1',
    meetingId: `evt-${counter}`,
    seriesMasterId: null,
    version: 1,
    op: 'UPSERT',
    start,
    end: start + 30 * 60_000,
    isAllDay: false,
    isCancelled: false,
    isPrivate: false,
    isOrganizer: true,
    showAs: 'BUSY',
    providerKind: 'WEBEX',
    intent: { provider: 'WEBEX', modifier: 'NONE' },
    attendeeCount: 2,
    roomMailboxIds: ['room-7'],
    sourceFetchedAt: start - 3_600_000,
    ...plain,
    sensitive: {
      subject: `Quarterly review ${text('subject', 'plain subject')}`,
      body: `<p>Agenda: ${text('body', 'plain body')} – join https://example.webex.com/meet/x</p>`,
      location: `Room 4 / ${text('location', 'plain location')}`,
      organizer: { name: text('name', 'Ada Lovelace'), address: text('address', 'ada@example.com') },
      attendees: [
        { name: text('name', 'Bob'), address: text('address', 'bob@example.com'), type: 'required', response: 'accepted' },
        { name: null, address: text('address', 'room7@example.com'), type: 'resource', response: 'accepted' },
      ],
      joinDetails: { provider: 'WEBEX', url: `https://example.webex.com/meet/${text('other', 'ada')}`, sipUri: `${text('address', 'ada@example.webex.com')}`, meetingNumber: '123456789', foundIn: 'body' },
      ...sensitive,
    },
  };
}
