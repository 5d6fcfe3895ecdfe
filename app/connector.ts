import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import { Counter, Registry } from 'prom-client';
import { ConfigError, systemClock, type Clock, type Logger } from '../common/index.js';
import type { HycalConfig } from '../config/index.js';
import { createKeyring, type Keyring } from '../kms/index.js';
import { startOpsServer, type HealthSource, type OpsServer } from '../ops/index.js';
import { Runtime, RuntimeMetrics, defineTopology } from '../runtime/index.js';
import { TopicCodec, createSchemaRegistry } from '../schemas/index.js';
import { createAppContext } from './context.js';
import { GraphConnections, MongoTokenCacheStore, type AppRegistration, type GraphAccess } from '../graph/index.js';
import {
  buildWebhookApp,
  connectorOptionsSchema,
  createMailboxProcessor,
  KafkaNotificationSink,
  MongoSubscriptionLookup,
  ProvisioningStore,
  type ConnectorOptions,
  type ConnectorOptionsInput,
} from '../connectors/graph/index.js';

/**
 * The connector process, wired in one place (a composition root the `app/` area can take over):
 * the webhook receiver and/or the mailbox actors on the runtime, /metrics /healthz /readyz, and a
 * graceful stop (webhook closed first so no 202 is answered without Kafka, then the runtime drains).
 */
export interface RunningConnector {
  readonly webhookUrl: string | undefined;
  /** Its own /metrics /healthz /readyz, or undefined when it reports through the process's (`shared`). */
  readonly opsUrl: string | undefined;
  stop(): Promise<void>;
}

/** When the connector runs beside other roles (`hycal serve`): one metrics registry and one ops server. */
export interface SharedOps {
  readonly metrics: RuntimeMetrics;
  readonly sources: HealthSource[];
  /** The process's keyring (one per process: it leases key blocks and caches data keys). */
  readonly keyring?: Keyring;
}

export async function startConnector(config: HycalConfig, input: ConnectorOptionsInput, logger: Logger, shared?: SharedOps): Promise<RunningConnector> {
  const options: ConnectorOptions = connectorOptionsSchema.parse(input);
  const clock = systemClock;
  const prefix = config.stack.topicPrefix;
  const mongo = await MongoClient.connect(config.stack.mongodbUri);
  const db = mongo.db(config.stack.mongodbDatabase);
  const kafka = new Kafka({ clientId: 'hycal-connector', brokers: config.stack.kafkaBrokers.split(',').map((b) => b.trim()), logLevel: logLevel.NOTHING });
  const codec = await new TopicCodec(createSchemaRegistry(config.stack.schemaRegistryUrl), { prefix }).init();
  const metrics = shared?.metrics ?? new RuntimeMetrics(new Registry());
  const sources: HealthSource[] = shared?.sources ?? [];
  const stops: (() => Promise<void>)[] = [];
  let producer: Producer | undefined;
  let webhookUrl: string | undefined;
  let ops: OpsServer | undefined;
  try {
    if (options.webhook.enabled) {
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      const rejected = new Counter({ name: 'hycal_connector_webhook_rejected_total', help: 'Notifications dropped by the webhook, by reason', labelNames: ['reason'], registers: [metrics.registry] });
      const accepted = new Counter({ name: 'hycal_connector_webhook_accepted_total', help: 'Notifications written to graph.notifications.v1', registers: [metrics.registry] });
      const app = buildWebhookApp({
        options: options.webhook, clock, logger,
        lookup: new MongoSubscriptionLookup(db, clock),
        sink: new KafkaNotificationSink(producer, codec, `${prefix}graph.notifications.v1`),
        counters: { accepted: (n) => accepted.inc(n), rejected: (reason, n) => rejected.inc({ reason }, n) },
        ...(options.webhook.tls === undefined ? {} : { https: { key: options.webhook.tls.keyPem, cert: options.webhook.tls.certPem } }),
      });
      webhookUrl = await app.listen({ host: options.webhook.host, port: options.webhook.port });
      let open = true;
      sources.push({ health: () => ({ name: 'webhook', live: true, ready: open }) });
      const p = producer;
      stops.push(async () => {
        open = false;
        await app.close();
        await p.disconnect();
      });
    }
    if (options.mailboxes.enabled) {
      const notificationUrl = options.mailboxes.notificationUrl;
      const clientId = options.app.clientId;
      if (notificationUrl === undefined || clientId === undefined) {
        throw new ConfigError('connector.mailboxes needs notificationUrl (HYCAL_CONNECTOR_NOTIFICATION_URL) and app.clientId (HYCAL_CONNECTOR_CLIENT_ID).');
      }
      const own = shared?.keyring === undefined ? createKeyring({ db, options: config.kms, clock, logger }) : undefined;
      const keyring = shared?.keyring ?? own!.keyring;
      const closeKeyring = async (): Promise<void> => {
        await own?.close();
      };
      const tenants = tenantGraphs(options, db, keyring, clock);
      const runtime = new Runtime({
        topology: defineTopology({
          name: 'connector-mailboxes',
          inputs: [{ topic: 'graph.notifications.v1' }],
          stages: [createMailboxProcessor({
            keyring,
            options: { notificationUrl, settingsPollMs: options.mailboxes.settingsPollMs, reconcileMs: options.mailboxes.reconcileMs, deltaPageSize: options.mailboxes.deltaPageSize },
            graph: tenants,
          })],
          outputs: ['calendar.raw.v1', 'mailbox.settings.raw.v1'],
        }),
        kafka, db, codec, prefix, clock, logger, metrics, options: config.runtime,
      });
      await runtime.start();
      sources.push(runtime);
      stops.push(async () => {
        await runtime.stop();
        tenants.close();
        await closeKeyring();
      });
    }
    if (shared === undefined) ops = await startOpsServer({ host: config.ops.host, port: config.ops.port, registry: metrics.registry, sources, logger });
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await mongo.close();
    throw error;
  }
  const opsServer = ops;
  return {
    webhookUrl,
    opsUrl: opsServer?.url,
    async stop() {
      for (const stop of stops) await stop();
      await opsServer?.close();
      await mongo.close();
    },
  };
}

