/**
 * What the API depends on, as small interfaces. The composition root wires the real ones
 * (MongoDB views, the connector's library API, the Graph access module); tests use api/memory.ts.
 * The API never imports processors, the connector or the simulator.
 */
import type { ProviderKind } from '../schemas/index.js';

export type ShowAs = 'FREE' | 'TENTATIVE' | 'BUSY' | 'OOF' | 'WORKING_ELSEWHERE' | 'UNKNOWN';

/** One meeting in a user's meeting-list view; sensitive fields are kms ciphertexts. */
export interface MeetingViewEntry {
  readonly meetingId: string;
  readonly mailboxId: string;
  readonly start: number;
  readonly end: number;
  readonly isAllDay: boolean;
  readonly isCancelled: boolean;
  readonly isPrivate: boolean;
  readonly showAs: ShowAs;
  readonly providerKind: ProviderKind;
  readonly attendeeCount: number | null;
  readonly version: number;
  readonly subject: Uint8Array | null;
  readonly location: Uint8Array | null;
  readonly organizer: Uint8Array | null;
  readonly joinDetails: Uint8Array | null;
  /** The four fields above sealed together (schemas/card.ts); when present, they are null and the card is opened instead. */
  readonly card?: Uint8Array | null;
}

/** One booking of a device; title and joinDetails are the source meeting's ciphertexts. */
export interface BookingViewEntry {
  readonly bookingId: string;
  /** Mailbox and meeting whose field context opens title and joinDetails. */
  readonly mailboxId: string;
  readonly meetingId: string;
  readonly start: number;
  readonly end: number;
  readonly joinAt: number | null;
  readonly isPrivate: boolean;
  readonly providerKind: ProviderKind;
  readonly version: number;
  readonly title: Uint8Array | null;
  readonly joinDetails: Uint8Array | null;
}

export interface DeviceBookingsView {
  readonly tenantId: string;
  readonly deviceId: string;
  /** Monotonic view version: the OBTP stream's event id. */
  readonly version: number;
  readonly bookings: readonly BookingViewEntry[];
}

export interface PresenceView {
  readonly outOfOffice: boolean;
  readonly since: number | null;
  readonly until: number | null;
  readonly version: number;
  readonly updatedAt: number;
}

/** The materialized views, read by `_id`. */
export interface ViewsReader {
  /** Meetings of a user overlapping [from, to), any order. */
  userMeetings(tenantId: string, userId: string, from: number, to: number): Promise<readonly MeetingViewEntry[]>;
  /** A device's bookings, or undefined when the device is unknown. */
  deviceBookings(tenantId: string, deviceId: string): Promise<DeviceBookingsView | undefined>;
  presence(tenantId: string, userId: string): Promise<PresenceView | undefined>;
}

/** Opens kms field ciphertexts (a kms `Keyring` fits). */
export interface FieldDecryptor {
  decryptField(ctx: { tenantId: string; recordKey: string; entityId: string; field: string }, ciphertext: Uint8Array): Promise<Buffer>;
  /** Many fields of one tenant at once, in order (a list); optional, the API falls back to `decryptField`. */
  decryptFields?(tenantId: string, fields: readonly { readonly ctx: { readonly recordKey: string; readonly entityId: string; readonly field: string }; readonly ciphertext: Uint8Array }[]): Promise<Buffer[]>;
}

// ---- Provisioning (the connector's library API) ----------------------------------------------

export type TenantState = 'authorised' | 'needs-reauthorisation' | 'unknown-domain' | 'refused-cloud' | 'pending';
export type MailboxState = 'not-activated' | 'pending' | 'activated' | 'error';

export interface TenantSummary {
  readonly tenantId: string;
  readonly displayName: string;
  readonly state: TenantState;
  /** What the administrator should do, for states other than authorised. */
  readonly reason: string | null;
  readonly domains: readonly string[];
}

export interface MailboxStatus {
  readonly mailboxId: string;
  readonly tenantId: string;
  readonly displayName: string;
  readonly address: string;
  readonly kind: 'user' | 'room';
  readonly state: MailboxState;
  readonly reason: string | null;
  readonly nextRetryAt: number | null;
}

/** A snapshot of an organisation's mailbox states; `version` changes whenever a state does. */
export interface MailboxStatusSnapshot {
  readonly version: string;
  readonly rows: readonly MailboxStatus[];
}

export interface RoomWarning {
  readonly tenantId: string;
  readonly mailboxId: string;
  readonly displayName: string;
  readonly address: string;
  /** Exchange settings that break OBTP on this room. */
  readonly problems: readonly ('DeleteComments' | 'DeleteSubject' | 'AddOrganizerToSubject')[];
}

export type TestMailboxResult =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly code: string; readonly reason: string; readonly nextStep: string };

export type ConsentOutcome =
  | { readonly ok: true; readonly tenant: TenantSummary }
  | { readonly ok: false; readonly reason: string; readonly nextStep: string };

export interface AdminIdentity {
  readonly tenantId: string;
  readonly userId: string;
  readonly username: string;
}

