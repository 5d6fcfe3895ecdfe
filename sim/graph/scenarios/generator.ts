/**
 * `loadScenario`: a seeded, deterministic load of tenants, mailboxes and meetings into a
 * `ScenarioSink` (the simulator's store). Same options -> the same calls with byte-identical
 * arguments. Each tenant and each mailbox draws from its own derived stream, so the directory
 * does not change when only the number of meetings does.
 *
 * What lands where (the sink must not fan events out to attendees itself):
 * - each licensed user's calendar gets `meetingsPerMailbox` events: meetings they organise, and
 *   invitations (`invitationShare`) organised by a colleague or an external person, in which the
 *   user is an attendee; when the organiser is a colleague, the organiser's own event also goes
 *   into the organiser's calendar (with the same exceptions), so colleagues' calendars hold a few
 *   more than `meetingsPerMailbox`;
 * - copies are linked to the organiser's event through the sink's `linkCopy` when it has one
 *   (same iCalUId, the response the same on both sides), as the store links its own invitations;
 * - a meeting that books a room also lands in the room mailbox's calendar (same times, organiser
 *   and attendees; empty body for rooms with DeleteComments, organiser's name as subject for
 *   AddOrganizerToSubject), with the same occurrence exceptions;
 * - unlicensed users get no events.
 * Event inputs share nested objects (attendees, bodies, locations) between events: the sink
 * treats them as read-only and copies what it changes.
 */
import type { CloudName, ScenarioSink } from '../model.js';
import { generateDirectory } from './directory.js';
import type { ScenarioTenantSummary } from './directory.js';
import { ScenarioOptionsError } from './errors.js';
import { buildMeeting, buildTenantContext, planExceptions, roomCopy, tenantAnchorDay } from './meetings.js';
import type { CanaryFn, PlannedException } from './meetings.js';
import { Rng, deriveSeed } from './rng.js';

export interface ScenarioOptions {
  seed: number;
  /** Number of tenants (default 1). */
  tenants?: number;
  usersPerTenant: number;
  roomsPerTenant: number;
  /** Meetings each licensed user's calendar receives (organised or invited); rooms get copies of their bookings. */
  meetingsPerMailbox: number;
  /** The scenario's "now"; meetings spread from anchor-7d to anchor+31d, about 10 % outside. */
  anchorMs: number;
  /** Clouds assigned to tenants in turn (default ['worldwide']). */
  clouds?: CloudName[];
  /** Unique marker strings placed in every meeting's subject, body, location and an attendee address. */
  canary?: CanaryFn;
  /** Share of meetings that are recurring series (default 0.15). */
  recurringShare?: number;
  /** Share of a user's meetings that are invitations from someone else (default 0.35). */
  invitationShare?: number;
  /** Told about each room copy (pass the links to `ActivityDriver` so its edits reach the room too). */
  onRoomCopy?: (link: RoomCopyLink) => void;
}

/** An organiser's meeting and its copy in the booked room's calendar. */
export interface RoomCopyLink {
  tenantId: string;
  organizerMailboxId: string;
  eventId: string;
  roomMailboxId: string;
  roomEventId: string;
  series: boolean;
}

export interface ScenarioSummary {
  tenants: ScenarioTenantSummary[];
  counts: { mailboxes: number; events: number; series: number; exceptions: number };
}

const CLOUDS: readonly CloudName[] = ['worldwide', 'gcc', 'gccHigh', 'dod', 'china'];

function requireInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ScenarioOptionsError(`scenario option ${name} must be an integer from ${min} to ${max} (got ${String(value)})`, { details: { option: name } });
  }
  return value;
}

function requireShare(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new ScenarioOptionsError(`scenario option ${name} must be a number from 0 to 1 (got ${JSON.stringify(value)})`, { details: { option: name } });
  }
  return value;
}

export interface CompiledScenarioOptions {
  seed: number;
  tenants: number;
  usersPerTenant: number;
  roomsPerTenant: number;
  meetingsPerMailbox: number;
  anchorMs: number;
  clouds: readonly CloudName[];
  canary: CanaryFn | undefined;
  recurringShare: number;
  invitationShare: number;
}

