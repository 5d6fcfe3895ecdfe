import { withSeqHeadroom } from '../../common/index.js';
import { applyToLedger, asBytes, retire, type DeviceBookingEvent, type Ledger, type KeyRef, type MeetingOccurrence, type ProviderKind } from '../../schemas/index.js';

/**
 * The pure part of obtp: a mailbox's bookings and what its devices must show at a given time.
 *
 * Rules (product behaviour):
 * - A meeting is on the mailbox's devices while it is eligible — not cancelled, not declined by the
 *   mailbox owner (a room's acceptance for shared devices, the user's for personal ones), not
 *   removed — and it overlaps [now, now + horizon) (default 72 h).
 * - Its Join button shows from start − lead until end, when the meeting holds join details. On a
 *   shared device a private meeting is "Private meeting": no title, no join details, so no button.
 * - Versions: the highest meeting version wins; a REMOVE leaves a tombstone until it can no longer
 *   matter, and a series master's REMOVE retracts the series' occurrences at or below its version.
 */
export type DeviceMode = 'shared' | 'personal';

export interface Device {
  readonly deviceId: string;
  readonly mode: DeviceMode;
}

export interface Booking {
  readonly id: string;
  readonly v: number;
  readonly start: number;
  readonly end: number;
  readonly master: string | null;
  /** Eligible for devices (not cancelled, declined or removed). */
  readonly ok: boolean;
  readonly priv: boolean;
  readonly provider: ProviderKind;
  readonly kr: KeyRef;
  readonly title: Buffer | null;
  readonly join: Buffer | null;
  /** What the devices were last told: on the list, button shown. */
  readonly listed: boolean;
  readonly shown: boolean;
}

export interface ObtpState extends Ledger<Booking> {
  /** Last version emitted for any device of this mailbox (device events and view versions). */
  readonly seq: number;
}

export interface Timing {
  readonly now: number;
  readonly leadMs: number;
  readonly horizonMs: number;
}

export const EMPTY_OBTP_STATE: ObtpState = { seq: 0, entries: [], tombs: [], series: [] };

/** The state as stored: the sequence raised by the headroom (common/sequence.ts, SEQ_HEADROOM). */
export function persistObtpState(state: ObtpState): ObtpState {
  return withSeqHeadroom(state);
}

export function isListed(b: Pick<Booking, 'ok' | 'start' | 'end'>, t: Timing): boolean {
  return b.ok && b.end > t.now && b.start < t.now + t.horizonMs;
}

export function hasJoin(b: Pick<Booking, 'join' | 'provider'>): boolean {
  return b.join !== null && b.provider !== 'NONE';
}

export function isShown(b: Booking, t: Timing): boolean {
  return isListed(b, t) && hasJoin(b) && t.now >= b.start - t.leadMs;
}

/** The state after a meeting record; null if the record is stale. */
export function applyMeeting(state: ObtpState, m: MeetingOccurrence, now: number): ObtpState | null {
  return applyToLedger<ObtpState, Booking>(
    state,
    m,
    now,
    (known) => ({
      id: m.meetingId,
      v: m.version,
      start: m.start,
      end: m.end,
      master: m.seriesMasterId,
      ok: !m.isCancelled && m.responseStatus !== 'DECLINED',
      priv: m.isPrivate,
      provider: m.providerKind,
      kr: { keyId: m.keyRef.keyId, version: m.keyRef.version },
      title: m.subject,
      join: m.joinDetails,
      listed: known?.listed ?? false,
      shown: known?.shown ?? false,
    }),
    (b) => ({ ...b, ok: false }),
  );
}

export interface DeviceOutput {
  readonly events: { key: string; value: DeviceBookingEvent }[];
  readonly state: ObtpState;
  /** Devices whose booking list changed. */
  readonly changed: boolean;
}

function bookingEvent(b: Booking, device: Device, action: DeviceBookingEvent['action'], tenantId: string, mailboxId: string, version: number, t: Timing): DeviceBookingEvent {
  const redacted = device.mode === 'shared' && b.priv;
  return {
    deviceId: device.deviceId,
    tenantId,
    bookingId: `${tenantId}/${mailboxId}/${b.id}`,
    action,
    start: b.start,
    end: b.end,
    isPrivate: b.priv,
    providerKind: redacted ? 'NONE' : b.provider,
    version,
    keyRef: redacted ? null : b.kr,
    title: redacted ? null : asBytes(b.title),
    joinDetails: redacted ? null : asBytes(b.join),
    emittedAt: t.now,
    joinAt: redacted || !hasJoin(b) ? null : b.start - t.leadMs,
    mailboxId,
  };
}

/**
 * Compares what the devices were told with what holds at `t.now` and returns the device events
 * (per device, in order) plus the new state. `touched` names a booking whose content changed
 * (re-announced while listed). Ended and ineligible bookings leave the state.
 */
export function reconcile(state: ObtpState, devices: readonly Device[], tenantId: string, mailboxId: string, t: Timing, touched: string | null): DeviceOutput {
  let seq = state.seq;
  const events: DeviceOutput['events'] = [];
  const emit = (b: Booking, action: DeviceBookingEvent['action']): void => {
    seq += 1;
    for (const device of devices) {
      // Private meetings on shared devices have no Join button. A changed meeting's expiry still goes
      // to them: the meeting may have just turned private while a shared device showed its button.
      if ((action === 'JOIN_SHOW' || (action === 'JOIN_EXPIRE' && b.id !== touched)) && device.mode === 'shared' && b.priv) continue;
      events.push({ key: device.deviceId, value: bookingEvent(b, device, action, tenantId, mailboxId, seq, t) });
    }
  };
  let changed = false;
  const bookings: Booking[] = [];
  const ended: Booking[] = [];
  for (const b of [...state.entries].sort((x, y) => x.start - y.start || (x.id < y.id ? -1 : 1))) {
    const listed = isListed(b, t);
    const shown = isShown(b, t);
    if (b.shown && (!shown || (b.id === touched && listed))) emit(b, 'JOIN_EXPIRE');
    if (b.listed && !listed) emit(b, 'BOOKING_REMOVE');
    if (listed && (!b.listed || b.id === touched)) emit(b, 'BOOKING_UPSERT');
    if (shown && (!b.shown || b.id === touched)) emit(b, 'JOIN_SHOW');
    if (b.listed !== listed || b.shown !== shown || (listed && b.id === touched)) changed = true;
    // Kept until it ends (an ineligible one without its ciphertexts, for its version only).
    if (b.end > t.now) bookings.push(b.ok ? { ...b, listed, shown } : { ...b, title: null, join: null, listed, shown });
    else ended.push(b);
  }
  return { events, changed, state: { ...state, seq, entries: bookings, tombs: retire(state.tombs, ended, t.now) } };
}

/** The next time something changes for a booking (admission, button, end), or null. */
export function nextChange(b: Booking, t: Timing): number | null {
  if (!b.ok || b.end <= t.now) return null;
  // Listed once start < now + horizon: one ms after that edge.
  const candidates = [b.start - t.horizonMs + 1, hasJoin(b) ? b.start - t.leadMs : Number.POSITIVE_INFINITY, b.end].filter((at) => at > t.now);
  const at = Math.min(...candidates);
  return Number.isFinite(at) ? at : null;
}
