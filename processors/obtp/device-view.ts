import type { InputRecord, Processor, ProcessorContext } from '../../runtime/index.js';
import { asBytes, type DeviceBookingEvent, type KeyRef, type ProviderKind } from '../../schemas/index.js';
import { ObtpInputError } from './errors.js';

export const DEVICE_BOOKINGS_VIEW = 'obtp_device_bookings';
/**
 * A device's bookings and the sequence applied per mailbox are stored packed (common/packed.ts);
 * tenantId, deviceId and mailboxIds stay open.
 */
const BOOKINGS_PACKED = { packed: ['bookings', 'seen'] } as const;

/**
 * Reads a device's view document as stored (`_id`, `v`, packed fields unpacked), or null. The
 * device view keeps no state document of its own: its view is its state (see below).
 */
export interface DeviceViewReader {
  read(deviceId: string): Promise<Record<string, unknown> | null>;
}

/**
 * The device-bookings view, keyed by device (obtp.devices.v1 → `obtp_device_bookings/{_id: deviceId}`).
 *
 * One writer per device: the device's events, from every mailbox that feeds it (a room's workspace
 * device and a user's personal device may both list the same device), fold into one booking list.
 * The document's version `v` is the device's own counter, +1 per change, so it only grows for a
 * device whatever mailbox a change came from: the API's SSE stream uses it as its event id
 * (Last-Event-ID). Each mailbox's events carry that mailbox's monotonic sequence; an event at or
 * below the last one applied from its mailbox is a replay and is skipped.
 *
 * The view document is the device's whole state: it holds the bookings, the version and the
 * sequence applied per mailbox (`seen`), written together in one document. So the stage is
 * stateless for the runtime (no state document repeating the view, half the bytes written per
 * event): an actor loaded afresh reads its view back (`restoreDeviceView`). A replay after a crash
 * finds in `seen` exactly what the view holds; an event that changed nothing wrote nothing, and
 * applied again it changes nothing again.
 */
export interface DeviceBooking {
  readonly bookingId: string;
  readonly mailboxId: string | null;
  readonly start: number;
  readonly end: number;
  readonly isPrivate: boolean;
  readonly label: string | null;
  readonly providerKind: ProviderKind;
  readonly keyRef: KeyRef | null;
  readonly title: Buffer | null;
  readonly joinDetails: Buffer | null;
  readonly joinAt: number | null;
  readonly joinShown: boolean;
}

export interface DeviceViewState {
  /** The view version: +1 per change of the device's bookings. */
  readonly v: number;
  readonly tenantId: string;
  /** Last sequence applied per source mailbox (`tenantId/mailboxId`). */
  readonly seen: Readonly<Record<string, number>>;
  readonly bookings: readonly DeviceBooking[];
}

/** The state after one device event; null if it is a replay (nothing changes). */
export function applyDeviceEvent(state: DeviceViewState | undefined, e: DeviceBookingEvent): DeviceViewState | null {
  const source = `${e.tenantId}/${e.mailboxId ?? ''}`;
  if (state !== undefined && e.version <= (state.seen[source] ?? -1)) return null;
  const known = state?.bookings.find((b) => b.bookingId === e.bookingId);
  const others = (state?.bookings ?? []).filter((b) => b.bookingId !== e.bookingId);
  let bookings: DeviceBooking[] = others;
  if (e.action === 'BOOKING_UPSERT') {
    // On a shared device a private meeting comes without title, join details and key: "Private meeting".
    const redacted = e.isPrivate && e.keyRef === null && e.title === null;
    bookings = [...others, {
      bookingId: e.bookingId, mailboxId: e.mailboxId, start: e.start, end: e.end, isPrivate: e.isPrivate, label: redacted ? 'Private meeting' : null,
      providerKind: e.providerKind, keyRef: e.keyRef === null ? null : { keyId: e.keyRef.keyId, version: e.keyRef.version },
      title: asBytes(e.title), joinDetails: asBytes(e.joinDetails), joinAt: e.joinAt, joinShown: known?.joinShown ?? false,
    }];
  } else if ((e.action === 'JOIN_SHOW' || e.action === 'JOIN_EXPIRE') && known !== undefined) {
    bookings = [...others, { ...known, joinShown: e.action === 'JOIN_SHOW' }];
  } else if (e.action !== 'BOOKING_REMOVE') {
    bookings = state === undefined ? [] : [...state.bookings];
  }
  bookings.sort((x, y) => x.start - y.start || (x.bookingId < y.bookingId ? -1 : 1));
  return { v: (state?.v ?? 0) + 1, tenantId: e.tenantId, seen: { ...state?.seen, [source]: e.version }, bookings };
}

