import type { DeviceBookingEvent } from '../schemas/index.js';

export interface DeviceBooking {
  readonly bookingId: string;
  readonly start: number;
  readonly end: number;
  readonly isPrivate: boolean;
  readonly providerKind: string;
  readonly hasJoinDetails: boolean;
}

export type DeviceChange = 'booked' | 'removed' | 'join-shown' | 'join-expired' | 'ignored';

/**
 * One device's bookings and Join button, folded from its `obtp.devices.v1` events the way a device
 * gateway keeps them: per booking the highest version wins, a removed booking takes its button away.
 */
export class DeviceView {
  readonly deviceId: string;
  readonly #bookings = new Map<string, DeviceBookingEvent>();
  readonly #versions = new Map<string, number>();
  #joinShowing: string | null = null;

  constructor(deviceId: string) {
    this.deviceId = deviceId;
  }

  get joinShowing(): string | null {
    return this.#joinShowing;
  }

  apply(event: DeviceBookingEvent): DeviceChange {
    if (event.deviceId !== this.deviceId) return 'ignored';
    const known = this.#versions.get(event.bookingId);
    if (known !== undefined && known > event.version) return 'ignored';
    this.#versions.set(event.bookingId, event.version);
    switch (event.action) {
      case 'BOOKING_UPSERT':
        this.#bookings.set(event.bookingId, event);
        return 'booked';
      case 'BOOKING_REMOVE':
        this.#bookings.delete(event.bookingId);
        if (this.#joinShowing === event.bookingId) this.#joinShowing = null;
        return 'removed';
      case 'JOIN_SHOW':
        this.#joinShowing = event.bookingId;
        return 'join-shown';
      case 'JOIN_EXPIRE':
        if (this.#joinShowing !== event.bookingId) return 'ignored';
        this.#joinShowing = null;
        return 'join-expired';
      default:
        return 'ignored';
    }
  }

  /** Bookings not yet ended at `now`, by start time. */
  bookings(now: number): DeviceBooking[] {
    return [...this.#bookings.values()]
      .filter((b) => b.end > now)
      .sort((a, b) => a.start - b.start || a.bookingId.localeCompare(b.bookingId))
      .map((b) => ({ bookingId: b.bookingId, start: b.start, end: b.end, isPrivate: b.isPrivate, providerKind: b.providerKind, hasJoinDetails: b.joinDetails !== null }));
  }
}
