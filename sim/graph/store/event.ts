import type { CompiledSeries } from '../recurrence/index.js';
import { changeKey } from './ids.js';
import type {
  Attendee, EmailAddress, GraphEventInput, GraphLocation, PatternedRecurrence, ResponseType, SingleValueExtendedProperty,
} from '../model.js';


export const NO_TIME = '0001-01-01T00:00:00Z';

/** The Teams meeting of an online event (`onlineMeeting` and the body's Teams block). */
export interface TeamsMeeting {
  readonly joinUrl: string;
  readonly conferenceId: string | null;
  readonly tollNumber: string | null;
  readonly tollFreeNumbers: readonly string[];
}

/**
 * The Teams block Outlook appends to an online meeting's body, kept as a recipe (locale, tenant,
 * organizer; one shared object per mailbox and language) and rendered only when the body is read.
 */
export interface TeamsBlock {
  render(meeting: TeamsMeeting): string;
}

/** One shared empty list for every event without attendees, locations or categories. */
export const NONE: readonly never[] = Object.freeze([]);

const ALL_DAY = 1;
const ORGANIZER = 2;
const ONLINE = 4;
const REMINDER_ON = 8;
const CANCELLED = 16;
const RESPONSE_REQUESTED = 32;
const NEW_TIME_PROPOSALS = 64;
const HIDE_ATTENDEES = 128;
const DELETED = 256;

/**
 * One stored event (single instance, series master or modified occurrence) as a compact record:
 * fixed fields in one hidden class, interned strings (zones, subjects, bodies, organizers, wall
 * times), shared frozen lists (attendees, locations, categories — linked copies share the
 * organizer's), yes/no properties packed in one small integer, the changeKey as its counter, and
 * the Teams block of an online meeting kept as a recipe. Graph's strings (changeKey, body with
 * its Teams block) are built only when read; occurrences of a series are computed, never stored.
 */
export class StoredEvent {
  id: string;
  /** Counter of the last change; `changeKey` renders it (0: never changed). */
  changeNo = 0;
  createdMs = 0;
  modifiedMs = 0;
  /** Mailbox change sequence of the last change (drives delta). */
  seq = 0;
  iCalUId: string;
  subject = '';
  bodyType: 'text' | 'html' = 'text';
  /** The body as written (interned); `bodyContent` adds the Teams block when there is one. */
  body = '';
  /** Online Teams meetings whose body got Outlook's block: how to render it (see teams.ts). */
  teamsBlock: TeamsBlock | undefined = undefined;
  startLocal = '';
  startTz = 'UTC';
  endLocal = '';
  endTz = 'UTC';
  startMs = 0;
  endMs = 0;
  location: GraphLocation | undefined = undefined;
  locations: readonly GraphLocation[] | undefined = undefined;
  attendees: readonly Attendee[] = NONE;
  organizer: { emailAddress: EmailAddress } | undefined = undefined;
  response: ResponseType = 'organizer';
  responseTime = NO_TIME;
  recurrence: PatternedRecurrence | null = null;
  sensitivity: NonNullable<GraphEventInput['sensitivity']> = 'normal';
  showAs: NonNullable<GraphEventInput['showAs']> = 'busy';
  importance: NonNullable<GraphEventInput['importance']> = 'normal';
  /** Teams meeting details (online meetings only), see teams.ts. */
  teams: TeamsMeeting | undefined = undefined;
  onlineMeetingProvider: NonNullable<GraphEventInput['onlineMeetingProvider']> = 'unknown';
  reminderMinutesBeforeStart = 15;
  categories: readonly string[] = NONE;
  transactionId: string | undefined = undefined;
  extendedProperties: readonly SingleValueExtendedProperty[] | undefined = undefined;
  /** Series master only: the compiled recurrence and its span, rebuilt whenever times or recurrence change. */
  series: StoredSeries | undefined = undefined;
  /** Series master only: modified or cancelled occurrences by original start (UTC ms). */
  exceptions: Map<number, OccurrenceException> | undefined = undefined;
  /** Exceptions only: the master's id and the occurrence's original start. */
  seriesMasterId: string | undefined = undefined;
  originalStartMs = 0;
  /** isAllDay, isOrganizer, isOnlineMeeting, isReminderOn, isCancelled, responseRequested, allowNewTimeProposals, hideAttendees, deleted. */
  flags = ORGANIZER | REMINDER_ON | RESPONSE_REQUESTED | NEW_TIME_PROPOSALS;

