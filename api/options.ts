import { z } from 'zod';

/** Options of the HTTP API and pages; compiled by the composition root, validated once. */
export const apiOptionsSchema = z.object({
  /** The service's public origin, e.g. https://calendar.example.com (redirect URIs are built from it). */
  publicBaseUrl: z.url(),
  /** Secret (≥ 32 chars) signing the session cookies. */
  cookieSecret: z.string().min(32),
  oidc: z.object({
    /** Identity platform authority host, e.g. https://login.microsoftonline.com (no tenant). */
    authorityUrl: z.url(),
    /** Tenant segment for sign-in: `organizations` (any work account) or a tenant id. */
    tenant: z.string().min(1).default('organizations'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    /** PEM of extra CAs to trust for the identity platform (the simulator's CA in tests). */
    caPem: z.string().optional(),
  }),
  /** Delegated scopes asked for by "Connect your Microsoft 365 calendar". */
  connectScopes: z.array(z.string()).default(['offline_access', 'Calendars.ReadWrite', 'MailboxSettings.ReadWrite']),
  sessionTtlMs: z.number().int().positive().default(8 * 3_600_000),
  /** Lifetime of a pending sign-in (state, nonce, PKCE verifier). */
  signInTtlMs: z.number().int().positive().default(10 * 60_000),
  rateLimit: z.object({ max: z.number().int().positive().default(600), windowMs: z.number().int().positive().default(60_000) }).default({ max: 600, windowMs: 60_000 }),
  bodyLimitBytes: z.number().int().positive().max(1_048_576).default(65_536),
  /** Longest accepted URL (path + query), bytes. */
  maxUrlLength: z.number().int().positive().default(2048),
  /** Longest meeting-list or booking range. */
  maxRangeDays: z.number().int().positive().max(62).default(38),
  /** How often the OBTP stream checks the view for a new version and sends a keep-alive. */
  streamPollMs: z.number().int().positive().default(1000),
  streamKeepAliveMs: z.number().int().positive().default(15_000),
  statusPageSize: z.number().int().min(10).max(500).default(50),
});

export type ApiOptionsInput = z.input<typeof apiOptionsSchema>;
export type ApiOptions = z.output<typeof apiOptionsSchema>;
