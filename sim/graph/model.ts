/**
 * Shared shapes of the Microsoft Graph simulator: Graph's own JSON types (as documented, see
 * ../shared/reference/graph.md) and the seams between the simulator's parts. The HTTP server and
 * the mailbox store (sim/graph/server, sim/graph/store) implement `ScenarioSink` and
 * `ActivityTarget`; the scenario generator (sim/graph/scenarios) drives them; the notification hub
 * (sim/graph/notifications) receives `ResourceChange`s from the store; recurrence expansion
 * (sim/graph/recurrence) and time zones (sim/graph/time) are pure functions over these types.
 */

/** Graph `dateTimeTimeZone`: local wall time (no offset, 7 fraction digits in responses) + zone name. */
export interface DateTimeTimeZone {
  dateTime: string;
  /** A Windows zone name ("Pacific Standard Time") or an IANA name ("Europe/Berlin"); default "UTC". */
  timeZone: string;
}

export type DayOfWeek = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';
export type WeekIndex = 'first' | 'second' | 'third' | 'fourth' | 'last';
export type RecurrencePatternType =
  | 'daily'
  | 'weekly'
  | 'absoluteMonthly'
  | 'relativeMonthly'
  | 'absoluteYearly'
  | 'relativeYearly';

export interface RecurrencePattern {
  type: RecurrencePatternType;
  interval: number;
  month?: number;
  dayOfMonth?: number;
  daysOfWeek?: DayOfWeek[];
  firstDayOfWeek?: DayOfWeek;
  index?: WeekIndex;
}

export interface RecurrenceRange {
  type: 'endDate' | 'noEnd' | 'numbered';
  /** yyyy-MM-dd; must equal the series' start date in its zone. */
  startDate: string;
  endDate?: string;
  numberOfOccurrences?: number;
  recurrenceTimeZone?: string;
}

export interface PatternedRecurrence {
  pattern: RecurrencePattern;
  range: RecurrenceRange;
}

export interface EmailAddress {
  name?: string;
  address: string;
}

/** Graph `timeSlot`. */
export interface TimeSlot {
  start: DateTimeTimeZone;
  end: DateTimeTimeZone;
}

export interface Attendee {
  type: 'required' | 'optional' | 'resource';
  emailAddress: EmailAddress;
  status?: { response: ResponseType; time: string };
  /** On the organizer's copy: the time this attendee proposed when declining or tentatively accepting. */
  proposedNewTime?: TimeSlot;
}

export type ResponseType = 'none' | 'organizer' | 'tentativelyAccepted' | 'accepted' | 'declined' | 'notResponded';

export interface ItemBody {
  contentType: 'text' | 'html';
  content: string;
}

/** Graph `physicalAddress` (v1.0: no `type`). */
export interface PhysicalAddress {
  street?: string;
  city?: string;
  state?: string;
  countryOrRegion?: string;
  postalCode?: string;
}

/** Graph `outlookGeoCoordinates`. */
export interface GeoCoordinates {
  latitude?: number;
  longitude?: number;
  altitude?: number;
  accuracy?: number;
  altitudeAccuracy?: number;
}

export const LOCATION_TYPES = [
  'default', 'conferenceRoom', 'homeAddress', 'businessAddress', 'geoCoordinates', 'streetAddress', 'hotel', 'restaurant', 'localBusiness', 'postalAddress',
] as const;
export const LOCATION_UNIQUE_ID_TYPES = ['unknown', 'locationStore', 'directory', 'private', 'bing'] as const;

export interface GraphLocation {
  displayName?: string;
  locationType?: string;
  locationUri?: string;
  locationEmailAddress?: string;
  uniqueId?: string;
  uniqueIdType?: string;
  address?: PhysicalAddress;
  coordinates?: GeoCoordinates;
}

export interface SingleValueExtendedProperty {
  id: string;
  value: string;
}

/** What a client may send to create an event (POST .../events); every field optional as in Graph. */
export interface GraphEventInput {
  subject?: string;
  body?: ItemBody;
  start?: DateTimeTimeZone;
  end?: DateTimeTimeZone;
  isAllDay?: boolean;
  location?: GraphLocation;
  locations?: GraphLocation[];
  attendees?: Attendee[];
  organizer?: { emailAddress: EmailAddress };
  recurrence?: PatternedRecurrence | null;
  sensitivity?: 'normal' | 'personal' | 'private' | 'confidential';
  showAs?: 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere' | 'unknown';
  importance?: 'low' | 'normal' | 'high';
  isOnlineMeeting?: boolean;
  onlineMeetingProvider?: 'unknown' | 'skypeForBusiness' | 'skypeForConsumer' | 'teamsForBusiness';
  isReminderOn?: boolean;
  reminderMinutesBeforeStart?: number;
  categories?: string[];
  transactionId?: string;
  singleValueExtendedProperties?: SingleValueExtendedProperty[];
}

