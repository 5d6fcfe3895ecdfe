import { z } from 'zod';

/**
 * Options of kms/, a section of the one configuration schema (config/): the composition root
 * validates them once and hands kms/ the result. Durations in milliseconds.
 */
export const GCM_RANDOM_NONCE_LIMIT = 2 ** 32;

export const remoteKmsClientSchema = z.object({
  url: z
    .url()
    .refine((url) => url.startsWith('https://'), { message: 'must be an https:// URL (the on-premises KMS speaks only HTTPS with mutual TLS)' })
    .describe('base URL of the on-premises KMS (https://host:port)'),
  caFile: z.string().min(1).describe('PEM file of the CA that signed the KMS server certificate'),
  certFile: z.string().min(1).describe('PEM client certificate presented to the KMS (mutual TLS)'),
  keyFile: z.string().min(1).describe('PEM private key of the client certificate'),
  timeoutMs: z.number().int().min(100).max(120_000).default(5_000).describe('total time of one request (connect, handshake, answer), ms'),
  maxResponseBytes: z.number().int().min(1_024).max(1_048_576).default(64 * 1024).describe('largest answer accepted from the KMS, bytes'),
});

export const kmsOptionsSchema = z.object({
  masterKeyFile: z
    .string()
    .min(1)
    .optional()
    .describe('file holding the built-in KMS master key (32 bytes, base64 or hex)'),
  previousMasterKeyFiles: z
    .array(z.string().min(1))
    .default([])
    .describe('comma-separated files of earlier master keys, readable until `hycal kms rewrap-master` ran'),
  masterKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .default('HYCAL_KMS_MASTER_KEY')
    .describe('name of the environment variable holding the master key when no file is given'),
  database: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/)
    .default('hycal')
    .describe('MongoDB database holding wrapped keys (collections kms_keychains, kms_data_keys, kms_tenant_keys); unset, the service database (stack.mongodbDatabase)'),
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

/**
 * Every option at its default. kms/ never validates options itself: the composition root hands it
 * the configuration's `kms` section; code without a configuration (tests, benchmarks) gives the
 * options it cares about and the rest come from here.
 */
export const KMS_DEFAULTS: KmsOptions = Object.freeze(kmsOptionsSchema.parse({}));

/** Given options over the defaults (no validation: the options come validated or from code). */
export function withDefaults(options: KmsOptionsInput = {}): KmsOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return { ...KMS_DEFAULTS, ...given };
}

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
