import { asBytes, DAY_MS, retire, inMeetingWindow, MEETING_WINDOW_AHEAD_MS, MEETING_WINDOW_PAST_MS, type KeyRef, type Ledger, type MeetingOccurrence } from '../../schemas/index.js';

/**
 * A user's meeting list as one document per user per UTC day (pure part of materialize):
 * `user_meetings/{_id: "tenantId/mailboxId/YYYY-MM-DD", meetings: [...]}`, so "a user's meetings
 * between two times" is one `_id` read per day. A meeting is on every day its [start, end)
 * touches (all-day and multi-day ones included), while it is listed: not cancelled, not declined,
 * not removed, and inside the window [now − 7 d, now + 31 d]. Encrypted fields stay ciphertext.
 */
export interface ListEntry {
  readonly id: string;
  readonly v: number;
  readonly master: string | null;
  readonly start: number;
  readonly end: number;
  /** Not cancelled, declined or removed. */
  readonly ok: boolean;
  readonly m: Record<string, unknown> | null;
  /** Days the entry is on in the view now. */
  readonly days: readonly string[];
}

export interface ListState extends Ledger<ListEntry> {
  readonly seq: number;
  /**
   * Set on the state as stored (`spillListState`): the entries listed on a day keep no item (`m`
   * null), the day documents hold it. Absent in memory once the items are back (`unspillListState`).
   */
  readonly spilled?: true;
}

export const EMPTY_LIST_STATE: ListState = { seq: 0, entries: [], tombs: [], series: [] };