/**
 * App-only Graph per tenant: the tenant's own credential from provisioning, else the deployment's
 * app registration (`connector.app`). Shared by the connector's mailbox actors and write-back.
 */
export function tenantGraphs(options: ConnectorOptions, db: Db, keyring: Keyring, clock: Clock): { graphFor(tenantId: string): Promise<GraphAccess>; close(): void } {
  const clientId = options.app.clientId;
  const credential = options.app.certificate !== undefined
    ? { kind: 'certificate' as const, ...options.app.certificate }
    : options.app.clientSecret !== undefined ? { kind: 'secret' as const, clientSecret: options.app.clientSecret } : undefined;
  if (clientId === undefined) throw new ConfigError('Graph access needs app.clientId (HYCAL_CONNECTOR_CLIENT_ID).');
  if (credential === undefined) throw new ConfigError('connector.app needs a client secret (HYCAL_CONNECTOR_CLIENT_SECRET) or a certificate.');
  const registration: AppRegistration = { clientId, credential };
  const connections = new GraphConnections({ options: options.access, clock, tokenCache: new MongoTokenCacheStore(db, keyring, clock) });
  const store = new ProvisioningStore(db, keyring, clock);
  return {
    async graphFor(tenantId) {
      const tenant = await store.requireTenant(tenantId);
      const own = await store.openCredential(tenant);
      return connections.forTenant({ tenantId, cloud: tenant.cloud }, own === undefined ? registration : { clientId: tenant.clientId, credential: own });
    },
    close: () => connections.close(),
  };
}

/** Connector options from HYCAL_CONNECTOR_* variables (read here, in the composition root only). */
export function connectorOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): ConnectorOptionsInput {
  const list = (v: string | undefined): string[] | undefined => v?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const file = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : readFileSync(v, 'utf8'));
  const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
  const tlsKey = file(env['HYCAL_CONNECTOR_WEBHOOK_TLS_KEY_FILE']);
  const tlsCert = file(env['HYCAL_CONNECTOR_WEBHOOK_TLS_CERT_FILE']);
  const pick = <T extends Record<string, unknown>>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    webhook: pick({ port: num(env['HYCAL_CONNECTOR_WEBHOOK_PORT']), host: env['HYCAL_CONNECTOR_WEBHOOK_HOST'], ...(tlsKey !== undefined && tlsCert !== undefined ? { tls: { keyPem: tlsKey, certPem: tlsCert } } : {}) }),
    mailboxes: pick({ notificationUrl: env['HYCAL_CONNECTOR_NOTIFICATION_URL'], settingsPollMs: num(env['HYCAL_CONNECTOR_SETTINGS_POLL_MS']), reconcileMs: num(env['HYCAL_CONNECTOR_RECONCILE_MS']) }),
    ...(env['HYCAL_CONNECTOR_MODE'] === undefined ? {} : { deploymentMode: env['HYCAL_CONNECTOR_MODE'] as 'commercial' | 'government' }),
    app: pick({ clientId: env['HYCAL_CONNECTOR_CLIENT_ID'], clientSecret: env['HYCAL_CONNECTOR_CLIENT_SECRET'] }),
    access: pick({
      caPem: file(env['HYCAL_CONNECTOR_CA_FILE']), graphBaseUrl: env['HYCAL_CONNECTOR_GRAPH_BASE_URL'], authorityHost: env['HYCAL_CONNECTOR_AUTHORITY_HOST'],
      knownAuthorities: list(env['HYCAL_CONNECTOR_KNOWN_AUTHORITIES']), authorityMetadata: env['HYCAL_CONNECTOR_AUTHORITY_METADATA'],
    }),
  };
}

/** `hycal connector [--webhook-only | --mailboxes-only]`; stops gracefully on SIGTERM/SIGINT. */
export function registerConnectorCommand(program: Command): void {
  program
    .command('connector')
    .description('Run the Microsoft Graph connector: webhook receiver and mailbox actors (either alone with a flag)')
    .option('--webhook-only', 'run only the stateless webhook receiver')
    .option('--mailboxes-only', 'run only the mailbox actors')
    .action(async (flags: { webhookOnly?: boolean; mailboxesOnly?: boolean }) => {
      if (flags.webhookOnly === true && flags.mailboxesOnly === true) throw new ConfigError('Choose at most one of --webhook-only and --mailboxes-only.');
      const context = createAppContext();
      const config = context.config;
      const logger = context.logger('connector');
      const input = connectorOptionsFromEnv(context.env);
      const running = await startConnector(config, {
        ...input,
        webhook: { ...input.webhook, enabled: flags.mailboxesOnly !== true },
        mailboxes: { ...input.mailboxes, enabled: flags.webhookOnly !== true },
      }, logger);
      logger.info({ webhook: running.webhookUrl, ops: running.opsUrl }, 'connector started');
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          logger.info('connector stopping');
          void running.stop().then(resolve, (error: unknown) => {
            logger.error({ err: { name: (error as Error).name } }, 'connector stop failed');
            resolve();
          });
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
    });
}
