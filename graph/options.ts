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
