import { HcError } from '../common/index.js';

/** A processor, a view write or the runtime's own I/O failed; `retryable` says whether to back off and retry. */
export class ProcessorFailedError extends HcError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super('HC_ERR_RUNTIME_PROCESSOR_FAILED', message, options);
  }
}

/** A view or state document breaks a MongoDB/FerretDB data rule (nested arrays, '.' or '$' in keys, NaN). */
export class InvalidDocumentError extends HcError {
  constructor(message: string) {
    super('HC_ERR_RUNTIME_INVALID_DOCUMENT', message);
  }
}

/** The runtime's store (MongoDB) or broker could not be reached; retried with back-off. */
export class RuntimeUnavailableError extends HcError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HC_ERR_RUNTIME_UNAVAILABLE', message, { ...options, retryable: true });
  }
}

/** Work was abandoned because the worker is stopping or its partition was revoked. */
export class WorkAbandonedError extends HcError {
  constructor(message: string) {
    super('HC_ERR_RUNTIME_ABANDONED', message);
  }
}

/** A topology declaration is invalid (no stage, duplicate names, no input). */
export class TopologyInvalidError extends HcError {
  constructor(message: string) {
    super('HC_ERR_RUNTIME_TOPOLOGY', message);
  }
}

/** A dead-letter command was given something it cannot act on. */
export class DeadLetterError extends HcError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super('HC_ERR_RUNTIME_DLQ', message, options);
  }
}

/** A record is larger than its topic accepts; the record that produced it is dead-lettered. */
export class RecordTooLargeError extends HcError {
  constructor(message: string) {
    super('HC_ERR_RUNTIME_RECORD_TOO_LARGE', message);
  }
}

/** The broker or MongoDB refused an effect for good (not retryable); only the item that carried it fails. */
export class EffectRefusedError extends HcError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HC_ERR_RUNTIME_EFFECT_REFUSED', message, options);
  }
}
