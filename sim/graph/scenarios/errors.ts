import { SimError, type SimErrorOptions } from '../errors.js';

/** A scenario or activity-driver option is out of range; the message names the option. */
export class ScenarioOptionsError extends SimError {
  constructor(message: string, options: SimErrorOptions = {}) {
    super('HC_ERR_SIM_SCENARIO_OPTIONS', message, options);
  }
}
