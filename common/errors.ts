/**
 * Errors are classes with a stable `code` (`HC_ERR_*`), a message that says what to do, an
 * optional `cause`, and whether retrying can help (`retryable`). Whether a failure is transient
 * is part of the error, never a guess in a catch block.
 *
 * Every code used in the sources must be documented in docs/errors.md and vice versa; a unit test
 * scans both.
 */
export type HcErrorCode = `HC_ERR_${string}`;

export interface HcErrorOptions {
  readonly cause?: unknown;
  /** Transient failures (network, broker, database, KMS unavailable) are retried with backoff. */
  readonly retryable?: boolean;
  /** Structured, non-sensitive details (never a token, a secret, a subject or an address). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export class HcError extends Error {
  readonly code: HcErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(code: HcErrorCode, message: string, options: HcErrorOptions = {}) {
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

/** A configuration value is missing or invalid; raised once, at start. */
export class ConfigError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_CONFIG_INVALID', message, options);
  }
}

/** A tool the command needs (java, mvn, go, docker...) is not installed. */
export class PrerequisiteMissingError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_PREREQUISITE_MISSING', message, options);
  }
}

export function isHcError(error: unknown): error is HcError {
  return error instanceof HcError;
}

/** True when the error (or one in its cause chain) says a retry may help. */
export function isRetryable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; depth += 1) {
    if (e instanceof HcError) return e.retryable;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
