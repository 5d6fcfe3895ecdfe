export { HcError, ConfigError, PrerequisiteMissingError, isHcError, isRetryable } from './errors.js';
export type { HcErrorCode, HcErrorOptions } from './errors.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { createLogger, silentLogger, redact, isSensitiveField, REDACTED_FIELDS } from './logger.js';
export { retry, linearBackoff } from './retry.js';
export type { RetryOptions } from './retry.js';
export type { Logger, CreateLoggerOptions } from './logger.js';
export { freePort } from './net.js';