/** The view document of a device (bookings sorted by start). */
export function deviceViewDocument(deviceId: string, state: DeviceViewState): Record<string, unknown> {
  const mailboxIds = Object.keys(state.seen).map((s) => s.slice(state.tenantId.length + 1)).sort();
  return { tenantId: state.tenantId, deviceId, mailboxId: mailboxIds[0] ?? null, mailboxIds, bookings: state.bookings, seen: state.seen };
}

/** The state a view document holds (as `DeviceViewReader.read` returns it), or undefined for none. */
export function restoreDeviceView(doc: Record<string, unknown> | null): DeviceViewState | undefined {
  if (doc === null || doc['deleted'] === true || typeof doc['tenantId'] !== 'string') return undefined;
  const seen: Record<string, number> = {};
  for (const [source, version] of Object.entries((doc['seen'] ?? {}) as Record<string, unknown>)) seen[source] = Number(version);
  return {
    v: Number(doc['v'] ?? 0),
    tenantId: doc['tenantId'],
    seen,
    bookings: Array.isArray(doc['bookings']) ? (doc['bookings'] as DeviceBooking[]) : [],
  };
}

/**
 * Deep equality of booking lists as stored: bytes by content (a Buffer in memory, BSON Binary after
 * a state reload), objects by their defined fields (order-free), arrays in order. Replaces two
 * JSON.stringify calls per event, which wrote every ciphertext byte out as a decimal array and
 * were the device view's main cost (0.25 ms per event with Teams-sized join details).
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  const bytesA = asBytes(a);
  const bytesB = asBytes(b);
  if (bytesA !== null || bytesB !== null) return bytesA !== null && bytesB !== null && bytesA.equals(bytesB);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameValue(item, b[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x).filter((k) => x[k] !== undefined);
  if (keys.length !== Object.keys(y).filter((k) => y[k] !== undefined).length) return false;
  return keys.every((k) => sameValue(x[k], y[k]));
}

/**
 * processors/obtp's device stage, keyed by device: obtp.devices.v1 → the device-bookings view.
 * Stateless for the runtime: the state lives in actor memory and in the view document.
 */
export function createDeviceViewProcessor(options: { reader: DeviceViewReader }): Processor<DeviceBookingEvent, DeviceViewState> {
  function apply(e: DeviceBookingEvent, ctx: ProcessorContext<DeviceViewState>, before: DeviceViewState | undefined): void {
    const next = applyDeviceEvent(before, e);
    if (next === null) return ctx.metrics.increment('obtp_device_view_stale_total');
    const changed = !sameValue(next.bookings, before?.bookings);
    // An unchanged list keeps its version (no view write, no SSE event); the sequence still moves.
    const state = changed ? next : { ...next, v: next.v - 1 };
    if (changed) ctx.views.upsert(DEVICE_BOOKINGS_VIEW, e.deviceId, state.v, deviceViewDocument(e.deviceId, state), BOOKINGS_PACKED);
    ctx.state.set(state);
  }
  return {
    name: 'obtp-device-view',
    stateful: false,
    process(record: InputRecord<DeviceBookingEvent>, ctx: ProcessorContext<DeviceViewState>): Promise<void> | void {
      const e = record.value;
      if (record.key !== e.deviceId) throw new ObtpInputError('A device event arrived under another record key than its deviceId; dead-lettered.');
      const known = ctx.state.get();
      if (known !== undefined) return apply(e, ctx, known);
      // A device seen for the first time since this actor was loaded: its view is its state.
      return options.reader.read(e.deviceId).then((doc) => apply(e, ctx, restoreDeviceView(doc)));
    },
  };
}
