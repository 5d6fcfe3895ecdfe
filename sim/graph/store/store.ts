import type { Clock } from '../../../common/clock.js';
import {
  SimGraphError,
  type ActivityTarget, type Attendee, type AutomaticRepliesSetting, type CloudName, type GraphEventInput, type GraphLocation,
  type MailboxSettingsInput, type PatternedRecurrence, type ResourceChange, type ResponseType, type ScenarioMailbox,
  type ScenarioSink, type ScenarioTenant,
} from '../model.js';
import {
  compileSeries, expandCompiled, occurrenceAtCompiled, seriesBounds, type CompiledSeries, type SeriesDefinition,
} from '../recurrence/index.js';
import { requireLocalDateTime, requireZone, zonedToUtcMs, utcMsToZoned, toIanaZone } from '../time/index.js';
import { NO_TIME, StoredEvent, viewOf, type EventView, type StoredSeries } from './event.js';
import { changeKey, eventId, iCalUId, occurrenceId, parseOccurrenceId } from './ids.js';
import { intern, internKeyed, internObject } from './intern.js';
import type { MailboxSettingsPatch } from './validate.js';

export const MAX_ATTENDEES = 500;

export interface MailboxSettingsState {
  automaticRepliesSetting?: AutomaticRepliesSetting;
  language?: { locale: string; displayName?: string };
  timeZone?: string;
  dateFormat?: string;
  timeFormat?: string;
  workingHours?: Record<string, unknown>;
  delegateMeetingMessageDeliveryOptions?: string;
}

export class Mailbox {
  readonly events = new Map<string, StoredEvent>();
  tombstones: Map<string, StoredEvent> | undefined = undefined;
  /** Change sequence: bumped on every change in this mailbox. */
  seq = 0;
  counter = 0;
  settings: MailboxSettingsState;

  constructor(
    readonly index: number,
    readonly tenantId: string,
    readonly id: string,
    readonly userPrincipalName: string,
    readonly displayName: string,
    readonly mail: string,
    readonly kind: 'user' | 'room',
    public mailboxEnabled: boolean,
    settings: MailboxSettingsInput,
  ) {
    this.settings = settings;
  }
}

export interface TenantState {
  readonly id: string;
  readonly displayName: string;
  readonly cloud: CloudName;
  readonly domains: ScenarioTenant['domains'];
  readonly mailboxes: Map<string, Mailbox>;
  readonly byAddress: Map<string, Mailbox>;
}

export interface WriteOptions {
  /** Emit a ResourceChange (default true). */
  notify?: boolean;
  /** Send invitations/updates/cancellations to attendee mailboxes of the same tenant (default true). */
  propagate?: boolean;
  /** `If-Match` etag or changeKey: a stale one fails with 412 ErrorIrresolvableConflict. */
  ifMatch?: string | undefined;
}

const itemNotFound = () => new SimGraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

function normaliseLocal(dateTime: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$/.exec(dateTime);
  if (m === null) throw new SimGraphError(400, 'ErrorInvalidRequest', `Cannot convert the literal '${dateTime}' to the expected type 'Edm.DateTimeOffset'.`);
  return `${m[1] ?? ''}T${m[2] ?? ''}:${m[3] ?? ''}:${m[4] ?? '00'}.${(m[5] ?? '').padEnd(7, '0')}`;
}

/**
 * Wall time in a zone to UTC ms, exactly as sim/graph/time converts it (spring-forward gaps move
 * forward, fall-back repeats take the first instant). The zone's offset tables make this cheap
 * enough for bulk loading, so no per-hour memo is kept (one was, and it disagreed inside DST
 * change hours of zones whose transitions are not on the hour).
 */
export function localToUtcMs(local: string, timeZone: string): number {
  return requireZone(timeZone).localToUtc(requireLocalDateTime(local));
}

