/**
 * The activity driver: what users do to their calendars while the simulator runs. Creates
 * meetings, edits them (time moves, subject, location, attendees, switching the location to a
 * keyword), cancels occurrences and whole series, deletes, and toggles out-of-office (including
 * scheduled windows around the scenario's "now") at a chosen rate, in an order fixed by the seed.
 *
 * `step(n)` runs n actions synchronously (tests); `start()` runs them at `ratePerSecond` measured
 * on the injected clock; `stop()` ends that.
 */
import { DateTime } from 'luxon';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { ActivityTarget, AutomaticRepliesSetting, GraphEventInput } from '../model.js';
import { LOCALES, SUBJECTS } from './catalog.js';
import { isoLocal, localDayOf } from './civil.js';
import type { ScenarioTenantSummary } from './directory.js';
import type { RoomCopyLink } from './generator.js';
import { ScenarioOptionsError } from './errors.js';
import {
  KEYWORD_LOCATION_OBJECTS,
  PLAIN_LOCATION_OBJECTS,
  buildMeeting,
  buildTenantContext,
  pickAttendees,
  pickSize,
  pickSubject,
  roomCopy,
} from './meetings.js';
import type { CanaryFn, PersonContext, TenantContext } from './meetings.js';
import { Rng, deriveSeed } from './rng.js';

/** Relative weights of the driver's actions. */
export interface ActivityMix {
  create: number;
  update: number;
  cancel: number;
  delete: number;
  toggleOutOfOffice: number;
}

export const DEFAULT_ACTIVITY_MIX: Readonly<ActivityMix> = Object.freeze({ create: 30, update: 40, cancel: 10, delete: 5, toggleOutOfOffice: 15 });

export type ActivityOp = keyof ActivityMix;

export interface ActivityRecord {
  /** 1-based position in the driver's sequence. */
  seq: number;
  /** Clock time of the action, UTC ms. */
  at: number;
  op: ActivityOp;
  /**
   * What exactly: create -> single | series; update -> move | subject | location | attendees |
   * keyword; cancel -> occurrence | event; delete -> event; toggleOutOfOffice -> the new status.
   * A `create` chosen because the mailbox had nothing to act on says `single` or `series` too,
   * with `fallback: true`.
   */
  detail: string;
  tenantId: string;
  mailboxId: string;
  eventId?: string;
  /** Set when the action replaced another because the mailbox had no events. */
  fallback?: true;
  /** The target refused the action (its error code or message); the driver goes on. */
  error?: string;
}

/**
 * Optional capability of a target: the occurrence/exception ids of a series in a UTC range (as
 * `instances` would list them). With it the driver cancels single occurrences; without it, whole
 * events. Returns [] for an id that is not a series master.
 */
export interface OccurrenceAwareTarget extends ActivityTarget {
  listInstanceIds?(tenantId: string, mailboxId: string, seriesMasterId: string, startMs: number, endMs: number): readonly string[];
}

export interface ActivityDriverOptions {
  target: OccurrenceAwareTarget;
  tenants: readonly ScenarioTenantSummary[];
  seed: number;
  /** Actions per second for `start()`. */
  ratePerSecond: number;
  mix?: Partial<ActivityMix>;
  clock?: Clock;
  /** The scenario's "now" when the driver is built; it advances with the clock. */
  anchorMs: number;
  /** How often `start()` wakes up to catch up with the rate (default 50 ms). */
  tickMs?: number;
  /** Most actions one wake-up may run (default 1000), so a stalled process does not burst unboundedly. */
  maxBurst?: number;
  /** Also create/update/cancel the booked room's copy of meetings the driver creates (default true). */
  roomCopies?: boolean;
  /** Room copies of scenario meetings (from `loadScenario`'s `onRoomCopy`), so edits reach them too. */
  roomCopyLinks?: Iterable<RoomCopyLink>;
  canary?: CanaryFn;
  /** Called with each record as it happens (for logs or a live feed). */
  onRecord?: (record: ActivityRecord) => void;
}

const OPS: readonly ActivityOp[] = ['create', 'update', 'cancel', 'delete', 'toggleOutOfOffice'];
const UPDATE_KINDS = ['move', 'subject', 'location', 'attendees', 'keyword'] as const;
const UPDATE_WEIGHTS = [30, 20, 20, 15, 15];
const DAY_MS = 86_400_000;

interface Actor {
  tenant: TenantContext;
  person: PersonContext;
}

interface Created {
  series: boolean;
  room: { mailboxId: string; eventId: string } | null;
}

function linkKey(mailboxId: string, eventId: string): string {
  return mailboxId + '\u0000' + eventId;
}

