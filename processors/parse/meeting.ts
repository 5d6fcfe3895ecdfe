import { DateTime } from 'luxon';
import { findIana } from 'windows-iana';
import type { MeetingSensitiveFields, ParsedMeeting, RawCalendarRecord, ResponseStatus } from '../../schemas/index.js';
import { ParseInputError } from './errors.js';
import type { ParseOptions } from './options.js';
import { parseEvent, type ParseResult } from './parse.js';

/**
 * A Graph event (unsealed, in memory) → the ParsedMeeting handed to encrypt. Everything about join
 * details and keyword intents comes from `parseEvent`; this maps the scheduling fields. Errors
 * name paths and problem kinds only, never values.
 */
const SHOW_AS: Record<string, ParsedMeeting['showAs']> = {
  free: 'FREE',
  tentative: 'TENTATIVE',
  busy: 'BUSY',
  oof: 'OOF',
  workingElsewhere: 'WORKING_ELSEWHERE',
  unknown: 'UNKNOWN',
};
const RESPONSES = new Set(['none', 'organizer', 'tentativelyAccepted', 'accepted', 'declined', 'notResponded']);
const TYPES = new Set(['required', 'optional', 'resource']);

const obj = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const PLAIN_WALL_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?(\.\d{1,3})?$/;

/**
 * A plain wall time (what Graph writes under `Prefer: outlook.timezone="UTC"`, the connector's
 * setting) read as UTC without luxon: the profile of the pipeline put DateTime.fromISO among
 * parse's largest costs. Only when the date round-trips exactly (no Feb 30, no 24:00, which
 * Date.parse would roll over); anything else goes the luxon way and keeps its error.
 */
function plainUtcMs(local: string): number | null {
  const match = PLAIN_WALL_TIME.exec(local);
  if (match === null) return null;
  const ms = Date.parse(`${local}Z`);
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  const seconds = match[2] ?? ':00';
  const fraction = (match[3] ?? '.').padEnd(4, '0');
  return iso === `${match[1]}${seconds}${fraction}Z` ? ms : null;
}

const IANA_OF_ZONE = new Map<string, string>();

/** Graph's zone name (Windows or IANA) → IANA, memoized (windows-iana scans its table per call). */
function ianaOf(zone: string): string {
  let iana = IANA_OF_ZONE.get(zone);
  if (iana === undefined) {
    iana = findIana(zone)?.[0] ?? zone;
    if (IANA_OF_ZONE.size >= 1_000) IANA_OF_ZONE.clear();
    IANA_OF_ZONE.set(zone, iana);
  }
  return iana;
}

/** Graph `dateTimeTimeZone` → UTC ms. UTC, IANA and Windows zone names are accepted. */
export function graphTimeMs(value: unknown, path: string): number {
  const o = obj(value);
  const dateTime = str(o?.dateTime);
  const zone = str(o?.timeZone) ?? 'UTC';
  if (dateTime === null) throw new ParseInputError(`parse: ${path}.dateTime is missing; the connector must fetch events with start and end.`);
  const iana = zone === 'UTC' || zone === 'Etc/UTC' ? 'UTC' : ianaOf(zone);
  const local = dateTime.replace(/(\.\d{3})\d+/, '$1').replace(/(Z|[+-]\d{2}:\d{2})$/, '');
  if (iana === 'UTC') {
    const fast = plainUtcMs(local);
    if (fast !== null) return fast;
  }
  const parsed = DateTime.fromISO(local, { zone: iana });
  if (!parsed.isValid) throw new ParseInputError(`parse: ${path} is not a date-time in a known time zone (${parsed.invalidReason ?? 'invalid'}).`);
  return parsed.toMillis();
}

function isoMs(value: unknown, fallback: number): number {
  const text = str(value);
  const ms = text === null ? Number.NaN : Date.parse(text);
  return Number.isFinite(ms) ? ms : fallback;
}

function person(value: unknown): { name: string | null; address: string } | null {
  const email = obj(obj(value)?.emailAddress);
  const address = str(email?.address);
  return address === null || address === '' ? null : { name: str(email?.name), address };
}

export function joinDetailsOf(result: ParseResult): MeetingSensitiveFields['joinDetails'] {
  if (result.provider === 'NONE' || result.foundIn === null) return null;
  return {
    provider: result.provider,
    url: result.joinUrl,
    sipUri: result.sipUri,
    meetingNumber: result.meetingNumber,
    foundIn: result.foundIn,
    service: result.service ?? undefined,
    passcode: result.passcode ?? undefined,
    reason: result.reason,
    dialIns: result.dialIns.map((d) => `${d.number}${d.pin ?? ''}`),
    alternatives: result.alternatives.map((a) => ({ service: a.service, provider: a.provider, url: a.joinUrl, sipUri: a.sipUri, foundIn: a.foundIn, quoted: a.quoted })),
  };
}

