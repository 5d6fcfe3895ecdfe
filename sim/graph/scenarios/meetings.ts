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
  DateTimeTimeZone,
  DayOfWeek,
  EmailAddress,
  GraphEventInput,
  GraphLocation,
  ItemBody,
  PatternedRecurrence,
  RecurrencePattern,
  RecurrencePatternType,
  RecurrenceRange,
  WeekIndex,
} from '../model.js';
import { AGENDA_LINES, ALL_DAY_SUBJECTS, LOCALES, PLAIN_LOCATIONS, SUBJECTS, SUBJECTS_LOCAL } from './catalog.js';
import { civilFromDays, daysFromCivil, daysInMonth, isoDate, isoLocal, localDayOf, weekday, zonedToUtcMs } from './civil.js';
import type { ScenarioPerson, ScenarioTenantSummary } from './directory.js';
import { asciiHandle } from './directory.js';
import { JOIN_KINDS, JOIN_KIND_WEIGHTS, WRAPPER_KINDS, WRAPPER_WEIGHTS, buildJoin, makeRewriter } from './links.js';
import type { JoinInfo, JoinKind, LinkOwner, WrapperKind } from './links.js';
import { Rng, deriveSeed } from './rng.js';

/** Supplies unique marker strings for security tests; `i` is the meeting's ordinal in the scenario. */
export type CanaryFn = (kind: 'subject' | 'body' | 'location' | 'address', i: number) => string;

export const GRAPH_MAX_ATTENDEES = 500;

export const KEYWORD_LOCATIONS: readonly string[] = [
  '@webex', '@meet', '@webex:myroom', '@webex:space', '@meet:onetime', '@meet:myroom', '@webex:onetime', '@meet:space',
  '@Webex', '@MEET', 'Building 4, Room 2.17; @webex', '@meet (Cafeteria)',
];

