import { HcError, type HcErrorOptions } from '../common/index.js';

/** A port the stack needs is taken by another process. */
export class StackPortBusyError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_STACK_PORT_BUSY', message, options);
  }
}

/** A part of the stack did not start or did not become healthy in time. */
export class StackStartError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_STACK_START_FAILED', message, options);
  }
}

/** A cached download or build is damaged and could not be repaired automatically. */
export class StackCacheCorruptError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_STACK_CACHE_CORRUPT', message, options);
  }
}

/** Fetching or building a part (Maven, Go) failed. */
export class StackInstallError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_STACK_INSTALL_FAILED', message, options);
  }
}

/** An existing stack given by KAFKA_BROKERS / SCHEMA_REGISTRY_URL / MONGODB_URI does not answer. */
export class StackUnreachableError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_STACK_UNREACHABLE', message, { retryable: true, ...options });
  }
}
