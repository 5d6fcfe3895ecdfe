import { z } from 'zod';

/**
 * Options of the Graph connector (validated once by the composition root; libraries receive the
 * parsed value). Hosts default to the documented Microsoft 365 endpoints of each tenant's cloud;
 * the overrides exist for a simulator or a sovereign proxy and are never inferred.
 */
export const graphAccessOptionsSchema = z.object({
  /** Extra trusted CA certificates (PEM) for Graph and the identity platform. */
  caPem: z.string().min(1).optional(),
  graphBaseUrl: z.string().url().optional(),
  authorityHost: z.string().url().optional(),
  knownAuthorities: z.array(z.string().min(1)).optional(),
  authorityMetadata: z.string().min(2).optional(),
  timeoutMs: z.number().int().positive().default(30_000),
  maxSocketsPerHost: z.number().int().positive().default(64),
  /** Outlook allows 4 concurrent requests per app and mailbox. */
  maxConcurrentPerMailbox: z.number().int().min(1).max(4).default(4),
  maxAttempts: z.number().int().min(1).max(20).default(6),
  /** Longest total wait (Retry-After and back-off) spent on one request before it fails typed. */
  maxWaitMs: z.number().int().positive().default(120_000),
  backoffInitialMs: z.number().int().positive().default(1_000),
  backoffMaxMs: z.number().int().positive().default(60_000),
  maxCachedClients: z.number().int().positive().default(10_000),
}).strict();

export type GraphAccessOptions = z.output<typeof graphAccessOptionsSchema>;
export type GraphAccessOptionsInput = z.input<typeof graphAccessOptionsSchema>;

/** Options of a connector process (`hycal connector`): its roles, the webhook and the mailbox actors. */
export const connectorOptionsSchema = z.object({
  webhook: z.object({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65_535).default(8_443),
    path: z.string().startsWith('/').default('/graph/notifications'),
    bodyLimitBytes: z.number().int().positive().default(1_048_576),
    maxRequestsPerSecond: z.number().int().positive().default(5_000),
    maxItemsPerRequest: z.number().int().positive().default(1_000),
    tls: z.object({ keyPem: z.string().min(1), certPem: z.string().min(1) }).optional(),
  }).strict().prefault({}),
  mailboxes: z.object({
    enabled: z.boolean().default(true),
    /** Public HTTPS URL Graph posts to (the load balancer in front of the webhook receivers). */
    notificationUrl: z.string().url().startsWith('https://').optional(),
    settingsPollMs: z.number().int().min(10_000).default(300_000),
    reconcileMs: z.number().int().min(60_000).default(1_800_000),
    deltaPageSize: z.number().int().min(10).max(1_000).default(200),
  }).strict().prefault({}),
  deploymentMode: z.enum(['commercial', 'government']).default('commercial'),
  app: z.object({
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    certificate: z.object({ privateKeyPem: z.string().min(1), thumbprintSha256: z.string().regex(/^[0-9a-fA-F]{64}$/) }).optional(),
  }).strict().prefault({}),
  access: graphAccessOptionsSchema.prefault({}),
}).strict();

export type ConnectorOptions = z.output<typeof connectorOptionsSchema>;
export type ConnectorOptionsInput = z.input<typeof connectorOptionsSchema>;
