import { z } from 'zod';
import { ConfigError } from '../common/errors.js';

/**
 * Configuration of kms/ (composed by the lead into config/schema.ts). Durations in milliseconds.
 * Validated once at start; a bad value fails naming the key.
 */
export const GCM_RANDOM_NONCE_LIMIT = 2 ** 32;

export const remoteKmsClientSchema = z.object({
  url: z
    .url()
    .refine((url) => url.startsWith('https://'), { message: 'must be an https:// URL (the on-premises KMS speaks only HTTPS with mutual TLS)' })
    .describe('HYCAL_KMS_REMOTE_URL: base URL of the on-premises KMS (https://host:port)'),
  caFile: z.string().min(1).describe('HYCAL_KMS_REMOTE_CA_FILE: PEM file of the CA that signed the KMS server certificate'),
  certFile: z.string().min(1).describe('HYCAL_KMS_REMOTE_CERT_FILE: PEM client certificate presented to the KMS (mutual TLS)'),
  keyFile: z.string().min(1).describe('HYCAL_KMS_REMOTE_KEY_FILE: PEM private key of the client certificate'),
  timeoutMs: z.number().int().min(100).max(120_000).default(5_000).describe('total time of one request (connect, handshake, answer), ms'),
  maxResponseBytes: z.number().int().min(1_024).max(1_048_576).default(64 * 1024).describe('largest answer accepted from the KMS, bytes'),
});

export const kmsOptionsSchema = z.object({
  masterKeyFile: z
    .string()
    .min(1)
    .optional()
    .describe('HYCAL_KMS_MASTER_KEY_FILE: file holding the built-in KMS master key (32 bytes, base64 or hex)'),
  previousMasterKeyFiles: z
    .array(z.string().min(1))
    .default([])
    .describe('HYCAL_KMS_PREVIOUS_MASTER_KEY_FILES: comma-separated files of earlier master keys, readable until `hycal kms rewrap-master` ran'),
  masterKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .default('HYCAL_KMS_MASTER_KEY')
    .describe('name of the environment variable holding the master key when no file is given'),
  database: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/)
    .default('hycal')
    .describe('MongoDB database holding wrapped keys (collections kms_keychains, kms_data_keys, kms_tenant_keys)'),
  defaultProvider: z.enum(['cloud', 'remote']).default('cloud').describe('KMS used by tenants not listed in tenantProviders'),
  tenantProviders: z
    .record(z.string().min(1), z.enum(['cloud', 'remote']))
    .default({})
    .describe('per-tenant KMS choice: tenantId → cloud | remote (Hybrid Data Security mode)'),
  remote: remoteKmsClientSchema.optional(),
  dataKeyMaxUses: z
    .number()
    .int()
    .min(1)
    .max(GCM_RANDOM_NONCE_LIMIT)
    .default(2 ** 30)
    .describe('encryptions per data key before automatic rotation (random 96-bit nonces: at most 2^32, NIST SP 800-38D)'),
  dataKeyMaxAgeMs: z
    .number()
    .int()
    .min(60_000)
    .default(30 * 24 * 60 * 60 * 1000)
    .describe('age after which a data key is rotated automatically, ms'),
  reserveBlock: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(4_096)
    .describe('encryptions reserved from the shared per-key counter at a time by one process'),
  cacheTtlMs: z.number().int().min(0).max(24 * 60 * 60 * 1000).default(5 * 60 * 1000).describe('lifetime of an unwrapped data key in memory, ms'),
  cacheMaxEntries: z.number().int().min(1).max(1_000_000).default(10_000).describe('most unwrapped data keys held in memory'),
});

export type KmsOptionsInput = z.input<typeof kmsOptionsSchema>;
export type KmsOptions = z.output<typeof kmsOptionsSchema>;
export type RemoteKmsClientOptions = z.output<typeof remoteKmsClientSchema>;

