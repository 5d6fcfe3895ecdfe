import type { Clock } from '../clock.js';
import {
  SimGraphError,
  type ActivityTarget, type Attendee, type AutomaticRepliesSetting, type EnumCasing, type GraphEventInput,
  type ResourceChange, type ResponseType, type ScenarioMailbox, type ScenarioSink, type ScenarioTenant, type TimeSlot,
} from '../model.js';
import type { CompiledSeries, SeriesDefinition } from '../recurrence/index.js';
import { ChangeLog, changedSince } from './change-log.js';
import { StoredEvent, viewOf, type EventView } from './event.js';
import { applyInput, seriesOf, storedOrganizer } from './event-input.js';
import { eventId, iCalUIdOfParts, occurrenceId } from './ids.js';
import { intern, internKeyed, internObject } from './intern.js';
import { Mailbox, patchSettings, settingsOf, type MailboxSettingsState, type TenantState } from './mailbox.js';
import { cancelledIn, checkCrossing, cloneAsException, compiledOf, expand, expandOne, getView, instances, itemNotFound, masters } from './series.js';
import { attendeeShowAs, normaliseTimeSlot } from './responses.js';
import { attachTeamsMeeting } from './teams.js';
import { linkCopy } from './links.js';
import { graphDateTime } from './serialize.js';
import type { MailboxSettingsPatch } from './validate.js';

// The store's parts live beside this file (event-input, series, change-log, mailbox); the names
// callers import from here stay here.
export { MAX_ATTENDEES, localToUtcMs } from './event-input.js';
export { Mailbox } from './mailbox.js';
export type { MailboxSettingsState, TenantState } from './mailbox.js';
export { overlaps } from './series.js';

export interface WriteOptions {
  /** Emit a ResourceChange (default true). */
  notify?: boolean;
  /** Send invitations/updates/cancellations to attendee mailboxes of the same tenant (default true). */
  propagate?: boolean;
  /** `If-Match` etag or changeKey: a stale one fails with 412 ErrorIrresolvableConflict. */
  ifMatch?: string | undefined;
}

