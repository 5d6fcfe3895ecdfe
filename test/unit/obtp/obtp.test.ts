import { SEQ_HEADROOM } from '../../../common/index.js';
import { describe, expect, it } from 'vitest';
import { applyDeviceEvent, applyMeeting, EMPTY_OBTP_STATE, persistObtpState, reconcile, type Device, type DeviceOutput, type DeviceViewState } from '../../../processors/obtp/index.js';
import type { DeviceBookingEvent } from '../../../schemas/index.js';
import { DAY, HOUR, MIN, occurrence, T0 } from '../model/fixtures.js';
import { ObtpHarness, registry } from './harness.js';

const USER_DEVICES: Device[] = [{ deviceId: 'dev-desk', mode: 'personal' }];

const driver = (...args: Parameters<typeof ObtpHarness.of>): ObtpHarness => ObtpHarness.of(...args);
const events = (d: ObtpHarness): DeviceBookingEvent[] => d.events;
const actions = (d: ObtpHarness): string[] => events(d).map((e) => `${e.action}@${Math.round((e.emittedAt - T0) / MIN)}`);

describe('obtp – device bookings and the Join button', () => {
  it('obtp – books the meeting on the room device and shows the Join button 5 minutes before start until the end', async () => {
    const d = driver();
    await d.process(occurrence({ start: T0 + HOUR }));
    expect(actions(d)).toEqual(['BOOKING_UPSERT@0']);
    await d.advance(56 * 60_000);
    expect(d.doc('dev-room')!['bookings']).toMatchObject([{ joinShown: true, joinAt: T0 + 55 * 60_000 }]);
    await d.advance(2 * HOUR - 56 * 60_000);
    expect(actions(d)).toEqual(['BOOKING_UPSERT@0', 'JOIN_SHOW@55', 'JOIN_EXPIRE@90', 'BOOKING_REMOVE@90']);
    expect(d.emitted.every((e) => e.key === 'dev-room' && e.topic === 'obtp.devices.v1')).toBe(true);
    const versions = events(d).map((e) => e.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(d.doc('dev-room')!['bookings']).toEqual([]);
  });

  it('obtp – uses the org\'s own lead time', async () => {
    const d = driver('room-1', undefined, { 'tenant-a': 10 });
    await d.process(occurrence({ start: T0 + HOUR }));
    await d.advance(HOUR);
    expect(actions(d)).toContain('JOIN_SHOW@50');
  });

  it('obtp – books only the next 72 hours and admits a meeting when it slides into them', async () => {
    const d = driver();
    await d.process(occurrence({ start: T0 + 4 * DAY }));
    expect(d.emitted).toEqual([]);
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
    expect(d.emitted).toHaveLength(8);
  });

  it('obtp – a private meeting is "Private meeting" on a shared device: no title, join details or button', async () => {
    const d = driver();
    await d.process(occurrence({ start: T0 + 2 * MIN, isPrivate: true }));
    expect(events(d).map((e) => [e.action, e.title, e.joinDetails, e.keyRef, e.joinAt])).toEqual([['BOOKING_UPSERT', null, null, null, null]]);
    const doc = d.doc('dev-room') as unknown as { bookings: Record<string, unknown>[] };
    expect(doc.bookings[0]).toMatchObject({ label: 'Private meeting', title: null, joinDetails: null, joinShown: false });
    expect(JSON.stringify(doc)).not.toContain('subject-ct');
  });

  it('obtp – a meeting turned private while its Join button shows on a shared device loses the button there', async () => {
    const d = driver();
    await d.process(occurrence({ start: T0 + 2 * MIN, version: 1 }));
    expect(d.doc('dev-room')!['bookings']).toMatchObject([{ joinShown: true }]);
    await d.process(occurrence({ start: T0 + 2 * MIN, version: 2, isPrivate: true }));
    expect(d.doc('dev-room')!['bookings']).toMatchObject([{ label: 'Private meeting', title: null, joinDetails: null, joinShown: false }]);
    expect(events(d).slice(2).map((e) => [e.action, e.title, e.joinDetails])).toEqual([['JOIN_EXPIRE', null, null], ['BOOKING_UPSERT', null, null]]);
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
    expect(d.emitted).toHaveLength(4);
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
    expect(d.state('tenant-a/user-9')).toBeUndefined();
    expect(d.emitted).toEqual([]);
  });

  it('obtp – a device fed by two mailboxes lists the bookings of both, and its view version only grows (SSE resume)', async () => {
    // The same device under a room (shared) and a user (personal): the room's sequence runs far ahead.
    const d = new ObtpHarness(registry({ 'tenant-a/room-1': [{ deviceId: 'dev-x', mode: 'shared' }], 'tenant-a/user-1': [{ deviceId: 'dev-x', mode: 'personal' }] }));
    const versions: number[] = [];
    const seen = async (step: Promise<void>): Promise<void> => {
      await step;
      versions.push(Number(d.doc('dev-x')?.['v'] ?? 0));
    };
    for (let n = 1; n <= 4; n += 1) await seen(d.process(occurrence({ meetingId: `r${n}`, start: T0 + n * MIN, version: 1 })));
    await seen(d.process(occurrence({ mailboxId: 'user-1', meetingId: 'u1', start: T0 + 2 * HOUR, version: 1 })));
    await seen(d.process(occurrence({ meetingId: 'r1', start: T0 + MIN, version: 2, isCancelled: true })));
    await seen(d.process(occurrence({ mailboxId: 'user-1', meetingId: 'u1', start: T0 + 3 * HOUR, version: 2 })));
    await seen(d.advance(3 * HOUR));
    // Per mailbox the event sequences differ (room ahead of user); the device's view version does not go back.
    const seqs = (mailboxId: string): number[] => d.events.filter((e) => e.mailboxId === mailboxId).map((e) => e.version);
    expect(Math.max(...seqs('room-1'))).toBeGreaterThan(Math.min(...seqs('user-1')));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    // Both mailboxes' bookings on the one device, each with its own mailbox.
    const doc = d.doc('dev-x') as unknown as { mailboxIds: string[] };
    expect(doc.mailboxIds).toEqual(['room-1', 'user-1']);
  });

  it('obtp – the device view lists both mailboxes\' current bookings at once', async () => {
    const d = new ObtpHarness(registry({ 'tenant-a/room-1': [{ deviceId: 'dev-x', mode: 'shared' }], 'tenant-a/user-1': [{ deviceId: 'dev-x', mode: 'personal' }] }));
    await d.process(occurrence({ meetingId: 'r1', start: T0 + HOUR }));
    await d.process(occurrence({ meetingId: 'r2', start: T0 + 2 * HOUR }));
    await d.process(occurrence({ mailboxId: 'user-1', meetingId: 'u1', start: T0 + 90 * MIN }));
    const bookings = (): string[] => (d.doc('dev-x')!['bookings'] as { bookingId: string; mailboxId: string }[]).map((b) => `${b.mailboxId}:${b.bookingId}`);
    expect(bookings()).toEqual(['room-1:tenant-a/room-1/r1', 'user-1:tenant-a/user-1/u1', 'room-1:tenant-a/room-1/r2']);
    // Replaying the device events (at-least-once delivery) changes nothing, not even the version.
    const before = d.doc('dev-x');
    for (const e of d.events) await d.devices.pipeInput('obtp.devices.v1', e.deviceId, e);
    expect(d.doc('dev-x')).toEqual(before);
  });
});

describe('obtp – event sequences across a crash', () => {
  it('obtp – a mailbox loaded from the store numbers its events above every sequence it sent before', async () => {
    const d = driver();
    await d.process(occurrence({ meetingId: 'a', start: T0 + HOUR }));
    await d.advance(56 * MIN);
    const before = Math.max(...events(d).map((e) => e.version));
    // Idle and written: dropped from memory; the next record loads the mailbox from the store.
    d.obtp.passivate();
    await d.process(occurrence({ meetingId: 'b', start: T0 + 2 * HOUR }));
    const after = events(d).at(-1)!;
    expect(after.bookingId).toBe('tenant-a/room-1/b');
    expect(after.version).toBeGreaterThan(before + SEQ_HEADROOM - 1);
  });

  it('obtp – after a crash between its events and its state, the successor\'s events are not skipped by the device view as replays', () => {
    const devices: Device[] = [{ deviceId: 'dev', mode: 'shared' }];
    const t = { now: T0, leadMs: 5 * MIN, horizonMs: 72 * HOUR };
    const meeting = occurrence({ meetingId: 'a', start: T0 + 30 * MIN });
    let view: DeviceViewState | undefined;
    const show = (out: DeviceOutput): DeviceOutput => {
      for (const { value } of out.events) view = applyDeviceEvent(view, value) ?? view;
      return out;
    };
    // The predecessor books the meeting; that state is written.
    const booked = show(reconcile(applyMeeting(EMPTY_OBTP_STATE, meeting, T0)!, devices, 'tenant-a', 'room-1', t, 'a'));
    const written = persistObtpState(booked.state);
    // It goes on: the Join button shows (event out, state not written), then it dies.
    show(reconcile(booked.state, devices, 'tenant-a', 'room-1', { ...t, now: T0 + 26 * MIN }, null));
    expect(view!.bookings.map((b) => [b.bookingId, b.joinShown])).toEqual([['tenant-a/room-1/a', true]]);
    // Its successor loads the written state and reads the meeting's cancellation before the timer fires.
    const cancelled = applyMeeting(written, { ...meeting, version: 2, isCancelled: true }, T0 + 26 * MIN)!;
    const retracted = show(reconcile(cancelled, devices, 'tenant-a', 'room-1', { ...t, now: T0 + 26 * MIN }, 'a'));
    expect(retracted.events.map((e) => e.value.action)).toEqual(['BOOKING_REMOVE']);
    expect(view!.bookings).toEqual([]);
  });
});
