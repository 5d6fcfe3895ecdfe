import { z } from 'zod';

/** Simulator settings for configuration files and the CLI (composed by the lead into config/schema.ts). */
export const simGraphOptionsSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  /** Port per cloud; 0 picks a free port. */
  ports: z.strictObject({
    worldwide: z.number().int().min(0).max(65535).optional(),
    gcc: z.number().int().min(0).max(65535).optional(),
    gccHigh: z.number().int().min(0).max(65535).optional(),
    dod: z.number().int().min(0).max(65535).optional(),
    china: z.number().int().min(0).max(65535).optional(),
  }).default({}),
  clouds: z.array(z.enum(['worldwide', 'gcc', 'gccHigh', 'dod', 'china'])).min(1).default(['worldwide', 'gcc', 'gccHigh', 'dod', 'china']),
  tlsDir: z.string().optional(),
  throttle: z.strictObject({
    requestsPerWindow: z.number().int().positive().default(10_000),
    windowMs: z.number().int().positive().default(600_000),
    concurrent: z.number().int().positive().default(4),
  }).default({ requestsPerWindow: 10_000, windowMs: 600_000, concurrent: 4 }),
});

export type SimGraphOptions = z.infer<typeof simGraphOptionsSchema>;
