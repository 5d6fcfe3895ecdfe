/**
 * A small in-memory ScenarioSink + ActivityTarget that records every call in order, for the
 * scenario generator's and activity driver's tests (the real store lives in sim/graph/store).
 */
import type {
  ActivityTarget,
  AutomaticRepliesSetting,
  GraphEventInput,
  ScenarioMailbox,
  ScenarioSink,
  ScenarioTenant,
} from '../../../model.js';

export type Call =
  | { op: 'addTenant'; tenant: ScenarioTenant }
  | { op: 'addMailbox'; tenantId: string; mailbox: ScenarioMailbox }
  | { op: 'addEvent'; tenantId: string; mailboxId: string; id: string; event: GraphEventInput }
  | { op: 'addOccurrenceException'; tenantId: string; mailboxId: string; seriesMasterId: string; originalStartMs: number; change: unknown };

export interface StoredEvent {
  id: string;
  event: GraphEventInput;
  isCancelled: boolean;
  cancelledOccurrences: number[];
}

export class RecordingSink implements ScenarioSink, ActivityTarget {
  readonly calls: Call[] = [];
  readonly tenants = new Map<string, ScenarioTenant>();
  readonly mailboxes = new Map<string, Map<string, ScenarioMailbox>>();
  readonly events = new Map<string, Map<string, StoredEvent>>(); // key tenant/mailbox
  readonly replies = new Map<string, AutomaticRepliesSetting>();
  readonly activity: { op: string; tenantId: string; mailboxId: string; eventId?: string; patch?: GraphEventInput }[] = [];
  #next = 0;
  /** When false, only counts are kept (for large runs). */
  constructor(readonly record = true) {}

  #key(tenantId: string, mailboxId: string): string {
    return `${tenantId}/${mailboxId}`;
  }

  #calendar(tenantId: string, mailboxId: string): Map<string, StoredEvent> {
    const key = this.#key(tenantId, mailboxId);
    let cal = this.events.get(key);
    if (cal === undefined) {
      cal = new Map();
      this.events.set(key, cal);
    }
    return cal;
  }

  addTenant(tenant: ScenarioTenant): void {
    if (this.record) this.calls.push({ op: 'addTenant', tenant });
    this.tenants.set(tenant.id, tenant);
    this.mailboxes.set(tenant.id, new Map());
  }

  addMailbox(tenantId: string, mailbox: ScenarioMailbox): void {
    if (this.record) this.calls.push({ op: 'addMailbox', tenantId, mailbox });
    const t = this.mailboxes.get(tenantId);
    if (t === undefined) throw new Error(`unknown tenant ${tenantId}`);
    t.set(mailbox.id, mailbox);
  }

  addEvent(tenantId: string, mailboxId: string, event: GraphEventInput): string {
    const mbx = this.mailboxes.get(tenantId)?.get(mailboxId);
    if (mbx === undefined) throw new Error(`unknown mailbox ${mailboxId}`);
    if (!mbx.mailboxEnabled) throw new Error(`MailboxNotEnabledForRESTAPI ${mailboxId}`);
    this.#next += 1;
    const id = `AAMkAG-${this.#next}`;
    if (this.record) this.calls.push({ op: 'addEvent', tenantId, mailboxId, id, event });
    this.#calendar(tenantId, mailboxId).set(id, { id, event, isCancelled: false, cancelledOccurrences: [] });
    return id;
  }

  addOccurrenceException(
    tenantId: string,
    mailboxId: string,
    seriesMasterId: string,
    originalStartMs: number,
    change: { cancelled: true } | { cancelled: false; patch: GraphEventInput },
  ): void {
    if (this.record) this.calls.push({ op: 'addOccurrenceException', tenantId, mailboxId, seriesMasterId, originalStartMs, change });
    const ev = this.#calendar(tenantId, mailboxId).get(seriesMasterId);
    if (ev?.event.recurrence === undefined || ev.event.recurrence === null) throw new Error(`not a series master ${seriesMasterId}`);
    if (change.cancelled) ev.cancelledOccurrences.push(originalStartMs);
  }

  // ---- ActivityTarget -------------------------------------------------------------------

  listMailboxes(tenantId: string): readonly string[] {
    return [...(this.mailboxes.get(tenantId)?.keys() ?? [])];
  }

  listEventIds(tenantId: string, mailboxId: string): readonly string[] {
    return [...this.#calendar(tenantId, mailboxId).keys()];
  }

  createEvent(tenantId: string, mailboxId: string, event: GraphEventInput): string {
    const id = this.addEvent(tenantId, mailboxId, event);
    this.activity.push({ op: 'create', tenantId, mailboxId, eventId: id });
    return id;
  }

  updateEvent(tenantId: string, mailboxId: string, eventId: string, patch: GraphEventInput): void {
    const ev = this.#calendar(tenantId, mailboxId).get(eventId);
    if (ev === undefined) throw new Error(`ErrorItemNotFound ${eventId}`);
    ev.event = { ...ev.event, ...patch };
    this.activity.push({ op: 'update', tenantId, mailboxId, eventId, patch });
  }

  /** Synthetic instance ids (`<masterId>::occ-<k>`) for series masters; [] for anything else. */
  listInstanceIds(tenantId: string, mailboxId: string, seriesMasterId: string): readonly string[] {
    const ev = this.#calendar(tenantId, mailboxId).get(seriesMasterId);
    if (ev?.event.recurrence === undefined || ev.event.recurrence === null) return [];
    return [0, 1, 2].filter((k) => !ev.cancelledOccurrences.includes(k)).map((k) => `${seriesMasterId}::occ-${k}`);
  }

  cancelEvent(tenantId: string, mailboxId: string, eventId: string): void {
    const cal = this.#calendar(tenantId, mailboxId);
    const occ = /^(.*)::occ-(\d+)$/.exec(eventId);
    if (occ !== null) {
      const master = cal.get(occ[1]!);
      if (master === undefined) throw new Error(`ErrorItemNotFound ${eventId}`);
      master.cancelledOccurrences.push(Number(occ[2]));
      this.activity.push({ op: 'cancelOccurrence', tenantId, mailboxId, eventId });
      return;
    }
    if (!cal.has(eventId)) throw new Error(`ErrorItemNotFound ${eventId}`);
    cal.delete(eventId);
    this.activity.push({ op: 'cancel', tenantId, mailboxId, eventId });
  }

  deleteEvent(tenantId: string, mailboxId: string, eventId: string): void {
    const cal = this.#calendar(tenantId, mailboxId);
    if (!cal.delete(eventId)) throw new Error(`ErrorItemNotFound ${eventId}`);
    this.activity.push({ op: 'delete', tenantId, mailboxId, eventId });
  }

  setAutomaticReplies(tenantId: string, mailboxId: string, setting: AutomaticRepliesSetting): void {
    this.replies.set(this.#key(tenantId, mailboxId), setting);
    this.activity.push({ op: 'ooo', tenantId, mailboxId });
  }

  /** All events added, in order (from the call log). */
  addedEvents(): { tenantId: string; mailboxId: string; id: string; event: GraphEventInput }[] {
    const out: { tenantId: string; mailboxId: string; id: string; event: GraphEventInput }[] = [];
    for (const c of this.calls) if (c.op === 'addEvent') out.push(c);
    return out;
  }
}
