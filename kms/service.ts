import type { Db } from 'mongodb';
import type { Clock } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { MongoDataKeyStore } from './data-key-store.js';
import { Keyring, type KmsMetrics } from './keyring.js';
import { loadMasterKey } from './master-key.js';
import type { KmsOptions } from './options.js';
import type { KmsProvider } from './provider.js';
import { RemoteKmsClient } from './remote-client.js';
import { MongoTenantKeyStore } from './tenant-key-store.js';
import { TenantKeyVault } from './vault.js';
import { ConfigError } from '../common/index.js';

export interface CreateKeyringInput {
  readonly db: Db;
  /** Validated options: the configuration's `kms` section. */
  readonly options: KmsOptions;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly metrics?: KmsMetrics;
  /** Where the master key variable is read when no file is given (default `process.env`). */
  readonly env?: Record<string, string | undefined>;
  /**
   * Delete the master key variable from `env` once read. The composition root sets it (with
   * `process.env`); it is not the default because a library must not change the environment.
   */
  readonly removeMasterKeyFromEnv?: boolean;
}

/**
 * Wires the service's keyring from configuration: the built-in cloud KMS (master key from a file
 * or environment variable, KEKs and wrapped data keys in MongoDB) when any tenant may use it, and
 * the on-premises KMS client when `kms.remote` is set. Fails at start naming what is missing.
 */
export function createKeyring(input: CreateKeyringInput): { keyring: Keyring; cloud: TenantKeyVault | undefined; close: () => Promise<void> } {
  const options = input.options;
  const usesCloud = options.defaultProvider === 'cloud' || Object.values(options.tenantProviders).includes('cloud');
  const usesRemote = options.defaultProvider === 'remote' || Object.values(options.tenantProviders).includes('remote');
  const providers: { cloud?: TenantKeyVault; remote?: KmsProvider } = {};
  if (usesCloud) {
    const masterKey = loadMasterKey({
      file: options.masterKeyFile,
      envName: options.masterKeyEnv,
      removeFromEnv: input.removeMasterKeyFromEnv === true,
      ...(input.env === undefined ? {} : { env: input.env }),
    });
    const previousMasterKeys = options.previousMasterKeyFiles.map((file) => loadMasterKey({ file, envName: options.masterKeyEnv }));
    providers.cloud = new TenantKeyVault({
      masterKey,
      previousMasterKeys,
      store: new MongoTenantKeyStore(input.db),
      clock: input.clock,
      cacheTtlMs: options.cacheTtlMs,
      cacheMaxEntries: options.cacheMaxEntries,
    });
    masterKey.fill(0);
    for (const key of previousMasterKeys) key.fill(0);
  }
  if (usesRemote) {
    if (options.remote === undefined) {
      throw new ConfigError('kms.remote: a tenant uses the on-premises KMS but no remote KMS is configured (url, caFile, certFile, keyFile).');
    }
    providers.remote = RemoteKmsClient.fromOptions(options.remote);
  }
  const keyring = new Keyring({
    store: new MongoDataKeyStore(input.db),
    providers,
    clock: input.clock,
    options,
    ...(input.logger === undefined ? {} : { logger: input.logger }),
    ...(input.metrics === undefined ? {} : { metrics: input.metrics }),
  });
  return {
    keyring,
    cloud: providers.cloud,
    close: async () => {
      keyring.clearCaches();
      await providers.cloud?.close?.();
      await providers.remote?.close?.();
    },
  };
}
