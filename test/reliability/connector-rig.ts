import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { systemClock } from '../../common/clock.js';
import { buildKeyring, createAppContext } from '../../app/index.js';
import { KafkaNotificationSink, MailboxCommands, MongoSubscriptionLookup, buildWebhookApp } from '../../connectors/graph/webhook/index.js';
import { ProvisioningStore } from '../../connectors/graph/provisioning/index.js';
import { syncWindow, utcDay } from '../../connectors/graph/mailbox/state.js';
import type { GraphAccess, GraphConnections } from '../../graph/index.js';
import { generateKeyText, type Keyring } from '../../kms/index.js';
import { unsealRawEvent } from '../../records/index.js';
import { TopicCodec, createSchemaRegistry, provisionTopics, type RawCalendarRecord } from '../../schemas/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { loadOrCreateTls } from '../../sim/graph/tls/index.js';
import { LogCapture, expectNoLeaks, type Canaries } from '../support/canary.js';
import { readTopic, testKafka, testMongo, testStack, uniqueName, withAdmin } from '../support/stack.js';
import { simConnections, startHookStub, testKeyring } from '../integration/connector/harness.js';

/**
 * The connector's mailbox actors in a child process (as `hycal connector --mailboxes-only`,
 * configured from HYCAL_CONNECTOR_* variables) against a Graph simulator and the real stack, with
 * what the reliability scenarios need around them: provisioned topics and tenant, the
 * notifications topic to send commands and lifecycle events on, a webhook (a stub that drops
 * every notification, or the real receiver producing to Kafka), the mailboxes' status view, the
 * simulator's truth and the raw stream unsealed and compared with it.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/connector-process.ts', import.meta.url));

/** Who the connector reads: a simulator with an app consented in one tenant, and the mailboxes. */
export interface RigSource {
  readonly sim: GraphSimulator;
  readonly tenantId: string;
  readonly appId: string;
  readonly secret: string;
  readonly mailboxIds: readonly string[];
}

export interface RigOptions {
  /** Prefix of topic and database names. */
  readonly name: string;
  /** Runtime options of the child (HC_RUNTIME_OPTIONS). */
  readonly runtime: Record<string, unknown>;
  /** `stub` drops every notification Graph delivers; `kafka` is the real receiver writing to graph.notifications.v1. */
  readonly webhook: 'stub' | 'kafka';
  /** Extra HYCAL_CONNECTOR_* (or other) variables of the child. */
  readonly env?: Record<string, string>;
}

export interface MailboxStatus {
  _id: string;
  status: string;
  lastSyncAt: number | null;
}

/** The raw stream against the simulator's calendars. */
export interface RawComparison {
  readonly records: number;
  /** Events of the simulator absent from the stream, or deleted there. */
  readonly missing: number;
  /** Events whose last record is not their current version (changeKey). */
  readonly stale: number;
  /** Per mailbox: the events live in the stream and those live in the simulator (sorted ids). */
  readonly mailboxes: readonly { mailbox: string; live: string[]; expected: string[] }[];
  /** Last record per event id (null: deleted). */
  readonly last: ReadonlyMap<string, string | null>;
  /** Records beyond the first of each version (at-least-once on calendar.raw.v1). */
  readonly duplicates: number;
  /** The simulator's event count over the window. */
  readonly expectedEvents: number;
}

export class ConnectorRig {
  readonly logs = new LogCapture();
  readonly prefix: string;
  readonly kafka: Kafka;
  #child: ChildProcess | undefined;

  private constructor(
    readonly source: RigSource,
    readonly database: string,
    readonly masterKey: string,
    readonly options: RigOptions,
    readonly mongo: MongoClient,
    readonly graph: GraphAccess,
    readonly codec: TopicCodec,
    readonly sink: KafkaNotificationSink,
    readonly commands: MailboxCommands,
    readonly keyring: Keyring,
    readonly notificationUrl: string,
    readonly closers: (() => Promise<void>)[],
  ) {
    this.prefix = `${options.name}.`;
    this.kafka = testKafka();
  }

