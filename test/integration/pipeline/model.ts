import { DateTime } from 'luxon';

/**
 * An independent, plain in-memory model of what the pipeline's views and device streams must hold,
 * written from the product rules (not from the processors): given the calendars as Graph renders
 * them (the simulator's truth), the mailbox settings, the device registry and the time.
 *
 * - User meeting list: every occurrence that is not cancelled and not declined by the mailbox
 *   owner and overlaps [T − 7 d, T + 31 d], on every UTC day its [start, end) touches, by start.
 * - Devices: the bookings of the device's mailbox (room → shared devices, user → personal ones)
 *   that are not cancelled or declined and overlap [T, T + 72 h); the Join button is shown from
 *   start − lead when the meeting holds join information (a Teams join URL or a Webex link in
 *   Location or body), never for a private meeting on a shared device, which has no title either.
 * - Presence: out of office while automatic replies are always on, or scheduled with
 *   start ≤ T < end in the window's time zone.
 */
const DAY = 24 * 3_600_000;
const HOUR = 3_600_000;

export interface GraphOccurrence {
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly cancelled: boolean;
  readonly declined: boolean;
  readonly private: boolean;
  readonly hasJoin: boolean;
  readonly subject: string | null;
}

/** The fields of a rendered Graph event the model reads. */
export interface GraphJson {
  readonly id: string;
  readonly lastModifiedDateTime: string;
  readonly seriesMasterId?: string | null;
  readonly start: { readonly dateTime: string };
  readonly end: { readonly dateTime: string };
  readonly isCancelled?: boolean;
  readonly responseStatus?: { readonly response?: string };
  readonly sensitivity?: string;
  readonly onlineMeeting?: { readonly joinUrl?: string | null } | null;
  readonly location?: { readonly displayName?: string };
  readonly body?: { readonly content?: string };
  readonly subject?: string | null;
}

export interface RepliesJson {
  readonly status?: string;
  readonly scheduledStartDateTime?: { readonly dateTime: string };
  readonly scheduledEndDateTime?: { readonly dateTime: string };
}

const utc = (dateTime: string): number => Date.parse(`${dateTime.slice(0, 23)}Z`);

/** A rendered Graph event (UTC) as the model reads it. */
export function readGraphEvent(json: GraphJson): GraphOccurrence {
  const location = json.location?.displayName ?? '';
  const body = json.body?.content ?? '';
  const joinUrl = json.onlineMeeting?.joinUrl;
  const webex = /https:\/\/[A-Za-z0-9.-]*webex\.com\//;
  return {
    id: json.id,
    start: utc(json.start.dateTime),
    end: utc(json.end.dateTime),
    cancelled: json.isCancelled === true,
    declined: json.responseStatus?.response === 'declined',
    private: json.sensitivity === 'private' || json.sensitivity === 'confidential',
    hasJoin: (typeof joinUrl === 'string' && joinUrl !== '') || webex.test(location) || webex.test(body),
    subject: json.subject ?? null,
  };
}

export function utcDays(start: number, end: number): string[] {
  const out: string[] = [];
  const last = end > start ? end - 1 : start;
  for (let day = Math.floor(start / DAY); day <= Math.floor(last / DAY); day += 1) out.push(new Date(day * DAY).toISOString().slice(0, 10));
  return out;
}

/** day → meeting ids, ordered by start then id. */
export function expectedMeetingDays(occurrences: readonly GraphOccurrence[], t: number): Record<string, string[]> {
  const listed = occurrences
    .filter((o) => !o.cancelled && !o.declined && o.end > t - 7 * DAY && o.start < t + 31 * DAY)
    .sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
  const days: Record<string, string[]> = {};
  for (const o of listed) for (const day of utcDays(o.start, o.end)) (days[day] ??= []).push(o.id);
  return days;
}

export interface ExpectedBooking {
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly titled: boolean;
  readonly shown: boolean;
}

export function expectedDeviceBookings(occurrences: readonly GraphOccurrence[], mode: 'shared' | 'personal', leadMs: number, t: number): ExpectedBooking[] {
  return occurrences
    .filter((o) => !o.cancelled && !o.declined && o.end > t && o.start < t + 72 * HOUR)
    .sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1))
    .map((o) => {
      const hidden = mode === 'shared' && o.private;
      return { id: o.id, start: o.start, end: o.end, titled: !hidden, shown: !hidden && o.hasJoin && t >= o.start - leadMs };
    });
}

export interface ExpectedPresence {
  readonly out: boolean;
  readonly since: number | null;
  readonly until: number | null;
}

/** Presence from a mailbox's automaticRepliesSetting; `iana` is the mailbox's zone (windows' own zone names resolved by the caller). */
export function expectedPresence(replies: RepliesJson | undefined, iana: string, t: number): ExpectedPresence {
  const status = (replies?.status ?? 'disabled').toLowerCase();
  if (status === 'alwaysenabled') return { out: true, since: null, until: null };
  if (status !== 'scheduled') return { out: false, since: null, until: null };
  const at = (v: { dateTime: string }): number => DateTime.fromISO(v.dateTime.slice(0, 23), { zone: iana }).toMillis();
  if (replies?.scheduledStartDateTime === undefined || replies.scheduledEndDateTime === undefined) return { out: false, since: null, until: null };
  const start = at(replies.scheduledStartDateTime);
  const end = at(replies.scheduledEndDateTime);
  return start <= t && t < end ? { out: true, since: start, until: end } : { out: false, since: null, until: null };
}
