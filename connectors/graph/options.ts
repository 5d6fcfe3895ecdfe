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
    /** Kafka producers of the receiver; a mailbox keeps to one, and their produces are in flight together. */
    producers: z.number().int().min(1).max(16).default(1),
    /** Most notifications waiting for Kafka (queued or in flight) before the receiver answers 503. */
    maxHeldRecords: z.number().int().positive().default(10_000),
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

/**
 * The `connector` section of the service configuration (`hycal connector`, `hycal serve --role
 * webhook|connector`, and the app registration the API and write-back share): flat keys with one
 * environment variable each (config/environment.ts). Secrets and PEMs come from files named here;
 * the composition root reads them and builds `ConnectorOptionsInput`. The defaults here repeat
 * connectorOptionsSchema's so that docs/configuration.md can list them; a unit test keeps the two equal.
 */
export const connectorServiceConfigSchema = z.object({
  webhookHost: z.string().min(1).default('0.0.0.0').describe('listen address of the webhook receiver'),
  webhookPort: z.coerce.number().int().min(0).max(65_535).default(8_443).describe('listen port of the webhook receiver (0: any free port)'),
  webhookTlsKeyFile: z.string().optional().describe('PEM private key file for HTTPS on the webhook (with webhookTlsCertFile); plain HTTP behind a TLS-terminating load balancer otherwise'),
  webhookTlsCertFile: z.string().optional().describe('PEM certificate chain file for HTTPS on the webhook'),
  webhookMaxRequestsPerSecond: z.coerce.number().int().positive().default(5_000).describe('notification requests per second the webhook answers before 429 (per receiver)'),
  webhookMaxHeldRecords: z.coerce.number().int().positive().default(10_000).describe('most notifications a webhook receiver holds waiting for Kafka (queued or in flight) before it answers 503 (Graph redelivers)'),
  webhookProducers: z.coerce.number().int().min(1).max(16).default(1).describe('Kafka producers of a webhook receiver: each mailbox keeps to one (its order holds) and their produces are in flight at the same time'),
  notificationUrl: z.string().url().startsWith('https://').optional().describe('public HTTPS URL Graph posts notifications to (the load balancer in front of the webhook receivers); needed by the connector role'),
  settingsPollMs: z.coerce.number().int().min(10_000).default(300_000).describe('how often each mailbox\'s settings (automatic replies, language, time zone) are polled, ms'),
  reconcileMs: z.coerce.number().int().min(60_000).default(1_800_000).describe('how often each mailbox is reconciled with a delta round, ms'),
  deltaPageSize: z.coerce.number().int().min(10).max(1_000).default(200).describe('events per calendarView/delta page (odata.maxpagesize)'),
  fetchBatchMs: z.coerce.number().int().min(0).max(60_000).default(1_000).describe('notified changes of a mailbox gather this long and are re-read together ($batch), ms; 0: one GET each at once'),
  mode: z.enum(['commercial', 'government']).default('commercial').describe('commercial accepts worldwide and GCC tenants; government accepts GCC High'),
  clientId: z.string().min(1).optional().describe('application (client) id of the service\'s app registration in Microsoft Entra ID'),
  clientSecret: z.string().min(1).optional().describe('client secret of the app registration (or certificateKeyFile)'),
  certificateKeyFile: z.string().optional().describe('PEM private key file of the app registration\'s certificate credential (with certificateThumbprint)'),
  certificateThumbprint: z.string().regex(/^[0-9a-fA-F]{64}$/).optional().describe('SHA-256 thumbprint (hex) of the certificate credential'),
  caFile: z.string().optional().describe('PEM file of extra CAs trusted for Graph and the identity platform (a proxy or the simulator)'),
  graphBaseUrl: z.string().url().optional().describe('Graph base URL override; default each tenant\'s cloud endpoint'),
  authorityHost: z.string().url().optional().describe('identity platform host override; default each tenant\'s cloud login host'),
  knownAuthorities: z.array(z.string().min(1)).optional().describe('authority hosts msal trusts without instance discovery (with authorityHost)'),
  authorityMetadata: z.string().min(2).optional().describe('OpenID metadata JSON for the authority, so msal makes no discovery request'),
}).strict();

export type ConnectorServiceConfig = z.output<typeof connectorServiceConfigSchema>;
