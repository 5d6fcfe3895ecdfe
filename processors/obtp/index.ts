export { createObtpProcessor, DEVICE_BOOKINGS_VIEW } from './processor.js';
export { defineObtpTopology, OBTP_TOPOLOGY_NAME } from './topology.js';
export { MongoDeviceRegistry, registerDevices, setJoinLeadMinutes, DEVICES_COLLECTION, ORG_SETTINGS_COLLECTION } from './registry.js';
export type { DeviceRegistry } from './registry.js';
export { applyMeeting, reconcile, nextChange, deviceDocument, isListed, isShown, hasJoin, EMPTY_OBTP_STATE } from './bookings.js';
export type { Booking, Device, DeviceMode, ObtpState, Timing, DeviceOutput } from './bookings.js';
export { ObtpInputError, ObtpRegistryUnavailableError } from './errors.js';
export { obtpOptionsSchema } from './options.js';
export type { ObtpOptions, ObtpOptionsInput } from './options.js';
