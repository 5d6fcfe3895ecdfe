import { Kafka, logLevel } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { createKeyring, type Keyring, type KeyringSession, type TenantKeyVault } from '../kms/index.js';
import { startOpsServer, type HealthSource, type OpsServer } from '../ops/index.js';
import { Runtime, type RuntimeMetrics, type Topology } from '../runtime/index.js';
import { createSchemaRegistry, TopicCodec } from '../schemas/index.js';
import type { AppContext } from './context.js';

/**
 * Small builders, one per part, each from the configuration's own section. A process (a worker,
 * a command) takes the ones it needs; nothing below app/ reads configuration.
 */

/** A Kafka client of the configured cluster. */
export function buildKafka(context: AppContext, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: context.config.stack.kafkaBrokers.split(',').map((broker) => broker.trim()).filter((broker) => broker !== ''),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });
}

/** A connected MongoDB client of the configured server. */
export async function connectMongo(context: AppContext): Promise<MongoClient> {
  const client = new MongoClient(context.config.stack.mongodbUri, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  return client;
}

/** The service database (views, actor state, timers). */
export function serviceDb(context: AppContext, client: MongoClient): Db {
  return client.db(context.config.stack.mongodbDatabase);
}

/** The Avro codec of every topic, its schemas registered (or looked up) in the configured registry. */
export async function buildCodec(context: AppContext): Promise<TopicCodec> {
  const registry = createSchemaRegistry(context.config.stack.schemaRegistryUrl);
  return new TopicCodec(registry, { prefix: context.config.stack.topicPrefix }).init();
}

export interface BuiltKeyring {
  readonly keyring: Keyring;
  readonly cloud: TenantKeyVault | undefined;
  readonly close: () => Promise<void>;
}

/** The keyring of the configured KMS (built-in and/or on-premises), its keys in `kms.database`. */
export function buildKeyring(context: AppContext, client: MongoClient): BuiltKeyring {
  return createKeyring({
    db: client.db(context.config.kms.database),
    options: context.config.kms,
    clock: context.clock,
    logger: context.logger('kms'),
    env: context.env,
    // A process that read the master key from its own environment drops it from there.
    removeMasterKeyFromEnv: context.env === process.env,
  });
}

/** Runs `fn` with the configured keyring, then closes it and its database connection. */
export async function withKeyring<T>(context: AppContext, fn: (session: KeyringSession) => Promise<T>): Promise<T> {
  const client = await connectMongo(context);
  try {
    const { keyring, cloud, close } = buildKeyring(context, client);
    try {
      return await fn({ keyring, cloud, db: (name) => client.db(name ?? context.config.kms.database) });
    } finally {
      await close();
    }
  } finally {
    await client.close();
  }
}

export interface RuntimeParts {
  readonly topology: Topology;
  readonly kafka: Kafka;
  readonly db: Db;
  readonly codec?: TopicCodec;
  /** Shared by the runtimes of one process (one /metrics). */
  readonly metrics?: RuntimeMetrics;
}

/** A runtime for one topology, with the configured runtime options and topic prefix. */
export function buildRuntime(context: AppContext, parts: RuntimeParts): Runtime {
  return new Runtime({
    topology: parts.topology,
    kafka: parts.kafka,
    db: parts.db,
    ...(parts.codec === undefined ? {} : { codec: parts.codec }),
    ...(parts.metrics === undefined ? {} : { metrics: parts.metrics }),
    options: context.config.runtime,
    prefix: context.config.stack.topicPrefix,
    clock: context.clock,
    logger: context.logger(`runtime-${parts.topology.name}`),
  });
}

/** /metrics, /healthz and /readyz of a process on `ops.host:ops.port`. */
export function startOps(context: AppContext, parts: { registry: Registry; sources: readonly HealthSource[] }): Promise<OpsServer> {
  return startOpsServer({
    host: context.config.ops.host,
    port: context.config.ops.port,
    registry: parts.registry,
    sources: parts.sources,
    logger: context.logger('ops'),
  });
}