export type EventType = 'singleInstance' | 'occurrence' | 'exception' | 'seriesMaster';

export type AutomaticRepliesStatus = 'disabled' | 'alwaysEnabled' | 'scheduled';

export interface AutomaticRepliesSetting {
  status: AutomaticRepliesStatus;
  externalAudience: 'none' | 'contactsOnly' | 'all';
  scheduledStartDateTime?: DateTimeTimeZone;
  scheduledEndDateTime?: DateTimeTimeZone;
  internalReplyMessage?: string;
  externalReplyMessage?: string;
}

export interface MailboxSettingsInput {
  automaticRepliesSetting?: AutomaticRepliesSetting;
  /** e.g. { locale: "de-DE", displayName: "German (Germany)" } */
  language?: { locale: string; displayName?: string };
  timeZone?: string;
}

/** Clouds with their documented Graph and login hosts (see graph.md section 7). */
export type CloudName = 'worldwide' | 'gcc' | 'gccHigh' | 'dod' | 'china';

/**
 * How a tenant writes enum values that Graph's examples and schema spell differently
 * (`automaticRepliesSetting.status` `Scheduled` vs `scheduled`, `externalAudience` `All` vs `all`,
 * getSchedule `status` `Busy` vs `busy`): `schema` lowercase-first as the metadata says,
 * `documented` capitalised as the examples show, `mixed` (default) a seeded choice per tenant,
 * mailbox and property, so a case-sensitive client fails on some mailboxes of every tenant.
 */
export type EnumCasing = 'schema' | 'documented' | 'mixed';

export interface ScenarioTenant {
  id: string;
  displayName: string;
  cloud: CloudName;
  /** Default `mixed`. */
  enumCasing?: EnumCasing;
  /** Verified domains; exactly one isDefault, one isInitial (*.onmicrosoft.com). */
  domains: { id: string; isDefault: boolean; isInitial: boolean }[];
}

export interface ScenarioMailbox {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mail: string;
  kind: 'user' | 'room';
  /** Mailboxes without an Exchange Online licence answer MailboxNotEnabledForRESTAPI. */
  mailboxEnabled: boolean;
  mailboxSettings: MailboxSettingsInput;
}

/** How the scenario generator loads a tenant into the simulator (implemented by the store). */
export interface ScenarioSink {
  addTenant(tenant: ScenarioTenant): void;
  addMailbox(tenantId: string, mailbox: ScenarioMailbox): void;
  /** Adds an event without emitting change notifications; returns the new event id. */
  addEvent(tenantId: string, mailboxId: string, event: GraphEventInput): string;
  /** Modifies or cancels one occurrence of a series (by its original start, UTC ms). */
  addOccurrenceException(
    tenantId: string,
    mailboxId: string,
    seriesMasterId: string,
    originalStartMs: number,
    change: { cancelled: true } | { cancelled: false; patch: GraphEventInput },
  ): void;
  /**
   * Links an attendee's copy (added with `addEvent`) to the organizer's event: same iCalUId, the
   * response the same on both sides. Optional: sinks that keep no events ignore it.
   */
  linkCopy?(tenantId: string, organizer: { mailboxId: string; eventId: string }, copy: { mailboxId: string; eventId: string }): void;
}

/** What the activity driver does to a running simulator (implemented by the store; emits notifications). */
export interface ActivityTarget {
  listMailboxes(tenantId: string): readonly string[];
  listEventIds(tenantId: string, mailboxId: string): readonly string[];
  createEvent(tenantId: string, mailboxId: string, event: GraphEventInput): string;
  updateEvent(tenantId: string, mailboxId: string, eventId: string, patch: GraphEventInput): void;
  /** Organizer cancels: the event stays with isCancelled=true for attendees, is deleted for the organizer. */
  cancelEvent(tenantId: string, mailboxId: string, eventId: string): void;
  deleteEvent(tenantId: string, mailboxId: string, eventId: string): void;
  setAutomaticReplies(tenantId: string, mailboxId: string, setting: AutomaticRepliesSetting): void;
}

/** A change the store reports to the notification hub. */
export interface ResourceChange {
  tenantId: string;
  /** The mailbox's user id (GUID). */
  mailboxId: string;
  changeType: 'created' | 'updated' | 'deleted';
  /** Graph event id. */
  eventId: string;
  /** Simulator time of the change, UTC ms. */
  at: number;
  /** The item's changeKey after the change (the notification's `@odata.etag`). */
  changeKey?: string;
}

/** Graph's error body: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`. */
export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError?: Record<string, string>;
  };
}

/**
 * A Graph-shaped failure raised by any part of the simulator; the HTTP layer turns it into the
 * status, headers and documented error body.
 */
export class SimGraphError extends Error {
  readonly status: number;
  readonly graphCode: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, graphCode: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'SimGraphError';
    this.status = status;
    this.graphCode = graphCode;
    this.headers = Object.freeze({ ...headers });
  }
}