  static async start(source: RigSource, options: RigOptions): Promise<ConnectorRig> {
    const name = uniqueName(options.name).replace(/\./g, '_');
    const prefix = `${name}.`;
    const database = `${name}_db`;
    const closers: (() => Promise<void>)[] = [];
    const mongo = await testMongo();
    closers.push(() => mongo.close());
    await withAdmin((admin) => provisionTopics(admin, { prefix, partitions: 3 }));
    const connections: GraphConnections = simConnections(source.sim, systemClock);
    closers.push(() => Promise.resolve(connections.close()));
    const graph = connections.forTenant({ tenantId: source.tenantId, cloud: 'worldwide' }, { clientId: source.appId, credential: { kind: 'secret', clientSecret: source.secret } });
    await new ProvisioningStore(mongo.db(database), testKeyring(systemClock), systemClock).saveTenant({
      _id: source.tenantId, orgId: 'org-1', cloud: 'worldwide', status: 'authorised', clientId: source.appId, domains: ['contoso.com'], consentedAt: Date.now(),
    });
    const stack = testStack();
    const masterKey = generateKeyText();
    const context = createAppContext({
      env: { HYCAL_KMS_MASTER_KEY: masterKey },
      overrides: { stack: { kafkaBrokers: [stack.kafkaBrokers].flat().join(','), schemaRegistryUrl: stack.schemaRegistryUrl, mongodbUri: stack.mongodbUri, mongodbDatabase: database, topicPrefix: prefix }, kms: { database } },
    });
    const { keyring, close: closeKeyring } = buildKeyring(context, mongo);
    closers.push(closeKeyring);
    const codec = await new TopicCodec(createSchemaRegistry(stack.schemaRegistryUrl), { prefix }).init();
    const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    closers.push(() => producer.disconnect());
    const sink = new KafkaNotificationSink(producer, codec, `${prefix}graph.notifications.v1`);
    const commands = new MailboxCommands(sink, () => Date.now());
    let notificationUrl: string;
    if (options.webhook === 'stub') {
      const hook = await startHookStub();
      closers.push(hook.close);
      notificationUrl = hook.url;
    } else {
      const app = await startKafkaWebhook(mongo, database, sink);
      closers.push(() => app.close());
      notificationUrl = `https://localhost:${(app.server.address() as { port: number }).port}/hook`;
    }
    return new ConnectorRig(source, database, masterKey, { ...options, name }, mongo, graph, codec, sink, commands, keyring, notificationUrl, closers.reverse());
  }

