export { startOpsServer } from './server.js';
export type { HealthReport, HealthSource, OpsServer, OpsServerOptions } from './server.js';
export { opsOptionsSchema } from './options.js';
export type { OpsOptions } from './options.js';
