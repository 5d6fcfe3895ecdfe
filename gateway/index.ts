export { DeviceView } from './device-view.js';
export type { DeviceBooking, DeviceChange } from './device-view.js';
export { followDevice, renderDevice } from './follow.js';
export type { FollowDeviceOptions } from './follow.js';
