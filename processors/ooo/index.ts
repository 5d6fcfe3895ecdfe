export { createOooProcessor, PRESENCE_VIEW } from './processor.js';
export { defineOooTopology, OOO_TOPOLOGY_NAME } from './topology.js';
export { readAutomaticReplies, ianaZone } from './settings.js';
export type { AutomaticReplies, ReplyStatus } from './settings.js';
export { presenceAt, nextSwitch, evaluate } from './presence.js';
export type { Presence, PresenceState } from './presence.js';
export { OooInputError } from './errors.js';
