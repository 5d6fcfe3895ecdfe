/**
 * The meeting factory shared by the scenario generator and the activity driver: single and
 * recurring meetings (every Graph pattern and range type) with exceptions, all-day events,
 * private and confidential ones, invitee lists up to Graph's 500, rooms as resource attendees,
 * HTML and text bodies with join information, and keyword Locations (`@webex`, `@meet:onetime`...).
 *
 * Bodies are concatenations of interned fragments and short parameters; attendee objects are
 * built once per person and shared by every event that invites them (inputs are read-only).
 */
import type {
  Attendee,
  GraphEventInput,
  GraphLocation,
  PatternedRecurrence,
  RecurrencePatternType,
  RecurrenceRange,
} from '../model.js';
import { GRAPH_MAX_ATTENDEES, anchorDay, pickAttendees, pickSize, wallTime, type PersonContext, type TenantContext } from './attendees.js';
import {
  BODY_SLOTS, EMPTY_HTML_BODY, KEYWORD_LOCATIONS, KEYWORD_LOCATION_OBJECTS, PLAIN_LOCATION_OBJECTS, PROVIDER_LOCATIONS, STYLES, TEAMS_LOCATION,
  bodyKey, composeBody, pickSubject, type Style,
} from './bodies.js';
import { ALL_DAY_SUBJECTS } from './catalog.js';
import { weekday } from './civil.js';
import { JOIN_KINDS, JOIN_KIND_WEIGHTS, WRAPPER_KINDS, buildJoin, makeRewriter } from './links.js';
import type { JoinKind, WrapperKind } from './links.js';
import { PATTERN_TYPES, RANGE_TYPES, planRecurrence, type SeriesPlan } from './recurrence-plan.js';
import type { Rng } from './rng.js';

// The parts live beside this file; everything the generator and the driver use is re-exported here.
export { GRAPH_MAX_ATTENDEES, buildTenantContext, pickAttendees, pickSize } from './attendees.js';
export type { PersonContext, TenantContext } from './attendees.js';
export { KEYWORD_LOCATIONS, KEYWORD_LOCATION_OBJECTS, PLAIN_LOCATION_OBJECTS, pickSubject } from './bodies.js';
export { PATTERN_TYPES, occurrenceDays, planExceptions } from './recurrence-plan.js';
export type { PlannedException, SeriesPlan } from './recurrence-plan.js';

/** Supplies unique marker strings for security tests; `i` is the meeting's ordinal in the scenario. */
export type CanaryFn = (kind: 'subject' | 'body' | 'location' | 'address', i: number) => string;

const DURATIONS: readonly number[] = [15, 30, 30, 30, 45, 60, 60, 60, 60, 90, 120];
const CATEGORY_SETS: readonly string[][] = [['Blue category'], ['Red category'], ['Customer'], ['Green category', 'Travel']];

// ---- Meetings ------------------------------------------------------------------------------

const STYLE_WEIGHTS: readonly number[] = [28, 30, 10, 20, 4, 8];

interface Force {
  style?: Style;
  join?: JoinKind;
  wrapper?: WrapperKind;
  keyword?: string;
  html?: boolean;
  sensitivity?: 'private' | 'confidential' | 'personal';
  size?: number;
  second?: JoinKind;
  recurring?: boolean;
  withJoinToo?: boolean;
}

const NO_FORCE: Force = Object.freeze({});

