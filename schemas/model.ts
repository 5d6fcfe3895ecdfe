import type { KeywordIntent, MeetingOccurrence, ProviderKind } from './values.js';

/**
 * The parsed meeting: what processors/parse hands to processors/encrypt, in memory only (it holds
 * plaintext and must never be written to a topic, a collection or a log). Encrypt turns it into a
 * `MeetingOccurrence` (calendar.meetings.v1) whose `sensitive` part is encrypted field by field.
 */
export interface ParsedAttendee {
  name: string | null;
  address: string;
  type: 'required' | 'optional' | 'resource';
  response: 'none' | 'organizer' | 'tentativelyAccepted' | 'accepted' | 'declined' | 'notResponded';
}

export interface JoinDetails {
  provider: ProviderKind;
  url: string | null;
  sipUri: string | null;
  meetingNumber: string | null;
  /** Where it was found: location, body, onlineMeeting, org rule, or writeback. */
  foundIn: 'location' | 'body' | 'onlineMeeting' | 'rule' | 'writeback';
  /** Catalogue id of the service (`zoom`, `webex`, …; `sip` for a bare address), when parse knows it. */
  service?: string | undefined;
  passcode?: string | undefined;
  /** Why parse chose these details over the alternatives (no addresses in it). */
  reason?: string | undefined;
  /** Phone dial-ins (`+digits` and what is dialled after them). */
  dialIns?: string[] | undefined;
  /** Join details of other services or meetings in the same invitation, best first. */
  alternatives?: JoinAlternative[] | undefined;
}

export interface JoinAlternative {
  service: string;
  provider: ProviderKind;
  url: string | null;
  sipUri: string | null;
  foundIn: 'location' | 'body' | 'onlineMeeting';
  quoted: boolean;
}

export interface MeetingSensitiveFields {
  subject: string | null;
  body: string | null;
  location: string | null;
  organizer: { name: string | null; address: string } | null;
  attendees: ParsedAttendee[];
  joinDetails: JoinDetails | null;
}

/** Plaintext scheduling fields exactly as they go onto calendar.meetings.v1. */
export type MeetingPlainFields = Omit<
  MeetingOccurrence,
  'keyRef' | 'subject' | 'body' | 'location' | 'organizer' | 'attendees' | 'joinDetails'
>;

export interface ParsedMeeting extends MeetingPlainFields {
  readonly sensitive: MeetingSensitiveFields;
}

export type { KeywordIntent };
