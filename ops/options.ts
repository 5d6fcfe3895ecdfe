import { z } from 'zod';

/** Where a worker process serves /metrics, /healthz and /readyz. */
export const opsOptionsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1').describe('listen address of /metrics, /healthz and /readyz (0.0.0.0 to be scraped from elsewhere)'),
  port: z.coerce.number().int().min(0).max(65_535).default(9_464).describe('listen port of /metrics, /healthz and /readyz (0: any free port)'),
});

export type OpsOptions = z.output<typeof opsOptionsSchema>;