  /** Starts the connector child (one at a time). */
  spawn(): ChildProcess {
    const stack = testStack();
    const { sim } = this.source;
    const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      env: {
        ...process.env,
        KAFKA_BROKERS: [stack.kafkaBrokers].flat().join(','), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl, MONGODB_URI: stack.mongodbUri,
        MONGODB_DATABASE: this.database, HYCAL_TOPIC_PREFIX: this.prefix, HYCAL_KMS_MASTER_KEY: this.masterKey,
        HYCAL_OPS_HOST: '127.0.0.1', HYCAL_OPS_PORT: '0', HYCAL_LOG_LEVEL: 'info',
        HYCAL_CONNECTOR_CLIENT_ID: this.source.appId, HYCAL_CONNECTOR_CLIENT_SECRET: this.source.secret,
        HYCAL_CONNECTOR_CA_FILE: sim.caCertPath, HYCAL_CONNECTOR_GRAPH_BASE_URL: sim.graphBaseUrl,
        HYCAL_CONNECTOR_AUTHORITY_HOST: sim.authorityUrl, HYCAL_CONNECTOR_KNOWN_AUTHORITIES: sim.knownAuthority,
        HYCAL_CONNECTOR_AUTHORITY_METADATA: sim.authorityMetadata, HYCAL_CONNECTOR_NOTIFICATION_URL: this.notificationUrl,
        HYCAL_CONNECTOR_DELTA_PAGE_SIZE: '10', HYCAL_CONNECTOR_FETCH_BATCH_MS: '0',
        HC_RUNTIME_OPTIONS: JSON.stringify(this.options.runtime),
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.on('data', (chunk: Buffer) => this.logs.write(chunk));
    proc.stderr?.on('data', (chunk: Buffer) => {
      this.logs.write(chunk);
      if (process.env['HC_TEST_VERBOSE'] === '1') process.stderr.write(chunk);
    });
    this.#child = proc;
    return proc;
  }

  /** SIGKILLs the child and waits for its exit. */
  async kill(proc: ChildProcess | undefined = this.#child): Promise<void> {
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  async activateAll(): Promise<void> {
    for (const mailbox of this.source.mailboxIds) await this.commands.send(this.source.tenantId, mailbox, 'ACTIVATE');
  }

  async rawCount(): Promise<number> {
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(`${this.prefix}calendar.raw.v1`));
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  }

  async statuses(): Promise<MailboxStatus[]> {
    return this.mongo.db(this.database).collection<MailboxStatus>('connector_mailboxes').find({}).toArray();
  }

  /** The simulator's truth over the connector's window: event id → changeKey, per mailbox. */
  async truth(): Promise<Map<string, Map<string, string>>> {
    const out = new Map<string, Map<string, string>>();
    for (const mailbox of this.source.mailboxIds) {
      const events = new Map<string, string>();
      let page = await this.graph.deltaPage(mailbox, { window: syncWindow(utcDay(Date.now())) }, 200);
      for (;;) {
        for (const e of page.events) events.set(e.id, String(e['changeKey']));
        if (page.nextLink === undefined) break;
        page = await this.graph.deltaPage(mailbox, { link: page.nextLink }, 200);
      }
      out.set(mailbox, events);
    }
    return out;
  }

  /** Reads calendar.raw.v1 from the start, unseals it, and compares the last version of each event with the simulator. */
  async compareRaw(): Promise<RawComparison> {
    const total = await this.rawCount();
    const records = await readTopic(this.kafka, `${this.prefix}calendar.raw.v1`, total, { timeoutMs: 60_000, sorted: true });
    const last = new Map<string, Map<string, string | null>>();
    const lastById = new Map<string, string | null>();
    const versions = new Map<string, number>();
    for (const r of records) {
      const value: RawCalendarRecord = await this.codec.decode('calendar.raw.v1', r.value!);
      const event = await unsealRawEvent<{ changeKey?: string }>(this.keyring, value);
      const state = value.changeType === 'DELETED' ? null : event?.changeKey ?? '';
      const version = `${value.eventId}|${state ?? 'DELETED'}`;
      versions.set(version, (versions.get(version) ?? 0) + 1);
      const forMailbox = last.get(value.mailboxId) ?? new Map<string, string | null>();
      forMailbox.set(value.eventId, state);
      last.set(value.mailboxId, forMailbox);
      lastById.set(value.eventId, state);
    }
    const expected = await this.truth();
    let missing = 0;
    let stale = 0;
    const mailboxes: { mailbox: string; live: string[]; expected: string[] }[] = [];
    for (const [mailbox, events] of expected) {
      const seen = last.get(mailbox) ?? new Map<string, string | null>();
      for (const [id, changeKey] of events) {
        const got = seen.get(id);
        if (got === undefined || got === null) missing += 1;
        else if (got !== changeKey) stale += 1;
      }
      const live = [...seen].filter(([, k]) => k !== null).map(([id]) => id).sort();
      mailboxes.push({ mailbox, live, expected: [...events.keys()].sort() });
    }
    return {
      records: records.length, missing, stale, mailboxes, last: lastById,
      duplicates: [...versions.values()].reduce((n, c) => n + c - 1, 0),
      expectedEvents: [...expected.values()].reduce((n, m) => n + m.size, 0),
    };
  }

  /** Every topic of the rig, its database and the child's logs scanned for the canaries (fails on a hit). */
  async expectNoLeaks(canaries: Canaries): Promise<{ records: number; documents: number; logLines: number }> {
    return expectNoLeaks(canaries, { kafka: this.kafka, topicPrefix: this.prefix, mongo: this.mongo, databases: [this.database], logs: this.logs });
  }

  async close(): Promise<void> {
    await this.kill();
    for (const close of this.closers) await close();
  }
}

/** The real webhook receiver (subscriptions looked up in the connector's view, notifications produced to Kafka). */
async function startKafkaWebhook(mongo: MongoClient, database: string, sink: KafkaNotificationSink): Promise<FastifyInstance> {
  const tls = await loadOrCreateTls();
  const app = buildWebhookApp({
    options: { path: '/hook', bodyLimitBytes: 1 << 20, maxRequestsPerSecond: 1000, maxItemsPerRequest: 1000 },
    lookup: new MongoSubscriptionLookup(mongo.db(database), systemClock),
    sink, clock: systemClock, https: { key: tls.keyPem, cert: tls.certPem },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}
