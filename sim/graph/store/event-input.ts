/** Create/PATCH input applied to a stored event: times, locations, attendees, recurrence (validated, interned). */
import { SimGraphError, type Attendee, type DateTimeTimeZone, type EmailAddress, type GraphEventInput, type GraphLocation, type PatternedRecurrence } from '../model.js';
import { compileSeries, seriesBounds, type SeriesDefinition } from '../recurrence/index.js';
import { requireLocalDateTime, requireZone } from '../time/index.js';
import { NONE, NO_TIME, type StoredEvent } from './event.js';
import { intern, internKeyed, internObject } from './intern.js';

export const MAX_ATTENDEES = 500;

/** True for exactly `dddd-dd-ddTdd:dd:dd` (the common shape; the regular expression gives the same result for it). */
function isPlainLocal(dateTime: string): boolean {
  if (dateTime.length !== 19) return false;
  for (let i = 0; i < 19; i += 1) {
    const c = dateTime.charCodeAt(i);
    const want = i === 4 || i === 7 ? 45 : i === 10 ? 84 : i === 13 || i === 16 ? 58 : -1;
    if (want === -1 ? c < 48 || c > 57 : c !== want) return false;
  }
  return true;
}

function normaliseLocal(dateTime: string): string {
  if (isPlainLocal(dateTime)) return `${dateTime}.0000000`;
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

/*
 * Identity caches for bulk loading. Callers (the scenario generator above all) pass the same
 * input objects (attendees, wall times, locations, organisers) to many events. Each cache maps an
 * input object to what the keyed interning gave for it, together with the input fields that
 * result was derived from; a hit is used only when those fields are still identical, so results
 * are exactly what the keyed path returns, without building and hashing a key string per use.
 */

interface StoredTime {
  readonly dateTime: string;
  readonly timeZone: string;
  /** Normalised, interned wall time and zone. */
  readonly local: string;
  readonly tz: string;
  /** UTC ms of local in tz, computed on first use (NaN until then). */
  ms: number;
}
const times = new WeakMap<DateTimeTimeZone, StoredTime>();

function storedTime(value: DateTimeTimeZone): StoredTime {
  const known = times.get(value);
  if (known !== undefined && known.dateTime === value.dateTime && known.timeZone === value.timeZone) return known;
  const entry: StoredTime = {
    dateTime: value.dateTime, timeZone: value.timeZone,
    local: intern(normaliseLocal(value.dateTime)), tz: intern(value.timeZone || 'UTC'), ms: Number.NaN,
  };
  times.set(value, entry);
  return entry;
}

function utcMsOf(entry: StoredTime): number {
  if (Number.isNaN(entry.ms)) entry.ms = localToUtcMs(entry.local, entry.tz);
  return entry.ms;
}

const attendees = new WeakMap<Attendee, Attendee>();

function storedAttendee(a: Attendee): Attendee {
  const name = a.emailAddress.name ?? a.emailAddress.address;
  const status = a.status;
  const response = status === undefined ? 'none' : status.response;
  const time = status === undefined ? NO_TIME : status.time;
  const known = attendees.get(a);
  if (known !== undefined && known.type === a.type && known.emailAddress.address === a.emailAddress.address
    && known.emailAddress.name === name && known.status?.response === response && known.status.time === time) return known;
  const value = internKeyed<Attendee>(`a|${a.type}|${a.emailAddress.address}|${name}|${response}|${time}`, () => ({
    type: a.type, status: { response, time },
    emailAddress: { name: intern(name), address: intern(a.emailAddress.address) },
  }));
  attendees.set(a, value);
  return value;
}

/*
 * Stored lists are frozen and shared: between events created from the same input list (the
 * generator's organizer event, invitation and room copies), and between consecutive events with
 * the same members (a mailbox's meetings with the same invitees), checked member by member.
 */
const attendeeLists = new WeakMap<readonly Attendee[], readonly Attendee[]>();
let lastAttendees: readonly Attendee[] = NONE;

function sameMembers<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

function storedAttendees(list: readonly Attendee[]): readonly Attendee[] {
  if (list.length === 0) return NONE;
  const stored = new Array<Attendee>(list.length);
  for (let i = 0; i < list.length; i += 1) stored[i] = storedAttendee(list[i] as Attendee);
  const known = attendeeLists.get(list);
  if (known !== undefined && sameMembers(known, stored)) return known;
  const shared = sameMembers(lastAttendees, stored) ? lastAttendees : Object.freeze(stored);
  attendeeLists.set(list, shared);
  lastAttendees = shared;
  return shared;
}

const singleLocations = new WeakMap<GraphLocation, readonly GraphLocation[]>();

/** The one-entry `locations` of a stored location (one shared list per location). */
function onlyLocation(location: GraphLocation): readonly GraphLocation[] {
  let list = singleLocations.get(location);
  if (list === undefined) {
    list = Object.freeze([location]);
    singleLocations.set(location, list);
  }
  return list;
}

function storedLocations(list: readonly GraphLocation[]): readonly GraphLocation[] {
  if (list.length === 0) return NONE;
  if (list.length === 1) return onlyLocation(storedLocation(list[0] as GraphLocation, 'unknown'));
  return Object.freeze(list.map((l) => storedLocation(l, 'unknown')));
}

const organizers = new WeakMap<{ emailAddress: EmailAddress }, { emailAddress: EmailAddress }>();

/** The interned organizer of an event created with an explicit organizer. */
export function storedOrganizer(organizer: { emailAddress: EmailAddress }): { emailAddress: EmailAddress } {
  const name = organizer.emailAddress.name ?? organizer.emailAddress.address;
  const address = organizer.emailAddress.address;
  const known = organizers.get(organizer);
  if (known !== undefined && known.emailAddress.name === name && known.emailAddress.address === address) return known;
  const value = internKeyed(`o|${address}|${name}`, () => ({ emailAddress: { name, address } }));
  organizers.set(organizer, value);
  return value;
}

/** Applies create/PATCH input to a stored event (validating times, all-day and recurrence). */
export function applyInput(ev: StoredEvent, input: GraphEventInput, creating: boolean): void {
  if (input.subject !== undefined) ev.subject = intern(input.subject ?? '');
  if (input.body !== undefined) {
    ev.bodyType = input.body.contentType === 'html' ? 'html' : 'text';
    ev.bodyContent = intern(input.body.content);
  }
  const startChanged = input.start !== undefined || input.end !== undefined || input.isAllDay !== undefined;
  if (input.isAllDay !== undefined) ev.isAllDay = input.isAllDay;
  const start = input.start === undefined ? undefined : storedTime(input.start);
  if (start !== undefined) {
    ev.startLocal = start.local;
    ev.startTz = start.tz;
  }
  const end = input.end === undefined ? undefined : storedTime(input.end);
  if (end !== undefined) {
    ev.endLocal = end.local;
    ev.endTz = end.tz;
  }
  if (startChanged || creating) {
    ev.startMs = start === undefined ? localToUtcMs(ev.startLocal, ev.startTz) : utcMsOf(start);
    ev.endMs = end === undefined ? localToUtcMs(ev.endLocal, ev.endTz) : utcMsOf(end);
    if (ev.endMs < ev.startMs) throw new SimGraphError(400, 'ErrorInvalidRequest', 'The start time of the event must be before its end time.');
    if (ev.isAllDay && (!ev.startLocal.endsWith('T00:00:00.0000000') || !ev.endLocal.endsWith('T00:00:00.0000000') || ev.endLocal <= ev.startLocal)) {
      throw new SimGraphError(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation. All-day events must start and end at midnight and last at least one day.');
    }
  }
  if (input.location !== undefined) {
    const name = input.location.displayName ?? '';
    ev.location = storedLocation(input.location, 'private');
    ev.locations = input.locations === undefined
      ? (name === '' ? NONE : onlyLocation(storedLocation(input.location, 'unknown')))
      : storedLocations(input.locations);
  } else if (input.locations !== undefined) {
    ev.locations = storedLocations(input.locations);
    const names = input.locations.map((l) => l.displayName ?? '').filter((n) => n !== '');
    ev.location = internObject({ displayName: names.join('; '), locationType: 'default', uniqueId: names.join('; '), uniqueIdType: 'private' });
  }
  if (input.attendees !== undefined) {
    if (input.attendees.length > MAX_ATTENDEES) throw new SimGraphError(400, 'ErrorInvalidRequest', `An event can have at most ${MAX_ATTENDEES} attendees.`);
    ev.attendees = storedAttendees(input.attendees);
  }
  if (input.sensitivity !== undefined) ev.sensitivity = input.sensitivity;
  if (input.showAs !== undefined) ev.showAs = input.showAs;
  if (input.importance !== undefined) ev.importance = input.importance;
  if (input.isOnlineMeeting !== undefined && !ev.isOnlineMeeting) ev.isOnlineMeeting = input.isOnlineMeeting;
  if (input.onlineMeetingProvider !== undefined && ev.onlineMeetingProvider === 'unknown') ev.onlineMeetingProvider = input.onlineMeetingProvider;
  if (ev.isOnlineMeeting && ev.onlineMeetingProvider === 'unknown') ev.onlineMeetingProvider = 'teamsForBusiness';
  if (input.isReminderOn !== undefined) ev.isReminderOn = input.isReminderOn;
  if (input.reminderMinutesBeforeStart !== undefined) ev.reminderMinutesBeforeStart = input.reminderMinutesBeforeStart;
  if (input.categories !== undefined) ev.categories = input.categories.length === 0 ? NONE : internObject(input.categories.map(intern));
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
    ev.recurrence = input.recurrence === null ? null : normaliseRecurrence(input.recurrence, ev.startTz);
    if (!creating) ev.exceptions = undefined;
  } else if (startChanged && !creating && ev.recurrence !== null) {
    ev.exceptions = undefined;
  }
  if (ev.recurrence !== null) {
    if (ev.recurrence.range.startDate !== ev.startLocal.slice(0, 10)) {
      throw new SimGraphError(400, 'ErrorPropertyValidationFailure', 'At least one property failed validation. The recurrence range start date must match the event start date.');
    }
    if (startChanged || creating || input.recurrence !== undefined || ev.series === undefined) {
      const compiled = compileSeries(seriesOf(ev));
      const bounds = seriesBounds(compiled);
      ev.series = { compiled, firstStartMs: bounds.firstStartMs, lastEndMs: bounds.lastEndMs };
    }
  } else {
    ev.series = undefined;
  }
}

interface LocationEntry {
  readonly displayName: string | undefined;
  readonly locationType: GraphLocation['locationType'];
  readonly locationUri: string | undefined;
  readonly locationEmailAddress: string | undefined;
  readonly uniqueId: string | undefined;
  readonly uniqueIdType: string | undefined;
  readonly address: GraphLocation['address'];
  readonly coordinates: GraphLocation['coordinates'];
  readonly value: GraphLocation;
}
const locations = { private: new WeakMap<GraphLocation, LocationEntry>(), unknown: new WeakMap<GraphLocation, LocationEntry>() };

export function storedLocation(l: GraphLocation, uniqueIdType: 'private' | 'unknown'): GraphLocation {
  const cache = locations[uniqueIdType];
  const known = cache.get(l);
  if (known !== undefined && known.displayName === l.displayName && known.locationType === l.locationType && known.locationUri === l.locationUri
    && known.locationEmailAddress === l.locationEmailAddress && known.uniqueId === l.uniqueId && known.uniqueIdType === l.uniqueIdType
    && known.address === l.address && known.coordinates === l.coordinates) return known.value;
  const place = l.address === undefined && l.coordinates === undefined ? '' : JSON.stringify([l.address ?? null, l.coordinates ?? null]);
  const key = `l|${uniqueIdType}|${l.displayName ?? ''}|${l.locationType ?? ''}|${l.locationUri ?? ''}|${l.locationEmailAddress ?? ''}|${l.uniqueId ?? ''}|${l.uniqueIdType ?? ''}|${place}`;
  const value = internKeyed(key, () => makeLocation(l, uniqueIdType));
  cache.set(l, {
    displayName: l.displayName, locationType: l.locationType, locationUri: l.locationUri, locationEmailAddress: l.locationEmailAddress,
    uniqueId: l.uniqueId, uniqueIdType: l.uniqueIdType, address: l.address, coordinates: l.coordinates, value,
  });
  return value;
}

function definedOnly<T extends object>(o: T | undefined): T | undefined {
  if (o === undefined) return undefined;
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;
  return Object.keys(out).length === 0 ? undefined : out;
}

export function makeLocation(l: GraphLocation, uniqueIdType: 'private' | 'unknown'): GraphLocation {
  const name = intern(l.displayName ?? '');
  const out: GraphLocation = { displayName: name, locationType: l.locationType ?? 'default' };
  if (l.locationUri !== undefined) out.locationUri = l.locationUri;
  if (l.locationEmailAddress !== undefined) out.locationEmailAddress = intern(l.locationEmailAddress);
  // Graph echoes a client's uniqueId/uniqueIdType (rooms: `directory`, places: `locationStore`/`bing`);
  // without them, location gets uniqueId = displayName + `private`, locations[] entries `unknown`.
  if (l.uniqueId !== undefined && l.uniqueId !== '') out.uniqueId = l.uniqueId;
  else if (uniqueIdType === 'private' && name !== '') out.uniqueId = name;
  out.uniqueIdType = l.uniqueIdType ?? (name === '' ? 'unknown' : uniqueIdType);
  const address = definedOnly(l.address);
  const coordinates = definedOnly(l.coordinates);
  if (address !== undefined) out.address = address;
  if (coordinates !== undefined) out.coordinates = coordinates;
  return out;
}

export function normaliseRecurrence(r: PatternedRecurrence, startTz: string): PatternedRecurrence {
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

export function seriesOf(master: StoredEvent): SeriesDefinition {
  return {
    start: { dateTime: master.startLocal, timeZone: master.startTz },
    end: { dateTime: master.endLocal, timeZone: master.endTz },
    isAllDay: master.isAllDay,
    recurrence: master.recurrence ?? { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: master.startLocal.slice(0, 10), numberOfOccurrences: 1 } },
  };
}