/** Options of `hycal kms serve`, the on-premises KMS. */
export const kmsServerOptionsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1').describe('listen address'),
  port: z.number().int().min(0).max(65_535).default(8_443).describe('listen port (0: any free port)'),
  masterKeyFile: z.string().min(1).optional().describe('file holding this KMS master key (32 bytes, base64 or hex)'),
  masterKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('HYCAL_KMS_SERVER_MASTER_KEY'),
  previousMasterKeyFiles: z.array(z.string().min(1)).default([]).describe('earlier master keys; tenant keys are re-wrapped under the current one at start'),
  dataDir: z.string().min(1).describe('directory holding the tenant keys, wrapped by the master key'),
  certFile: z.string().min(1).describe('PEM server certificate'),
  keyFile: z.string().min(1).describe('PEM server private key'),
  caFile: z.string().min(1).describe('PEM CA whose client certificates are accepted (mutual TLS)'),
  clients: z
    .record(z.string().min(1).max(256), z.array(z.string().min(1).max(256)).min(1))
    .default({})
    .describe('client identity (certificate common name) → tenants it may use (`*`: every tenant); required unless allowAnyClient'),
  adminClients: z.array(z.string().min(1).max(256)).default([]).describe('identities that may delete (crypto-shred) tenant keys; nothing else'),
  allowAnyClient: z.boolean().default(false).describe('explicit opt-out of the allowlist: any certificate of the CA may use every tenant'),
  rateLimitPerSecond: z.number().int().min(1).max(1_000_000).default(500).describe('requests per second per client identity (burst twice that)'),
  bodyLimitBytes: z.number().int().min(1_024).max(1_048_576).default(16 * 1024).describe('largest request body, bytes'),
});

export type KmsServerOptionsInput = z.input<typeof kmsServerOptionsSchema>;
export type KmsServerOptions = z.output<typeof kmsServerOptionsSchema>;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * kms options from environment variables (the lead maps them in config/schema.ts; the CLI reads
 * them directly): HYCAL_KMS_MASTER_KEY_FILE, HYCAL_KMS_DATABASE, HYCAL_KMS_DEFAULT_PROVIDER,
 * HYCAL_KMS_TENANT_PROVIDERS (tenantA=remote,tenantB=cloud), HYCAL_KMS_REMOTE_URL,
 * HYCAL_KMS_REMOTE_CA_FILE, HYCAL_KMS_REMOTE_CERT_FILE, HYCAL_KMS_REMOTE_KEY_FILE.
 */
/** Maps the HYCAL_KMS_* environment variables onto the KMS options' keys (not yet validated). */
export function kmsInputFromEnv(env: Env = process.env): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') input[key] = value;
  };
  set('masterKeyFile', env['HYCAL_KMS_MASTER_KEY_FILE']);
  const previous = env['HYCAL_KMS_PREVIOUS_MASTER_KEY_FILES'];
  if (previous !== undefined && previous !== '') input['previousMasterKeyFiles'] = previous.split(',').map((file) => file.trim());
  set('database', env['HYCAL_KMS_DATABASE'] ?? env['MONGODB_DATABASE']);
  set('defaultProvider', env['HYCAL_KMS_DEFAULT_PROVIDER']);
  const tenants = env['HYCAL_KMS_TENANT_PROVIDERS'];
  if (tenants !== undefined && tenants !== '') {
    input['tenantProviders'] = Object.fromEntries(tenants.split(',').map((pair) => pair.split('=').map((part) => part.trim())));
  }
  if (env['HYCAL_KMS_REMOTE_URL'] !== undefined && env['HYCAL_KMS_REMOTE_URL'] !== '') {
    input['remote'] = {
      url: env['HYCAL_KMS_REMOTE_URL'],
      caFile: env['HYCAL_KMS_REMOTE_CA_FILE'],
      certFile: env['HYCAL_KMS_REMOTE_CERT_FILE'],
      keyFile: env['HYCAL_KMS_REMOTE_KEY_FILE'],
    };
  }
  return input;
}

export function kmsOptionsFromEnv(env: Env = process.env, overrides: KmsOptionsInput = {}): KmsOptions {
  const input = kmsInputFromEnv(env);
  const parsed = kmsOptionsSchema.safeParse({ ...input, ...overrides });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `kms.${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid KMS configuration. ${problems.join('; ')}`);
  }
  return parsed.data;
}
