import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { createObtpProcessor, DEVICE_BOOKINGS_VIEW, type Device, type DeviceRegistry, type ObtpState } from '../../../processors/obtp/index.js';
import { ProcessorTestDriver } from '../../../runtime/testing/index.js';
import type { DeviceBookingEvent, MeetingOccurrence } from '../../../schemas/index.js';
import { DAY, HOUR, MIN, occurrence, T0 } from '../model/fixtures.js';

const ROOM_DEVICES: Device[] = [{ deviceId: 'dev-room', mode: 'shared' }];
const USER_DEVICES: Device[] = [{ deviceId: 'dev-desk', mode: 'personal' }];

function registry(devices: Record<string, Device[]>, leadMinutes: Record<string, number> = {}): DeviceRegistry {
  return {
    devicesOf: (tenantId, mailboxId) => Promise.resolve(devices[`${tenantId}/${mailboxId}`] ?? []),
    leadMsOf: (tenantId) => Promise.resolve((leadMinutes[tenantId] ?? 5) * MIN),
  };
}

function driver(mailboxId = 'room-1', devices: Device[] = ROOM_DEVICES, lead?: Record<string, number>): ProcessorTestDriver<MeetingOccurrence, ObtpState> {
  return new ProcessorTestDriver(createObtpProcessor({ registry: registry({ [`tenant-a/${mailboxId}`]: devices }, lead), horizonMs: 72 * HOUR }), {
    key: `tenant-a/${mailboxId}`,
    clock: new ManualClock(T0),
  });
}

const events = (d: ProcessorTestDriver<MeetingOccurrence, ObtpState>): DeviceBookingEvent[] => d.effects.emitted.map((e) => e.value as DeviceBookingEvent);
const actions = (d: ProcessorTestDriver<MeetingOccurrence, ObtpState>): string[] => events(d).map((e) => `${e.action}@${Math.round((e.emittedAt - T0) / MIN)}`);

