/**
 * TypeScript views of the Avro values in schemas/*.avsc (hand-kept in step with the schemas; a unit
 * test round-trips each through avsc so a drift fails). Times are UTC milliseconds.
 */
export type RawChangeType = 'CREATED' | 'UPDATED' | 'DELETED' | 'UNKNOWN';
export type RawSource = 'NOTIFICATION' | 'DELTA' | 'INSTANCES' | 'RECONCILE' | 'OTHER';

export interface RawCalendarRecord {
  tenantId: string;
  mailboxId: string;
  eventId: string;
  changeType: RawChangeType;
  source: RawSource;
  fetchedAt: number;
  sealed: Buffer | null;
}

export interface RawMailboxSettings {
  tenantId: string;
  mailboxId: string;
  source: 'POLL' | 'NOTIFICATION' | 'RECONCILE' | 'OTHER';
  fetchedAt: number;
  sealed: Buffer;
}

export interface KeyRef {
  keyId: string;
  version: number;
}

export type ProviderKind = 'NONE' | 'WEBEX' | 'TEAMS' | 'ZOOM' | 'MEET' | 'SIP' | 'OTHER';

export interface KeywordIntent {
  provider: 'WEBEX' | 'MEET' | 'OTHER';
  modifier: 'NONE' | 'MYROOM' | 'SPACE' | 'ONETIME' | 'OTHER';
}

/** The mailbox owner's own response to a meeting (for a room mailbox: the room's acceptance). */
export type ResponseStatus = 'NONE' | 'ORGANIZER' | 'TENTATIVELY_ACCEPTED' | 'ACCEPTED' | 'DECLINED' | 'NOT_RESPONDED';

export interface MeetingOccurrence {
  tenantId: string;
  mailboxId: string;
  meetingId: string;
  seriesMasterId: string | null;
  version: number;
  op: 'UPSERT' | 'REMOVE';
  start: number;
  end: number;
  isAllDay: boolean;
  isCancelled: boolean;
  isPrivate: boolean;
  isOrganizer: boolean;
  showAs: 'FREE' | 'TENTATIVE' | 'BUSY' | 'OOF' | 'WORKING_ELSEWHERE' | 'UNKNOWN';
  providerKind: ProviderKind;
  intent: KeywordIntent | null;
  attendeeCount: number;
  roomMailboxIds: string[];
  keyRef: KeyRef;
  /** Encrypted fields (kms field-encryption format). */
  subject: Buffer | null;
  body: Buffer | null;
  location: Buffer | null;
  organizer: Buffer | null;
  attendees: Buffer | null;
  joinDetails: Buffer | null;
  sourceFetchedAt: number;
  responseStatus: ResponseStatus;
  /**
   * subject, location, organizer and joinDetails sealed together (schemas/card.ts), for meeting
   * lists; null (or absent, for values built before it) when the writer did not seal one.
   */
  card?: Buffer | null;
}

/** The fields of a meeting that are encrypted, by name (the associated data binds this name). */
export const MEETING_ENCRYPTED_FIELDS = ['subject', 'body', 'location', 'organizer', 'attendees', 'joinDetails'] as const;
export type MeetingEncryptedField = (typeof MEETING_ENCRYPTED_FIELDS)[number];

export interface DeviceBookingEvent {
  deviceId: string;
  tenantId: string;
  bookingId: string;
  action: 'BOOKING_UPSERT' | 'BOOKING_REMOVE' | 'JOIN_SHOW' | 'JOIN_EXPIRE' | 'OTHER';
  start: number;
  end: number;
  isPrivate: boolean;
  providerKind: ProviderKind;
  version: number;
  keyRef: KeyRef | null;
  title: Buffer | null;
  joinDetails: Buffer | null;
  emittedAt: number;
  /** When the Join button shows (start − lead); null when the booking has no Join button. */
  joinAt: number | null;
  mailboxId: string | null;
}

export interface PresenceChange {
  tenantId: string;
  userId: string;
  outOfOffice: boolean;
  since: number | null;
  until: number | null;
  version: number;
  updatedAt: number;
}

export interface GraphNotification {
  tenantId: string;
  mailboxId: string;
  kind: 'CHANGE' | 'LIFECYCLE' | 'COMMAND' | 'OTHER';
  changeType: 'CREATED' | 'UPDATED' | 'DELETED' | 'NONE' | 'OTHER';
  lifecycleEvent: 'REAUTHORIZATION_REQUIRED' | 'SUBSCRIPTION_REMOVED' | 'MISSED' | 'NONE' | 'OTHER';
  command: 'ACTIVATE' | 'RESYNC' | 'DEACTIVATE' | 'NONE' | 'OTHER';
  subscriptionId: string | null;
  eventId: string | null;
  changeKey: string | null;
  receivedAt: number;
}

export interface TopicValues {
  'graph.notifications.v1': GraphNotification;
  'calendar.raw.v1': RawCalendarRecord;
  'mailbox.settings.raw.v1': RawMailboxSettings;
  'calendar.meetings.v1': MeetingOccurrence;
  'obtp.devices.v1': DeviceBookingEvent;
  'presence.v1': PresenceChange;
}
