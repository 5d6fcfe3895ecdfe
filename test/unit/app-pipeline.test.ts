import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { definePipelineTopologies } from '../../app/topologies-pipeline.js';
import { ManualClock } from '../../common/clock.js';
import type { Keyring } from '../../kms/index.js';
import { USER_MEETINGS_VIEW } from '../../processors/materialize/index.js';
import { TopologyTestDriver } from '../../runtime/testing/index.js';
import type { DeviceBookingEvent } from '../../schemas/index.js';
import { HOUR, occurrence, T0 } from './model/fixtures.js';

/** A registry database with one room device (the registry reads by `_id` only). */
const db = {
  collection: (name: string) => ({
    findOne: (filter: { _id: string }) => Promise.resolve(name === 'obtp_devices' && filter._id === 'tenant-a/room-1' ? { _id: filter._id, devices: [{ deviceId: 'dev-room', mode: 'shared' }] } : null),
  }),
} as unknown as Db;

describe('app – the pipeline topologies', () => {
  it('app – meeting-views runs obtp and materialize on every meeting record, with one state document per mailbox', async () => {
    const clock = new ManualClock(T0);
    const pipeline = definePipelineTopologies({ db, clock, keyring: {} as Keyring });
    expect(pipeline.all.map((t) => t.name)).toEqual(['meeting-views', 'obtp-device-view', 'ooo']);
    expect(pipeline.meetingViews.stages.map((s) => s.name)).toEqual(['obtp', 'materialize']);
    const d = new TopologyTestDriver(pipeline.meetingViews, { clock });
    await d.pipeInput('calendar.meetings.v1', 'tenant-a/room-1', occurrence({ start: T0 + HOUR }));
    // A mailbox without devices still gets its meeting list (obtp keeps nothing for it).
    await d.pipeInput('calendar.meetings.v1', 'tenant-a/user-1', occurrence({ mailboxId: 'user-1', start: T0 + HOUR }));
    expect(d.outputs('obtp.devices.v1').map((o) => (o.value as DeviceBookingEvent).action)).toEqual(['BOOKING_UPSERT']);
    expect(d.view(USER_MEETINGS_VIEW, 'tenant-a/room-1/2026-03-02')?.['meetings']).toHaveLength(1);
    expect(d.view(USER_MEETINGS_VIEW, 'tenant-a/user-1/2026-03-02')?.['meetings']).toHaveLength(1);
    expect(d.state('tenant-a/room-1', 'obtp')).toBeDefined();
    expect(d.state('tenant-a/room-1', 'materialize')).toBeDefined();
    expect(d.state('tenant-a/user-1', 'obtp')).toBeUndefined();
    // Both stages' timers (Join button, window sweep) live on the one key.
    expect(d.timers('tenant-a/room-1').map((t) => t.stage).sort()).toEqual(['materialize', 'obtp']);
  });
});