export const PATTERN_TYPES: readonly RecurrencePatternType[] = ['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly'];
const PATTERN_WEIGHTS: readonly number[] = [14, 50, 10, 14, 6, 6];
const RANGE_TYPES: readonly RecurrenceRange['type'][] = ['noEnd', 'endDate', 'numbered'];
const DAY_NAMES: readonly DayOfWeek[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const WEEK_INDEX: readonly WeekIndex[] = ['first', 'second', 'third', 'fourth', 'last'];
const DURATIONS: readonly number[] = [15, 30, 30, 30, 45, 60, 60, 60, 60, 90, 120];
const CATEGORY_SETS: readonly string[][] = [['Blue category'], ['Red category'], ['Customer'], ['Green category', 'Travel']];

// ---- Interned HTML fragments ---------------------------------------------------------------

const OUTLOOK_HEAD_A = '<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\r\n<style><!--\r\n/* Font Definitions */\r\n@font-face\r\n\t{font-family:"Cambria Math";\r\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}\r\n@font-face\r\n\t{font-family:Aptos;}\r\n/* Style Definitions */\r\np.MsoNormal, li.MsoNormal, div.MsoNormal\r\n\t{margin:0cm;\r\n\tfont-size:12.0pt;\r\n\tfont-family:"Aptos",sans-serif;}\r\na:link, span.MsoHyperlink\r\n\t{mso-style-priority:99;\r\n\tcolor:#467886;\r\n\ttext-decoration:underline;}\r\n.MsoChpDefault\r\n\t{mso-style-type:export-only;\r\n\tfont-size:10.0pt;}\r\n@page WordSection1\r\n\t{size:612.0pt 792.0pt;\r\n\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}\r\ndiv.WordSection1\r\n\t{page:WordSection1;}\r\n--></style>\r\n</head>\r\n<body lang="';
const OUTLOOK_HEAD_B = '" link="#467886" vlink="#96607D" style="word-wrap:break-word">\r\n<div class="WordSection1">\r\n';
const OUTLOOK_TAIL = '</div>\r\n</body>\r\n</html>\r\n';
const GRAPH_HEAD = '<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n';
const GRAPH_TAIL = '</body>\r\n</html>\r\n';
const P_OPEN = '<p class="MsoNormal">';
const P_CLOSE = '</p>\r\n';
const P_EMPTY = '<p class="MsoNormal">&nbsp;</p>\r\n';
const AGENDA_HTML = AGENDA_LINES.map((l) => P_OPEN + '• ' + l + P_CLOSE);
const AGENDA_TEXT = AGENDA_LINES.map((l) => '- ' + l + '\r\n');
const GREETING_HTML = new Map(LOCALES.map((l) => [l.locale, P_OPEN + l.greeting + P_CLOSE]));
const GREETING_TEXT = new Map(LOCALES.map((l) => [l.locale, l.greeting + '\r\n\r\n']));
const BODY_LANG = new Map(LOCALES.map((l) => [l.locale, l.locale.toUpperCase()]));
const EMPTY_HTML_BODY: ItemBody = { contentType: 'html', content: GRAPH_HEAD + GRAPH_TAIL };
const EMPTY_TEXT_BODY: ItemBody = { contentType: 'text', content: '' };
const TEAMS_LOCATION: GraphLocation = { displayName: 'Microsoft Teams Meeting', locationType: 'default' };
export const PLAIN_LOCATION_OBJECTS: readonly GraphLocation[] = PLAIN_LOCATIONS.map((displayName) => ({ displayName }));
export const KEYWORD_LOCATION_OBJECTS: readonly GraphLocation[] = KEYWORD_LOCATIONS.map((displayName) => ({ displayName }));

// ---- Tenant context ------------------------------------------------------------------------

export interface PersonContext {
  person: ScenarioPerson;
  required: Attendee;
  optional: Attendee;
  organizer: { emailAddress: EmailAddress };
  owner: LinkOwner;
  /** Rooms: the resource attendee and the conference-room location. */
  resource?: Attendee;
  roomLocation?: GraphLocation;
  /** The person's mail client writes HTML (most) or plain text. */
  prefersHtml: boolean;
  /** The link rewriter the person's organisation applies to their incoming mail, if any. */
  wrapper: WrapperKind | null;
  /** Bodies this person's meetings reuse (see buildMeeting), with their primary join URL. */
  bodies: Map<number, { body: ItemBody; url: string | null }>;
}

export interface TenantContext {
  summary: ScenarioTenantSummary;
  users: PersonContext[];
  enabledUsers: PersonContext[];
  rooms: PersonContext[];
  byId: Map<string, PersonContext>;
  externals: Attendee[];
  externalOrganizers: PersonContext[];
  /** Probability that an organised meeting books a room (about one room copy per room slot). */
  roomChance: number;
  /** Organised meetings built so far (drives coverage of every kind in small scenarios). */
  ordinal: number;
  seriesOrdinal: number;
  anchorMs: number;
  anchorDays: Map<string, number>;
  /** Interned start/end values: meetings at the same wall time in the same zone share one object. */
  times: Map<number, DateTimeTimeZone>;
  zoneIds: Map<string, number>;
}

const EXTERNAL_ORGS = [
  ['Fabrikam', 'fabrikam', 'fabrikam.com'],
  ['Woodgrove Partners', 'woodgrove', 'woodgrovepartners.com'],
  ['Northwind Consulting', 'northwind', 'northwindconsulting.net'],
  ['Litware Research', 'litware', 'litware-research.org'],
  ['Gmail', 'gmail', 'gmail.com'],
  ['Outlook.com', 'outlook', 'outlook.com'],
] as const;
const EXTERNAL_NAMES = ['Ravi Kumar', 'Ingrid Olsen', 'Tomás Ortega', 'Chen Wei', 'Fatima Zahra', 'Olga Petrova', 'Liam O\'Connor', 'Yuki Tanaka', 'Amara Okafor', 'Noah Fischer', 'Sara Haddad', 'Pedro Alves'];

function personContext(person: ScenarioPerson, tenantId: string, site: string, rng: Rng): PersonContext {
  const emailAddress: EmailAddress = { name: person.displayName, address: person.mail };
  const local = person.mail.split('@')[0] ?? person.mail;
  const ctx: PersonContext = {
    person,
    required: { type: 'required', emailAddress },
    optional: { type: 'optional', emailAddress },
    organizer: { emailAddress },
    prefersHtml: rng.chance(0.8),
    wrapper: rng.chance(0.15) ? rng.weighted(WRAPPER_KINDS, WRAPPER_WEIGHTS) : null,
    bodies: new Map(),
    owner: {
      tenantId, userId: person.id, handle: asciiHandle(local).replace(/'/g, ''), displayName: person.displayName, mail: person.mail,
      site, domain: person.mail.split('@')[1] ?? 'example.com',
    },
  };
  if (person.kind === 'room') {
    ctx.resource = { type: 'resource', emailAddress };
    ctx.roomLocation = {
      displayName: person.displayName, locationType: 'conferenceRoom', locationEmailAddress: person.mail,
      uniqueId: person.mail, uniqueIdType: 'directory',
    };
  }
  return ctx;
}

/** Builds the per-tenant context from a tenant summary (deterministic from the seed). */
export function buildTenantContext(summary: ScenarioTenantSummary, seed: number, tenantIndex: number, anchorMs: number): TenantContext {
  const rng = new Rng(deriveSeed(seed, 2, tenantIndex));
  const users: PersonContext[] = [];
  const rooms: PersonContext[] = [];
  const byId = new Map<string, PersonContext>();
  for (const p of summary.people) {
    const ctx = personContext(p, summary.id, summary.site, rng);
    (p.kind === 'room' ? rooms : users).push(ctx);
    byId.set(p.id, ctx);
  }
  const externals: Attendee[] = [];
  const externalOrganizers: PersonContext[] = [];
  for (let i = 0; i < 48; i += 1) {
    const org = EXTERNAL_ORGS[i % EXTERNAL_ORGS.length] as (typeof EXTERNAL_ORGS)[number];
    const name = EXTERNAL_NAMES[(i * 5) % EXTERNAL_NAMES.length] as string;
    const parts = name.split(' ');
    const address = `${asciiHandle(parts[0] ?? 'guest')}.${asciiHandle(parts[1] ?? 'user')}${i >= EXTERNAL_NAMES.length ? i : ''}@${org[2]}`;
    externals.push({ type: i % 4 === 3 ? 'optional' : 'required', emailAddress: { name, address } });
    if (i < 12) {
      const person: ScenarioPerson = {
        id: rng.guid(), kind: 'user', displayName: name, mail: address, mailboxEnabled: true,
        timeZone: 'UTC', iana: 'UTC', locale: 'en-US', automaticReplies: 'disabled',
      };
      const pc = personContext(person, rng.guid(), org[1], rng);
      externalOrganizers.push(pc);
    }
  }
  const enabledUsers = users.filter((u) => u.person.mailboxEnabled);
  return {
    summary, users, enabledUsers, rooms, byId, externals, externalOrganizers,
    roomChance: Math.min(0.6, rooms.length / Math.max(1, enabledUsers.length)),
    ordinal: 0, seriesOrdinal: 0, anchorMs, anchorDays: new Map(), times: new Map(), zoneIds: new Map(),
  };
}

/** A shared, read-only `dateTimeTimeZone` for a wall time in a zone. */
function wallTime(ctx: TenantContext, day: number, minute: number, timeZone: string): DateTimeTimeZone {
  let zoneId = ctx.zoneIds.get(timeZone);
  if (zoneId === undefined) {
    zoneId = ctx.zoneIds.size;
    ctx.zoneIds.set(timeZone, zoneId);
  }
  const key = (day * 1440 + minute) * 256 + zoneId;
  let value = ctx.times.get(key);
  if (value === undefined) {
    value = { dateTime: isoLocal(day, minute), timeZone };
    ctx.times.set(key, value);
  }
  return value;
}

function anchorDay(ctx: TenantContext, iana: string): number {
  let d = ctx.anchorDays.get(iana);
  if (d === undefined) {
    d = localDayOf(ctx.anchorMs, iana);
    ctx.anchorDays.set(iana, d);
  }
  return d;
}

// ---- Recurrence ----------------------------------------------------------------------------

export interface SeriesPlan {
  pattern: RecurrencePattern;
  range: RecurrenceRange;
  startDay: number;
  startMinute: number;
  durationMinutes: number;
  /** All-day series: whole days. */
  allDay: boolean;
  timeZone: string;
  iana: string;
  subject: string;
}

function nthWeekdayOfMonth(y: number, m: number, dow: number, index: WeekIndex): number | null {
  const first = daysFromCivil(y, m, 1);
  if (index === 'last') {
    const last = first + daysInMonth(y, m) - 1;
    return last - ((weekday(last) - dow + 7) % 7);
  }
  const n = WEEK_INDEX.indexOf(index);
  const day = first + ((dow - weekday(first) + 7) % 7) + 7 * n;
  return civilFromDays(day).month === m ? day : null;
}

/**
 * Civil days of the series' occurrences, in order, up to `untilDay` (inclusive) and at most
 * `max` of them, honouring the range (endDate / numbered). Pure; used to pick exceptions.
 */
export function occurrenceDays(plan: Pick<SeriesPlan, 'pattern' | 'range' | 'startDay'>, untilDay: number, max: number): number[] {
  const { pattern, range, startDay } = plan;
  const out: number[] = [];
  const endDay = range.type === 'endDate' && range.endDate !== undefined ? dayOfIso(range.endDate) : Number.POSITIVE_INFINITY;
  const limitCount = range.type === 'numbered' ? range.numberOfOccurrences ?? 1 : Number.POSITIVE_INFINITY;
  const last = Math.min(untilDay, endDay);
  const push = (d: number): boolean => {
    if (d < startDay) return true;
    if (d > last || out.length >= max || out.length >= limitCount) return false;
    out.push(d);
    return true;
  };
  const interval = Math.max(1, pattern.interval);
  const start = civilFromDays(startDay);
  switch (pattern.type) {
    case 'daily':
      for (let d = startDay; push(d); d += interval);
      break;
    case 'weekly': {
      const fdow = DAY_NAMES.indexOf(pattern.firstDayOfWeek ?? 'sunday');
      const offsets = (pattern.daysOfWeek ?? []).map((n) => (DAY_NAMES.indexOf(n) - fdow + 7) % 7).sort((x, y) => x - y);
      const week0 = startDay - ((weekday(startDay) - fdow + 7) % 7);
      outer: for (let w = 0; w < 5000; w += interval) {
        for (const off of offsets) if (!push(week0 + w * 7 + off)) break outer;
      }
      break;
    }
    case 'absoluteMonthly':
    case 'relativeMonthly':
    case 'absoluteYearly':
    case 'relativeYearly': {
      const yearly = pattern.type === 'absoluteYearly' || pattern.type === 'relativeYearly';
      const stepMonths = yearly ? 12 * interval : interval;
      let y = start.year;
      let m = yearly ? pattern.month ?? start.month : start.month;
      for (let i = 0; i < 2000; i += 1) {
        let day: number | null;
        if (pattern.type === 'absoluteMonthly' || pattern.type === 'absoluteYearly') {
          const dom = pattern.dayOfMonth ?? 1;
          day = dom <= daysInMonth(y, m) ? daysFromCivil(y, m, dom) : null;
        } else {
          day = nthWeekdayOfMonth(y, m, DAY_NAMES.indexOf((pattern.daysOfWeek ?? ['monday'])[0] ?? 'monday'), pattern.index ?? 'first');
        }
        if (day !== null && !push(day)) break;
        m += stepMonths;
        while (m > 12) {
          m -= 12;
          y += 1;
        }
      }
      break;
    }
  }
  return out;
}

function dayOfIso(date: string): number {
  return daysFromCivil(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));
}

function planRecurrence(rng: Rng, forcedType: RecurrencePatternType | null, forcedRange: RecurrenceRange['type'] | null, startDayIn: number, zoneName: string): { recurrence: PatternedRecurrence; startDay: number } {
  const type = forcedType ?? rng.weighted(PATTERN_TYPES, PATTERN_WEIGHTS);
  let startDay = startDayIn;
  const c0 = civilFromDays(startDay);
  if ((type === 'absoluteMonthly' || type === 'absoluteYearly') && c0.day > 28) startDay -= c0.day - 28;
  const c = civilFromDays(startDay);
  const dow = weekday(startDay);
  let pattern: RecurrencePattern;
  switch (type) {
    case 'daily':
      pattern = { type, interval: rng.chance(0.8) ? 1 : rng.int(2, 3) };
      break;
    case 'weekly': {
      const days: DayOfWeek[] = [DAY_NAMES[dow] as DayOfWeek];
      const shape = rng.next();
      if (shape < 0.15) {
        for (let d = 1; d <= 5; d += 1) if (d !== dow) days.push(DAY_NAMES[d] as DayOfWeek);
      } else if (shape < 0.35) {
        const other = 1 + ((dow + 1 + rng.int(0, 2)) % 5);
        if (other !== dow) days.push(DAY_NAMES[other] as DayOfWeek);
      }
      days.sort((a, b) => DAY_NAMES.indexOf(a) - DAY_NAMES.indexOf(b));
      pattern = { type, interval: rng.chance(0.8) ? 1 : rng.int(2, 4), daysOfWeek: days, firstDayOfWeek: rng.chance(0.6) ? 'sunday' : 'monday' };
      break;
    }
    case 'absoluteMonthly':
      pattern = { type, interval: rng.chance(0.8) ? 1 : rng.int(2, 3), dayOfMonth: c.day };
      break;
    case 'relativeMonthly':
    case 'relativeYearly': {
      const nth = Math.floor((c.day - 1) / 7);
      const isLast = c.day + 7 > daysInMonth(c.year, c.month);
      const index: WeekIndex = nth >= 4 || (isLast && rng.chance(0.5)) ? 'last' : (WEEK_INDEX[nth] as WeekIndex);
      pattern = type === 'relativeMonthly'
        ? { type, interval: rng.chance(0.8) ? 1 : 3, daysOfWeek: [DAY_NAMES[dow] as DayOfWeek], index, firstDayOfWeek: 'sunday' }
        : { type, interval: 1, month: c.month, daysOfWeek: [DAY_NAMES[dow] as DayOfWeek], index, firstDayOfWeek: 'sunday' };
      break;
    }
    case 'absoluteYearly':
      pattern = { type, interval: 1, month: c.month, dayOfMonth: c.day };
      break;
  }
  const rangeType = forcedRange ?? rng.weighted(RANGE_TYPES, [50, 30, 20]);
  const range: RecurrenceRange = { type: rangeType, startDate: isoDate(startDay), recurrenceTimeZone: zoneName };
  if (rangeType === 'endDate') range.endDate = isoDate(startDay + (type.endsWith('Yearly') ? rng.int(800, 1500) : rng.int(60, 400)));
  if (rangeType === 'numbered') range.numberOfOccurrences = type.endsWith('Yearly') ? rng.int(3, 5) : rng.int(8, 60);
  return { recurrence: { pattern, range }, startDay };
}

export interface PlannedException {
  originalStartMs: number;
  change: { cancelled: true } | { cancelled: false; patch: GraphEventInput };
}

/** Picks 1-3 occurrences near the window and cancels or modifies them. */
export function planExceptions(rng: Rng, plan: SeriesPlan, anchorDayLocal: number, count: number, forceBoth: boolean): PlannedException[] {
  const days = occurrenceDays(plan, anchorDayLocal + 31, 400);
  if (days.length < 2) return [];
  const inWindow = days.filter((d) => d >= anchorDayLocal - 7);
  const candidates = inWindow.length >= 2 ? inWindow : days;
  const chosen = new Set<number>();
  const n = Math.min(count, candidates.length - 1);
  for (let guard = 0; chosen.size < n && guard < 50; guard += 1) chosen.add(candidates[rng.int(0, candidates.length - 1)] as number);
  const out: PlannedException[] = [];
  let k = 0;
  for (const day of [...chosen].sort((a, b) => a - b)) {
    const originalStartMs = zonedToUtcMs(day, plan.allDay ? 0 : plan.startMinute, plan.iana);
    const cancel = forceBoth ? k % 2 === 0 : rng.chance(0.45);
    k += 1;
    if (cancel) {
      out.push({ originalStartMs, change: { cancelled: true } });
      continue;
    }
    const what = plan.allDay ? 0 : rng.int(0, 2);
    let patch: GraphEventInput;
    if (what === 0) {
      patch = { subject: plan.subject + ' (updated)' };
    } else if (what === 1) {
      const shift = rng.pick([-30, 30, 60, 90]);
      const s = Math.max(6 * 60, Math.min(22 * 60 - plan.durationMinutes, plan.startMinute + shift));
      patch = {
        start: { dateTime: isoLocal(day, s), timeZone: plan.timeZone },
        end: { dateTime: isoLocal(day, s + plan.durationMinutes), timeZone: plan.timeZone },
      };
    } else {
      patch = { location: rng.pick(PLAIN_LOCATION_OBJECTS) };
    }
    out.push({ originalStartMs, change: { cancelled: false, patch } });
  }
  return out;
}

// ---- Meetings ------------------------------------------------------------------------------

type Style = 'teamsOnline' | 'join' | 'keyword' | 'inPerson' | 'allDay' | 'bare';
const STYLES: readonly Style[] = ['teamsOnline', 'join', 'keyword', 'inPerson', 'allDay', 'bare'];
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

export function pickSize(rng: Rng): number {
  const r = rng.next();
  if (r < 0.2) return 1;
  if (r < 0.75) return rng.int(2, 8);
  if (r < 0.93) return rng.int(9, 30);
  if (r < 0.985) return rng.int(31, 99);
  return rng.chance(0.2) ? GRAPH_MAX_ATTENDEES : rng.int(100, GRAPH_MAX_ATTENDEES);
}

export function pickAttendees(rng: Rng, ctx: TenantContext, organizer: PersonContext, self: PersonContext | null, size: number, room: PersonContext | null, extra: Attendee | null): Attendee[] {
  const cap = GRAPH_MAX_ATTENDEES - (room === null ? 0 : 1) - (extra === null ? 0 : 1);
  const target = Math.min(size, cap);
  const list: Attendee[] = [];
  if (self !== null && self !== organizer) list.push(self.required);
  const users = ctx.users;
  const internal = Math.min(users.length - 1, Math.round(target * (ctx.externals.length === 0 ? 1 : 0.8)));
  if (internal > 0) {
    const start = rng.int(0, users.length - 1);
    for (let k = 0; list.length < internal && k < users.length; k += 1) {
      const u = users[(start + k) % users.length] as PersonContext;
      if (u === organizer || u === self) continue;
      list.push(target > 30 || rng.chance(0.85) ? u.required : u.optional);
    }
  }
  for (let k = rng.int(0, ctx.externals.length - 1); list.length < target; k += 1) {
    list.push(ctx.externals[k % ctx.externals.length] as Attendee);
    if (k > 4 * ctx.externals.length) break;
  }
  // Very large lists beyond the directory are padded with distribution-list-like guests.
  for (let k = 0; list.length < target; k += 1) {
    list.push({ type: 'optional', emailAddress: { name: `Guest ${k + 1}`, address: `guest${k + 1}@events.${organizer.owner.domain}` } });
  }
  if (room?.resource !== undefined) list.push(room.resource);
  if (extra !== null) list.push(extra);
  return list;
}

export function pickSubject(rng: Rng, locale: string): string {
  const local = SUBJECTS_LOCAL[locale];
  if (local !== undefined && rng.chance(0.35)) return rng.pick(local);
  return rng.pick(SUBJECTS);
}

const BODY_SLOTS = 3;

/** A small integer naming a body variant (no string built per meeting). */
function bodyKey(style: Style, kind: JoinKind | null, second: JoinKind | null, html: boolean, wrapper: WrapperKind | null, slot: number): number {
  const k = kind === null ? 0 : JOIN_KINDS.indexOf(kind) + 1;
  const s2 = second === null ? 0 : JOIN_KINDS.indexOf(second) + 1;
  const w = wrapper === null ? 0 : WRAPPER_KINDS.indexOf(wrapper) + 1;
  return ((((STYLES.indexOf(style) * 32 + k) * 32 + s2) * 2 + (html ? 1 : 0)) * 16 + w) * BODY_SLOTS + slot;
}

const PROVIDER_LOCATIONS: Readonly<Record<JoinKind, GraphLocation>> = Object.fromEntries(
  JOIN_KINDS.map((k) => [k, { displayName: k.startsWith('zoom') ? 'Zoom Meeting' : k.startsWith('webex') ? 'Webex Meeting' : k === 'meet' ? 'Google Meet' : k.startsWith('teams') ? 'Microsoft Teams Meeting' : 'Online' }]),
) as Record<JoinKind, GraphLocation>;

/** HTML (Outlook or Graph shaped) or text body: greeting, agenda, canary, join blocks. */
function composeBody(rng: Rng, style: Style, html: boolean, locale: string, join: JoinInfo | null, second: JoinInfo | null, canaryBody: string): ItemBody {
  if (style === 'bare' && canaryBody === '') return rng.chance(0.5) ? EMPTY_HTML_BODY : EMPTY_TEXT_BODY;
  const agendaA = rng.int(0, AGENDA_LINES.length - 1);
  const agendaB = (agendaA + 1 + rng.int(0, 3)) % AGENDA_LINES.length;
  const withAgenda = style !== 'allDay' && rng.chance(0.6);
  if (html) {
    const outlook = rng.chance(0.7);
    let content = outlook ? OUTLOOK_HEAD_A + (BODY_LANG.get(locale) ?? 'EN-US') + OUTLOOK_HEAD_B : GRAPH_HEAD;
    if (withAgenda) content += (GREETING_HTML.get(locale) ?? '') + (AGENDA_HTML[agendaA] as string) + (AGENDA_HTML[agendaB] as string) + P_EMPTY;
    if (canaryBody !== '') content += P_OPEN + canaryBody + P_CLOSE;
    if (second !== null) content += P_OPEN + 'Backup link if the first one does not work:' + P_CLOSE + second.html;
    if (join !== null) content += join.html;
    content += outlook ? OUTLOOK_TAIL : GRAPH_TAIL;
    return { contentType: 'html', content };
  }
  let content = withAgenda ? (GREETING_TEXT.get(locale) ?? '') + (AGENDA_TEXT[agendaA] as string) + (AGENDA_TEXT[agendaB] as string) + '\r\n' : '';
  if (canaryBody !== '') content += canaryBody + '\r\n';
  if (join !== null) content += join.text;
  if (second !== null) content += '\r\nBackup: ' + second.text;
  return { contentType: 'text', content };
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
  return { event, room, series, organised };
}

/** The copy of an organised meeting that lands in the booked room's calendar. */
export function roomCopy(meeting: BuiltMeeting, room: PersonContext, organizerName: string): GraphEventInput {
  const copy: GraphEventInput = { ...meeting.event };
  if (room.person.addOrganizerToSubject === true) copy.subject = organizerName;
  if (room.person.deleteComments === true) copy.body = EMPTY_HTML_BODY;
  return copy;
}

export { anchorDay as tenantAnchorDay };