/** The first meetings of each tenant walk through every kind, so small scenarios cover them all. */
const COVERAGE: readonly Force[] = [
  ...JOIN_KINDS.map((join, i): Force => ({ style: 'join', join, html: i % 3 !== 2 })),
  ...WRAPPER_KINDS.map((wrapper, i): Force => ({ style: 'join', join: (['zoom', 'teams', 'meet', 'webexMtid', 'zoom', 'webexPersonal', 'meet'] as const)[i] ?? 'zoom', wrapper, html: i % 2 === 0 })),
  ...KEYWORD_LOCATIONS.map((keyword, i): Force => ({ style: 'keyword', keyword, withJoinToo: i === 3 })),
  { style: 'teamsOnline' },
  { style: 'teamsOnline', recurring: true },
  { style: 'allDay' },
  { style: 'inPerson', sensitivity: 'private' },
  { style: 'join', join: 'zoom', sensitivity: 'confidential' },
  { style: 'join', join: 'teams', size: GRAPH_MAX_ATTENDEES },
  { style: 'join', join: 'zoom', second: 'teams', html: true },
  { style: 'join', join: 'webexMtid', second: 'sip', html: false },
  { style: 'bare' },
  { style: 'inPerson', recurring: true },
  { style: 'join', join: 'webexPersonal', recurring: true },
  { style: 'keyword', keyword: '@webex', recurring: true },
  { style: 'allDay', recurring: true },
  { style: 'join', join: 'zoom', recurring: true },
  { style: 'join', join: 'meet', recurring: true },
];

export interface BuiltMeeting {
  event: GraphEventInput;
  /** The room mailbox booked by the meeting, if any (its copy goes into the room's calendar). */
  room: PersonContext | null;
  series: SeriesPlan | null;
  /** True when the mailbox owner organised it (false: an invitation received). */
  organised: boolean;
  /** An invitation from a colleague: the organiser's mailbox (their own event goes into their calendar). */
  organizerMailboxId: string | null;
}

export interface BuildOptions {
  recurringChance: number;
  invitationChance: number;
  canary?: CanaryFn | undefined;
  /** Meeting ordinal, passed to `canary`. */
  index: number;
  /** Days relative to the anchor where most meetings fall. */
  windowFromDays: number;
  windowToDays: number;
  /** Series start up to this many days before the meeting's day (older series reach into the window). */
  seriesBackDays: number;
  /** Walk through every kind in the tenant's first meetings and series (the generator does; the driver does not). */
  coverage: boolean;
}

/**
 * Builds one meeting for `mailbox`. Deterministic in `rng`; updates the tenant's ordinals.
 */
