import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Kafka, Producer } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { Counter, Registry } from 'prom-client';
import { ConfigError, type Clock } from '../common/index.js';
import type { Keyring } from '../kms/index.js';
import type { HealthSource, OpsServer } from '../ops/index.js';
import { RuntimeMetrics, createKeyPartitioner, defineTopology } from '../runtime/index.js';
import type { TopicCodec } from '../schemas/index.js';
import { createAppContext, type AppContext } from './context.js';
import { buildCodec, buildKafka, buildKeyring, buildRuntime, connectMongo, serviceDb, startOps } from './wiring.js';
import { GraphConnections, MongoTokenCacheStore, type AppRegistration, type GraphAccess } from '../graph/index.js';
import {
  buildWebhookApp,
  connectorOptionsSchema,
  createMailboxProcessor,
  KafkaNotificationSink,
  MongoSubscriptionLookup,
  ProvisionedGraphResolver,
  ProvisioningStore,
  type ConnectorOptions,
  type ConnectorOptionsInput,
  type ConnectorServiceConfig,
} from '../connectors/graph/index.js';

/**
 * The connector process, wired in one place: the webhook receiver and/or the mailbox actors on the
 * runtime, /metrics /healthz /readyz, and a graceful stop (webhook closed first so no 202 is
 * answered without Kafka, then the runtime drains). Clients come from the composition root's
 * builders (app/wiring.ts); whatever the caller hands over (`hycal serve`: one MongoDB client,
 * Kafka client, codec and keyring per process) is used as is and left open on stop.
 */
export interface RunningConnector {
  readonly webhookUrl: string | undefined;
  /** Its own /metrics /healthz /readyz, or undefined when it reports through the process's (`shared`). */
  readonly opsUrl: string | undefined;
  stop(): Promise<void>;
}

/** What a process already holds and shares with the connector; every part optional. */
export interface SharedOps {
  /** One registry and one ops server for the process (then the connector starts no ops server). */
  readonly metrics?: RuntimeMetrics;
  readonly sources?: HealthSource[];
  /** The process's keyring (one per process: it leases key blocks and caches data keys). */
  readonly keyring?: Keyring;
  /** The process's MongoDB client (the service database is `stack.mongodbDatabase`). */
  readonly mongo?: MongoClient;
  readonly kafka?: Kafka;
  readonly codec?: TopicCodec;
  /**
   * The process's Graph connections (one per process: one HTTPS transport, one set of per-mailbox
   * concurrency gates and throttling state, one token cache), shared with write-back and the API.
   */
  readonly connections?: GraphConnections;
}

/** The process's one Graph connection pool, built from the connector's access options (left open: the caller closes it). */
export function buildGraphConnections(context: AppContext, options: ConnectorOptions, db: Db, keyring: Keyring): GraphConnections {
  return new GraphConnections({ options: options.access, clock: context.clock, tokenCache: new MongoTokenCacheStore(db, keyring, context.clock) });
}

function appRegistration(options: ConnectorOptions): AppRegistration {
  const clientId = options.app.clientId;
  if (clientId === undefined) throw new ConfigError('connector.mailboxes needs app.clientId (HYCAL_CONNECTOR_CLIENT_ID).');
  const credential = options.app.certificate !== undefined
    ? { kind: 'certificate' as const, ...options.app.certificate }
    : options.app.clientSecret !== undefined ? { kind: 'secret' as const, clientSecret: options.app.clientSecret } : undefined;
  if (credential === undefined) throw new ConfigError('connector.app needs a client secret (HYCAL_CONNECTOR_CLIENT_SECRET) or a certificate (HYCAL_CONNECTOR_CERTIFICATE_KEY_FILE and HYCAL_CONNECTOR_CERTIFICATE_THUMBPRINT).');
  return { clientId, credential };
}

