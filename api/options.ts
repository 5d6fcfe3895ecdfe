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
  /**
   * How long a verified service token is trusted without reading its record again. A revocation
   * through this process applies at once, one through another API process within this time.
   */
  tokenCacheMs: z.number().int().min(0).max(60_000).default(5_000),
  /**
   * How long a tenant's organisation (the tenant check of every route) is reused without asking
   * the provisioning again; unknown tenants are not remembered, a consent through this process
   * applies at once, a change through another process within this time.
   */
  tenantCacheMs: z.number().int().min(0).max(60_000).default(5_000),
});

export type ApiOptionsInput = z.input<typeof apiOptionsSchema>;
export type ApiOptions = z.output<typeof apiOptionsSchema>;

/**
 * The `api` section of the service configuration (`hycal serve --role api`): where it listens and
 * what the composition root builds `ApiOptions` and the provisioning from. Secrets come from files
 * or variables, never from the configuration file's defaults.
 */
export const apiServiceConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1').describe('listen address of the API and pages'),
  port: z.coerce.number().int().min(0).max(65_535).default(8_080).describe('listen port of the API and pages (0: any free port)'),
  publicBaseUrl: z.url().optional().describe('public origin of the API, e.g. https://calendar.example.com (redirect URIs are built from it); default http://host:port'),
  cookieSecret: z.string().min(32).optional().describe('secret (≥ 32 characters) signing session cookies and consent state; or cookieSecretFile'),
  cookieSecretFile: z.string().optional().describe('file holding the cookie secret'),
  orgId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('default').describe('the organisation this deployment serves (tokens and settings are scoped to it)'),
  admins: z.array(z.string().min(3)).default([]).describe('sign-in names (UPN) of the administrators who may open the admin pages'),
  cloud: z.enum(['worldwide', 'gcc', 'gccHigh', 'dod', 'china']).default('worldwide').describe('cloud of the tenants added by "Set up Microsoft 365"'),
  oidcAuthorityUrl: z.url().optional().describe("identity platform host for administrator and user sign-in (no tenant); default the connector's authority host, else the cloud's login host"),
  oidcTenant: z.string().min(1).default('organizations').describe('tenant segment of sign-in: organizations or a tenant id'),
  oidcClientId: z.string().optional().describe("app (client) id for sign-in; default the connector's (HYCAL_CONNECTOR_CLIENT_ID)"),
  oidcClientSecret: z.string().optional().describe("client secret for sign-in; default the connector's (HYCAL_CONNECTOR_CLIENT_SECRET)"),
  oidcCaFile: z.string().optional().describe('PEM file of extra CAs trusted for the identity platform'),
  rateLimitMax: z.coerce.number().int().positive().default(600).describe('requests per client address per rate-limit window'),
  rateLimitWindowMs: z.coerce.number().int().positive().default(60_000).describe('rate-limit window, ms'),
  bodyLimitBytes: z.coerce.number().int().positive().max(1_048_576).default(65_536).describe('largest accepted request body, bytes'),
  tokenCacheMs: z.coerce.number().int().min(0).max(60_000).default(5_000)
    .describe('how long a verified service token is trusted without reading api_state again, ms (0: every request reads it); a revocation through another API process applies within this time'),
  tenantCacheMs: z.coerce.number().int().min(0).max(60_000).default(5_000)
    .describe("how long a tenant's organisation is reused for the tenant check of each request without reading connector_tenants again, ms (0: every request reads it); unknown tenants are not remembered; a consent through another API process applies within this time"),
  viewCacheMs: z.coerce.number().int().min(0).max(60_000).default(1_000)
    .describe("how long a meeting list reuses a user's stored (still encrypted) day documents, ms (0: every list reads the views); a view change shows in lists within this time"),
});

export type ApiServiceConfig = z.output<typeof apiServiceConfigSchema>;
