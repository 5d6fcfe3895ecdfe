import { ManualClock } from '../../../common/clock.js';
import { defineDeviceViewTopology, defineObtpTopology, DEVICE_BOOKINGS_VIEW, type Device, type DeviceRegistry, type ObtpState } from '../../../processors/obtp/index.js';
import { TopologyTestDriver } from '../../../runtime/testing/index.js';
import type { DeviceBookingEvent, MeetingOccurrence } from '../../../schemas/index.js';
import { HOUR, MIN, T0 } from '../model/fixtures.js';

export function registry(devices: Record<string, readonly Device[]>, leadMinutes: Record<string, number> = {}): DeviceRegistry {
  return {
    devicesOf: (tenantId, mailboxId) => Promise.resolve(devices[`${tenantId}/${mailboxId}`] ?? []),
    leadMsOf: (tenantId) => Promise.resolve((leadMinutes[tenantId] ?? 5) * MIN),
  };
}

/**
 * obtp's two topologies on the real executor (TopologyTestDriver, one manual clock): the mailbox
 * topology (calendar.meetings.v1 → obtp.devices.v1) and the device-view topology fed with what the
 * first one emitted, in order — as Kafka would deliver obtp.devices.v1 per device.
 */
export class ObtpHarness {
  readonly clock = new ManualClock(T0);
  readonly obtp: TopologyTestDriver;
  readonly devices: TopologyTestDriver;
  #fed = 0;

  constructor(reg: DeviceRegistry) {
    this.obtp = new TopologyTestDriver(defineObtpTopology({ registry: reg, horizonHours: 72 }), { clock: this.clock });
    // The device view reads a device's view back when an actor is loaded afresh.
    const reader = { read: (deviceId: string): Promise<Record<string, unknown> | null> => Promise.resolve(this.devices.view(DEVICE_BOOKINGS_VIEW, deviceId) ?? null) };
    this.devices = new TopologyTestDriver(defineDeviceViewTopology({ reader }), { clock: this.clock });
  }

  static of(mailboxId = 'room-1', devices: readonly Device[] = [{ deviceId: 'dev-room', mode: 'shared' }], lead?: Record<string, number>): ObtpHarness {
    return new ObtpHarness(registry({ [`tenant-a/${mailboxId}`]: devices }, lead));
  }

  async process(m: MeetingOccurrence): Promise<void> {
    await this.obtp.pipeInput('calendar.meetings.v1', `${m.tenantId}/${m.mailboxId}`, m);
    await this.#feedDevices();
  }

  async advance(ms: number): Promise<void> {
    await this.obtp.advanceTime(ms);
    await this.#feedDevices();
  }

  /** Device events so far, in emit order. */
  get events(): DeviceBookingEvent[] {
    return this.obtp.outputs('obtp.devices.v1').map((o) => o.value as DeviceBookingEvent);
  }

  get emitted(): { topic: string; key: string | null; value: DeviceBookingEvent }[] {
    return this.obtp.outputs('obtp.devices.v1').map((o) => ({ topic: o.topic, key: o.key, value: o.value as DeviceBookingEvent }));
  }

  state(key = 'tenant-a/room-1'): ObtpState | undefined {
    return this.obtp.state<ObtpState>(key, 'obtp');
  }

  /** The device-bookings view document of a device, as written. */
  doc(deviceId: string): Record<string, unknown> | undefined {
    return this.devices.view(DEVICE_BOOKINGS_VIEW, deviceId);
  }

  async #feedDevices(): Promise<void> {
    const outputs = this.obtp.outputs('obtp.devices.v1');
    for (const o of outputs.slice(this.#fed)) await this.devices.pipeInput('obtp.devices.v1', o.key!, o.value);
    this.#fed = outputs.length;
  }
}

export const HORIZON_MS = 72 * HOUR;
