/**
 * The one mapping from environment variables to configuration keys. `loadConfig` reads it,
 * `hycal config keys` and docs/configuration.md print it; no other place knows a variable's name.
 *
 * Entries apply in order and a later one wins, so a variable that only supplies a fallback for a
 * key (MONGODB_DATABASE for kms.database) comes before the variable that names the key itself.
 */
export type EnvironmentForm =
  /** The text as it is (zod coerces numbers where a key is numeric). */
  | 'text'
  /** Comma-separated list: `a, b` → ['a', 'b']. */
  | 'list'
  /** Comma-separated pairs: `k1=v1,k2=v2` → { k1: 'v1', k2: 'v2' }. */
  | 'map';

export interface EnvironmentVariable {
  readonly variable: string;
  /** Dotted configuration key, e.g. `stack.kafkaBrokers`. */
  readonly key: string;
  readonly form: EnvironmentForm;
}

const entry = (variable: string, key: string, form: EnvironmentForm = 'text'): EnvironmentVariable => Object.freeze({ variable, key, form });

export const ENVIRONMENT: readonly EnvironmentVariable[] = Object.freeze([
  entry('KAFKA_BROKERS', 'stack.kafkaBrokers'),
  entry('SCHEMA_REGISTRY_URL', 'stack.schemaRegistryUrl'),
  entry('MONGODB_URI', 'stack.mongodbUri'),
  entry('MONGODB_DATABASE', 'stack.mongodbDatabase'),
  entry('HYCAL_TOPIC_PREFIX', 'stack.topicPrefix'),
  entry('HYCAL_KAFKA_PORT', 'localStack.kafkaPort'),
  entry('HYCAL_KAFKA_CONTROLLER_PORT', 'localStack.kafkaControllerPort'),
  entry('HYCAL_REGISTRY_PORT', 'localStack.registryPort'),
  entry('HYCAL_REGISTRY_MANAGEMENT_PORT', 'localStack.registryManagementPort'),
  entry('HYCAL_MONGO_PORT', 'localStack.mongoPort'),
  entry('HYCAL_MONGO_SYNCHRONOUS', 'localStack.mongoSynchronous'),
  entry('HYCAL_STACK_MODE', 'localStack.mode'),
  entry('HYCAL_STACK_START_TIMEOUT_MS', 'localStack.startTimeoutMs'),
  entry('HYCAL_CACHE_DIR', 'localStack.cacheDir'),
  entry('HYCAL_KMS_MASTER_KEY_FILE', 'kms.masterKeyFile'),
  entry('HYCAL_KMS_PREVIOUS_MASTER_KEY_FILES', 'kms.previousMasterKeyFiles', 'list'),
  // The keys live in the service database unless HYCAL_KMS_DATABASE names another one.
  entry('MONGODB_DATABASE', 'kms.database'),
  entry('HYCAL_KMS_DATABASE', 'kms.database'),
  entry('HYCAL_KMS_DEFAULT_PROVIDER', 'kms.defaultProvider'),
  entry('HYCAL_KMS_TENANT_PROVIDERS', 'kms.tenantProviders', 'map'),
  entry('HYCAL_KMS_REMOTE_URL', 'kms.remote.url'),
  entry('HYCAL_KMS_REMOTE_CA_FILE', 'kms.remote.caFile'),
  entry('HYCAL_KMS_REMOTE_CERT_FILE', 'kms.remote.certFile'),
  entry('HYCAL_KMS_REMOTE_KEY_FILE', 'kms.remote.keyFile'),
  entry('HYCAL_OPS_HOST', 'ops.host'),
  entry('HYCAL_OPS_PORT', 'ops.port'),
  entry('HYCAL_CONNECTOR_WEBHOOK_HOST', 'connector.webhookHost'),
  entry('HYCAL_CONNECTOR_WEBHOOK_PORT', 'connector.webhookPort'),
  entry('HYCAL_CONNECTOR_WEBHOOK_TLS_KEY_FILE', 'connector.webhookTlsKeyFile'),
  entry('HYCAL_CONNECTOR_WEBHOOK_TLS_CERT_FILE', 'connector.webhookTlsCertFile'),
  entry('HYCAL_CONNECTOR_WEBHOOK_MAX_REQUESTS_PER_SECOND', 'connector.webhookMaxRequestsPerSecond'),
  entry('HYCAL_CONNECTOR_WEBHOOK_MAX_HELD_RECORDS', 'connector.webhookMaxHeldRecords'),
  entry('HYCAL_CONNECTOR_WEBHOOK_PRODUCERS', 'connector.webhookProducers'),
  entry('HYCAL_CONNECTOR_NOTIFICATION_URL', 'connector.notificationUrl'),
  entry('HYCAL_CONNECTOR_SETTINGS_POLL_MS', 'connector.settingsPollMs'),
  entry('HYCAL_CONNECTOR_RECONCILE_MS', 'connector.reconcileMs'),
  entry('HYCAL_CONNECTOR_DELTA_PAGE_SIZE', 'connector.deltaPageSize'),
  entry('HYCAL_CONNECTOR_FETCH_BATCH_MS', 'connector.fetchBatchMs'),
  entry('HYCAL_CONNECTOR_MODE', 'connector.mode'),
  entry('HYCAL_CONNECTOR_CLIENT_ID', 'connector.clientId'),
  entry('HYCAL_CONNECTOR_CLIENT_SECRET', 'connector.clientSecret'),
  entry('HYCAL_CONNECTOR_CERTIFICATE_KEY_FILE', 'connector.certificateKeyFile'),
  entry('HYCAL_CONNECTOR_CERTIFICATE_THUMBPRINT', 'connector.certificateThumbprint'),
  entry('HYCAL_CONNECTOR_CA_FILE', 'connector.caFile'),
  entry('HYCAL_CONNECTOR_GRAPH_BASE_URL', 'connector.graphBaseUrl'),
  entry('HYCAL_CONNECTOR_AUTHORITY_HOST', 'connector.authorityHost'),
  entry('HYCAL_CONNECTOR_KNOWN_AUTHORITIES', 'connector.knownAuthorities', 'list'),
  entry('HYCAL_CONNECTOR_AUTHORITY_METADATA', 'connector.authorityMetadata'),
  entry('HYCAL_WRITEBACK_DEFAULT_SITE_DOMAIN', 'writeback.defaultSiteDomain'),
  entry('HYCAL_WRITEBACK_MAX_CONFLICT_RETRIES', 'writeback.maxConflictRetries'),
  entry('HYCAL_API_HOST', 'api.host'),
  entry('HYCAL_API_PORT', 'api.port'),
  entry('HYCAL_API_PUBLIC_URL', 'api.publicBaseUrl'),
  entry('HYCAL_API_COOKIE_SECRET', 'api.cookieSecret'),
  entry('HYCAL_API_COOKIE_SECRET_FILE', 'api.cookieSecretFile'),
  entry('HYCAL_API_ORG_ID', 'api.orgId'),
  entry('HYCAL_API_ADMINS', 'api.admins', 'list'),
  entry('HYCAL_API_CLOUD', 'api.cloud'),
  entry('HYCAL_API_OIDC_AUTHORITY_URL', 'api.oidcAuthorityUrl'),
  entry('HYCAL_API_OIDC_TENANT', 'api.oidcTenant'),
  entry('HYCAL_API_OIDC_CLIENT_ID', 'api.oidcClientId'),
  entry('HYCAL_API_OIDC_CLIENT_SECRET', 'api.oidcClientSecret'),
  entry('HYCAL_API_OIDC_CA_FILE', 'api.oidcCaFile'),
  entry('HYCAL_API_RATE_LIMIT_MAX', 'api.rateLimitMax'),
  entry('HYCAL_API_RATE_LIMIT_WINDOW_MS', 'api.rateLimitWindowMs'),
  entry('HYCAL_API_BODY_LIMIT_BYTES', 'api.bodyLimitBytes'),
  entry('HYCAL_API_TOKEN_CACHE_MS', 'api.tokenCacheMs'),
  entry('HYCAL_API_TENANT_CACHE_MS', 'api.tenantCacheMs'),
  entry('HYCAL_API_VIEW_CACHE_MS', 'api.viewCacheMs'),
  entry('HYCAL_LOG_LEVEL', 'logLevel'),
]);

/** The variables that set a key, the one that wins first (empty when none does). */
export function variablesOf(key: string): string[] {
  return ENVIRONMENT.filter((e) => e.key === key).map((e) => e.variable).reverse();
}

/** The text of one variable in the shape its key takes. */
export function environmentValue(form: EnvironmentForm, text: string): unknown {
  const items = (): string[] => text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (form === 'list') return items();
  if (form === 'map') {
    return Object.fromEntries(
      items().map((pair) => {
        const at = pair.indexOf('=');
        return at < 0 ? [pair, ''] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
      }),
    );
  }
  return text;
}