describe('obtp – device bookings and the Join button', () => {
  it('obtp – books the meeting on the room device and shows the Join button 5 minutes before start until the end', async () => {
    const d = driver();
    await d.process(occurrence({ start: T0 + HOUR }));
    expect(actions(d)).toEqual(['BOOKING_UPSERT@0']);
    await d.advance(56 * 60_000);
    expect(d.effects.views.get(`${DEVICE_BOOKINGS_VIEW}/dev-room`)!.doc!['bookings']).toMatchObject([{ joinShown: true, joinAt: T0 + 55 * 60_000 }]);
    await d.advance(2 * HOUR - 56 * 60_000);
    expect(actions(d)).toEqual(['BOOKING_UPSERT@0', 'JOIN_SHOW@55', 'JOIN_EXPIRE@90', 'BOOKING_REMOVE@90']);
    expect(d.effects.emitted.every((e) => e.key === 'dev-room' && e.topic === 'obtp.devices.v1')).toBe(true);
    const versions = events(d).map((e) => e.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(d.effects.views.get(`${DEVICE_BOOKINGS_VIEW}/dev-room`)!.doc!['bookings']).toEqual([]);
  });

  it('obtp – uses the org\'s own lead time', async () => {
    const d = driver('room-1', ROOM_DEVICES, { 'tenant-a': 10 });
    await d.process(occurrence({ start: T0 + HOUR }));
    await d.advance(HOUR);
    expect(actions(d)).toContain('JOIN_SHOW@50');
  });

  it('obtp – books only the next 72 hours and admits a meeting when it slides into them', async () => {
    const d = driver();
    await d.process(occurrence({ start: T0 + 4 * DAY }));
    expect(d.effects.emitted).toEqual([]);
    await d.advance(DAY + HOUR);
    expect(actions(d)).toEqual([`BOOKING_UPSERT@${24 * 60}`]);
  });

  it('obtp – moving a meeting whose button is shown expires it at once and shows it again at the new time', async () => {
    const d = driver();
    await d.process(occurrence({ start: T0 + 3 * MIN, version: 1 }));
    expect(actions(d)).toEqual(['BOOKING_UPSERT@0', 'JOIN_SHOW@0']);
    await d.process(occurrence({ start: T0 + 2 * HOUR, version: 2 }));
    expect(actions(d).slice(2)).toEqual(['JOIN_EXPIRE@0', 'BOOKING_UPSERT@0']);
    await d.advance(2 * HOUR);
    expect(actions(d).slice(4)).toEqual(['JOIN_SHOW@115']);
  });

  it('obtp – retracts the join button when the meeting is cancelled, and when the room declines', async () => {
    const d = driver();
    await d.process(occurrence({ meetingId: 'a', start: T0 + 2 * MIN, version: 1 }));
    await d.process(occurrence({ meetingId: 'b', start: T0 + 3 * MIN, version: 1 }));
    await d.process(occurrence({ meetingId: 'a', start: T0 + 2 * MIN, version: 2, isCancelled: true }));
    await d.process(occurrence({ meetingId: 'b', start: T0 + 3 * MIN, version: 2, responseStatus: 'DECLINED' }));
    expect(events(d).slice(4).map((e) => `${e.action}:${e.bookingId.split('/')[2]}`)).toEqual(['JOIN_EXPIRE:a', 'BOOKING_REMOVE:a', 'JOIN_EXPIRE:b', 'BOOKING_REMOVE:b']);
    await d.advance(2 * HOUR);
    expect(d.effects.emitted).toHaveLength(8);
  });

  it('obtp – a private meeting is "Private meeting" on a shared device: no title, join details or button', async () => {
    const d = driver();
    await d.process(occurrence({ start: T0 + 2 * MIN, isPrivate: true }));
    expect(events(d).map((e) => [e.action, e.title, e.joinDetails, e.keyRef, e.joinAt])).toEqual([['BOOKING_UPSERT', null, null, null, null]]);
    const doc = d.effects.views.get(`${DEVICE_BOOKINGS_VIEW}/dev-room`)!.doc as { bookings: Record<string, unknown>[] };
    expect(doc.bookings[0]).toMatchObject({ label: 'Private meeting', title: null, joinDetails: null, joinShown: false });
    expect(JSON.stringify(doc)).not.toContain('subject-ct');
  });

  it('obtp – a private meeting keeps its details and button on the user\'s personal device', async () => {
    const d = driver('user-1', USER_DEVICES);
    await d.process(occurrence({ mailboxId: 'user-1', start: T0 + 2 * MIN, isPrivate: true, responseStatus: 'NOT_RESPONDED' }));
    expect(events(d).map((e) => e.action)).toEqual(['BOOKING_UPSERT', 'JOIN_SHOW']);
    expect(events(d)[0]!.title).toEqual(Buffer.from('subject-ct-evt-1'));
  });

  it('obtp – a meeting without join details is booked but gets no button', async () => {
    const d = driver();
    await d.process(occurrence({ start: T0 + 2 * MIN, providerKind: 'NONE', joinDetails: null }));
    await d.advance(HOUR);
    expect(events(d).map((e) => e.action)).toEqual(['BOOKING_UPSERT', 'BOOKING_REMOVE']);
  });

  it('obtp – deleting a series retracts every occurrence on the device; replays of older records change nothing', async () => {
    const d = driver();
    for (const n of [1, 2]) await d.process(occurrence({ meetingId: `occ-${n}`, seriesMasterId: 'm', start: T0 + n * HOUR, version: 10 }));
    await d.process(occurrence({ meetingId: 'm', seriesMasterId: null, op: 'REMOVE', version: 20, start: 0, end: 0 }));
    await d.process(occurrence({ meetingId: 'occ-1', seriesMasterId: 'm', start: T0 + HOUR, version: 10 }));
    expect(events(d).map((e) => `${e.action}:${e.bookingId.split('/')[2]}`)).toEqual(['BOOKING_UPSERT:occ-1', 'BOOKING_UPSERT:occ-2', 'BOOKING_REMOVE:occ-1', 'BOOKING_REMOVE:occ-2']);
    await d.advance(3 * HOUR);
    expect(d.effects.emitted).toHaveLength(4);
  });

  it('obtp – a meeting moved into the past leaves the device, and an older version replayed later does not bring it back', async () => {
    const d = driver();
    await d.process(occurrence({ start: T0 + HOUR, version: 1 }));
    await d.process(occurrence({ start: T0 - 2 * HOUR, version: 2 }));
    await d.process(occurrence({ start: T0 + HOUR, version: 1 }));
    expect(events(d).map((e) => e.action)).toEqual(['BOOKING_UPSERT', 'BOOKING_REMOVE']);
  });

  it('obtp – a mailbox without devices keeps no state and emits nothing', async () => {
    const d = driver('user-9', []);
    await d.process(occurrence({ mailboxId: 'user-9' }));
    expect(d.state).toBeUndefined();
    expect(d.effects.emitted).toEqual([]);
  });
});
