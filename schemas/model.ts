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
