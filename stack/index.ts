export { stackUp, stackDown, stackStatus, restartLocalPart, startLocalPart, stopLocalPart, provisionStack } from './stack.js';
export type { StackMode, StackTarget, StackUpResult, StackStatusReport } from './stack.js';
export { localStackOptionsSchema } from './options.js';
export { ferretDbArgs } from './local.js';
export type { LocalStackOptions } from './options.js';
export { localConnections, stackLayout, checkoutRoot, KAFKA_VERSION, FERRETDB_VERSION } from './layout.js';
export type { ConnectionStrings, StackLayout, PartName } from './layout.js';
export { stackHealth } from './health.js';
export type { Health } from './health.js';
export { checkPrerequisites } from './install.js';
export { dockerEngineAvailable } from './docker.js';
export {
  StackPortBusyError,
  StackStartError,
  StackCacheCorruptError,
  StackInstallError,
  StackUnreachableError,
} from './errors.js';
export { createProgress, silentProgress } from './progress.js';
export type { Progress } from './progress.js';
export { registerStackCommands } from './cli.js';
export type { StackCommandDeps } from './cli.js';
