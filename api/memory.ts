/* eslint-disable @typescript-eslint/require-await -- in-memory implementations of asynchronous ports */
/**
 * In-memory implementations of the API's ports, for tests and the demo. The real ones are the
 * MongoDB views (mongo.ts), the connector's library API and the Graph access module.
 */
import type {
  ActionResult, AdminIdentity, ApiStateStore, CalendarActions, ConsentOutcome, CreateMeetingInput, DeviceBookingsView, MailboxState,
  MailboxStatus, MailboxStatusSnapshot, MeetingViewEntry, OrgSettings, PresenceView, ProvisioningService, RespondInput, RoomWarning,
  ScheduleInformation, ScheduleInput, SettingsStore, TenantSummary, TestMailboxResult, UserConnections, ViewsReader,
} from './ports.js';

export class MemoryStateStore implements ApiStateStore {
  readonly #docs = new Map<string, string>();

  async get<T extends object>(id: string): Promise<T | undefined> {
    const doc = this.#docs.get(id);
    return doc === undefined ? undefined : (JSON.parse(doc) as T);
  }

  async put(id: string, value: object): Promise<void> {
    this.#docs.set(id, JSON.stringify(value));
  }

  async delete(id: string): Promise<void> {
    this.#docs.delete(id);
  }

  /** Ids stored (tests check that no secret is used as or stored in a document). */
  dump(): Map<string, string> {
    return new Map(this.#docs);
  }
}

export class MemoryViews implements ViewsReader {
  readonly #meetings = new Map<string, MeetingViewEntry[]>();
  readonly #devices = new Map<string, DeviceBookingsView>();
  readonly #presence = new Map<string, PresenceView>();

  setMeetings(tenantId: string, userId: string, meetings: readonly MeetingViewEntry[]): void {
    this.#meetings.set(`${tenantId}/${userId}`, [...meetings]);
  }

  setDevice(view: DeviceBookingsView): void {
    this.#devices.set(`${view.tenantId}/${view.deviceId}`, view);
  }

  setPresence(tenantId: string, userId: string, presence: PresenceView): void {
    this.#presence.set(`${tenantId}/${userId}`, presence);
  }

  async userMeetings(tenantId: string, userId: string, from: number, to: number): Promise<readonly MeetingViewEntry[]> {
    return (this.#meetings.get(`${tenantId}/${userId}`) ?? []).filter((m) => m.end > from && m.start < to);
  }

  async deviceBookings(tenantId: string, deviceId: string): Promise<DeviceBookingsView | undefined> {
    return this.#devices.get(`${tenantId}/${deviceId}`);
  }

  async presence(tenantId: string, userId: string): Promise<PresenceView | undefined> {
    return this.#presence.get(`${tenantId}/${userId}`);
  }
}

export interface MemoryOrg {
  readonly orgId: string;
  /** Usernames (UPNs) of the organisation's administrators. */
  readonly admins: readonly string[];
  /** The tenant the administrators sign in from, before any tenant is connected. */
  readonly homeTenantId: string;
}

/** The connector's provisioning, in memory: consent goes to the identity platform's real adminconsent page. */
export class MemoryProvisioning implements ProvisioningService {
  readonly #orgs: readonly MemoryOrg[];
  readonly #consent: { authorityUrl: string; clientId: string };
  /** Tenants the identity platform knows, by id; joined to an org on successful consent. */
  readonly knownTenants = new Map<string, TenantSummary>();
  readonly #tenantOrg = new Map<string, string>();
  readonly testMailboxResults = new Map<string, TestMailboxResult>();
  readonly statuses: MailboxStatus[] = [];
  statusVersion = 0;
  readonly rooms: RoomWarning[] = [];

  constructor(input: { orgs: readonly MemoryOrg[]; consent: { authorityUrl: string; clientId: string } }) {
    this.#orgs = input.orgs;
    this.#consent = input.consent;
  }

  addTenant(orgId: string, tenant: TenantSummary): void {
    this.knownTenants.set(tenant.tenantId, tenant);
    this.#tenantOrg.set(tenant.tenantId, orgId);
  }

  setStatuses(rows: readonly MailboxStatus[]): void {
    this.statuses.splice(0, this.statuses.length, ...rows);
    this.statusVersion += 1;
  }

  async orgOfTenant(tenantId: string): Promise<string | undefined> {
    return this.#tenantOrg.get(tenantId) ?? this.#orgs.find((o) => o.homeTenantId === tenantId)?.orgId;
  }

  async adminOrgOf(identity: AdminIdentity): Promise<string | undefined> {
    return this.#orgs.find((o) => o.admins.some((a) => a.toLowerCase() === identity.username.toLowerCase()))?.orgId;
  }

