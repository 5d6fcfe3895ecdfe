import { HcError, type HcErrorOptions } from '../common/index.js';

/**
 * Typed failures of kms/. None of them ever carries key material or plaintext in its message or
 * details. Only `KmsUnavailableError` is retryable: the caller waits and retries, and there is no
 * code path that falls back to plaintext.
 */

/** The KMS (key store in MongoDB, or the remote on-premises KMS) cannot be reached. Retryable. */
export class KmsUnavailableError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_UNAVAILABLE', message, { ...options, retryable: true });
  }
}

/** Bytes are not a ciphertext of the kms format: truncated, wrong magic, unknown version or kind. */
export class CiphertextMalformedError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_CIPHERTEXT_MALFORMED', message, options);
  }
}

/**
 * Authentication failed: the ciphertext was tampered with, belongs to another tenant, record or
 * field (associated data differs), or was made with another key.
 */
export class DecryptFailedError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_DECRYPT_FAILED', message, options);
  }
}

/** The ciphertext names a key (or key version) this tenant does not have. */
export class KeyNotFoundError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_KEY_NOT_FOUND', message, options);
  }
}

/** The tenant was offboarded and its keys destroyed (crypto-shredding): its data is unreadable for good. */
export class KeyDestroyedError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_KEY_DESTROYED', message, options);
  }
}

/** The master key is missing or not 32 bytes (base64 or hex). Raised at start. */
export class MasterKeyError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_MASTER_KEY', message, options);
  }
}

/** The remote KMS refused the request (client certificate not allowed, bad request). Not retryable. */
export class KmsRequestRefusedError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_REFUSED', message, options);
  }
}

/** A value handed to kms/ is invalid (e.g. empty tenant id, plaintext not bytes). A programming error. */
export class KmsInputError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_INPUT', message, options);
  }
}

/**
 * A TLS handshake with the on-premises KMS was refused: the KMS refused our client certificate, or
 * we refused its server certificate. A configuration error, not an outage: not retryable; the
 * message names the certificate to fix.
 */
export class KmsCertificateRefusedError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_CERTIFICATE_REFUSED', message, options);
  }
}

/** A stored key record (a key file of the on-premises KMS) cannot be parsed: restore it from a backup. */
export class KeyStoreCorruptError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_KEY_CORRUPT', message, options);
  }
}

/** The on-premises KMS limits the request rate per client identity; retryable after a pause. */
export class KmsRateLimitedError extends HcError {
  constructor(message: string, options: Omit<HcErrorOptions, 'retryable'> = {}) {
    super('HC_ERR_KMS_RATE_LIMITED', message, { ...options, retryable: true });
  }
}
