import type { PresenceChange } from '../../schemas/index.js';
import type { AutomaticReplies } from './settings.js';

/**
 * Presence from automatic replies (pure). Out of office while replies are `alwaysEnabled`, or
 * `scheduled` and start ≤ t < end. While out: `since` is when it went on (the window's start, or
 * when always-on replies were first seen) and `until` the window's end (null when always on).
 * While in: both null. The next switch of a scheduled window is its start, then its end.
 */
export interface PresenceState {
  readonly fetchedAt: number;
  /** The time presence was last evaluated at. */
  readonly at: number;
  readonly replies: AutomaticReplies;
  readonly out: boolean;
  readonly since: number | null;
  readonly until: number | null;
  readonly seq: number;
}

export interface Presence {
  readonly out: boolean;
  readonly since: number | null;
  readonly until: number | null;
}

export function presenceAt(replies: AutomaticReplies, at: number, previous: Presence | null): Presence {
  if (replies.status === 'alwaysEnabled') return { out: true, since: previous?.out === true ? previous.since : at, until: null };
  if (replies.status === 'scheduled' && replies.start !== null && replies.end !== null && replies.start <= at && at < replies.end) {
    return { out: true, since: replies.start, until: replies.end };
  }
  return { out: false, since: null, until: null };
}

export function nextSwitch(replies: AutomaticReplies, at: number): number | null {
  if (replies.status !== 'scheduled' || replies.start === null || replies.end === null || replies.end <= replies.start) return null;
  if (at < replies.start) return replies.start;
  if (at < replies.end) return replies.end;
  return null;
}

/** The new state and the presence.v1 value to emit (null when nothing changed). */
export function evaluate(previous: PresenceState | undefined, replies: AutomaticReplies, fetchedAt: number, at: number, ids: { tenantId: string; userId: string }): { state: PresenceState; change: PresenceChange | null } {
  const presence = presenceAt(replies, at, previous ?? null);
  const same = previous !== undefined && previous.out === presence.out && previous.since === presence.since && previous.until === presence.until;
  const seq = same ? previous.seq : (previous?.seq ?? 0) + 1;
  const state: PresenceState = { fetchedAt, at, replies, ...presence, seq };
  if (same) return { state, change: null };
  return { state, change: { tenantId: ids.tenantId, userId: ids.userId, outOfOffice: presence.out, since: presence.since, until: presence.until, version: seq, updatedAt: at } };
}
