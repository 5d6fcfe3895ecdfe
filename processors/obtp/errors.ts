import { HcError, type HcErrorOptions } from '../../common/index.js';

/** The device registry cannot be read (MongoDB down): the record waits for recovery. */
export class ObtpRegistryUnavailableError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_OBTP_REGISTRY_UNAVAILABLE', message, { ...options, retryable: true });
  }
}

/** A device's view document cannot be read back (MongoDB down): the record waits for recovery. */
export class ObtpViewUnavailableError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_OBTP_VIEW_UNAVAILABLE', message, { ...options, retryable: true });
  }
}

/** A calendar.meetings.v1 record arrived under another key than its tenantId/mailboxId; dead-lettered. */
export class ObtpInputError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_OBTP_INPUT', message, options);
  }
}
