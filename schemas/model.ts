import type { KeywordIntent, MeetingOccurrence, ProviderKind, ResponseStatus } from './values.js';

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
  'keyRef' | 'subject' | 'body' | 'location' | 'organizer' | 'attendees' | 'joinDetails' | 'card'
>;

export interface ParsedMeeting extends Omit<MeetingPlainFields, 'responseStatus'> {
  /** The mailbox owner's response; absent means NONE (a parser that does not read it yet). */
  readonly responseStatus?: ResponseStatus | undefined;
  readonly sensitive: MeetingSensitiveFields;
}

export type { KeywordIntent };

/**
 * The meeting model's rules every consumer of calendar.meetings.v1 applies (obtp, materialize):
 *
 * - One record per occurrence: a single meeting, or one occurrence / exception of a series (from
 *   Graph's instances; a moved occurrence keeps its id, a cancelled one comes with isCancelled).
 *   `meetingId` is Graph's (immutable) id of the occurrence, so it is deterministic.
 * - `version` is monotonic per meeting (the event's lastModifiedDateTime; a deletion's fetch
 *   time): a consumer keeps the highest and ignores anything at or below it.
 * - op REMOVE retracts the occurrence. A REMOVE whose meetingId is a series master's id (its
 *   `seriesMasterId` is null) retracts every occurrence of that series known at or below its version.
 * - A meeting belongs to the window [now − 7 d, now + 31 d] while it ends after the lower edge and
 *   starts before the upper one; all-day and multi-day meetings are plain [start, end) intervals.
 */
export const DAY_MS = 24 * 60 * 60 * 1000;
export const MEETING_WINDOW_PAST_MS = 7 * DAY_MS;
export const MEETING_WINDOW_AHEAD_MS = 31 * DAY_MS;

/** Whether [start, end) overlaps the window around `now`. */
export function inMeetingWindow(start: number, end: number, now: number): boolean {
  return end > now - MEETING_WINDOW_PAST_MS && start < now + MEETING_WINDOW_AHEAD_MS;
}

/**
 * Bytes kept in processor state or views come back from MongoDB as BSON Binary: this gives a Buffer
 * for either (null stays null).
 */
export function asBytes(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const inner = (value as { buffer?: unknown }).buffer;
  if (inner instanceof Uint8Array) return Buffer.from(inner.buffer, inner.byteOffset, inner.byteLength);
  return null;
}
