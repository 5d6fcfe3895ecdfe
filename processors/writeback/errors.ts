import { HcError, type HcErrorOptions } from '../../common/index.js';

/** A record arrived under another key than tenantId/mailboxId (dead-lettered). */
export class WritebackInputError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_WRITEBACK_INPUT', message, options);
  }
}

/** The event kept changing between read and write (412 after every retry): the meeting is marked failed. */
export class WritebackConflictError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_WRITEBACK_CONFLICT', message, options);
  }
}

/** The org has no meeting site for the built-in provider (no siteDomain, no default): nothing is written. */
export class WritebackNotConfiguredError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_WRITEBACK_NOT_CONFIGURED', message, options);
  }
}

/** The org settings collection cannot be read; the record waits until it can. */
export class WritebackSettingsUnavailableError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_WRITEBACK_SETTINGS_UNAVAILABLE', message, { retryable: true, ...options });
  }
}

/** A meeting provider (built-in or an adapter to a real meetings API) could not issue join details. */
export class MeetingProviderError extends HcError {
  constructor(message: string, options: HcErrorOptions & { retryable?: boolean } = {}) {
    super('HC_ERR_WRITEBACK_PROVIDER', message, options);
  }
}

/** The meeting provider is unreachable: the record waits (capped back-off) until it answers. */
export class MeetingProviderUnavailableError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_WRITEBACK_PROVIDER_UNAVAILABLE', message, { retryable: true, ...options });
  }
}