export async function startConnector(context: AppContext, input: ConnectorOptionsInput, shared: SharedOps = {}): Promise<RunningConnector> {
  const options: ConnectorOptions = connectorOptionsSchema.parse(input);
  const { clock } = context;
  const logger = context.logger('connector');
  const prefix = context.config.stack.topicPrefix;
  const stops: (() => Promise<void>)[] = [];
  let closeWebhook: (() => Promise<void>) | undefined;
  let webhookUrl: string | undefined;
  let ops: OpsServer | undefined;
  try {
    // Clients the caller did not hand over are built here and closed on stop (last).
    let mongo = shared.mongo;
    if (mongo === undefined) {
      const own = await connectMongo(context);
      mongo = own;
      stops.push(() => own.close());
    }
    const db = serviceDb(context, mongo);
    const kafka = shared.kafka ?? buildKafka(context, 'hycal-connector');
    const codec = shared.codec ?? await buildCodec(context);
    const metrics = shared.metrics ?? new RuntimeMetrics(new Registry());
    const sources: HealthSource[] = shared.sources ?? [];
    if (options.webhook.enabled) {
      const producers: Producer[] = [];
      for (let i = 0; i < options.webhook.producers; i += 1) {
        const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: createKeyPartitioner });
        await producer.connect();
        producers.push(producer);
        stops.push(() => producer.disconnect());
      }
      const rejected = new Counter({ name: 'hycal_connector_webhook_rejected_total', help: 'Notifications dropped by the webhook, by reason', labelNames: ['reason'], registers: [metrics.registry] });
      const accepted = new Counter({ name: 'hycal_connector_webhook_accepted_total', help: 'Notifications written to graph.notifications.v1', registers: [metrics.registry] });
      const app = buildWebhookApp({
        options: options.webhook, clock, logger,
        lookup: new MongoSubscriptionLookup(db, clock),
        sink: new KafkaNotificationSink(producers, codec, `${prefix}graph.notifications.v1`, { maxHeldRecords: options.webhook.maxHeldRecords }),
        counters: { accepted: (n) => accepted.inc(n), rejected: (reason, n) => rejected.inc({ reason }, n) },
        ...(options.webhook.tls === undefined ? {} : { https: { key: options.webhook.tls.keyPem, cert: options.webhook.tls.certPem } }),
      });
      webhookUrl = await app.listen({ host: options.webhook.host, port: options.webhook.port });
      let open = true;
      sources.push({ health: () => ({ name: 'webhook', live: true, ready: open }) });
      closeWebhook = async () => {
        open = false;
        await app.close();
      };
    }
    if (options.mailboxes.enabled) {
      const notificationUrl = options.mailboxes.notificationUrl;
      if (notificationUrl === undefined) throw new ConfigError('connector.mailboxes needs notificationUrl (HYCAL_CONNECTOR_NOTIFICATION_URL).');
      const registration = appRegistration(options);
      let keyring = shared.keyring;
      if (keyring === undefined) {
        const own = buildKeyring(context, mongo);
        keyring = own.keyring;
        stops.push(own.close);
      }
      let connections = shared.connections;
      if (connections === undefined) {
        const own = buildGraphConnections(context, options, db, keyring);
        connections = own;
        stops.push(() => Promise.resolve(own.close()));
      }
      const resolver = new ProvisionedGraphResolver({ store: new ProvisioningStore(db, keyring, clock), connections, registration });
      const runtime = buildRuntime(context, {
        topology: defineTopology({
          name: 'connector-mailboxes',
          inputs: [{ topic: 'graph.notifications.v1' }],
          stages: [createMailboxProcessor({
            keyring,
            options: { notificationUrl, settingsPollMs: options.mailboxes.settingsPollMs, reconcileMs: options.mailboxes.reconcileMs, deltaPageSize: options.mailboxes.deltaPageSize, fetchBatchMs: options.mailboxes.fetchBatchMs },
            graph: resolver,
          })],
          outputs: ['calendar.raw.v1', 'mailbox.settings.raw.v1'],
        }),
        kafka, db, codec, metrics,
      });
      await runtime.start();
      sources.push(runtime);
      stops.push(() => runtime.stop());
    }
    if (shared.metrics === undefined) ops = await startOps(context, { registry: metrics.registry, sources });
  } catch (error) {
    await closeWebhook?.().catch(() => undefined);
    for (const stop of [...stops].reverse()) await stop().catch(() => undefined);
    throw error;
  }
  const opsServer = ops;
  const webhookStop = closeWebhook;
  return {
    webhookUrl,
    opsUrl: opsServer?.url,
    async stop() {
      // Webhook first (no 202 without Kafka), then the runtime drains, then what this call built.
      await webhookStop?.();
      for (const stop of [...stops].reverse()) await stop();
      await opsServer?.close();
    },
  };
}