export function dayOf(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** UTC days [start, end) touches (a zero-length meeting: its start day). */
export function daysOf(start: number, end: number): string[] {
  const days: string[] = [];
  for (let d = Math.floor(start / DAY_MS); d <= Math.floor((Math.max(end, start + 1) - 1) / DAY_MS); d += 1) days.push(dayOf(d * DAY_MS));
  return days;
}

/** The `_id`s to read for a user's meetings in [from, to). */
export function userMeetingDayIds(tenantId: string, mailboxId: string, from: number, to: number): string[] {
  return daysOf(from, to).map((day) => `${tenantId}/${mailboxId}/${day}`);
}

export function isListedAt(e: Pick<ListEntry, 'ok' | 'start' | 'end'>, now: number): boolean {
  return e.ok && inMeetingWindow(e.start, e.end, now);
}

/**
 * What a day document keeps of a meeting: plaintext scheduling fields and ciphertexts as they are,
 * the meeting's card (schemas/card.ts) when it has one (a list opens one ciphertext per meeting),
 * else subject, location, organizer and joinDetails one by one (values written before cards).
 */
export function listItem(m: MeetingOccurrence): Record<string, unknown> {
  const sealed = m.card !== null && m.card !== undefined
    ? { card: m.card }
    : { subject: m.subject, location: m.location, organizer: m.organizer, joinDetails: m.joinDetails };
  return {
    meetingId: m.meetingId,
    seriesMasterId: m.seriesMasterId,
    v: m.version,
    start: m.start,
    end: m.end,
    isAllDay: m.isAllDay,
    isPrivate: m.isPrivate,
    isOrganizer: m.isOrganizer,
    responseStatus: m.responseStatus,
    showAs: m.showAs,
    providerKind: m.providerKind,
    intent: m.intent === null ? null : { provider: m.intent.provider, modifier: m.intent.modifier },
    keyRef: { keyId: m.keyRef.keyId, version: m.keyRef.version } satisfies KeyRef,
    ...sealed,
  };
}

export interface DayWrite {
  readonly id: string;
  /** null: the day has no meeting left (remove the document). */
  readonly doc: Record<string, unknown> | null;
}

/**
 * Brings the view in line with `now`: every entry's days recomputed; the days that changed (or
 * hold `touched`) rewritten. Entries that are past the window or retracted leave the state.
 */
export function syncDays(state: ListState, tenantId: string, mailboxId: string, now: number, touched: string | null): { state: ListState; writes: DayWrite[] } {
  const dirty = new Set<string>();
  const entries: ListEntry[] = [];
  const dropped: ListEntry[] = [];
  for (const e of state.entries) {
    const days = isListedAt(e, now) ? daysOf(e.start, e.end) : [];
    if (e.id === touched || days.join() !== e.days.join()) for (const day of [...e.days, ...days]) dirty.add(day);
    if (e.end > now - MEETING_WINDOW_PAST_MS) entries.push({ ...e, days, m: e.ok ? e.m : null });
    else dropped.push(e);
  }
  const writes = [...dirty].sort().map((day) => {
    const meetings = entries
      .filter((e) => e.days.includes(day))
      .sort((x, y) => x.start - y.start || (x.id < y.id ? -1 : 1))
      .map((e) => (e.m?.['card'] !== undefined && e.m['card'] !== null
        ? { ...e.m, card: asBytes(e.m['card']) }
        : { ...e.m, subject: asBytes(e.m?.['subject']), location: asBytes(e.m?.['location']), organizer: asBytes(e.m?.['organizer']), joinDetails: asBytes(e.m?.['joinDetails']) }));
    return { id: `${tenantId}/${mailboxId}/${day}`, doc: meetings.length === 0 ? null : { tenantId, mailboxId, day, meetings } };
  });
  return { state: { ...state, entries, tombs: retire(state.tombs, dropped, now), seq: writes.length > 0 ? state.seq + 1 : state.seq }, writes };
}

/** When the window next admits or drops an entry of this state, or null. */
export function nextSweep(state: ListState, now: number): number | null {
  let next = Number.POSITIVE_INFINITY;
  for (const e of state.entries) {
    if (!e.ok) continue;
    // Leaves when end ≤ now − 7 d; comes in when start < now + 31 d (one ms after the edge).
    const at = e.days.length > 0 ? e.end + MEETING_WINDOW_PAST_MS : e.start - MEETING_WINDOW_AHEAD_MS + 1;
    if (at > now && at < next) next = at;
  }
  return Number.isFinite(next) ? next : null;
}

/**
 * The state as stored: an entry listed on a day keeps no item, since the day documents hold it
 * (they are written before the state in each flush cycle, so they are never older than it). The
 * items a state keeps are then those not on any day: outside the window, waiting to slide in.
 */
export function spillListState(state: ListState): ListState {
  let spilled = false;
  const entries = state.entries.map((e) => {
    if (e.days.length === 0 || e.m === null) return e;
    spilled = true;
    return { ...e, m: null };
  });
  return spilled ? { ...state, entries, spilled: true } : state;
}

/** The `_id`s of the day documents a spilled state's items are on. */
export function spilledDayIds(state: ListState, tenantId: string, mailboxId: string): string[] {
  const days = new Set<string>();
  for (const e of state.entries) if (e.m === null) for (const day of e.days) days.add(day);
  return [...days].sort().map((day) => `${tenantId}/${mailboxId}/${day}`);
}

/**
 * Puts a spilled state's items back from its day documents (as read: `meetings` unpacked). An
 * item that is on none of them (not expected: the days are written first) leaves its entry
 * unlisted at version −1, so that the meeting's next record — the replay of the one being written,
 * or a resync — lists it again; `missing` counts them.
 */
export function unspillListState(state: ListState, days: readonly Record<string, unknown>[]): { state: ListState; missing: number } {
  const items = new Map<string, Record<string, unknown>>();
  for (const doc of days) {
    if (doc['deleted'] === true || !Array.isArray(doc['meetings'])) continue;
    for (const item of doc['meetings'] as Record<string, unknown>[]) items.set(String(item['meetingId']), item);
  }
  let missing = 0;
  const entries = state.entries.map((e) => {
    if (e.m !== null || e.days.length === 0 || !e.ok) return e;
    const item = items.get(e.id);
    if (item !== undefined) return { ...e, m: item };
    missing += 1;
    return { ...e, v: -1, ok: false };
  });
  return { state: { seq: state.seq, entries, tombs: state.tombs, series: state.series }, missing };
}
