/**
 * Public face of the Microsoft Graph + identity platform simulator package
 * (`@hybrid-calendar/sim-graph`). The `hycal sim` command lives in `cli.ts` (package subpath
 * `./cli`); it imports the modules it needs directly, never this file, so there is no cycle.
 */
export { startGraphSimulator } from './simulator.js';
export type { GraphSimulator, GraphSimulatorOptions, SimCloud } from './simulator.js';
export { seedBasicTenant } from './seed.js';
export type { SimSeedResult } from './seed.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { SimError, SimConfigError, SimTlsError, SimListenError } from './errors.js';
export type { SimErrorOptions } from './errors.js';
export { SimStore } from './store/index.js';
export { simGraphOptionsSchema } from './options.js';
export type { SimGraphOptions } from './options.js';
export { SimAdmin } from './admin/index.js';
export { CLOUD_HOSTS, CLOUD_NAMES, GRAPH_APP_ID } from './clouds.js';
export type { FaultSettings } from './faults/index.js';
export type { AppRegistrationInput } from './identity/index.js';
export type { ThrottleLimits, RetryAfterStyle } from './throttle/index.js';
export { RETRY_AFTER_STYLES } from './throttle/index.js';
export { loadOrCreateTls } from './tls/index.js';
export type { SimTls } from './tls/index.js';
