export { HcError, ConfigError, PrerequisiteMissingError, isHcError, isRetryable } from './errors.js';
export type { HcErrorCode, HcErrorOptions } from './errors.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { createLogger, silentLogger, REDACTED_PATHS } from './logger.js';
export type { Logger, CreateLoggerOptions } from './logger.js';