  async adminConsentUrl(_orgId: string, input: { state: string; redirectUri: string }): Promise<string> {
    const url = new URL(`${this.#consent.authorityUrl.replace(/\/$/, '')}/organizations/adminconsent`);
    url.searchParams.set('client_id', this.#consent.clientId);
    url.searchParams.set('redirect_uri', input.redirectUri);
    url.searchParams.set('state', input.state);
    return url.toString();
  }

  async completeAdminConsent(orgId: string, callback: { tenant: string | null; adminConsent: string | null; error: string | null; errorDescription: string | null }): Promise<ConsentOutcome> {
    if (callback.error !== null) {
      return { ok: false, reason: `Consent was not granted: ${(callback.errorDescription ?? callback.error).split(/\r?\n/)[0]}`, nextStep: 'Ask a Global Administrator of the tenant to run the setup and accept the requested permissions.' };
    }
    const tenant = callback.tenant === null ? undefined : this.knownTenants.get(callback.tenant);
    if (callback.adminConsent !== 'True' || tenant === undefined) {
      return { ok: false, reason: 'The identity platform did not confirm consent for a known tenant.', nextStep: 'Start the setup again; sign in with a Global Administrator account of the tenant to connect.' };
    }
    const authorised: TenantSummary = { ...tenant, state: 'authorised', reason: null };
    this.knownTenants.set(tenant.tenantId, authorised);
    this.#tenantOrg.set(tenant.tenantId, orgId);
    return { ok: true, tenant: authorised };
  }

  async testMailbox(_orgId: string, _tenantId: string, address: string): Promise<TestMailboxResult> {
    return this.testMailboxResults.get(address.toLowerCase()) ?? { ok: false, code: 'MailboxNotFound', reason: `No mailbox ${address} exists in this tenant.`, nextStep: 'Check the address, or choose a licensed user mailbox of this tenant.' };
  }

  async tenants(orgId: string): Promise<readonly TenantSummary[]> {
    return [...this.#tenantOrg.entries()].filter(([, o]) => o === orgId).map(([t]) => this.knownTenants.get(t)!).filter((t) => t !== undefined);
  }

  async mailboxStatuses(orgId: string): Promise<MailboxStatusSnapshot> {
    return { version: `${this.statusVersion}`, rows: this.statuses.filter((r) => this.#tenantOrg.get(r.tenantId) === orgId) };
  }

  async roomWarnings(orgId: string): Promise<readonly RoomWarning[]> {
    return this.rooms.filter((r) => this.#tenantOrg.get(r.tenantId) === orgId);
  }
}

export class MemoryConnections implements UserConnections {
  readonly grants = new Map<string, { refreshToken: string; scopes: readonly string[] }>();
  readonly #states = new Map<string, { state: MailboxState; reason: string | null; nextRetryAt: number | null }>();

  async connect(input: { tenantId: string; userId: string; refreshToken: string; scopes: readonly string[] }): Promise<void> {
    this.grants.set(`${input.tenantId}/${input.userId}`, { refreshToken: input.refreshToken, scopes: input.scopes });
    this.#states.set(`${input.tenantId}/${input.userId}`, { state: 'pending', reason: null, nextRetryAt: null });
  }

  async disconnect(tenantId: string, userId: string): Promise<void> {
    this.grants.delete(`${tenantId}/${userId}`);
    this.#states.delete(`${tenantId}/${userId}`);
  }

  setState(tenantId: string, userId: string, state: { state: MailboxState; reason: string | null; nextRetryAt: number | null }): void {
    this.#states.set(`${tenantId}/${userId}`, state);
  }

  async state(tenantId: string, userId: string): Promise<{ state: MailboxState | 'not-connected'; reason: string | null; nextRetryAt: number | null }> {
    return this.#states.get(`${tenantId}/${userId}`) ?? { state: 'not-connected', reason: null, nextRetryAt: null };
  }
}

export const DEFAULT_SETTINGS: OrgSettings = Object.freeze({
  webexKeywordAction: 'personal-room', meetKeywordAction: 'space', defaultLanguage: 'en', joinBlock: {}, obtpLeadMinutes: 5, governmentMode: false,
});

export class MemorySettings implements SettingsStore {
  readonly #byOrg = new Map<string, OrgSettings>();

  async get(orgId: string): Promise<OrgSettings> {
    return this.#byOrg.get(orgId) ?? DEFAULT_SETTINGS;
  }

  async put(orgId: string, settings: OrgSettings): Promise<void> {
    this.#byOrg.set(orgId, settings);
  }
}

type Call = { readonly op: string; readonly tenantId: string; readonly userId: string; readonly eventId?: string; readonly input?: unknown };

/** Records calls; `refusals` makes an event id (or `create`, `schedule`) answer like a Graph refusal. */
export class MemoryCalendarActions implements CalendarActions {
  readonly calls: Call[] = [];
  readonly refusals = new Map<string, { status: number; code: string; message: string }>();
  #next = 1;

  #result<T>(key: string, value: T): ActionResult<T> {
    const refusal = this.refusals.get(key);
    return refusal === undefined ? { ok: true, value } : { ok: false, ...refusal };
  }

  async respond(tenantId: string, userId: string, eventId: string, input: RespondInput): Promise<ActionResult<null>> {
    this.calls.push({ op: input.response, tenantId, userId, eventId, input });
    return this.#result(eventId, null);
  }

  async createMeeting(tenantId: string, userId: string, input: CreateMeetingInput): Promise<ActionResult<{ eventId: string }>> {
    this.calls.push({ op: 'create', tenantId, userId, input });
    return this.#result('create', { eventId: `evt-${this.#next++}` });
  }

  async cancelMeeting(tenantId: string, userId: string, eventId: string, comment: string | undefined): Promise<ActionResult<null>> {
    this.calls.push({ op: 'cancel', tenantId, userId, eventId, input: { comment } });
    return this.#result(eventId, null);
  }

  async deleteMeeting(tenantId: string, userId: string, eventId: string): Promise<ActionResult<null>> {
    this.calls.push({ op: 'delete', tenantId, userId, eventId });
    return this.#result(eventId, null);
  }

  async getSchedule(tenantId: string, userId: string, input: ScheduleInput): Promise<ActionResult<readonly ScheduleInformation[]>> {
    this.calls.push({ op: 'schedule', tenantId, userId, input });
    const slots = Math.max(1, Math.round((Date.parse(`${input.end.dateTime}Z`) - Date.parse(`${input.start.dateTime}Z`)) / (input.availabilityViewInterval * 60_000)));
    return this.#result('schedule', input.schedules.map((s) => ({ scheduleId: s, availabilityView: '0'.repeat(Number.isFinite(slots) ? Math.min(slots, 1000) : 1), scheduleItems: [], error: null })));
  }
}
