/**
 * Simulator errors carry a stable `code` (`HC_ERR_SIM_*` / `HC_ERR_CONFIG_INVALID`), a message
 * that says what to do, and a `cause`. They have the same shape as the host application's
 * errors (code, retryable, details) without depending on it, so the package stands alone.
 */
export interface SimErrorOptions {
  readonly cause?: unknown;
  readonly retryable?: boolean;
  /** Structured, non-sensitive details (never a token, a secret, a subject or an address). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export class SimError extends Error {
  readonly code: `HC_ERR_${string}`;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(code: `HC_ERR_${string}`, message: string, options: SimErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/** A simulator option is missing or invalid (same code as the host's configuration errors). */
export class SimConfigError extends SimError {
  constructor(message: string, options: SimErrorOptions = {}) {
    super('HC_ERR_CONFIG_INVALID', message, options);
  }
}

/** The simulator could not create or read its CA / certificate cache. */
export class SimTlsError extends SimError {
  constructor(message: string, options: SimErrorOptions = {}) {
    super('HC_ERR_SIM_TLS', message, options);
  }
}

/** A simulator listener could not bind its port. */
export class SimListenError extends SimError {
  constructor(message: string, options: SimErrorOptions = {}) {
    super('HC_ERR_SIM_LISTEN', message, options);
  }
}