  constructor(id: string, iCalUId: string) {
    this.id = id;
    this.iCalUId = iCalUId;
  }

  get type(): 'singleInstance' | 'seriesMaster' | 'exception' {
    if (this.seriesMasterId !== undefined) return 'exception';
    return this.recurrence === null ? 'singleInstance' : 'seriesMaster';
  }

  get changeKey(): string {
    return this.changeNo === 0 ? '' : changeKey(this.changeNo);
  }

  /** The body as Graph returns it: as written, plus the Teams block of an online meeting. */
  get bodyContent(): string {
    if (this.teamsBlock === undefined || this.teams === undefined) return this.body;
    return this.body + (this.body === '' ? '' : '<br>\r\n') + this.teamsBlock.render(this.teams);
  }

  /** Replaces the body (a Teams block is added again by the store when the meeting is online). */
  set bodyContent(value: string) {
    this.body = value;
    this.teamsBlock = undefined;
  }

  get isAllDay(): boolean { return (this.flags & ALL_DAY) !== 0; }
  set isAllDay(value: boolean) { this.#flag(ALL_DAY, value); }
  get isOrganizer(): boolean { return (this.flags & ORGANIZER) !== 0; }
  set isOrganizer(value: boolean) { this.#flag(ORGANIZER, value); }
  get isOnlineMeeting(): boolean { return (this.flags & ONLINE) !== 0; }
  set isOnlineMeeting(value: boolean) { this.#flag(ONLINE, value); }
  get isReminderOn(): boolean { return (this.flags & REMINDER_ON) !== 0; }
  set isReminderOn(value: boolean) { this.#flag(REMINDER_ON, value); }
  get isCancelled(): boolean { return (this.flags & CANCELLED) !== 0; }
  set isCancelled(value: boolean) { this.#flag(CANCELLED, value); }
  get responseRequested(): boolean { return (this.flags & RESPONSE_REQUESTED) !== 0; }
  set responseRequested(value: boolean) { this.#flag(RESPONSE_REQUESTED, value); }
  get allowNewTimeProposals(): boolean { return (this.flags & NEW_TIME_PROPOSALS) !== 0; }
  set allowNewTimeProposals(value: boolean) { this.#flag(NEW_TIME_PROPOSALS, value); }
  get hideAttendees(): boolean { return (this.flags & HIDE_ATTENDEES) !== 0; }
  set hideAttendees(value: boolean) { this.#flag(HIDE_ATTENDEES, value); }
  get deleted(): boolean { return (this.flags & DELETED) !== 0; }
  set deleted(value: boolean) { this.#flag(DELETED, value); }

  #flag(bit: number, value: boolean): void {
    this.flags = value ? this.flags | bit : this.flags & ~bit;
  }
}

/** A series compiled once when stored, with its first start and last end (Infinity for noEnd). */
export interface StoredSeries {
  readonly compiled: CompiledSeries;
  readonly firstStartMs: number;
  readonly lastEndMs: number;
}

export type OccurrenceException =
  | { cancelled: true; seq: number; changedMs: number }
  | { cancelled: false; event: StoredEvent };

/** One item of an expanded calendar: a single instance, an occurrence (from its master) or an exception. */
export interface EventView {
  readonly event: StoredEvent;
  readonly type: 'singleInstance' | 'seriesMaster' | 'occurrence' | 'exception';
  readonly id: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Wall-clock start/end in the event's own zone (occurrences carry their own). */
  readonly startLocal: string;
  readonly endLocal: string;
  readonly originalStartMs?: number;
  readonly seriesMasterId?: string;
  readonly iCalUId: string;
}

export function viewOf(event: StoredEvent): EventView {
  const base = {
    event, type: event.type, id: event.id, startMs: event.startMs, endMs: event.endMs,
    startLocal: event.startLocal, endLocal: event.endLocal, iCalUId: event.iCalUId,
  };
  return event.seriesMasterId === undefined ? base : { ...base, originalStartMs: event.originalStartMs, seriesMasterId: event.seriesMasterId };
}
