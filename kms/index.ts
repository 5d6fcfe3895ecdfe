export {
  KmsUnavailableError,
  CiphertextMalformedError,
  DecryptFailedError,
  KeyNotFoundError,
  KeyDestroyedError,
  MasterKeyError,
  KmsRequestRefusedError,
  KmsInputError,
  KmsCertificateRefusedError,
  KeyStoreCorruptError,
  KmsRateLimitedError,
} from './errors.js';
export {
  FORMAT_MAGIC,
  FORMAT_VERSION,
  NONCE_BYTES,
  TAG_BYTES,
  KEY_BYTES,
  CipherKind,
  parseEnvelope,
  encryptEnvelope,
  decryptEnvelope,
  decryptEnvelopeWithAd,
  contextAd,
  contextAdAfter,
  FieldAdBuilder,
  isValidKeyId,
} from './format.js';
export type { Envelope, SealParams } from './format.js';
export { kmsOptionsSchema, kmsServerOptionsSchema, remoteKmsClientSchema, GCM_RANDOM_NONCE_LIMIT, KMS_DEFAULTS } from './options.js';
export type { KmsOptions, KmsOptionsInput, KmsServerOptions, KmsServerOptionsInput, RemoteKmsClientOptions } from './options.js';
export { KeyCache } from './cache.js';
export { parseKey, loadMasterKey, generateKeyText, keyFingerprint } from './master-key.js';
export type { MasterKeySource } from './master-key.js';
export type { KmsProvider, DataKeyRef } from './provider.js';
export { MongoTenantKeyStore, FileTenantKeyStore } from './tenant-key-store.js';
export type { TenantKeyStore, StoredTenantKey } from './tenant-key-store.js';
export { MongoDataKeyStore } from './data-key-store.js';
export type { DataKeyStore, DataKeyRecord, KeychainRecord } from './data-key-store.js';
export { MemoryDataKeyStore, MemoryTenantKeyStore } from './memory.js';
export { TenantKeyVault } from './vault.js';
export type { TenantKeyVaultOptions } from './vault.js';
export { Keyring, fieldAd, sealAd } from './keyring.js';
export type { KeyRef, FieldContext, SealContext, EncryptionLease, KeyringDeps, KmsMetrics } from './keyring.js';
export { recordKeyOf, sealJson, unsealJson } from './sealing.js';
export { RemoteKmsClient } from './remote-client.js';
export type { RemoteKmsTls } from './remote-client.js';
export { startKmsServer } from './server.js';
export type { KmsServerConfig, RunningKmsServer } from './server.js';
export { generateKmsCertificates, generateClientCertificate, writeKmsCertificates } from './certs.js';
export type { KmsCertificates } from './certs.js';
export { createKeyring } from './service.js';
export type { CreateKeyringInput } from './service.js';
export { reencryptCollection } from './reencrypt.js';
export type { DocumentLayout, ReencryptResult } from './reencrypt.js';
export { registerKmsCommands } from './cli.js';
export type { KeyringSession, KmsCommandDeps } from './cli.js';