/** Checks the options; throws `ScenarioOptionsError` (HC_ERR_SIM_SCENARIO_OPTIONS) naming the bad one. */
export function compileScenarioOptions(options: ScenarioOptions): CompiledScenarioOptions {
  const seed = requireInt('seed', options.seed, -0x80000000, 0xffffffff);
  const clouds = options.clouds ?? ['worldwide'];
  if (!Array.isArray(clouds) || clouds.length === 0 || clouds.some((c) => !CLOUDS.includes(c))) {
    throw new ScenarioOptionsError(`scenario option clouds must list one or more of ${CLOUDS.join(', ')}`, { details: { option: 'clouds' } });
  }
  if (typeof options.anchorMs !== 'number' || !Number.isFinite(options.anchorMs)) {
    throw new ScenarioOptionsError('scenario option anchorMs must be a finite number of milliseconds since the epoch', { details: { option: 'anchorMs' } });
  }
  if (options.canary !== undefined && typeof options.canary !== 'function') {
    throw new ScenarioOptionsError('scenario option canary must be a function (kind, i) => string', { details: { option: 'canary' } });
  }
  return {
    seed: seed >>> 0,
    tenants: requireInt('tenants', options.tenants ?? 1, 1, 10_000),
    usersPerTenant: requireInt('usersPerTenant', options.usersPerTenant, 1, 1_000_000),
    roomsPerTenant: requireInt('roomsPerTenant', options.roomsPerTenant, 0, 1_000_000),
    meetingsPerMailbox: requireInt('meetingsPerMailbox', options.meetingsPerMailbox, 0, 10_000),
    anchorMs: options.anchorMs,
    clouds,
    canary: options.canary,
    recurringShare: requireShare('recurringShare', options.recurringShare, 0.15),
    invitationShare: requireShare('invitationShare', options.invitationShare, 0.35),
  };
}

/** Loads a whole scenario into `sink` and returns what it created. */
export function loadScenario(sink: ScenarioSink, options: ScenarioOptions): ScenarioSummary {
  const o = compileScenarioOptions(options);
  const counts = { mailboxes: 0, events: 0, series: 0, exceptions: 0 };
  const tenants: ScenarioTenantSummary[] = [];
  let meetingIndex = 0;
  const addExceptions = (tenantId: string, mailboxId: string, masterId: string, list: readonly PlannedException[]): void => {
    for (const ex of list) {
      sink.addOccurrenceException(tenantId, mailboxId, masterId, ex.originalStartMs, ex.change);
      counts.exceptions += 1;
    }
  };

  for (let t = 0; t < o.tenants; t += 1) {
    const cloud = o.clouds[t % o.clouds.length] as CloudName;
    const dir = generateDirectory({
      seed: o.seed, tenantIndex: t, usersPerTenant: o.usersPerTenant, roomsPerTenant: o.roomsPerTenant, cloud, anchorMs: o.anchorMs,
    });
    const tenantId = dir.tenant.id;
    sink.addTenant(dir.tenant);
    for (const mailbox of dir.mailboxes) {
      sink.addMailbox(tenantId, mailbox);
      counts.mailboxes += 1;
    }
    tenants.push(dir.summary);
    const ctx = buildTenantContext(dir.summary, o.seed, t, o.anchorMs);

    for (let u = 0; u < ctx.users.length; u += 1) {
      const user = ctx.users[u];
      if (user === undefined || !user.person.mailboxEnabled) continue;
      const rng = new Rng(deriveSeed(o.seed, 3, t, u));
      for (let k = 0; k < o.meetingsPerMailbox; k += 1) {
        const seriesBefore = ctx.seriesOrdinal;
        const built = buildMeeting(rng, ctx, user, {
          recurringChance: o.recurringShare, invitationChance: o.invitationShare, canary: o.canary, index: meetingIndex,
          windowFromDays: -7, windowToDays: 31, seriesBackDays: 150, coverage: true,
        });
        meetingIndex += 1;
        const id = sink.addEvent(tenantId, user.person.id, built.event);
        counts.events += 1;
        let exceptions: PlannedException[] = [];
        if (built.series !== null) {
          counts.series += 1;
          const early = seriesBefore < 6;
          if (early || rng.chance(0.35)) {
            exceptions = planExceptions(rng, built.series, tenantAnchorDay(ctx, built.series.iana), early ? 2 : rng.int(1, 3), early);
          }
          addExceptions(tenantId, user.person.id, id, exceptions);
        }
        if (built.organizerMailboxId !== null) {
          const organizerEventId = sink.addEvent(tenantId, built.organizerMailboxId, built.event);
          counts.events += 1;
          if (built.series !== null) {
            counts.series += 1;
            addExceptions(tenantId, built.organizerMailboxId, organizerEventId, exceptions);
          }
          sink.linkCopy?.(tenantId, { mailboxId: built.organizerMailboxId, eventId: organizerEventId }, { mailboxId: user.person.id, eventId: id });
        }
        if (built.room !== null) {
          const roomId = sink.addEvent(tenantId, built.room.person.id, roomCopy(built, built.room, user.person.displayName));
          counts.events += 1;
          options.onRoomCopy?.({
            tenantId, organizerMailboxId: user.person.id, eventId: id, roomMailboxId: built.room.person.id, roomEventId: roomId, series: built.series !== null,
          });
          if (built.series !== null) {
            counts.series += 1;
            addExceptions(tenantId, built.room.person.id, roomId, exceptions);
          }
          sink.linkCopy?.(tenantId, { mailboxId: user.person.id, eventId: id }, { mailboxId: built.room.person.id, eventId: roomId });
        }
      }
    }
  }
  return { tenants, counts };
}
