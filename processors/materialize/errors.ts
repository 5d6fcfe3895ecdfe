import { HcError, type HcErrorOptions } from '../../common/index.js';

/** A calendar.meetings.v1 record arrived under another key than its tenantId/mailboxId; dead-lettered. */
export class MaterializeInputError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_MATERIALIZE_INPUT', message, options);
  }
}
