import { HcError, type HcErrorOptions } from '../../common/index.js';

/** Mailbox settings that cannot be read (unknown status, scheduled without times, bad key); dead-lettered. */
export class OooInputError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_OOO_INPUT', message, options);
  }
}
