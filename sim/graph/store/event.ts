import type { CompiledSeries } from '../recurrence/index.js';
import type {
  Attendee, EmailAddress, GraphEventInput, GraphLocation, PatternedRecurrence, ResponseType, SingleValueExtendedProperty,
} from '../model.js';


export const NO_TIME = '0001-01-01T00:00:00Z';

/**
 * One stored event (single instance, series master or modified occurrence), kept compact: plain
 * fields, interned strings, no closures. Occurrences of a series are computed, never stored.
 */
/** The Teams meeting of an online event (`onlineMeeting` and the body's Teams block). */
export interface TeamsMeeting {
  readonly joinUrl: string;
  readonly conferenceId: string | null;
  readonly tollNumber: string | null;
  readonly tollFreeNumbers: readonly string[];
}

export class StoredEvent {
  id: string;
  changeKey = '';
  createdMs = 0;
  modifiedMs = 0;
  /** Mailbox change sequence of the last change (drives delta). */
  seq = 0;
  iCalUId: string;
  subject = '';
  bodyType: 'text' | 'html' = 'text';
  bodyContent = '';
  startLocal = '';
  startTz = 'UTC';
  endLocal = '';
  endTz = 'UTC';
  startMs = 0;
  endMs = 0;
  isAllDay = false;
  location: GraphLocation | undefined = undefined;
  locations: readonly GraphLocation[] | undefined = undefined;
  attendees: readonly Attendee[] = [];
  organizer: { emailAddress: EmailAddress } | undefined = undefined;
  isOrganizer = true;
  response: ResponseType = 'organizer';
  responseTime = NO_TIME;
  recurrence: PatternedRecurrence | null = null;
  sensitivity: NonNullable<GraphEventInput['sensitivity']> = 'normal';
  showAs: NonNullable<GraphEventInput['showAs']> = 'busy';
  importance: NonNullable<GraphEventInput['importance']> = 'normal';
  isOnlineMeeting = false;
  /** Teams meeting details (online meetings only), see teams.ts. */
  teams: TeamsMeeting | undefined = undefined;
  onlineMeetingProvider: NonNullable<GraphEventInput['onlineMeetingProvider']> = 'unknown';
  isReminderOn = true;
  reminderMinutesBeforeStart = 15;
  categories: readonly string[] = [];
  transactionId: string | undefined = undefined;
  extendedProperties: readonly SingleValueExtendedProperty[] | undefined = undefined;
  isCancelled = false;
  responseRequested = true;
  allowNewTimeProposals = true;
  hideAttendees = false;
  /** Series master only: the compiled recurrence and its span, rebuilt whenever times or recurrence change. */
  series: StoredSeries | undefined = undefined;
  /** Series master only: modified or cancelled occurrences by original start (UTC ms). */
  exceptions: Map<number, OccurrenceException> | undefined = undefined;
  /** Exceptions only: the master's id and the occurrence's original start. */
  seriesMasterId: string | undefined = undefined;
  originalStartMs = 0;
  deleted = false;

  constructor(id: string, iCalUId: string) {
    this.id = id;
    this.iCalUId = iCalUId;
  }

  get type(): 'singleInstance' | 'seriesMaster' | 'exception' {
    if (this.seriesMasterId !== undefined) return 'exception';
    return this.recurrence === null ? 'singleInstance' : 'seriesMaster';
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