/** A removed event: ids and the removal only. */
export function removedMeeting(raw: RawCalendarRecord): ParsedMeeting {
  return {
    tenantId: raw.tenantId,
    mailboxId: raw.mailboxId,
    meetingId: raw.eventId,
    seriesMasterId: null,
    version: raw.fetchedAt,
    op: 'REMOVE',
    start: 0,
    end: 0,
    isAllDay: false,
    isCancelled: true,
    isPrivate: false,
    isOrganizer: false,
    showAs: 'UNKNOWN',
    providerKind: 'NONE',
    intent: null,
    attendeeCount: 0,
    roomMailboxIds: [],
    sourceFetchedAt: raw.fetchedAt,
    responseStatus: 'NONE',
    sensitive: { subject: null, body: null, location: null, organizer: null, attendees: [], joinDetails: null },
  };
}

const OWN_RESPONSES: Readonly<Record<string, ResponseStatus>> = {
  none: 'NONE',
  organizer: 'ORGANIZER',
  tentativelyAccepted: 'TENTATIVELY_ACCEPTED',
  accepted: 'ACCEPTED',
  declined: 'DECLINED',
  notResponded: 'NOT_RESPONDED',
};

/**
 * A series master is not a meeting of its own: its occurrences and exceptions reach parse as
 * instances (calendarView, delta), each with its own Location, so a keyword or a join address on
 * one occurrence applies to that occurrence only.
 */
export function isSeriesMaster(unsealed: unknown): boolean {
  return obj(unsealed)?.type === 'seriesMaster';
}

export function toParsedMeeting(raw: RawCalendarRecord, unsealed: unknown, options?: ParseOptions): ParsedMeeting {
  const event = obj(unsealed);
  if (event === null) throw new ParseInputError('parse: the sealed Graph event is not a JSON object.');
  if (str(event.id) !== raw.eventId) throw new ParseInputError('parse: the sealed event id differs from the record event id.');
  const result = parseEvent(event, options);
  const attendees = (Array.isArray(event.attendees) ? event.attendees : []).flatMap((a) => {
    const p = person(a);
    if (p === null) return [];
    const type = str(obj(a)?.type) ?? 'required';
    const response = str(obj(obj(a)?.status)?.response) ?? 'none';
    return [{ ...p, type: (TYPES.has(type) ? type : 'required') as 'required', response: (RESPONSES.has(response) ? response : 'none') as 'none' }];
  });
  const location = obj(event.location);
  const displayName = str(location?.displayName);
  const sensitivity = str(event.sensitivity);
  const start = graphTimeMs(event.start, 'start');
  const end = graphTimeMs(event.end, 'end');
  const joinDetails = joinDetailsOf(result);
  return {
    tenantId: raw.tenantId,
    mailboxId: raw.mailboxId,
    meetingId: raw.eventId,
    seriesMasterId: str(event.seriesMasterId),
    version: isoMs(event.lastModifiedDateTime, raw.fetchedAt),
    op: 'UPSERT',
    start,
    end: Math.max(start, end),
    isAllDay: event.isAllDay === true,
    isCancelled: event.isCancelled === true,
    isPrivate: sensitivity === 'private' || sensitivity === 'confidential',
    isOrganizer: event.isOrganizer === true,
    showAs: SHOW_AS[str(event.showAs) ?? 'unknown'] ?? 'UNKNOWN',
    providerKind: joinDetails?.provider ?? 'NONE',
    intent: result.intent === null ? null : { provider: result.intent.keyword, modifier: result.intent.modifier },
    attendeeCount: attendees.length,
    // Room mailbox ids are resolved by a later stage (a room's address is sensitive: never plaintext here).
    roomMailboxIds: [],
    sourceFetchedAt: raw.fetchedAt,
    // The mailbox owner's own answer (for a room mailbox: whether the room accepted).
    responseStatus: OWN_RESPONSES[str(obj(event.responseStatus)?.response) ?? 'none'] ?? 'NONE',
    sensitive: {
      subject: str(event.subject),
      body: str(obj(event.body)?.content),
      location: displayName === null || displayName === '' ? null : displayName,
      organizer: person(event.organizer),
      attendees,
      joinDetails,
    },
  };
}
