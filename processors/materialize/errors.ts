import { HcError, type HcErrorOptions } from '../../common/index.js';

/** A calendar.meetings.v1 record arrived under another key than its tenantId/mailboxId; dead-lettered. */
export class MaterializeInputError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_MATERIALIZE_INPUT', message, options);
  }
}

/** Day documents cannot be read back (MongoDB down) while a key is loaded: the record waits for recovery. */
export class MaterializeViewUnavailableError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_MATERIALIZE_VIEW_UNAVAILABLE', message, { ...options, retryable: true });
  }
}