/**
 * App-only Graph per tenant, for write-back (which edits the organizer's event with the tenant's
 * application grant): the tenant's own credential from provisioning, else the deployment's app
 * registration (`connector.app`). On the process's connections, so write-back's writes and the
 * connector's reads of one mailbox share its concurrency gate and throttling state.
 */
export function tenantGraphs(options: ConnectorOptions, db: Db, keyring: Keyring, clock: Clock, connections: GraphConnections): { graphFor(tenantId: string): Promise<GraphAccess> } {
  const registration = appRegistration(options);
  const store = new ProvisioningStore(db, keyring, clock);
  return {
    async graphFor(tenantId) {
      const tenant = await store.requireTenant(tenantId);
      const own = await store.openCredential(tenant);
      return connections.forTenant({ tenantId, cloud: tenant.cloud }, own === undefined ? registration : { clientId: tenant.clientId, credential: own });
    },
  };
}

/**
 * Connector options from the `connector` section of the configuration (HYCAL_CONNECTOR_* variables,
 * config/environment.ts): the files it names (TLS, certificate key, CA) are read here, in the
 * composition root only.
 */
export function connectorOptionsFromConfig(config: ConnectorServiceConfig): ConnectorOptionsInput {
  const file = (path: string | undefined): string | undefined => (path === undefined || path === '' ? undefined : readFileSync(path, 'utf8'));
  const tlsKey = file(config.webhookTlsKeyFile);
  const tlsCert = file(config.webhookTlsCertFile);
  if ((tlsKey === undefined) !== (tlsCert === undefined)) throw new ConfigError('Webhook TLS needs both connector.webhookTlsKeyFile (HYCAL_CONNECTOR_WEBHOOK_TLS_KEY_FILE) and connector.webhookTlsCertFile (HYCAL_CONNECTOR_WEBHOOK_TLS_CERT_FILE).');
  // Certificate credential: the PEM private key and the certificate's SHA-256 thumbprint (hex).
  const certificateKey = file(config.certificateKeyFile);
  if (certificateKey !== undefined && config.certificateThumbprint === undefined) throw new ConfigError('A certificate credential needs connector.certificateThumbprint (HYCAL_CONNECTOR_CERTIFICATE_THUMBPRINT) with its key file.');
  const pick = <T extends Record<string, unknown>>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    webhook: {
      host: config.webhookHost, port: config.webhookPort, maxRequestsPerSecond: config.webhookMaxRequestsPerSecond, producers: config.webhookProducers, maxHeldRecords: config.webhookMaxHeldRecords,
      ...(tlsKey !== undefined && tlsCert !== undefined ? { tls: { keyPem: tlsKey, certPem: tlsCert } } : {}),
    },
    mailboxes: pick({ notificationUrl: config.notificationUrl, settingsPollMs: config.settingsPollMs, reconcileMs: config.reconcileMs, deltaPageSize: config.deltaPageSize, fetchBatchMs: config.fetchBatchMs }),
    deploymentMode: config.mode,
    app: pick({
      clientId: config.clientId, clientSecret: config.clientSecret,
      ...(certificateKey === undefined || config.certificateThumbprint === undefined ? {} : { certificate: { privateKeyPem: certificateKey, thumbprintSha256: config.certificateThumbprint } }),
    }),
    access: pick({
      caPem: file(config.caFile), graphBaseUrl: config.graphBaseUrl, authorityHost: config.authorityHost,
      knownAuthorities: config.knownAuthorities, authorityMetadata: config.authorityMetadata,
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
      const logger = context.logger('connector');
      const input = connectorOptionsFromConfig(context.config.connector);
      const running = await startConnector(context, {
        ...input,
        webhook: { ...input.webhook, enabled: flags.mailboxesOnly !== true },
        mailboxes: { ...input.mailboxes, enabled: flags.webhookOnly !== true },
      });
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