export function buildMeeting(rng: Rng, ctx: TenantContext, mailbox: PersonContext, options: BuildOptions): BuiltMeeting {
  const ordinal = ctx.ordinal;
  const covering = options.coverage && ordinal < COVERAGE.length;
  const force: Force = covering ? (COVERAGE[ordinal] as Force) : NO_FORCE;
  const organised = covering || !rng.chance(options.invitationChance);
  ctx.ordinal += 1;
  let organizer = mailbox;
  if (!organised) {
    const fromColleague = ctx.enabledUsers.length > 1 && rng.chance(0.6);
    organizer = fromColleague ? rng.pick(ctx.enabledUsers) : rng.pick(ctx.externalOrganizers);
    if (organizer === mailbox) organizer = rng.pick(ctx.externalOrganizers);
  }
  const style = force.style ?? (organised ? rng.weighted(STYLES, STYLE_WEIGHTS) : rng.weighted(STYLES, [20, 50, 0, 20, 2, 8]));
  const person = mailbox.person;
  const locale = person.locale;
  // Invitations carry the organiser's zone (external organisers write UTC).
  const zoneOwner = organised ? person : organizer.person;
  const timeZone = rng.chance(0.05) ? 'UTC' : zoneOwner.timeZone;
  const iana = timeZone === 'UTC' ? 'UTC' : zoneOwner.iana;
  const aDay = anchorDay(ctx, iana);

  // When.
  let offset = rng.chance(0.9) ? rng.int(options.windowFromDays, options.windowToDays) : rng.chance(0.5) ? rng.int(-120, options.windowFromDays - 1) : rng.int(options.windowToDays + 1, 200);
  let day = aDay + offset;
  const wd = weekday(day);
  if ((wd === 0 || wd === 6) && rng.chance(0.9)) {
    day += wd === 6 ? 2 : 1;
    offset = day - aDay;
  }
  const allDay = style === 'allDay';
  const recurring = force.recurring ?? (covering ? false : rng.chance(options.recurringChance));
  const startMinute = allDay ? 0 : 7 * 60 + 15 * rng.int(0, 42);
  // A series' occurrences never overlap: recurring all-day events last one day.
  const durationMinutes = allDay ? 1440 * (recurring ? 1 : rng.int(1, 5)) : rng.pick(DURATIONS);

  // Recurrence.
  let series: SeriesPlan | null = null;
  let recurrence: PatternedRecurrence | undefined;
  let startDay = day;
  let subject = allDay ? rng.pick(ALL_DAY_SUBJECTS) : pickSubject(rng, locale);
  if (recurring) {
    const so = ctx.seriesOrdinal;
    ctx.seriesOrdinal += 1;
    const planned = planRecurrence(
      rng,
      options.coverage && so < PATTERN_TYPES.length ? (PATTERN_TYPES[so] as RecurrencePatternType) : null,
      options.coverage && so < PATTERN_TYPES.length ? (RANGE_TYPES[so % RANGE_TYPES.length] as RecurrenceRange['type']) : null,
      day - rng.int(0, options.seriesBackDays),
      timeZone,
    );
    recurrence = planned.recurrence;
    startDay = planned.startDay;
    series = { pattern: recurrence.pattern, range: recurrence.range, startDay, startMinute, durationMinutes, allDay, timeZone, iana, subject: '' };
  }

  const start = wallTime(ctx, startDay, startMinute, timeZone);
  const endDay = startDay + Math.floor((startMinute + durationMinutes) / 1440);
  const end = wallTime(ctx, endDay, (startMinute + durationMinutes) % 1440, timeZone);

  // Room.
  const room = organised && !allDay && style !== 'bare' && ctx.rooms.length > 0 && rng.chance(ctx.roomChance) ? rng.pick(ctx.rooms) : null;

  // Join information: decided first, then built, or reused from the organiser's bodies.
  // The organiser's client decides HTML or text; the recipient's organisation decides rewriting.
  const html = force.html ?? organizer.prefersHtml;
  const wrapper = force.wrapper ?? mailbox.wrapper;
  let kind: JoinKind | null = null;
  let secondKind: JoinKind | null = null;
  if (style === 'teamsOnline') {
    if (rng.chance(0.85)) kind = 'teams';
  } else if (style === 'join') {
    kind = force.join ?? rng.weighted(JOIN_KINDS, JOIN_KIND_WEIGHTS);
    secondKind = force.second ?? (rng.chance(0.05) ? rng.pick(JOIN_KINDS) : null);
    if (secondKind === kind) secondKind = null;
  } else if (style === 'keyword') {
    if (force.withJoinToo === true || rng.chance(0.08)) kind = rng.chance(0.5) ? 'webexPersonal' : 'webexMtid';
  }
  const canary = options.canary;
  const i = options.index;
  // An organiser's bodies are shared between meetings: a personal room has one, other kinds a few
  // slots. That is how people reuse links, and it keeps memory flat even when a store flattens
  // strings. With canaries every body is built anew (each must carry its own marker).
  const slot = kind === 'webexPersonal' || kind === 'webexJoin' ? 0 : rng.int(0, BODY_SLOTS - 1);
  const cacheKey = canary === undefined ? bodyKey(style, kind, secondKind, html, wrapper, slot) : null;
  let composed = cacheKey === null ? undefined : organizer.bodies.get(cacheKey);
  if (composed === undefined) {
    const rewrite = wrapper === null ? undefined : makeRewriter(wrapper, rng, person.mail, ctx.summary.id);
    const join = kind === null ? null : buildJoin(kind, rng, organizer.owner, html, rewrite);
    const second = secondKind === null ? null : buildJoin(secondKind, rng, organizer.owner, html, rewrite);
    composed = { body: composeBody(rng, style, html, locale, join, second, canary === undefined ? '' : canary('body', i)), url: join?.url ?? null };
    if (cacheKey !== null) organizer.bodies.set(cacheKey, composed);
  }
  const body = composed.body;

  // Location.
  let location: GraphLocation | undefined;
  let locations: GraphLocation[] | undefined;
  let isOnlineMeeting = false;
  switch (style) {
    case 'teamsOnline':
      isOnlineMeeting = true;
      location = TEAMS_LOCATION;
      break;
    case 'join': {
      const where = rng.next();
      const url = composed.url ?? '';
      if (where < 0.3 && url.startsWith('https:')) location = { displayName: url };
      else if (where < 0.55) location = kind === null ? undefined : PROVIDER_LOCATIONS[kind];
      break;
    }
    case 'keyword':
      location = force.keyword !== undefined ? { displayName: force.keyword } : rng.pick(KEYWORD_LOCATION_OBJECTS);
      break;
    case 'inPerson':
      if (room === null) location = rng.pick(PLAIN_LOCATION_OBJECTS);
      break;
    case 'allDay':
    case 'bare':
      break;
  }
  if (room?.roomLocation !== undefined) {
    if (location === undefined) {
      location = room.roomLocation;
    } else {
      locations = [room.roomLocation, location];
      const combined = rng.chance(0.5) ? room.roomLocation.displayName + '; ' + (location.displayName ?? '') : (location.displayName ?? '') + '; ' + room.roomLocation.displayName;
      location = { displayName: combined };
    }
  }

  // Canaries.
  let extra: Attendee | null = null;
  if (canary !== undefined) {
    subject = subject + ' ' + canary('subject', i);
    location = { ...(location ?? {}), displayName: (location?.displayName === undefined ? '' : location.displayName + ' ') + canary('location', i) };
    if (locations !== undefined) locations = [...locations, { displayName: canary('location', i) }];
    const addr = canary('address', i);
    extra = { type: 'optional', emailAddress: { name: 'Guest', address: addr.includes('@') ? addr : addr + '@guest.example.net' } };
  }
  if (series !== null) series.subject = subject;

  // Who.
  const size = allDay ? (rng.chance(0.7) ? 0 : rng.int(1, 3)) : force.size ?? pickSize(rng);
  const self = organised ? null : mailbox;
  const attendees = size === 0 && self === null && room === null && extra === null ? [] : pickAttendees(rng, ctx, organizer, self, size, room, extra);

  const event: GraphEventInput = {
    subject,
    body,
    start,
    end,
    organizer: organizer.organizer,
    attendees,
  };
  if (allDay) {
    event.isAllDay = true;
    event.showAs = rng.chance(0.6) ? 'oof' : 'free';
  }
  if (location !== undefined) event.location = location;
  if (locations !== undefined) event.locations = locations;
  if (recurrence !== undefined) event.recurrence = recurrence;
  const sensitivity = force.sensitivity ?? (rng.chance(0.07) ? rng.weighted(['private', 'confidential', 'personal'] as const, [6, 1, 2]) : null);
  if (sensitivity !== null) event.sensitivity = sensitivity;
  if (isOnlineMeeting) {
    event.isOnlineMeeting = true;
    event.onlineMeetingProvider = 'teamsForBusiness';
  }
  if (rng.chance(0.05)) event.importance = 'high';
  if (rng.chance(0.1)) event.categories = rng.pick(CATEGORY_SETS);
  if (rng.chance(0.2)) {
    event.isReminderOn = true;
    event.reminderMinutesBeforeStart = rng.pick([0, 5, 10, 15, 30]);
  }
  const organizerMailboxId = !organised && organizer !== mailbox && ctx.enabledUsers.includes(organizer) ? organizer.person.id : null;
  return { event, room, series, organised, organizerMailboxId };
}

/** The copy of an organised meeting that lands in the booked room's calendar. */
export function roomCopy(meeting: BuiltMeeting, room: PersonContext, organizerName: string): GraphEventInput {
  const copy: GraphEventInput = { ...meeting.event };
  if (room.person.addOrganizerToSubject === true) copy.subject = organizerName;
  if (room.person.deleteComments === true) copy.body = EMPTY_HTML_BODY;
  return copy;
}

export { anchorDay as tenantAnchorDay };
