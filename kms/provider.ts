/**
 * The seam between the keyring and a KMS. A KMS holds each tenant's key-encryption key (KEK) and
 * never hands it out: it only wraps and unwraps data keys. Two implementations: the built-in cloud
 * KMS (`CloudKms`, in process, KEKs wrapped by a master key in MongoDB) and the remote on-premises
 * KMS (`RemoteKmsClient`, HTTPS with mutual TLS to `hycal kms serve`).
 *
 * Failures: `KmsUnavailableError` (retryable) when the KMS cannot be reached; `KeyDestroyedError`
 * after the tenant was shredded; `KeyNotFoundError` when the tenant has no key; `DecryptFailedError`
 * when a wrapped key does not authenticate.
 */
export interface DataKeyRef {
  readonly keyId: string;
  readonly version: number;
}

export interface KmsProvider {
  readonly kind: 'cloud' | 'remote';
  /** Creates the tenant's KEK if it has none (idempotent). */
  ensureTenant(tenantId: string): Promise<void>;
  /** Wraps a data key under the tenant's KEK, bound to the tenant and the data key's id and version. */
  wrapDataKey(tenantId: string, ref: DataKeyRef, dataKey: Buffer): Promise<Buffer>;
  unwrapDataKey(tenantId: string, ref: DataKeyRef, wrapped: Buffer): Promise<Buffer>;
  /** Crypto-shredding: destroys the tenant's KEK for good; every data key it wrapped becomes useless. */
  destroyTenant(tenantId: string): Promise<void>;
  close?(): Promise<void>;
}
