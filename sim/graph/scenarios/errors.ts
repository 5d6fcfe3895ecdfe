import { HcError } from '../../../common/index.js';
import type { HcErrorOptions } from '../../../common/index.js';

/** A scenario or activity-driver option is out of range; the message names the option. */
export class ScenarioOptionsError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_SIM_SCENARIO_OPTIONS', message, options);
  }
}
