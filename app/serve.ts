import { Registry } from 'prom-client';
import { ConfigError } from '../common/index.js';
import { connectorOptionsSchema, type ConnectorOptionsInput } from '../connectors/graph/index.js';
import type { Kafka } from 'kafkajs';
import type { Db } from 'mongodb';
import type { GraphConnections } from '../graph/index.js';
import type { Keyring } from '../kms/index.js';
import type { HealthSource, OpsServer } from '../ops/index.js';
import { createParseProcessor } from '../processors/parse/index.js';
import { RuntimeMetrics, type Runtime } from '../runtime/index.js';
import { provisionTopics, type TopicCodec } from '../schemas/index.js';
import { startApiRole } from './api.js';
import { buildGraphConnections, startConnector, tenantGraphs } from './connector.js';
import type { AppContext } from './context.js';
import { definePipelineTopologies } from './topologies-pipeline.js';
import { defineMeetingsTopology } from './topologies.js';
import { buildCodec, buildKafka, buildKeyring, buildRuntime, connectMongo, serviceDb, startOps } from './wiring.js';

/**
 * `hycal serve`: the service's roles in one process (a small organisation) or any of them alone
 * (scale-out), wired from the one configuration:
 * - `webhook`: the stateless Graph change-notification receiver (→ graph.notifications.v1);
 * - `connector`: the mailbox actors (subscriptions, delta sync, settings polls → raw topics);
 * - `processors`: parse → encrypt (→ calendar.meetings.v1), obtp, ooo, materialize and writeback
 *   (writeback needs the connector's app registration for Graph);
 * - `api`: the HTTP API and pages (app/api.ts).
 * One /metrics /healthz /readyz for the process; `stop()` drains every role (webhook first, so no
 * 202 is answered without Kafka behind it).
 */
export const SERVE_ROLES = ['webhook', 'connector', 'processors', 'api'] as const;
export type ServeRole = (typeof SERVE_ROLES)[number];
/** What `hycal serve` runs without `--role`: every role. */
export const DEFAULT_SERVE_ROLES: readonly ServeRole[] = ['webhook', 'connector', 'processors', 'api'];

export interface RunningService {
  readonly roles: readonly ServeRole[];
  readonly opsUrl: string;
  readonly webhookUrl: string | undefined;
  readonly apiUrl: string | undefined;
  stop(): Promise<void>;
}

export function parseRoles(values: readonly string[]): ServeRole[] {
  const roles = new Set<ServeRole>();
  for (const value of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')) {
    if (!(SERVE_ROLES as readonly string[]).includes(value)) throw new ConfigError(`--role ${value}: not a role; choose from ${SERVE_ROLES.join(', ')}.`);
    roles.add(value as ServeRole);
  }
  return roles.size === 0 ? [...DEFAULT_SERVE_ROLES] : [...roles];
}

async function startProcessors(context: AppContext, parts: { db: Db; keyring: Keyring; kafka: Kafka; codec: TopicCodec; metrics: RuntimeMetrics; sources: HealthSource[]; connector: ConnectorOptionsInput; connections: GraphConnections }): Promise<() => Promise<void>> {
  const { db, keyring, kafka, codec, metrics, sources, connector, connections } = parts;
  const wb = context.config.writeback;
  const connectorOptions = connectorOptionsSchema.parse(connector);
  const graphs = wb.enabled && connectorOptions.app.clientId !== undefined ? tenantGraphs(connectorOptions, db, keyring, context.clock, connections) : undefined;
  if (graphs === undefined) context.logger('serve').warn({ enabled: wb.enabled }, 'write-back is not running: it needs the connector app registration (HYCAL_CONNECTOR_CLIENT_ID and a secret or certificate)');
  const pipeline = definePipelineTopologies({ db, clock: context.clock, keyring, ...(graphs === undefined ? {} : { writeback: { graph: graphs, options: wb } }) });
  const topologies = [defineMeetingsTopology({ parse: createParseProcessor({ keyring }), keyring }), ...pipeline.all];
  const runtimes: Runtime[] = [];
  try {
    for (const topology of topologies) {
      const runtime = buildRuntime(context, { topology, kafka, db, codec, metrics });
      await runtime.start();
      runtimes.push(runtime);
      sources.push(runtime);
    }
  } catch (error) {
    for (const runtime of runtimes.reverse()) await runtime.stop().catch(() => undefined);
    throw error;
  }
  return async () => {
    await Promise.all(runtimes.map((runtime) => runtime.stop()));
  };
}

/** Creates the topics of the topic list that do not exist yet (an existing topic is left as it is). */
async function ensureTopics(context: AppContext): Promise<void> {
  const admin = buildKafka(context, 'hycal-serve-admin').admin();
  await admin.connect();
  try {
    await provisionTopics(admin, { prefix: context.config.stack.topicPrefix });
  } finally {
    await admin.disconnect();
  }
}

export async function startService(context: AppContext, roles: readonly ServeRole[], connector: ConnectorOptionsInput): Promise<RunningService> {
  const logger = context.logger('serve');
  await ensureTopics(context);
  const metrics = new RuntimeMetrics(new Registry());
  const sources: HealthSource[] = [];
  const stops: (() => Promise<void>)[] = [];
  let webhookUrl: string | undefined;
  let apiUrl: string | undefined;
  let ops: OpsServer | undefined;
  // One MongoDB client, Kafka client, codec, keyring and Graph connection pool for the process
  // (every role shares them: write-back's writes and the connector's reads of a mailbox go through
  // one per-mailbox gate and one throttling state), closed last.
  const mongo = await connectMongo(context);
  const kafka = buildKafka(context, 'hycal-serve');
  const { keyring, close: closeKeyring } = buildKeyring(context, mongo);
  const connections = buildGraphConnections(context, connectorOptionsSchema.parse(connector), serviceDb(context, mongo), keyring);
  stops.push(async () => {
    connections.close();
    await closeKeyring();
    await mongo.close();
  });
  try {
    const codec = await buildCodec(context);
    if (roles.includes('webhook') || roles.includes('connector')) {
      const running = await startConnector(context, {
        ...connector,
        webhook: { ...connector.webhook, enabled: roles.includes('webhook') },
        mailboxes: { ...connector.mailboxes, enabled: roles.includes('connector') },
      }, { metrics, sources, keyring, mongo, kafka, codec, connections });
      webhookUrl = running.webhookUrl;
      stops.push(() => running.stop());
    }
    if (roles.includes('processors')) stops.push(await startProcessors(context, { db: serviceDb(context, mongo), keyring, kafka, codec, metrics, sources, connector, connections }));
    if (roles.includes('api')) {
      const api = await startApiRole(context, { db: serviceDb(context, mongo), keyring, connector, sources, connections });
      apiUrl = api.url;
      stops.push(() => api.stop());
    }
    ops = await startOps(context, { registry: metrics.registry, sources });
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
  logger.info({ roles, ops: ops.url, webhook: webhookUrl, api: apiUrl }, 'hybrid-calendar serving');
  const opsServer = ops;
  return {
    roles,
    opsUrl: opsServer.url,
    webhookUrl,
    apiUrl,
    async stop() {
      logger.info({ roles }, 'hybrid-calendar stopping');
      for (const stop of [...stops].reverse()) await stop();
      await opsServer.close();
    },
  };
}
