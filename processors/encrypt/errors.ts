import { HcError } from '../../common/index.js';

/** The value handed to the encrypt processor is not a valid parsed meeting (a bug upstream); dead-lettered. */
export class EncryptInputError extends HcError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, string | number | boolean> } = {}) {
    super('HC_ERR_ENCRYPT_INPUT', message, options);
  }
}
