import { createServer } from 'node:net';
import type { Kafka } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/clock.js';
import { createLogger } from '../../../common/logger.js';
import type { GraphAccess, GraphConnections } from '../../../graph/index.js';
import { ProvisioningStore } from '../../../connectors/graph/provisioning/index.js';
import { KafkaNotificationSink, MailboxCommands } from '../../../connectors/graph/webhook/index.js';
import { createAppContext, startConnector, type RunningConnector } from '../../../app/index.js';
import { generateKeyText } from '../../../kms/index.js';
import { TopicCodec, createSchemaRegistry, provisionTopics } from '../../../schemas/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { loadOrCreateTls } from '../../../sim/graph/tls/index.js';
import { Canaries, LogCapture, expectNoLeaks } from '../../support/canary.js';
import { readTopic, testKafka, testMongo, testStack, uniqueName, withAdmin } from '../../support/stack.js';
import { ALICE, APP, BOB, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { waitFor } from '../runtime/helpers.js';
import { simConnections, testKeyring } from './harness.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe('connector – webhook and mailbox actors on the real stack against the simulator', () => {
  const canaries = new Canaries();
  const logs = new LogCapture();
  const prefix = `${uniqueName('conn')}.`;
  const database = uniqueName('conn-db').replace(/\./g, '_');
  let sim: GraphSimulator;
  let mongo: MongoClient;
  /** The process's one MongoDB client, handed to the connector (as `hycal serve` does); commands seen on it. */
  let shared: MongoClient;
  const sharedCommands: string[] = [];
  let kafka: Kafka;
  let connections: GraphConnections;
  let graph: GraphAccess;
  let connector: RunningConnector;
  let commands: MailboxCommands;
  let stopCommands: () => Promise<void>;
  const expected = new Map<string, Set<string>>();

  beforeAll(async () => {
    sim = await startSeeded();
    mongo = await testMongo();
    kafka = testKafka();
    await withAdmin((admin) => provisionTopics(admin, { prefix, partitions: 3 }));
    connections = simConnections(sim, systemClock);
    graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
    for (const [mailbox, n] of [[ALICE, 12], [BOB, 7]] as const) {
      const ids = new Set<string>();
      for (let i = 0; i < n; i += 1) {
        const start = new Date(Date.now() + (i * 5 + 1) * 3_600_000).toISOString().slice(0, 19);
        const end = new Date(Date.now() + (i * 5 + 2) * 3_600_000).toISOString().slice(0, 19);
        const created = await graph.createEvent(mailbox, {
          subject: canaries.make('subject'), body: { contentType: 'text', content: canaries.make('body') },
          location: { displayName: canaries.make('location') }, start: { dateTime: start, timeZone: 'UTC' }, end: { dateTime: end, timeZone: 'UTC' },
        }, `tx-${mailbox}-${i}`);
        ids.add(created.id);
      }
      expected.set(mailbox, ids);
    }
    await new ProvisioningStore(mongo.db(database), testKeyring(systemClock), systemClock).saveTenant({
      _id: TENANT, orgId: 'org-1', cloud: 'worldwide', status: 'authorised', clientId: APP, domains: ['contoso.com'], consentedAt: Date.now(),
    });
    const stack = testStack();
    const context = createAppContext({
      env: { HYCAL_KMS_MASTER_KEY: generateKeyText() },
      overrides: {
        stack: { kafkaBrokers: [stack.kafkaBrokers].flat().join(','), schemaRegistryUrl: stack.schemaRegistryUrl, mongodbUri: stack.mongodbUri, mongodbDatabase: database, topicPrefix: prefix },
        ops: { host: '127.0.0.1', port: 0 },
        kms: { database },
      },
    });
    const testLogger = createLogger({ name: 'connector-test', level: 'debug', destination: logs });
    shared = new MongoClient(stack.mongodbUri, { monitorCommands: true });
    shared.on('commandStarted', (event) => sharedCommands.push(`${event.databaseName}.${event.commandName}`));
    await shared.connect();
    const tls = await loadOrCreateTls();
    const port = await freePort();
    connector = await startConnector({ ...context, logger: (name) => testLogger.child({ name }) }, {
      webhook: { host: '127.0.0.1', port, tls: { keyPem: tls.keyPem, certPem: tls.certPem } },
      mailboxes: { notificationUrl: `https://localhost:${port}/graph/notifications`, settingsPollMs: 10_000, reconcileMs: 60_000 },
      app: { clientId: APP, clientSecret: SECRET },
      access: { caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata },
    }, { mongo: shared });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const codec = await new TopicCodec(createSchemaRegistry(stack.schemaRegistryUrl), { prefix }).init();
    commands = new MailboxCommands(new KafkaNotificationSink(producer, codec, `${prefix}graph.notifications.v1`), () => Date.now());
    stopCommands = () => producer.disconnect();
  });

  afterAll(async () => {
    await connector?.stop();
    await shared?.close();
    await stopCommands?.();
    connections?.close();
    await mongo?.close();
    await sim?.close();
  });

  async function rawEventIds(min: number): Promise<Map<string, Set<string>>> {
    const codec = await new TopicCodec(createSchemaRegistry(testStack().schemaRegistryUrl), { prefix }).init();
    const records = await readTopic(kafka, `${prefix}calendar.raw.v1`, min, { timeoutMs: 60_000 });
    const out = new Map<string, Set<string>>();
    for (const r of records) {
      const value = await codec.decode('calendar.raw.v1', r.value!);
      expect(r.key).toBe(`${value.tenantId}/${value.mailboxId}`);
      const set = out.get(value.mailboxId) ?? new Set<string>();
      if (value.changeType === 'DELETED') set.delete(value.eventId);
      else set.add(value.eventId);
      out.set(value.mailboxId, set);
    }
    return out;
  }

  it('connector – activation converges the raw stream to the simulator\'s calendars, then a notification brings a new event', async () => {
    await commands.send(TENANT, ALICE, 'ACTIVATE');
    await commands.send(TENANT, BOB, 'ACTIVATE');
    const status = mongo.db(database).collection<{ _id: string; status: string }>('connector_mailboxes');
    await waitFor('both mailboxes activated', async () => {
      const docs = await Promise.all([ALICE, BOB].map((m) => status.findOne({ _id: `${TENANT}/${m}` })));
      return docs.every((d) => d?.status === 'ACTIVATED') ? true : undefined;
    }, 60_000);
    const synced = await rawEventIds(19);
    expect(synced.get(ALICE)).toEqual(expected.get(ALICE));
    expect(synced.get(BOB)).toEqual(expected.get(BOB));
    const start = new Date(Date.now() + 90 * 3_600_000).toISOString().slice(0, 19);
    const end = new Date(Date.now() + 91 * 3_600_000).toISOString().slice(0, 19);
    const fresh = await graph.createEvent(ALICE, { subject: canaries.make('subject'), start: { dateTime: start, timeZone: 'UTC' }, end: { dateTime: end, timeZone: 'UTC' } }, 'tx-fresh');
    const after = await rawEventIds(20);
    expect(after.get(ALICE)?.has(fresh.id)).toBe(true);
    const ops = await fetch(`${connector.opsUrl}/readyz`);
    expect(ops.status).toBe(200);
    const metrics = await (await fetch(`${connector.opsUrl}/metrics`)).text();
    expect(metrics).toContain('hycal_connector_webhook_accepted_total');
  });

  it('connector – works through the MongoDB client it was handed (no second connection) and leaves it open on stop', async () => {
    // Actor state, timers, the status view and the keyring's keys all went through the shared client.
    expect(sharedCommands.some((c) => c.startsWith(`${database}.`))).toBe(true);
    expect(await mongo.db(database).collection('connector_mailboxes').countDocuments({})).toBe(2);
    expect(sharedCommands.filter((c) => c.startsWith(`${database}.`) && /update|insert|find/.test(c)).length).toBeGreaterThan(0);
  });

  it('connector – no plaintext subject, body or location in any topic, collection or log line (canary scan)', async () => {
    const scanned = await expectNoLeaks(canaries, { kafka, topicPrefix: prefix, mongo, databases: [database], logs });
    expect(scanned.records).toBeGreaterThan(19);
    expect(scanned.documents).toBeGreaterThan(0);
  });

  it('connector – stopping it leaves the handed-over MongoDB client open for the rest of the process', async () => {
    await connector.stop();
    connector = undefined as unknown as RunningConnector;
    await expect(shared.db(database).collection('connector_mailboxes').countDocuments({})).resolves.toBe(2);
  });
});
