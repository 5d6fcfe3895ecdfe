import { Binary } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { defineDeviceViewTopology, DEVICE_BOOKINGS_VIEW, sameValue } from '../../../processors/obtp/index.js';
import { TopologyTestDriver } from '../../../runtime/testing/index.js';
import type { DeviceBookingEvent } from '../../../schemas/index.js';
import { HOUR, MIN, occurrence, T0 } from '../model/fixtures.js';
import { ObtpHarness, registry } from './harness.js';

const booking = (title: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  bookingId: 't/room-1/m1', mailboxId: 'room-1', start: 1, end: 2, isPrivate: false, label: null, providerKind: 'WEBEX',
  keyRef: { keyId: 'dk-1', version: 1 }, title, joinDetails: null, joinAt: 0, joinShown: false, ...extra,
});

describe('obtp device view – change detection', () => {
  it('sees an unchanged booking list as unchanged, also when the state came back from MongoDB with its bytes as BSON Binary', () => {
    const bytes = Buffer.from([1, 2, 3, 250]);
    expect(sameValue([booking(bytes)], [booking(Buffer.from(bytes))])).toBe(true);
    expect(sameValue([booking(bytes)], [booking(new Binary(Buffer.from(bytes)))])).toBe(true);
    expect(sameValue([booking(bytes)], [{ ...booking(bytes), keyRef: { version: 1, keyId: 'dk-1' } }])).toBe(true);
  });

  it('sees a change of any field, of the bytes, of the order or of the count as a change', () => {
    const bytes = Buffer.from([1, 2, 3]);
    expect(sameValue([booking(bytes)], [booking(Buffer.from([1, 2, 4]))])).toBe(false);
    expect(sameValue([booking(bytes)], [booking(null)])).toBe(false);
    expect(sameValue([booking(bytes)], [booking(bytes, { joinShown: true })])).toBe(false);
    expect(sameValue([booking(bytes)], [booking(bytes, { keyRef: { keyId: 'dk-1', version: 2 } })])).toBe(false);
    expect(sameValue([booking(bytes, { start: 0 }), booking(bytes)], [booking(bytes), booking(bytes, { start: 0 })])).toBe(false);
    expect(sameValue([booking(bytes)], [])).toBe(false);
    expect(sameValue([booking(bytes)], undefined)).toBe(false);
    expect(sameValue([], undefined)).toBe(false);
  });
});

describe('obtp device view – the view is its state', () => {
  /** Device events of a small day on two mailboxes feeding one device: moves, a cancellation, time passing. */
  async function history(): Promise<DeviceBookingEvent[]> {
    const h = new ObtpHarness(registry({ 'tenant-a/room-1': [{ deviceId: 'dev-room', mode: 'shared' }], 'tenant-a/user-1': [{ deviceId: 'dev-room', mode: 'personal' }] }));
    await h.process(occurrence({ meetingId: 'a', start: T0 + HOUR }));
    await h.process(occurrence({ meetingId: 'b', start: T0 + 2 * HOUR, isPrivate: true }));
    await h.process(occurrence({ meetingId: 'c', mailboxId: 'user-1', start: T0 + 90 * MIN }));
    await h.advance(56 * MIN);
    await h.process(occurrence({ meetingId: 'a', start: T0 + 3 * HOUR, version: 2 }));
    await h.process(occurrence({ meetingId: 'c', mailboxId: 'user-1', isCancelled: true, version: 2, start: T0 + 90 * MIN }));
    await h.advance(2 * HOUR);
    return h.emitted.filter((e) => e.key === 'dev-room').map((e) => e.value);
  }

  function deviceDriver(stored: () => Record<string, unknown> | undefined): TopologyTestDriver {
    return new TopologyTestDriver(defineDeviceViewTopology({ reader: { read: () => Promise.resolve(stored() ?? null) } }), { clock: new ManualClock(T0) });
  }

  const doc = (d: TopologyTestDriver): Record<string, unknown> | undefined => d.view(DEVICE_BOOKINGS_VIEW, 'dev-room');

  it('writes no state document: the view holds the bookings, the version and the sequence applied per mailbox', async () => {
    const events = await history();
    const d = deviceDriver(() => undefined);
    for (const e of events) await d.pipeInput('obtp.devices.v1', 'dev-room', e);
    expect(d.state('dev-room', 'obtp-device-view')).toBeUndefined();
    expect(d.view('rt_obtp-device-view_state', 'dev-room')).toBeUndefined();
    const stored = doc(d)!;
    expect(stored['seen']).toEqual({ 'tenant-a/room-1': expect.any(Number), 'tenant-a/user-1': expect.any(Number) });
    expect(stored['mailboxIds']).toEqual(['room-1', 'user-1']);
  });

  it('an actor loaded afresh from the view alone, after a crash at any point and a replay from any earlier event, ends where an uninterrupted run ends, never moving the version back', async () => {
    const events = await history();
    const whole = deviceDriver(() => undefined);
    for (const e of events) await whole.pipeInput('obtp.devices.v1', 'dev-room', e);
    const expected = doc(whole)!;
    expect(events.length).toBeGreaterThan(8);
    for (let crash = 0; crash <= events.length; crash += 1) {
      for (let replayFrom = 0; replayFrom <= crash; replayFrom += 1) {
        const before = deviceDriver(() => undefined);
        for (const e of events.slice(0, crash)) await before.pipeInput('obtp.devices.v1', 'dev-room', e);
        const storedBefore = doc(before);
        const after = deviceDriver(() => (storedBefore === undefined ? undefined : structuredClone(storedBefore)));
        for (const e of events.slice(replayFrom)) {
          await after.pipeInput('obtp.devices.v1', 'dev-room', e);
          const written = doc(after);
          if (written !== undefined && storedBefore !== undefined) expect(written['v'] as number).toBeGreaterThan(storedBefore['v'] as number);
        }
        const final = doc(after) ?? storedBefore;
        expect({ crash, replayFrom, doc: final }).toEqual({ crash, replayFrom, doc: expected });
      }
    }
  });
});
