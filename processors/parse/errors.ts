import { HcError } from '../../common/index.js';

/** A calendar.raw.v1 record parse cannot turn into a meeting (a bug upstream or a damaged record); dead-lettered. */
export class ParseInputError extends HcError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, string | number | boolean> } = {}) {
    super('HC_ERR_PARSE_INPUT', message, options);
  }
}