/** Tenants, admin consent, test mailbox, mailbox states: the connector's library API. */
export interface ProvisioningService {
  /** The organisation a Microsoft 365 tenant belongs to, or undefined. */
  orgOfTenant(tenantId: string): Promise<string | undefined>;
  /** The organisation this signed-in user administers, or undefined (not an administrator). */
  adminOrgOf(identity: AdminIdentity): Promise<string | undefined>;
  /** The identity platform's admin-consent URL for the organisation (state is the API's). */
  adminConsentUrl(orgId: string, input: { state: string; redirectUri: string }): Promise<string>;
  /** The consent callback's parameters (never trusted for redirects), checked by the connector. */
  completeAdminConsent(orgId: string, callback: { tenant: string | null; adminConsent: string | null; error: string | null; errorDescription: string | null }): Promise<ConsentOutcome>;
  testMailbox(orgId: string, tenantId: string, address: string): Promise<TestMailboxResult>;
  tenants(orgId: string): Promise<readonly TenantSummary[]>;
  mailboxStatuses(orgId: string): Promise<MailboxStatusSnapshot>;
  roomWarnings(orgId: string): Promise<readonly RoomWarning[]>;
}

/** Per-user "connect your calendar" (delegated authorization kept by the connector). */
export interface UserConnections {
  /** Stores the delegated grant (the refresh token is sealed by the connector) and activates the mailbox. */
  connect(input: { tenantId: string; userId: string; refreshToken: string; scopes: readonly string[] }): Promise<void>;
  disconnect(tenantId: string, userId: string): Promise<void>;
  state(tenantId: string, userId: string): Promise<{ state: MailboxState | 'not-connected'; reason: string | null; nextRetryAt: number | null }>;
}

// ---- Org settings -------------------------------------------------------------------------

export interface OrgSettings {
  readonly webexKeywordAction: 'personal-room' | 'space' | 'one-time';
  readonly meetKeywordAction: 'personal-room' | 'space' | 'one-time';
  readonly defaultLanguage: string;
  /** Join block header/footer by language (BCP 47), at most 1,024 characters each. */
  readonly joinBlock: Readonly<Record<string, { readonly header: string; readonly footer: string }>>;
  readonly obtpLeadMinutes: number;
  readonly governmentMode: boolean;
}

export interface SettingsStore {
  get(orgId: string): Promise<OrgSettings>;
  put(orgId: string, settings: OrgSettings): Promise<void>;
}

// ---- Calendar actions (the Graph access module, with the mailbox's own authorization mode) ---

export type InvitationResponse = 'accept' | 'tentativelyAccept' | 'decline';

/** Graph's dateTimeTimeZone: a wall time and an IANA or Windows time zone name. */
export interface DateTimeTz {
  readonly dateTime: string;
  readonly timeZone: string;
}

export interface RespondInput {
  readonly response: InvitationResponse;
  readonly comment?: string;
  readonly sendResponse: boolean;
  readonly proposedNewTime?: { readonly start: DateTimeTz; readonly end: DateTimeTz };
}

export interface CreateMeetingInput {
  readonly subject: string;
  readonly start: DateTimeTz;
  readonly end: DateTimeTz;
  /** Free text, e.g. "@webex" or "Room 4 @meet:space": handled exactly as if typed in Outlook. */
  readonly location?: string;
  readonly body?: string;
  readonly attendees: readonly { readonly address: string; readonly type: 'required' | 'optional' | 'resource' }[];
  readonly isOnlineMeeting?: boolean;
}

export interface ScheduleInput {
  readonly schedules: readonly string[];
  readonly start: DateTimeTz;
  readonly end: DateTimeTz;
  readonly availabilityViewInterval: number;
}

export interface ScheduleInformation {
  readonly scheduleId: string;
  readonly availabilityView: string;
  readonly scheduleItems: readonly { readonly status: string; readonly start: DateTimeTz; readonly end: DateTimeTz }[];
  readonly error: { readonly message: string; readonly responseCode: string } | null;
}

/** Graph refused (status and Graph's code/message); the API answers with the reason. */
export type ActionResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

export interface CalendarActions {
  respond(tenantId: string, userId: string, eventId: string, input: RespondInput): Promise<ActionResult<null>>;
  createMeeting(tenantId: string, userId: string, input: CreateMeetingInput): Promise<ActionResult<{ eventId: string }>>;
  cancelMeeting(tenantId: string, userId: string, eventId: string, comment: string | undefined): Promise<ActionResult<null>>;
  deleteMeeting(tenantId: string, userId: string, eventId: string): Promise<ActionResult<null>>;
  getSchedule(tenantId: string, userId: string, input: ScheduleInput): Promise<ActionResult<readonly ScheduleInformation[]>>;
}

// ---- State the API keeps (tokens, sessions, pending sign-ins), read and written by _id -----

export interface ApiStateStore {
  get<T extends object>(id: string): Promise<T | undefined>;
  put(id: string, value: object): Promise<void>;
  delete(id: string): Promise<void>;
}

export interface ApiDeps {
  readonly views: ViewsReader;
  readonly decryptor: FieldDecryptor;
  readonly provisioning: ProvisioningService;
  readonly connections: UserConnections;
  readonly settings: SettingsStore;
  readonly actions: CalendarActions;
  readonly state: ApiStateStore;
}