function errorText(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const e = error as { graphCode?: unknown; code?: unknown; message?: unknown };
    if (typeof e.graphCode === 'string') return e.graphCode;
    if (typeof e.code === 'string') return e.code;
    if (typeof e.message === 'string') return e.message;
  }
  return String(error);
}

export class ActivityDriver {
  readonly #target: OccurrenceAwareTarget;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #weights: number[];
  readonly #actors: Actor[] = [];
  readonly #rate: number;
  readonly #tickMs: number;
  readonly #maxBurst: number;
  readonly #roomCopies: boolean;
  readonly #canary: CanaryFn | undefined;
  readonly #onRecord: ((record: ActivityRecord) => void) | undefined;
  readonly #anchorMs: number;
  readonly #clockAtStart: number;
  /** Meetings whose room copy the driver knows (its own creates and `roomCopyLinks`), by mailbox + event id. */
  readonly #created = new Map<string, Created>();
  readonly #ooo = new Map<string, AutomaticRepliesSetting['status']>();
  readonly #stats = new Map<string, number>();
  #seq = 0;
  #meetingIndex = 1_000_000_000;
  #timer: NodeJS.Timeout | null = null;
  #runStartedAt = 0;
  #runStartSeq = 0;

  constructor(options: ActivityDriverOptions) {
    if (!(typeof options.ratePerSecond === 'number' && options.ratePerSecond > 0 && Number.isFinite(options.ratePerSecond))) {
      throw new ScenarioOptionsError('activity option ratePerSecond must be a positive number', { details: { option: 'ratePerSecond' } });
    }
    if (!Number.isInteger(options.seed)) {
      throw new ScenarioOptionsError('activity option seed must be an integer', { details: { option: 'seed' } });
    }
    if (typeof options.anchorMs !== 'number' || !Number.isFinite(options.anchorMs)) {
      throw new ScenarioOptionsError('activity option anchorMs must be a finite number of milliseconds', { details: { option: 'anchorMs' } });
    }
    const mix = { ...DEFAULT_ACTIVITY_MIX, ...(options.mix ?? {}) };
    for (const op of OPS) {
      const w = mix[op];
      if (!(typeof w === 'number' && w >= 0 && Number.isFinite(w))) {
        throw new ScenarioOptionsError(`activity option mix.${op} must be a non-negative number`, { details: { option: `mix.${op}` } });
      }
    }
    this.#weights = OPS.map((op) => mix[op]);
    if (this.#weights.every((w) => w === 0)) {
      throw new ScenarioOptionsError('activity option mix must give at least one action a positive weight', { details: { option: 'mix' } });
    }
    this.#target = options.target;
    this.#clock = options.clock ?? systemClock;
    this.#rng = new Rng(deriveSeed(options.seed >>> 0, 9));
    this.#rate = options.ratePerSecond;
    this.#tickMs = options.tickMs ?? 50;
    this.#maxBurst = options.maxBurst ?? 1000;
    this.#roomCopies = options.roomCopies ?? true;
    this.#canary = options.canary;
    this.#onRecord = options.onRecord;
    this.#anchorMs = options.anchorMs;
    this.#clockAtStart = this.#clock.now();
    for (const link of options.roomCopyLinks ?? []) {
      this.#created.set(linkKey(link.organizerMailboxId, link.eventId), {
        series: link.series,
        room: { mailboxId: link.roomMailboxId, eventId: link.roomEventId },
      });
    }
    options.tenants.forEach((summary, t) => {
      const ctx = buildTenantContext(summary, options.seed >>> 0, t, options.anchorMs);
      for (const person of ctx.enabledUsers) this.#actors.push({ tenant: ctx, person });
    });
    if (this.#actors.length === 0) {
      throw new ScenarioOptionsError('activity option tenants must hold at least one licensed user', { details: { option: 'tenants' } });
    }
  }

  /** The scenario's "now": the anchor plus the time elapsed on the clock since construction. */
  #now(): number {
    return this.#anchorMs + (this.#clock.now() - this.#clockAtStart);
  }

  /** Runs `count` actions now and returns their records. */
  step(count: number): ActivityRecord[] {
    const out: ActivityRecord[] = [];
    for (let i = 0; i < count; i += 1) out.push(this.#one());
    return out;
  }

  /** Runs actions at `ratePerSecond` on the clock until `stop()`. */
  start(): void {
    if (this.#timer !== null) return;
    this.#runStartedAt = this.#clock.now();
    this.#runStartSeq = this.#seq;
    const tick = (): void => {
      const due = Math.floor(((this.#clock.now() - this.#runStartedAt) * this.#rate) / 1000) - (this.#seq - this.#runStartSeq);
      if (due > 0) this.step(Math.min(due, this.#maxBurst));
      this.#timer = setTimeout(tick, this.#tickMs);
      this.#timer.unref();
    };
    this.#timer = setTimeout(tick, this.#tickMs);
    this.#timer.unref();
  }

  /** Stops `start()`; actions are synchronous, so none is in flight once this resolves. */
  stop(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    return Promise.resolve();
  }

  /** Counts per action, per action.detail, and errors. */
  stats(): Record<string, number> {
    const out: Record<string, number> = { total: this.#seq };
    for (const [k, v] of [...this.#stats.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out[k] = v;
    return out;
  }

  #count(key: string): void {
    this.#stats.set(key, (this.#stats.get(key) ?? 0) + 1);
  }

  #one(): ActivityRecord {
    const rng = this.#rng;
    const op = rng.weighted(OPS, this.#weights);
    const actor = this.#actors[rng.int(0, this.#actors.length - 1)] as Actor;
    const tenantId = actor.tenant.summary.id;
    const mailboxId = actor.person.person.id;
    this.#seq += 1;
    const record: ActivityRecord = { seq: this.#seq, at: this.#clock.now(), op, detail: '', tenantId, mailboxId };
    try {
      if (op === 'toggleOutOfOffice') {
        this.#toggle(actor, record);
      } else if (op === 'create') {
        this.#create(actor, record);
      } else {
        const ids = this.#target.listEventIds(tenantId, mailboxId);
        if (ids.length === 0) {
          record.fallback = true;
          this.#create(actor, record);
        } else {
          const eventId = ids[rng.int(0, ids.length - 1)] as string;
          record.eventId = eventId;
          if (op === 'update') this.#update(actor, eventId, record);
          else if (op === 'cancel') this.#cancel(actor, eventId, record);
          else this.#delete(actor, eventId, record);
        }
      }
    } catch (error) {
      record.error = errorText(error);
      this.#count('errors');
    }
    this.#count(record.op);
    this.#count(`${record.op}.${record.detail}`);
    this.#onRecord?.(record);
    return record;
  }

  #create(actor: Actor, record: ActivityRecord): void {
    const ctx = actor.tenant;
    ctx.anchorMs = this.#now();
    ctx.anchorDays.clear();
    const built = buildMeeting(this.#rng, ctx, actor.person, {
      recurringChance: 0.15, invitationChance: 0, canary: this.#canary, index: this.#meetingIndex,
      windowFromDays: 0, windowToDays: 14, seriesBackDays: 0, coverage: false,
    });
    this.#meetingIndex += 1;
    record.op = 'create';
    record.detail = built.series === null ? 'single' : 'series';
    const id = this.#target.createEvent(ctx.summary.id, actor.person.person.id, built.event);
    record.eventId = id;
    let room: Created['room'] = null;
    if (this.#roomCopies && built.room !== null) {
      const roomId = this.#target.createEvent(ctx.summary.id, built.room.person.id, roomCopy(built, built.room, actor.person.person.displayName));
      room = { mailboxId: built.room.person.id, eventId: roomId };
    }
    this.#created.set(linkKey(actor.person.person.id, id), { series: built.series !== null, room });
  }

  #isSeries(actor: Actor, eventId: string): boolean {
    const known = this.#created.get(linkKey(actor.person.person.id, eventId));
    if (known !== undefined) return known.series;
    if (this.#target.listInstanceIds === undefined) return false;
    const now = this.#now();
    return this.#target.listInstanceIds(actor.tenant.summary.id, actor.person.person.id, eventId, now - 400 * DAY_MS, now + 400 * DAY_MS).length > 0;
  }

  #update(actor: Actor, eventId: string, record: ActivityRecord): void {
    const rng = this.#rng;
    const ctx = actor.tenant;
    const person = actor.person.person;
    let kind = rng.weighted(UPDATE_KINDS, UPDATE_WEIGHTS);
    // Moving a series master to another date would break its recurrence; edit its subject instead.
    if (kind === 'move' && this.#isSeries(actor, eventId)) kind = 'subject';
    let patch: GraphEventInput;
    switch (kind) {
      case 'move': {
        const day = localDayOf(this.#now(), person.iana) + rng.int(0, 10);
        const start = 7 * 60 + 15 * rng.int(0, 40);
        const duration = rng.pick([30, 30, 60, 60, 90]);
        patch = {
          start: { dateTime: isoLocal(day, start), timeZone: person.timeZone },
          end: { dateTime: isoLocal(day, start + duration), timeZone: person.timeZone },
        };
        break;
      }
      case 'subject': {
        const subject = rng.chance(0.3) ? rng.pick(SUBJECTS) + ' (rescheduled)' : pickSubject(rng, person.locale);
        patch = { subject: this.#canary === undefined ? subject : subject + ' ' + this.#canary('subject', this.#meetingIndex++) };
        break;
      }
      case 'location': {
        const room = ctx.rooms.length > 0 && rng.chance(0.4) ? rng.pick(ctx.rooms) : null;
        patch = { location: room?.roomLocation ?? rng.pick(PLAIN_LOCATION_OBJECTS) };
        break;
      }
      case 'attendees':
        patch = { attendees: pickAttendees(rng, ctx, actor.person, null, Math.min(pickSize(rng), 60), null, null) };
        break;
      case 'keyword':
        patch = { location: rng.pick(KEYWORD_LOCATION_OBJECTS) };
        break;
    }
    record.detail = kind;
    this.#target.updateEvent(ctx.summary.id, person.id, eventId, patch);
    const room = this.#created.get(linkKey(person.id, eventId))?.room;
    if (room != null && kind !== 'location') this.#target.updateEvent(ctx.summary.id, room.mailboxId, room.eventId, patch);
  }

  #cancel(actor: Actor, eventId: string, record: ActivityRecord): void {
    const tenantId = actor.tenant.summary.id;
    const mailboxId = actor.person.person.id;
    if (this.#target.listInstanceIds !== undefined && this.#rng.chance(0.5)) {
      const now = this.#now();
      const instances = this.#target.listInstanceIds(tenantId, mailboxId, eventId, now - 7 * DAY_MS, now + 31 * DAY_MS);
      if (instances.length > 0) {
        const instanceId = instances[this.#rng.int(0, instances.length - 1)] as string;
        record.detail = 'occurrence';
        record.eventId = instanceId;
        this.#target.cancelEvent(tenantId, mailboxId, instanceId);
        return;
      }
    }
    const key = linkKey(mailboxId, eventId);
    record.detail = this.#created.get(key)?.series === true ? 'series' : 'event';
    this.#target.cancelEvent(tenantId, mailboxId, eventId);
    const room = this.#created.get(key)?.room;
    this.#created.delete(key);
    if (room != null) this.#target.cancelEvent(tenantId, room.mailboxId, room.eventId);
  }

  #delete(actor: Actor, eventId: string, record: ActivityRecord): void {
    record.detail = 'event';
    const tenantId = actor.tenant.summary.id;
    this.#target.deleteEvent(tenantId, actor.person.person.id, eventId);
    const key = linkKey(actor.person.person.id, eventId);
    const room = this.#created.get(key)?.room;
    this.#created.delete(key);
    if (room != null) this.#target.deleteEvent(tenantId, room.mailboxId, room.eventId);
  }

  #toggle(actor: Actor, record: ActivityRecord): void {
    const rng = this.#rng;
    const person = actor.person.person;
    const current = this.#ooo.get(person.id) ?? person.automaticReplies;
    let next: AutomaticRepliesSetting['status'];
    if (current === 'disabled') next = rng.chance(0.5) ? 'alwaysEnabled' : 'scheduled';
    else next = rng.chance(0.7) ? 'disabled' : current === 'scheduled' ? 'alwaysEnabled' : 'scheduled';
    const message = (LOCALES.find((l) => l.locale === person.locale) ?? LOCALES[0])?.ooo ?? '';
    const html = '<html>\n<body>\n<div>' + message + '</div>\n</body>\n</html>\n';
    const setting: AutomaticRepliesSetting = {
      status: next,
      externalAudience: rng.pick(['none', 'contactsOnly', 'all'] as const),
      internalReplyMessage: html,
      externalReplyMessage: next === 'disabled' ? '' : html,
    };
    if (next === 'scheduled') {
      // Windows around "now": already running, starting within the hour, or a few days ahead.
      const now = this.#now();
      const quarter = 15 * 60_000;
      const startMs = Math.floor((now + rng.pick([-2, -1, 0, 1, 2, 4, 24 * 4 * 3]) * quarter) / quarter) * quarter;
      const endMs = startMs + rng.pick([1, 2, 8, 4 * 24, 4 * 24 * 3, 4 * 24 * 7]) * quarter;
      const fmt = (ms: number): string => DateTime.fromMillis(ms, { zone: person.iana }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
      setting.scheduledStartDateTime = { dateTime: fmt(startMs), timeZone: person.timeZone };
      setting.scheduledEndDateTime = { dateTime: fmt(endMs), timeZone: person.timeZone };
    }
    record.detail = next;
    this.#target.setAutomaticReplies(actor.tenant.summary.id, person.id, setting);
    this.#ooo.set(person.id, next);
  }
}
