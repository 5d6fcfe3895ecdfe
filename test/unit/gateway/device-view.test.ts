import { describe, expect, it } from 'vitest';
import { DeviceView, renderDevice } from '../../../gateway/index.js';
import type { DeviceBookingEvent } from '../../../schemas/index.js';

const T0 = Date.UTC(2026, 11, 3, 9, 0);

function event(over: Partial<DeviceBookingEvent> = {}): DeviceBookingEvent {
  return {
    deviceId: 'dev1', tenantId: 't1', bookingId: 'b1', action: 'BOOKING_UPSERT', start: T0 + 600_000, end: T0 + 3_600_000,
    isPrivate: false, providerKind: 'WEBEX', version: 1, keyRef: null, title: null, joinDetails: Buffer.from([1]), emittedAt: T0, joinAt: null, mailboxId: null, ...over,
  };
}

describe('gateway device view', () => {
  it('gateway – keeps one device\'s bookings in start order and ignores other devices', () => {
    const view = new DeviceView('dev1');
    view.apply(event({ bookingId: 'late', start: T0 + 7_200_000, end: T0 + 9_000_000 }));
    view.apply(event({ bookingId: 'early' }));
    expect(view.apply(event({ deviceId: 'dev2', bookingId: 'other' }))).toBe('ignored');
    expect(view.bookings(T0).map((b) => b.bookingId)).toEqual(['early', 'late']);
    expect(view.bookings(T0 + 3_600_000).map((b) => b.bookingId)).toEqual(['late']);
  });

  it('gateway – a late, older event never brings back a removed booking or its Join button', () => {
    const view = new DeviceView('dev1');
    view.apply(event());
    expect(view.apply(event({ action: 'JOIN_SHOW', version: 2 }))).toBe('join-shown');
    expect(view.apply(event({ action: 'BOOKING_REMOVE', version: 3 }))).toBe('removed');
    expect(view.apply(event({ action: 'JOIN_SHOW', version: 2 }))).toBe('ignored');
    expect(view.apply(event({ action: 'BOOKING_UPSERT', version: 1 }))).toBe('ignored');
    expect(view.joinShowing).toBeNull();
    expect(view.bookings(T0)).toEqual([]);
  });

  it('gateway – the terminal rendering shows the Join button and a private meeting without its title', () => {
    const view = new DeviceView('dev1');
    view.apply(event({ isPrivate: true }));
    view.apply(event({ action: 'JOIN_SHOW', version: 2 }));
    const text = renderDevice(view, T0);
    expect(text).toContain('[ JOIN ]');
    expect(text).toContain('Private meeting');
    expect(renderDevice(new DeviceView('dev9'), T0)).toContain('no bookings');
  });
});