function etagMatches(ifMatch: string, key: string): boolean {
  if (ifMatch === '*') return true;
  const bare = ifMatch.replace(/^W\//, '').replace(/^"|"$/g, '');
  return bare === key;
}

function occurrenceDate(local: string): string {
  return local.slice(0, 10);
}

/**
 * The simulator's mailboxes: tenants, users and rooms, events with series exceptions, changeKeys and
 * delta sequence numbers. Implements the scenario generator's sink and the activity driver's target;
 * reports every change (except scenario loading) to its listeners.
 */
export class SimStore implements ScenarioSink, ActivityTarget {
  readonly tenants = new Map<string, TenantState>();
  readonly #clock: Clock;
  readonly #listeners: ((change: ResourceChange) => void)[] = [];
  #mailboxCount = 0;
  #changeCounter = 0;
  #eventCount = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get eventCount(): number {
    return this.#eventCount;
  }

  onChange(listener: (change: ResourceChange) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  // ---- ScenarioSink ---------------------------------------------------------------------------

  addTenant(tenant: ScenarioTenant): void {
    if (this.tenants.has(tenant.id)) return;
    this.tenants.set(tenant.id, {
      id: tenant.id, displayName: tenant.displayName, cloud: tenant.cloud,
      domains: tenant.domains.map((d) => ({ ...d })), mailboxes: new Map(), byAddress: new Map(),
    });
  }

  addMailbox(tenantId: string, mailbox: ScenarioMailbox): void {
    const tenant = this.requireTenant(tenantId);
    const mbx = new Mailbox(
      this.#mailboxCount++, tenantId, mailbox.id, mailbox.userPrincipalName, mailbox.displayName, mailbox.mail,
      mailbox.kind, mailbox.mailboxEnabled, mailbox.mailboxSettings,
    );
    tenant.mailboxes.set(mbx.id, mbx);
    tenant.byAddress.set(mbx.userPrincipalName.toLowerCase(), mbx);
    tenant.byAddress.set(mbx.mail.toLowerCase(), mbx);
  }

  addEvent(tenantId: string, mailboxId: string, event: GraphEventInput): string {
    const mbx = this.requireMailbox(tenantId, mailboxId);
    return this.insertEvent(mbx, event, { notify: false, propagate: false }).id;
  }

  addOccurrenceException(
    tenantId: string, mailboxId: string, seriesMasterId: string, originalStartMs: number,
    change: { cancelled: true } | { cancelled: false; patch: GraphEventInput },
  ): void {
    const mbx = this.requireMailbox(tenantId, mailboxId);
    const id = occurrenceId(seriesMasterId, originalStartMs);
    if (change.cancelled) this.removeEvent(mbx, id, { notify: false, propagate: false });
    else this.patchEvent(mbx, id, change.patch, { notify: false, propagate: false });
  }

  // ---- ActivityTarget -------------------------------------------------------------------------

  listMailboxes(tenantId: string): readonly string[] {
    return [...this.requireTenant(tenantId).mailboxes.keys()];
  }

  listEventIds(tenantId: string, mailboxId: string): readonly string[] {
    return [...this.requireMailbox(tenantId, mailboxId).events.keys()];
  }

  createEvent(tenantId: string, mailboxId: string, event: GraphEventInput): string {
    return this.insertEvent(this.requireMailbox(tenantId, mailboxId), event).id;
  }

  updateEvent(tenantId: string, mailboxId: string, eventIdValue: string, patch: GraphEventInput): void {
    this.patchEvent(this.requireMailbox(tenantId, mailboxId), eventIdValue, patch);
  }

  cancelEvent(tenantId: string, mailboxId: string, eventIdValue: string): void {
    this.removeEvent(this.requireMailbox(tenantId, mailboxId), eventIdValue, { propagate: true });
  }

  deleteEvent(tenantId: string, mailboxId: string, eventIdValue: string): void {
    this.removeEvent(this.requireMailbox(tenantId, mailboxId), eventIdValue, { propagate: false });
  }

  /** Occurrence and exception ids of a series in [startMs, endMs) (what `instances` lists); [] for a non-series. */
  listInstanceIds(tenantId: string, mailboxId: string, seriesMasterId: string, startMs: number, endMs: number): readonly string[] {
    const mbx = this.requireMailbox(tenantId, mailboxId);
    const master = mbx.events.get(seriesMasterId);
    if (master === undefined || master.recurrence === null) return [];
    return this.instances(mbx, seriesMasterId, startMs, endMs).map((v) => v.id);
  }

  setAutomaticReplies(tenantId: string, mailboxId: string, setting: AutomaticRepliesSetting): void {
    const mbx = this.requireMailbox(tenantId, mailboxId);
    this.patchMailboxSettings(mbx, { automaticRepliesSetting: setting });
  }

  // ---- Lookup ---------------------------------------------------------------------------------

  tenant(tenantId: string): TenantState | undefined {
    return this.tenants.get(tenantId);
  }

  requireTenant(tenantId: string): TenantState {
    const tenant = this.tenants.get(tenantId);
    if (tenant === undefined) throw new SimGraphError(404, 'Request_ResourceNotFound', `Tenant '${tenantId}' does not exist.`);
    return tenant;
  }

  /** Mailbox by id (GUID), UPN or primary SMTP address. */
  findMailbox(tenantId: string, idOrUpn: string): Mailbox | undefined {
    const tenant = this.tenants.get(tenantId);
    if (tenant === undefined) return undefined;
    return tenant.mailboxes.get(idOrUpn) ?? tenant.byAddress.get(idOrUpn.toLowerCase());
  }

  requireMailbox(tenantId: string, idOrUpn: string): Mailbox {
    const mbx = this.findMailbox(tenantId, idOrUpn);
    if (mbx === undefined) throw new SimGraphError(404, 'ErrorInvalidUser', `The requested user '${idOrUpn}' is invalid.`);
    return mbx;
  }

  // ---- Events ---------------------------------------------------------------------------------

  insertEvent(mbx: Mailbox, input: GraphEventInput, options: WriteOptions = {}): StoredEvent {
    if (input.start === undefined || input.end === undefined) {
      throw new SimGraphError(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation. Start and End are required.');
    }
    const now = this.#clock.now();
    const id = eventId(mbx.index, ++mbx.counter);
    const organizerAddress = input.organizer?.emailAddress.address ?? mbx.mail;
    const seed = `${organizerAddress.toLowerCase()}|${input.subject ?? ''}|${input.start.dateTime}|${input.start.timeZone}|${input.transactionId ?? ''}`;
    const ev = new StoredEvent(id, iCalUId(seed));
    ev.createdMs = now;
    ev.isOrganizer = organizerAddress.toLowerCase() === mbx.mail.toLowerCase() || organizerAddress.toLowerCase() === mbx.userPrincipalName.toLowerCase();
    const orgName = input.organizer === undefined ? mbx.displayName : input.organizer.emailAddress.name ?? input.organizer.emailAddress.address;
    const orgAddress = input.organizer === undefined ? mbx.mail : input.organizer.emailAddress.address;
    ev.organizer = internKeyed(`o|${orgAddress}|${orgName}`, () => ({ emailAddress: { name: orgName, address: orgAddress } }));
    if (!ev.isOrganizer) ev.response = 'notResponded';
    this.applyInput(ev, input, true);
    if (input.transactionId !== undefined) {
      for (const other of mbx.events.values()) {
        if (other.transactionId === input.transactionId) return other;
      }
    }
    this.touch(mbx, ev, now);
    mbx.events.set(id, ev);
    this.#eventCount += 1;
    if (options.notify !== false) this.emit(mbx, 'created', id, now, ev.changeKey);
    if (options.propagate !== false && ev.isOrganizer) this.propagate(mbx, ev, 'invite');
    return ev;
  }

  /** Applies create/PATCH input to a stored event (validating times, all-day and recurrence). */
  private applyInput(ev: StoredEvent, input: GraphEventInput, creating: boolean): void {
    if (input.subject !== undefined) ev.subject = intern(input.subject ?? '');
    if (input.body !== undefined) {
      ev.bodyType = input.body.contentType === 'html' ? 'html' : 'text';
      ev.bodyContent = intern(input.body.content);
    }
    const startChanged = input.start !== undefined || input.end !== undefined || input.isAllDay !== undefined;
    if (input.isAllDay !== undefined) ev.isAllDay = input.isAllDay;
    if (input.start !== undefined) {
      ev.startLocal = intern(normaliseLocal(input.start.dateTime));
      ev.startTz = intern(input.start.timeZone || 'UTC');
    }
    if (input.end !== undefined) {
      ev.endLocal = intern(normaliseLocal(input.end.dateTime));
      ev.endTz = intern(input.end.timeZone || 'UTC');
    }
    if (startChanged || creating) {
      ev.startMs = localToUtcMs(ev.startLocal, ev.startTz);
      ev.endMs = localToUtcMs(ev.endLocal, ev.endTz);
      if (ev.endMs < ev.startMs) throw new SimGraphError(400, 'ErrorInvalidRequest', 'The start time of the event must be before its end time.');
      if (ev.isAllDay && (!ev.startLocal.endsWith('T00:00:00.0000000') || !ev.endLocal.endsWith('T00:00:00.0000000') || ev.endLocal <= ev.startLocal)) {
        throw new SimGraphError(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation. All-day events must start and end at midnight and last at least one day.');
      }
    }
    if (input.location !== undefined) {
      const name = input.location.displayName ?? '';
      ev.location = this.storedLocation(input.location, 'private');
      ev.locations = input.locations === undefined
        ? (name === '' ? [] : [this.storedLocation(input.location, 'unknown')])
        : input.locations.map((l) => this.storedLocation(l, 'unknown'));
    } else if (input.locations !== undefined) {
      ev.locations = input.locations.map((l) => this.storedLocation(l, 'unknown'));
      const names = input.locations.map((l) => l.displayName ?? '').filter((n) => n !== '');
      ev.location = internObject({ displayName: names.join('; '), locationType: 'default', uniqueId: names.join('; '), uniqueIdType: 'private' });
    }
    if (input.attendees !== undefined) {
      if (input.attendees.length > MAX_ATTENDEES) throw new SimGraphError(400, 'ErrorInvalidRequest', `An event can have at most ${MAX_ATTENDEES} attendees.`);
      ev.attendees = input.attendees.map((a) => {
        const name = a.emailAddress.name ?? a.emailAddress.address;
        const status = a.status ?? { response: 'none' as const, time: NO_TIME };
        return internKeyed<Attendee>(`a|${a.type}|${a.emailAddress.address}|${name}|${status.response}|${status.time}`, () => ({
          type: a.type, status: { response: status.response, time: status.time },
          emailAddress: { name: intern(name), address: intern(a.emailAddress.address) },
        }));
      });
    }
    if (input.sensitivity !== undefined) ev.sensitivity = input.sensitivity;
    if (input.showAs !== undefined) ev.showAs = input.showAs;
    if (input.importance !== undefined) ev.importance = input.importance;
    if (input.isOnlineMeeting !== undefined && !ev.isOnlineMeeting) ev.isOnlineMeeting = input.isOnlineMeeting;
    if (input.onlineMeetingProvider !== undefined && ev.onlineMeetingProvider === 'unknown') ev.onlineMeetingProvider = input.onlineMeetingProvider;
    if (ev.isOnlineMeeting && ev.onlineMeetingProvider === 'unknown') ev.onlineMeetingProvider = 'teamsForBusiness';
    if (input.isReminderOn !== undefined) ev.isReminderOn = input.isReminderOn;
    if (input.reminderMinutesBeforeStart !== undefined) ev.reminderMinutesBeforeStart = input.reminderMinutesBeforeStart;
    if (input.categories !== undefined) ev.categories = internObject(input.categories.map(intern));
    if (input.transactionId !== undefined && creating) ev.transactionId = input.transactionId;
    const extra = input as { responseRequested?: boolean; allowNewTimeProposals?: boolean; hideAttendees?: boolean };
    if (extra.responseRequested !== undefined) ev.responseRequested = extra.responseRequested;
    if (extra.allowNewTimeProposals !== undefined) ev.allowNewTimeProposals = extra.allowNewTimeProposals;
    if (extra.hideAttendees !== undefined) ev.hideAttendees = extra.hideAttendees;
    if (input.singleValueExtendedProperties !== undefined) {
      const merged = new Map((ev.extendedProperties ?? []).map((p) => [p.id.toLowerCase(), p]));
      for (const p of input.singleValueExtendedProperties) merged.set(p.id.toLowerCase(), { id: intern(p.id), value: p.value });
      ev.extendedProperties = [...merged.values()];
    }
    if (input.recurrence !== undefined && ev.seriesMasterId === undefined) {
      ev.recurrence = input.recurrence === null ? null : this.normaliseRecurrence(input.recurrence, ev.startTz);
      if (!creating) ev.exceptions = undefined;
    } else if (startChanged && !creating && ev.recurrence !== null) {
      ev.exceptions = undefined;
    }
    if (ev.recurrence !== null) {
      if (ev.recurrence.range.startDate !== ev.startLocal.slice(0, 10)) {
        throw new SimGraphError(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation. The recurrence range start date must match the event start date.');
      }
      if (startChanged || creating || input.recurrence !== undefined || ev.series === undefined) {
        const compiled = compileSeries(this.seriesOf(ev));
        const bounds = seriesBounds(compiled);
        ev.series = { compiled, firstStartMs: bounds.firstStartMs, lastEndMs: bounds.lastEndMs };
      }
    } else {
      ev.series = undefined;
    }
  }

  private storedLocation(l: GraphLocation, uniqueIdType: 'private' | 'unknown'): GraphLocation {
    const key = `l|${uniqueIdType}|${l.displayName ?? ''}|${l.locationType ?? ''}|${l.locationUri ?? ''}|${l.locationEmailAddress ?? ''}|${l.uniqueId ?? ''}`;
    return internKeyed(key, () => this.makeLocation(l, uniqueIdType));
  }

  private makeLocation(l: GraphLocation, uniqueIdType: 'private' | 'unknown'): GraphLocation {
    const name = intern(l.displayName ?? '');
    const out: GraphLocation = { displayName: name, locationType: l.locationType ?? 'default' };
    if (l.locationUri !== undefined) out.locationUri = l.locationUri;
    if (l.locationEmailAddress !== undefined) out.locationEmailAddress = intern(l.locationEmailAddress);
    if (uniqueIdType === 'private' && name !== '') out.uniqueId = l.uniqueId ?? name;
    out.uniqueIdType = name === '' ? 'unknown' : uniqueIdType;
    return out;
  }

  private normaliseRecurrence(r: PatternedRecurrence, startTz: string): PatternedRecurrence {
    const p = r.pattern;
    const pattern: PatternedRecurrence['pattern'] = {
      type: p.type, interval: p.interval, month: p.month ?? 0, dayOfMonth: p.dayOfMonth ?? 0,
      daysOfWeek: p.daysOfWeek ?? [], firstDayOfWeek: p.firstDayOfWeek ?? 'sunday', index: p.index ?? 'first',
    };
    const range: PatternedRecurrence['range'] = {
      type: r.range.type, startDate: r.range.startDate, endDate: r.range.endDate ?? '0001-01-01',
      recurrenceTimeZone: intern(r.range.recurrenceTimeZone ?? startTz), numberOfOccurrences: r.range.numberOfOccurrences ?? 0,
    };
    return internObject({ pattern, range });
  }

  seriesOf(master: StoredEvent): SeriesDefinition {
    return {
      start: { dateTime: master.startLocal, timeZone: master.startTz },
      end: { dateTime: master.endLocal, timeZone: master.endTz },
      isAllDay: master.isAllDay,
      recurrence: master.recurrence ?? { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: master.startLocal.slice(0, 10), numberOfOccurrences: 1 } },
    };
  }

  /** The master's compiled series (compiled when stored; rebuilt here only if a copy lost it). */
  compiledOf(master: StoredEvent): CompiledSeries {
    return (master.series ?? this.storeSeries(master)).compiled;
  }

  private storeSeries(master: StoredEvent): StoredSeries {
    const compiled = compileSeries(this.seriesOf(master));
    const bounds = seriesBounds(compiled);
    master.series = { compiled, firstStartMs: bounds.firstStartMs, lastEndMs: bounds.lastEndMs };
    return master.series;
  }

  private touch(mbx: Mailbox, ev: StoredEvent, now: number): void {
    ev.changeKey = changeKey(++this.#changeCounter);
    ev.modifiedMs = now;
    ev.seq = ++mbx.seq;
  }

  private emit(mbx: Mailbox, changeType: ResourceChange['changeType'], id: string, at: number, changeKeyValue: string): void {
    if (this.#listeners.length === 0) return;
    const change: ResourceChange = { tenantId: mbx.tenantId, mailboxId: mbx.id, changeType, eventId: id, at, changeKey: changeKeyValue };
    for (const listener of this.#listeners) listener(change);
  }

  /** Any item by id: single, master, exception, or a computed occurrence. */
  getView(mbx: Mailbox, id: string): EventView {
    const stored = mbx.events.get(id);
    if (stored !== undefined) return viewOf(stored);
    const occ = parseOccurrenceId(id);
    if (occ === undefined) throw itemNotFound();
    const master = mbx.events.get(occ.masterId);
    if (master?.recurrence === null || master === undefined) throw itemNotFound();
    const ex = master.exceptions?.get(occ.originalStartMs);
    if (ex !== undefined) {
      if (ex.cancelled) throw itemNotFound();
      return viewOf(ex.event);
    }
    const hit = occurrenceAtCompiled(this.compiledOf(master), occ.originalStartMs);
    if (hit === undefined) throw itemNotFound();
    return this.occurrenceView(master, hit.originalStartMs, hit.startMs, hit.endMs, hit.start.dateTime, hit.end.dateTime);
  }

  private occurrenceView(master: StoredEvent, originalStartMs: number, startMs: number, endMs: number, startLocal: string, endLocal: string): EventView {
    return {
      event: master, type: 'occurrence', id: occurrenceId(master.id, originalStartMs), startMs, endMs,
      startLocal, endLocal, originalStartMs, seriesMasterId: master.id, iCalUId: iCalUId(master.iCalUId, occurrenceDate(startLocal)),
    };
  }

  /** Singles and series masters (what GET .../events lists). */
  masters(mbx: Mailbox): StoredEvent[] {
    return [...mbx.events.values()];
  }

  /** Expanded view of [startMs, endMs): singles, occurrences and exceptions, sorted by start. */
  expand(mbx: Mailbox, startMs: number, endMs: number): EventView[] {
    const out: EventView[] = [];
    for (const ev of mbx.events.values()) this.expandOne(ev, startMs, endMs, out);
    out.sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : 1));
    return out;
  }

  expandOne(ev: StoredEvent, startMs: number, endMs: number, out: EventView[]): void {
    if (ev.recurrence === null) {
      if (overlaps(ev.startMs, ev.endMs, startMs, endMs)) out.push(viewOf(ev));
      return;
    }
    const series = ev.series ?? this.storeSeries(ev);
    // The span test keeps a calendarView over many mailboxes from expanding series that ended
    // before (or start after) the window.
    if (series.firstStartMs < endMs && series.lastEndMs >= startMs) {
      for (const occ of expandCompiled(series.compiled, startMs, endMs)) {
        if (ev.exceptions?.has(occ.originalStartMs) === true) continue;
        out.push(this.occurrenceView(ev, occ.originalStartMs, occ.startMs, occ.endMs, occ.start.dateTime, occ.end.dateTime));
      }
    }
    if (ev.exceptions !== undefined) {
      for (const ex of ev.exceptions.values()) {
        if (!ex.cancelled && overlaps(ex.event.startMs, ex.event.endMs, startMs, endMs)) out.push(viewOf(ex.event));
      }
    }
  }

  /** Cancelled occurrences of a master in the window (their ids), for delta's @removed entries. */
  cancelledIn(ev: StoredEvent, startMs: number, endMs: number): string[] {
    if (ev.exceptions === undefined) return [];
    const ids: string[] = [];
    for (const [original, ex] of ev.exceptions) if (ex.cancelled && original < endMs && original >= startMs - 86_400_000 * 7) ids.push(occurrenceId(ev.id, original));
    return ids;
  }

  instances(mbx: Mailbox, masterId: string, startMs: number, endMs: number): EventView[] {
    const master = mbx.events.get(masterId);
    if (master === undefined) throw itemNotFound();
    const out: EventView[] = [];
    if (master.recurrence === null) return out;
    this.expandOne(master, startMs, endMs, out);
    out.sort((a, b) => a.startMs - b.startMs);
    return out;
  }

  patchEvent(mbx: Mailbox, id: string, patch: GraphEventInput, options: WriteOptions = {}): EventView {
    const now = this.#clock.now();
    const view = this.getView(mbx, id);
    if (options.ifMatch !== undefined && !etagMatches(options.ifMatch, view.event.changeKey)) {
      throw new SimGraphError(412, 'ErrorIrresolvableConflict', 'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.');
    }
    if (view.type === 'occurrence' || view.type === 'exception') {
      if (patch.recurrence !== undefined && patch.recurrence !== null) throw new SimGraphError(400, 'ErrorInvalidRequest', 'The recurrence of an occurrence cannot be changed.');
      const master = mbx.events.get(view.seriesMasterId ?? '');
      if (master === undefined) throw itemNotFound();
      let ex: StoredEvent;
      if (view.type === 'occurrence') {
        ex = this.cloneAsException(master, view);
        master.exceptions ??= new Map();
        master.exceptions.set(ex.originalStartMs, { cancelled: false, event: ex });
      } else ex = view.event;
      const { recurrence: _ignored, ...rest } = patch;
      this.applyInput(ex, rest, false);
      this.checkCrossing(master, ex);
      this.touch(mbx, ex, now);
      master.seq = ex.seq;
      if (options.notify !== false) this.emit(mbx, 'updated', ex.id, now, ex.changeKey);
      if (options.propagate !== false && master.isOrganizer) this.propagate(mbx, master, 'update');
      return viewOf(ex);
    }
    const ev = view.event;
    this.applyInput(ev, patch, false);
    this.touch(mbx, ev, now);
    if (options.notify !== false) this.emit(mbx, 'updated', ev.id, now, ev.changeKey);
    if (options.propagate !== false && ev.isOrganizer) this.propagate(mbx, ev, 'update');
    return viewOf(ev);
  }

  private cloneAsException(master: StoredEvent, view: EventView): StoredEvent {
    const ex = new StoredEvent(view.id, view.iCalUId);
    Object.assign(ex, master);
    ex.id = view.id;
    ex.iCalUId = view.iCalUId;
    ex.recurrence = null;
    ex.series = undefined;
    ex.exceptions = undefined;
    ex.seriesMasterId = master.id;
    ex.originalStartMs = view.originalStartMs ?? view.startMs;
    ex.startMs = view.startMs;
    ex.endMs = view.endMs;
    ex.startLocal = view.startLocal;
    ex.endLocal = view.endLocal;
    return ex;
  }

  private checkCrossing(master: StoredEvent, ex: StoredEvent): void {
    const around = expandCompiled(this.compiledOf(master), ex.originalStartMs - 400 * 86_400_000, ex.originalStartMs + 400 * 86_400_000);
    const i = around.findIndex((o) => o.originalStartMs === ex.originalStartMs);
    const prev = around[i - 1];
    const next = around[i + 1];
    if ((prev !== undefined && ex.startMs <= prev.originalStartMs) || (next !== undefined && ex.startMs >= next.originalStartMs)) {
      throw new SimGraphError(400, 'ErrorOccurrenceCrossingBoundary', 'An occurrence cannot overlap or be moved past an adjacent occurrence of the series.');
    }
  }

  removeEvent(mbx: Mailbox, id: string, options: WriteOptions = {}): void {
    const now = this.#clock.now();
    const view = this.getView(mbx, id);
    if (options.ifMatch !== undefined && !etagMatches(options.ifMatch, view.event.changeKey)) {
      throw new SimGraphError(412, 'ErrorIrresolvableConflict', 'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.');
    }
    if (view.type === 'occurrence' || view.type === 'exception') {
      const master = mbx.events.get(view.seriesMasterId ?? '');
      if (master === undefined) throw itemNotFound();
      master.exceptions ??= new Map();
      const seq = ++mbx.seq;
      master.exceptions.set(view.originalStartMs ?? view.startMs, { cancelled: true, seq, changedMs: now });
      master.seq = seq;
      master.changeKey = changeKey(++this.#changeCounter);
      master.modifiedMs = now;
      if (options.notify !== false) this.emit(mbx, 'deleted', view.id, now, master.changeKey);
      if (options.propagate !== false && master.isOrganizer) this.propagate(mbx, master, 'update');
      return;
    }
    const ev = view.event;
    mbx.events.delete(ev.id);
    this.#eventCount -= 1;
    ev.deleted = true;
    ev.seq = ++mbx.seq;
    ev.modifiedMs = now;
    mbx.tombstones ??= new Map();
    mbx.tombstones.set(ev.id, ev);
    if (options.notify !== false) this.emit(mbx, 'deleted', ev.id, now, ev.changeKey);
    if (options.propagate !== false && ev.isOrganizer) this.propagate(mbx, ev, 'cancel');
  }

  /** Events changed (or deleted) after `sinceSeq`, including tombstones. */
  changedSince(mbx: Mailbox, sinceSeq: number): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (const ev of mbx.events.values()) if (ev.seq > sinceSeq) out.push(ev);
    if (mbx.tombstones !== undefined) for (const ev of mbx.tombstones.values()) if (ev.seq > sinceSeq) out.push(ev);
    return out;
  }

  /** Attendee's response (accept / decline / tentativelyAccept) on their copy; the organizer's copy records it. */
  respond(mbx: Mailbox, id: string, response: Extract<ResponseType, 'accepted' | 'declined' | 'tentativelyAccepted'>, proposedNewTime?: unknown): void {
    const view = this.getView(mbx, id);
    const ev = view.event;
    if (ev.isOrganizer) throw new SimGraphError(400, 'ErrorInvalidRequest', "Your request can't be completed. You can't respond to a meeting you organized.");
    if (proposedNewTime !== undefined && !ev.allowNewTimeProposals) {
      throw new SimGraphError(400, 'ErrorInvalidRequest', 'The organizer of this meeting does not allow new time proposals.');
    }
    const now = this.#clock.now();
    const time = new Date(now).toISOString();
    ev.response = response;
    ev.responseTime = time;
    if (response === 'declined') ev.showAs = 'free';
    else if (response === 'tentativelyAccepted') ev.showAs = 'tentative';
    else ev.showAs = 'busy';
    this.touch(mbx, ev, now);
    if (view.seriesMasterId !== undefined) {
      const master = mbx.events.get(view.seriesMasterId);
      if (master !== undefined) master.seq = ev.seq;
    }
    this.emit(mbx, 'updated', view.id, now, ev.changeKey);
    const tenant = this.tenants.get(mbx.tenantId);
    const organizer = tenant?.byAddress.get(ev.organizer?.emailAddress.address.toLowerCase() ?? '');
    if (organizer === undefined) return;
    for (const other of organizer.events.values()) {
      if (other.iCalUId !== ev.iCalUId || !other.isOrganizer) continue;
      other.attendees = other.attendees.map((a) =>
        a.emailAddress.address.toLowerCase() === mbx.mail.toLowerCase() ? internObject<Attendee>({ ...a, status: { response, time } }) : a);
      this.touch(organizer, other, now);
      this.emit(organizer, 'updated', other.id, now, other.changeKey);
    }
  }

  /** Invitations, updates and cancellations to attendee mailboxes in the same tenant. */
  private propagate(organizer: Mailbox, ev: StoredEvent, kind: 'invite' | 'update' | 'cancel'): void {
    const tenant = this.tenants.get(organizer.tenantId);
    if (tenant === undefined || ev.attendees.length === 0) return;
    const now = this.#clock.now();
    for (const attendee of ev.attendees) {
      const target = tenant.byAddress.get(attendee.emailAddress.address.toLowerCase());
      if (target === undefined || target === organizer) continue;
      let copy: StoredEvent | undefined;
      for (const candidate of target.events.values()) if (candidate.iCalUId === ev.iCalUId) { copy = candidate; break; }
      if (kind === 'cancel') {
        if (copy === undefined) continue;
        copy.isCancelled = true;
        copy.subject = intern(`Canceled: ${ev.subject}`);
        this.touch(target, copy, now);
        this.emit(target, 'updated', copy.id, now, copy.changeKey);
        continue;
      }
      const fresh = copy === undefined;
      if (copy === undefined) {
        copy = new StoredEvent(eventId(target.index, ++target.counter), ev.iCalUId);
        copy.createdMs = now;
        copy.isOrganizer = false;
        copy.response = target.kind === 'room' ? 'accepted' : 'notResponded';
        target.events.set(copy.id, copy);
        this.#eventCount += 1;
      }
      const keep = { id: copy.id, createdMs: copy.createdMs, response: copy.response, responseTime: copy.responseTime, isOrganizer: false, changeKey: copy.changeKey };
      Object.assign(copy, ev, keep, { exceptions: ev.exceptions === undefined ? undefined : new Map(ev.exceptions), seq: copy.seq });
      this.touch(target, copy, now);
      this.emit(target, fresh ? 'created' : 'updated', copy.id, now, copy.changeKey);
      if (fresh && target.kind === 'room') {
        ev.attendees = ev.attendees.map((a) => (a === attendee ? internObject<Attendee>({ ...a, status: { response: 'accepted', time: new Date(now).toISOString() } }) : a));
      }
    }
  }

  // ---- Mailbox settings -----------------------------------------------------------------------

  patchMailboxSettings(mbx: Mailbox, patch: MailboxSettingsPatch): void {
    const next: MailboxSettingsState = { ...mbx.settings };
    if (patch.automaticRepliesSetting !== undefined) {
      const current = next.automaticRepliesSetting ?? defaultAutomaticReplies(this.#clock.now());
      const merged = { ...current, ...patch.automaticRepliesSetting };
      if (merged.status === 'scheduled') {
        const s = merged.scheduledStartDateTime;
        const e = merged.scheduledEndDateTime;
        if (s === undefined || e === undefined || zonedToUtcMs(e) <= zonedToUtcMs(s)) {
          throw new SimGraphError(400, 'ErrorInvalidParameter', 'The scheduled end time must be after the scheduled start time.');
        }
      }
      next.automaticRepliesSetting = merged;
    }
    if (patch.language !== undefined) next.language = { locale: patch.language.locale, displayName: patch.language.displayName ?? patch.language.locale };
    if (patch.timeZone !== undefined) {
      if (toIanaZone(patch.timeZone) === undefined) throw new SimGraphError(400, 'ErrorInvalidTimeZone', `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${patch.timeZone}'.`);
      next.timeZone = patch.timeZone;
    }
    if (patch.dateFormat !== undefined) next.dateFormat = patch.dateFormat;
    if (patch.timeFormat !== undefined) next.timeFormat = patch.timeFormat;
    if (patch.workingHours !== undefined) next.workingHours = patch.workingHours;
    if (patch.delegateMeetingMessageDeliveryOptions !== undefined) next.delegateMeetingMessageDeliveryOptions = patch.delegateMeetingMessageDeliveryOptions;
    mbx.settings = next;
  }

  mailboxSettings(mbx: Mailbox): Required<MailboxSettingsState> & { userPurpose: string } {
    const s = mbx.settings;
    const tz = s.timeZone ?? 'UTC';
    return {
      automaticRepliesSetting: s.automaticRepliesSetting ?? defaultAutomaticReplies(this.#clock.now()),
      language: s.language ?? { locale: 'en-US', displayName: 'English (United States)' },
      timeZone: tz,
      dateFormat: s.dateFormat ?? 'M/d/yyyy',
      timeFormat: s.timeFormat ?? 'h:mm tt',
      workingHours: s.workingHours ?? {
        daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
        startTime: '08:00:00.0000000', endTime: '17:00:00.0000000', timeZone: { name: tz },
      },
      delegateMeetingMessageDeliveryOptions: s.delegateMeetingMessageDeliveryOptions ?? 'sendToDelegateOnly',
      userPurpose: mbx.kind === 'room' ? 'room' : 'user',
    };
  }
}

function defaultAutomaticReplies(now: number): AutomaticRepliesSetting {
  const day = Math.floor(now / 3_600_000) * 3_600_000;
  return {
    status: 'disabled', externalAudience: 'all',
    scheduledStartDateTime: utcMsToZoned(day + 86_400_000, 'UTC'),
    scheduledEndDateTime: utcMsToZoned(day + 2 * 86_400_000, 'UTC'),
    internalReplyMessage: '', externalReplyMessage: '',
  };
}

export function overlaps(s: number, e: number, ws: number, we: number): boolean {
  if (s === e) return s >= ws && s < we;
  return s < we && e > ws;
}