function etagMatches(ifMatch: string, key: string): boolean {
  if (ifMatch === '*') return true;
  const bare = ifMatch.replace(/^W\//, '').replace(/^"|"$/g, '');
  return bare === key;
}

/** A stale `If-Match` (etag or changeKey) fails the write with 412. */
function checkIfMatch(ifMatch: string | undefined, key: string): void {
  if (ifMatch !== undefined && !etagMatches(ifMatch, key)) {
    throw new SimGraphError(412, 'ErrorIrresolvableConflict', 'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.');
  }
}

/**
 * The simulator's mailboxes: tenants, users and rooms, events with series exceptions, changeKeys and
 * delta sequence numbers. Implements the scenario generator's sink and the activity driver's target;
 * reports every change (except scenario loading) to its listeners.
 */
export class SimStore implements ScenarioSink, ActivityTarget {
  readonly tenants = new Map<string, TenantState>();
  readonly #clock: Clock;
  readonly #log = new ChangeLog();
  #mailboxCount = 0;
  #eventCount = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get eventCount(): number {
    return this.#eventCount;
  }

  onChange(listener: (change: ResourceChange) => void): () => void {
    return this.#log.onChange(listener);
  }


  // ---- ScenarioSink ---------------------------------------------------------------------------

  addTenant(tenant: ScenarioTenant): void {
    if (this.tenants.has(tenant.id)) return;
    this.tenants.set(tenant.id, {
      id: tenant.id, displayName: tenant.displayName, cloud: tenant.cloud,
      domains: tenant.domains.map((d) => ({ ...d })), mailboxes: new Map(), byAddress: new Map(),
      enumCasing: tenant.enumCasing ?? 'mixed',
    });
  }

  /** How the tenant writes enum values Graph spells two ways (see `EnumCasing`). */
  setEnumCasing(tenantId: string, casing: EnumCasing): void {
    if (!['schema', 'documented', 'mixed'].includes(casing)) throw new SimGraphError(400, 'BadRequest', 'enumCasing must be schema, documented or mixed.');
    this.requireTenant(tenantId).enumCasing = casing;
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

  /** Links an attendee's copy loaded on its own to the organizer's event (same iCalUId, responses on both sides). */
  linkCopy(tenantId: string, organizer: { mailboxId: string; eventId: string }, copy: { mailboxId: string; eventId: string }): void {
    const om = this.requireMailbox(tenantId, organizer.mailboxId);
    const cm = this.requireMailbox(tenantId, copy.mailboxId);
    const oe = om.events.get(organizer.eventId);
    const ce = cm.events.get(copy.eventId);
    if (oe === undefined || ce === undefined) throw itemNotFound();
    linkCopy(oe, cm, ce, intern(graphDateTime(this.#clock.now())));
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
    const ev = new StoredEvent(id, iCalUIdOfParts([organizerAddress.toLowerCase(), String(input.subject ?? ''), String(input.start.dateTime), String(input.start.timeZone), String(input.transactionId ?? '')]));
    ev.createdMs = now;
    ev.isOrganizer = organizerAddress.toLowerCase() === mbx.mail.toLowerCase() || organizerAddress.toLowerCase() === mbx.userPrincipalName.toLowerCase();
    const orgName = input.organizer === undefined ? mbx.displayName : input.organizer.emailAddress.name ?? input.organizer.emailAddress.address;
    const orgAddress = input.organizer === undefined ? mbx.mail : input.organizer.emailAddress.address;
    ev.organizer = input.organizer === undefined
      ? internKeyed(`o|${orgAddress}|${orgName}`, () => ({ emailAddress: { name: orgName, address: orgAddress } }))
      : storedOrganizer(input.organizer);
    if (!ev.isOrganizer) ev.response = 'notResponded';
    applyInput(ev, input, true);
    this.#teams(mbx, ev);
    if (input.transactionId !== undefined) {
      for (const other of mbx.events.values()) {
        if (other.transactionId === input.transactionId) return other;
      }
    }
    this.#log.touch(mbx, ev, now);
    mbx.events.set(id, ev);
    this.#eventCount += 1;
    if (options.notify !== false) this.#log.emit(mbx, 'created', id, now, ev.changeKey);
    if (options.propagate !== false && ev.isOrganizer) this.propagate(mbx, ev, 'invite');
    return ev;
  }

  patchEvent(mbx: Mailbox, id: string, patch: GraphEventInput, options: WriteOptions = {}): EventView {
    const now = this.#clock.now();
    const view = this.getView(mbx, id);
    checkIfMatch(options.ifMatch, view.event.changeKey);
    if (view.type === 'occurrence' || view.type === 'exception') {
      if (patch.recurrence !== undefined && patch.recurrence !== null) throw new SimGraphError(400, 'ErrorInvalidRequest', 'The recurrence of an occurrence cannot be changed.');
      const master = mbx.events.get(view.seriesMasterId ?? '');
      if (master === undefined) throw itemNotFound();
      let ex: StoredEvent;
      if (view.type === 'occurrence') {
        ex = cloneAsException(master, view);
        master.exceptions ??= new Map();
        master.exceptions.set(ex.originalStartMs, { cancelled: false, event: ex });
      } else ex = view.event;
      const { recurrence: _ignored, ...rest } = patch;
      applyInput(ex, rest, false);
      this.#teams(mbx, ex);
      checkCrossing(master, ex);
      this.#log.touch(mbx, ex, now);
      master.seq = ex.seq;
      if (options.notify !== false) this.#log.emit(mbx, 'updated', ex.id, now, ex.changeKey);
      if (options.propagate !== false && master.isOrganizer) this.propagate(mbx, master, 'update');
      return viewOf(ex);
    }
    const ev = view.event;
    applyInput(ev, patch, false);
    this.#teams(mbx, ev);
    this.#log.touch(mbx, ev, now);
    if (options.notify !== false) this.#log.emit(mbx, 'updated', ev.id, now, ev.changeKey);
    if (options.propagate !== false && ev.isOrganizer) this.propagate(mbx, ev, 'update');
    return viewOf(ev);
  }

  removeEvent(mbx: Mailbox, id: string, options: WriteOptions = {}): void {
    const now = this.#clock.now();
    const view = this.getView(mbx, id);
    checkIfMatch(options.ifMatch, view.event.changeKey);
    if (view.type === 'occurrence' || view.type === 'exception') {
      const master = mbx.events.get(view.seriesMasterId ?? '');
      if (master === undefined) throw itemNotFound();
      master.exceptions ??= new Map();
      const seq = ++mbx.seq;
      master.exceptions.set(view.originalStartMs ?? view.startMs, { cancelled: true, seq, changedMs: now });
      master.seq = seq;
      master.changeNo = this.#log.nextChangeNo();
      master.modifiedMs = now;
      if (options.notify !== false) this.#log.emit(mbx, 'deleted', view.id, now, master.changeKey);
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
    if (options.notify !== false) this.#log.emit(mbx, 'deleted', ev.id, now, ev.changeKey);
    if (options.propagate !== false && ev.isOrganizer) this.propagate(mbx, ev, 'cancel');
  }

  /**
   * Attendee's response (accept / decline / tentativelyAccept) on their copy; the organizer's copy
   * records it only when a response is sent (`sendResponse`, default true).
   */
  respond(mbx: Mailbox, id: string, response: Extract<ResponseType, 'accepted' | 'declined' | 'tentativelyAccepted'>, proposedNewTime?: TimeSlot, sendResponse = true): void {
    const view = this.getView(mbx, id);
    const ev = view.event;
    if (ev.isOrganizer) throw new SimGraphError(400, 'ErrorInvalidRequest', "Your request can't be completed. You can't respond to a meeting you organized.");
    if (proposedNewTime !== undefined && !ev.allowNewTimeProposals) {
      throw new SimGraphError(400, 'ErrorInvalidRequest', 'The organizer of this meeting does not allow new time proposals.');
    }
    const proposal = proposedNewTime === undefined ? undefined : normaliseTimeSlot(proposedNewTime);
    const now = this.#clock.now();
    const time = graphDateTime(now);
    ev.response = response;
    ev.responseTime = time;
    if (response === 'declined') ev.showAs = 'free';
    else if (response === 'tentativelyAccepted') ev.showAs = 'tentative';
    else ev.showAs = 'busy';
    this.#log.touch(mbx, ev, now);
    if (view.seriesMasterId !== undefined) {
      const master = mbx.events.get(view.seriesMasterId);
      if (master !== undefined) master.seq = ev.seq;
    }
    this.#log.emit(mbx, 'updated', view.id, now, ev.changeKey);
    if (!sendResponse) return;
    const tenant = this.tenants.get(mbx.tenantId);
    const organizer = tenant?.byAddress.get(ev.organizer?.emailAddress.address.toLowerCase() ?? '');
    if (organizer === undefined) return;
    for (const other of organizer.events.values()) {
      if (other.iCalUId !== ev.iCalUId || !other.isOrganizer) continue;
      other.attendees = other.attendees.map((a) => {
        if (a.emailAddress.address.toLowerCase() !== mbx.mail.toLowerCase()) return a;
        const { proposedNewTime: _previous, ...rest } = a;
        return internObject<Attendee>(proposal === undefined ? { ...rest, status: { response, time } } : { ...rest, status: { response, time }, proposedNewTime: proposal });
      });
      this.#log.touch(organizer, other, now);
      this.#log.emit(organizer, 'updated', other.id, now, other.changeKey);
    }
  }

  /**
   * The organizer cancels a meeting (`POST .../events/{id}/cancel`): attendees' copies are cancelled
   * and the organizer's copy goes away. An attendee calling it is refused as Graph refuses it.
   */
  cancelByOrganizer(mbx: Mailbox, id: string): void {
    if (!this.getView(mbx, id).event.isOrganizer) {
      throw new SimGraphError(400, 'ErrorAccessDenied', "Your request can't be completed. You need to be an organizer to cancel a meeting.");
    }
    this.removeEvent(mbx, id, { propagate: true });
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
        this.#log.touch(target, copy, now);
        this.#log.emit(target, 'updated', copy.id, now, copy.changeKey);
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
      // The copy shares the organizer's interned strings, lists and Teams recipe (own fields only; flags included).
      const keep = { id: copy.id, createdMs: copy.createdMs, response: copy.response, responseTime: copy.responseTime, changeNo: copy.changeNo, seq: copy.seq };
      Object.assign(copy, ev, keep, { exceptions: ev.exceptions === undefined ? undefined : new Map(ev.exceptions) });
      copy.isOrganizer = false;
      copy.showAs = attendeeShowAs(ev.showAs, copy.response);
      this.#log.touch(target, copy, now);
      this.#log.emit(target, fresh ? 'created' : 'updated', copy.id, now, copy.changeKey);
      if (fresh && target.kind === 'room') {
        ev.attendees = ev.attendees.map((a) => (a === attendee ? internObject<Attendee>({ ...a, status: { response: 'accepted', time: graphDateTime(now) } }) : a));
      }
    }
  }

  // ---- Series views and delta (series.ts, change-log.ts) ------------------------------------

  seriesOf(master: StoredEvent): SeriesDefinition { return seriesOf(master); }

  /** The master's compiled series (compiled when stored; rebuilt here only if a copy lost it). */
  compiledOf(master: StoredEvent): CompiledSeries { return compiledOf(master); }

  /** Any item by id: single, master, exception, or a computed occurrence. */
  getView(mbx: Mailbox, id: string): EventView { return getView(mbx, id); }

  /** Singles and series masters (what GET .../events lists). */
  masters(mbx: Mailbox): StoredEvent[] { return masters(mbx); }

  /** Expanded view of [startMs, endMs): singles, occurrences and exceptions, sorted by start. */
  expand(mbx: Mailbox, startMs: number, endMs: number): EventView[] { return expand(mbx, startMs, endMs); }

  expandOne(ev: StoredEvent, startMs: number, endMs: number, out: EventView[]): void { expandOne(ev, startMs, endMs, out); }

  /** Cancelled occurrences of a master in the window (their ids), for delta's @removed entries. */
  cancelledIn(ev: StoredEvent, startMs: number, endMs: number): string[] { return cancelledIn(ev, startMs, endMs); }

  instances(mbx: Mailbox, masterId: string, startMs: number, endMs: number): EventView[] { return instances(mbx, masterId, startMs, endMs); }

  /** Events changed (or deleted) after `sinceSeq`, including tombstones. */
  changedSince(mbx: Mailbox, sinceSeq: number): StoredEvent[] { return changedSince(mbx, sinceSeq); }

  // ---- Mailbox settings -----------------------------------------------------------------------

  patchMailboxSettings(mbx: Mailbox, patch: MailboxSettingsPatch): void { patchSettings(mbx, patch, this.#clock); }

  mailboxSettings(mbx: Mailbox): Required<MailboxSettingsState> & { userPurpose: string } { return settingsOf(mbx, this.#clock); }

  /** Teams details and body block for an online meeting, in the mailbox's language (teams.ts). */
  #teams(mbx: Mailbox, ev: StoredEvent): void {
    if (ev.isOnlineMeeting) attachTeamsMeeting(ev, mbx.tenantId, mbx.id, settingsOf(mbx, this.#clock).language.locale);
  }
}
