import { defineTopology, type Topology } from '../../runtime/index.js';
import { createObtpProcessor } from './processor.js';
import type { DeviceRegistry } from './registry.js';

export const OBTP_TOPOLOGY_NAME = 'obtp';

/** calendar.meetings.v1 → obtp → obtp.devices.v1 (+ the device-bookings view), keyed per mailbox. */
export function defineObtpTopology(options: { registry: DeviceRegistry; horizonHours: number; name?: string; maxConcurrentKeys?: number }): Topology {
  return defineTopology({
    name: options.name ?? OBTP_TOPOLOGY_NAME,
    inputs: [{ topic: 'calendar.meetings.v1' }],
    stages: [createObtpProcessor({ registry: options.registry, horizonMs: options.horizonHours * 3_600_000 })],
    outputs: ['obtp.devices.v1'],
    ...(options.maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys: options.maxConcurrentKeys }),
  });
}
