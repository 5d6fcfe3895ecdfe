import { z } from 'zod';
import { graphAccessOptionsSchema } from '../../graph/index.js';

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
    /** Notified changes of a mailbox gather this long and are re-read together ($batch); 0: one GET each at once. */
    fetchBatchMs: z.number().int().min(0).max(60_000).default(1_000),
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
