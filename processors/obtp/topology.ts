import { defineTopology, type Topology } from '../../runtime/index.js';
import { createDeviceViewProcessor, type DeviceViewReader } from './device-view.js';
import { createObtpProcessor } from './processor.js';
import type { DeviceRegistry } from './registry.js';

export const OBTP_TOPOLOGY_NAME = 'obtp';
export const DEVICE_VIEW_TOPOLOGY_NAME = 'obtp-device-view';

/** calendar.meetings.v1 → obtp → obtp.devices.v1, keyed per mailbox. */
export function defineObtpTopology(options: { registry: DeviceRegistry; horizonHours: number; name?: string; maxConcurrentKeys?: number }): Topology {
  return defineTopology({
    name: options.name ?? OBTP_TOPOLOGY_NAME,
    inputs: [{ topic: 'calendar.meetings.v1' }],
    stages: [createObtpProcessor({ registry: options.registry, horizonMs: options.horizonHours * 3_600_000 })],
    outputs: ['obtp.devices.v1'],
    ...(options.maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys: options.maxConcurrentKeys }),
  });
}

/**
 * obtp.devices.v1 → the device-bookings view, keyed per device (one writer per device document);
 * `reader` reads a device's view back when its actor is loaded (the view is the stage's state).
 */
export function defineDeviceViewTopology(options: { reader: DeviceViewReader; name?: string; maxConcurrentKeys?: number }): Topology {
  return defineTopology({
    name: options.name ?? DEVICE_VIEW_TOPOLOGY_NAME,
    inputs: [{ topic: 'obtp.devices.v1' }],
    stages: [createDeviceViewProcessor({ reader: options.reader })],
    outputs: [],
    ...(options.maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys: options.maxConcurrentKeys }),
  });
}
