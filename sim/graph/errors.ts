import { HcError, type HcErrorOptions } from '../../common/index.js';

/** The simulator could not create or read its CA / certificate cache. */
export class SimTlsError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_SIM_TLS', message, options);
  }
}

/** A simulator listener could not bind its port. */
export class SimListenError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_SIM_LISTEN', message, options);
  }
}
