/**
 * Who takes part in generated meetings: the per-tenant context (people, rooms, external guests,
 * interned attendee objects and wall times) and the invitee lists (sizes up to Graph's 500).
 */
import type { Attendee, DateTimeTimeZone, EmailAddress, GraphLocation, ItemBody } from '../model.js';
import { isoLocal, localDayOf } from './civil.js';
import type { ScenarioPerson, ScenarioTenantSummary } from './directory.js';
import { asciiHandle } from './directory.js';
import { WRAPPER_KINDS, WRAPPER_WEIGHTS } from './links.js';
import type { LinkOwner, WrapperKind } from './links.js';
import { Rng, deriveSeed } from './rng.js';

export const GRAPH_MAX_ATTENDEES = 500;

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
  /** Interned start/end values by zone and minute: meetings at the same wall time in the same zone share one object. */
  times: Map<string, Map<number, DateTimeTimeZone>>;
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
    ordinal: 0, seriesOrdinal: 0, anchorMs, anchorDays: new Map(), times: new Map(),
  };
}

/** A shared, read-only `dateTimeTimeZone` for a wall time in a zone. */
export function wallTime(ctx: TenantContext, day: number, minute: number, timeZone: string): DateTimeTimeZone {
  // One map per zone keyed by the minute (a small integer; a combined key outgrew small integers).
  let zone = ctx.times.get(timeZone);
  if (zone === undefined) {
    zone = new Map();
    ctx.times.set(timeZone, zone);
  }
  const key = day * 1440 + minute;
  let value = zone.get(key);
  if (value === undefined) {
    value = { dateTime: isoLocal(day, minute), timeZone };
    zone.set(key, value);
  }
  return value;
}

export function anchorDay(ctx: TenantContext, iana: string): number {
  let d = ctx.anchorDays.get(iana);
  if (d === undefined) {
    d = localDayOf(ctx.anchorMs, iana);
    ctx.anchorDays.set(iana, d);
  }
  return d;
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
