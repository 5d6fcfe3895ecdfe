import { z } from 'zod';

/** Write-back options (validated by the composition root). */
export const writebackOptionsSchema = z.object({
  enabled: z.boolean().default(true).describe('Whether `hycal serve` runs write-back in its processors role (it needs the connector\'s app registration, HYCAL_CONNECTOR_CLIENT_ID and a secret or certificate)'),
  maxConflictRetries: z.coerce.number().int().min(0).max(20).default(5).describe('Re-reads and retries after a 412 (the event changed between read and write) before the meeting is marked failed'),
  transientRetries: z.coerce.number().int().min(0).max(30).default(8).describe('Retries, on a durable timer, of a write Graph could not take for now (unavailable, throttled beyond its budget) before the meeting is marked failed and dead-lettered; meanwhile it shows as retrying'),
  transientRetryMs: z.coerce.number().int().min(1_000).default(60_000).describe('First wait before such a retry, ms; doubles each time up to 30 minutes'),
  settingsCacheMs: z.coerce.number().int().min(0).default(60_000).describe('How long an org\'s write-back settings are cached, ms'),
  profileCacheMs: z.coerce.number().int().min(0).default(600_000).describe('How long a mailbox\'s address and language.locale are cached, ms'),
  defaultSiteDomain: z.string().regex(/^[a-z0-9.-]+$/i).optional().describe('Meeting site domain of the built-in provider for orgs that set none (e.g. example.webex.com); without either, keyword meetings are marked not-configured'),
});

export type WritebackOptions = z.output<typeof writebackOptionsSchema>;
export type WritebackOptionsInput = z.input<typeof writebackOptionsSchema>;
