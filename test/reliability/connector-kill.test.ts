import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import { buildKeyring, createAppContext } from '../../app/index.js';
import { KafkaNotificationSink, MailboxCommands } from '../../connectors/graph/webhook/index.js';
import { ProvisioningStore } from '../../connectors/graph/provisioning/index.js';
import { syncWindow, utcDay } from '../../connectors/graph/mailbox/state.js';
import type { GraphAccess, GraphConnections } from '../../graph/index.js';
import { generateKeyText, type Keyring } from '../../kms/index.js';
import { unsealRawEvent } from '../../records/index.js';
import { TopicCodec, createSchemaRegistry, provisionTopics, type GraphNotification, type RawCalendarRecord } from '../../schemas/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { APP, SECRET, TENANT, startSeeded } from '../../sim/graph/test/unit/helpers.js';
import { Canaries, LogCapture, expectNoLeaks } from '../support/canary.js';
import { readTopic, testKafka, testMongo, testStack, uniqueName, withAdmin } from '../support/stack.js';
import { simConnections, startHookStub, testKeyring } from '../integration/connector/harness.js';
import { waitFor } from '../integration/runtime/helpers.js';
import { recordOutcome } from './summary.js';

/**
 * The connector SIGKILLed mid-sync (issue 13, point 10): the mailbox actors run in a child process
 * configured from HYCAL_CONNECTOR_* variables (as `hycal connector --mailboxes-only`), against the
 * simulator and the real stack. It is killed once during the initial sync of every mailbox and
 * once during the incremental delta rounds a `missed` lifecycle notification starts, restarted
 * each time, and the raw stream (unsealed here) must end with every event of the simulator's
 * calendars at its latest version and every deletion present. Duplicates on `calendar.raw.v1`
 * are allowed (at-least-once; the parse stage collapses them) and counted.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/connector-process.ts', import.meta.url));
const MAILBOXES = 12;
const EVENTS = 40;
/** One activation at a time per worker and slow Graph answers, so a kill lands between mailboxes. */
const RUNTIME = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000, commitIntervalMs: 500, drainTimeoutMs: 5_000, maxConcurrentKeys: 2 };

const say = (line: string): void => {
  if (process.env['HC_TEST_VERBOSE'] === '1') process.stderr.write(`connector-kill: ${line}\n`);
};
const mailboxId = (m: number): string => `0b0b0b0b-0000-4000-8000-${String(m + 1).padStart(12, '0')}`;

describe('connector – SIGKILL mid-sync (reliability)', () => {
  const canaries = new Canaries();
  const logs = new LogCapture();
  const prefix = `${uniqueName('ckill')}.`;
  const database = uniqueName('ckill-db').replace(/\./g, '_');
  const masterKey = generateKeyText();
  let sim: GraphSimulator;
  let hook: { url: string; close: () => Promise<void> };
  let mongo: MongoClient;
  let kafka: Kafka;
  let connections: GraphConnections;
  let graph: GraphAccess;
  let keyring: Keyring;
  let closeKeyring: () => Promise<void>;
  let codec: TopicCodec;
  let commands: MailboxCommands;
  let sink: KafkaNotificationSink;
  let stopProducer: () => Promise<void>;
  let child: ChildProcess | undefined;
  const started = Date.now();

  function spawnConnector(): ChildProcess {
    const stack = testStack();
    const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      env: {
        ...process.env,
        KAFKA_BROKERS: [stack.kafkaBrokers].flat().join(','), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl, MONGODB_URI: stack.mongodbUri,
        MONGODB_DATABASE: database, HYCAL_TOPIC_PREFIX: prefix, HYCAL_KMS_MASTER_KEY: masterKey,
        HYCAL_OPS_HOST: '127.0.0.1', HYCAL_OPS_PORT: '0', HYCAL_LOG_LEVEL: 'info',
        HYCAL_CONNECTOR_CLIENT_ID: APP, HYCAL_CONNECTOR_CLIENT_SECRET: SECRET,
        HYCAL_CONNECTOR_CA_FILE: sim.caCertPath, HYCAL_CONNECTOR_GRAPH_BASE_URL: sim.graphBaseUrl,
        HYCAL_CONNECTOR_AUTHORITY_HOST: sim.authorityUrl, HYCAL_CONNECTOR_KNOWN_AUTHORITIES: sim.knownAuthority,
        HYCAL_CONNECTOR_AUTHORITY_METADATA: sim.authorityMetadata, HYCAL_CONNECTOR_NOTIFICATION_URL: hook.url,
        HYCAL_CONNECTOR_DELTA_PAGE_SIZE: '10', HYCAL_CONNECTOR_FETCH_BATCH_MS: '0',
        HC_RUNTIME_OPTIONS: JSON.stringify(RUNTIME),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.on('data', (chunk: Buffer) => logs.write(chunk));
    proc.stderr?.on('data', (chunk: Buffer) => {
      logs.write(chunk);
      if (process.env['HC_TEST_VERBOSE'] === '1') process.stderr.write(chunk);
    });
    return proc;
  }

  async function kill(proc: ChildProcess): Promise<void> {
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  async function rawCount(): Promise<number> {
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(`${prefix}calendar.raw.v1`));
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  }

  async function statuses(): Promise<{ status: string; lastSyncAt: number | null }[]> {
    return mongo.db(database).collection<{ _id: string; status: string; lastSyncAt: number | null }>('connector_mailboxes').find({}).toArray();
  }

  /** The simulator's truth over the connector's window: event id → changeKey, per mailbox. */
  async function truth(): Promise<Map<string, Map<string, string>>> {
    const out = new Map<string, Map<string, string>>();
    for (let m = 0; m < MAILBOXES; m += 1) {
      const events = new Map<string, string>();
      let page = await graph.deltaPage(mailboxId(m), { window: syncWindow(utcDay(Date.now())) }, 200);
      for (;;) {
        for (const e of page.events) events.set(e.id, String(e['changeKey']));
        if (page.nextLink === undefined) break;
        page = await graph.deltaPage(mailboxId(m), { link: page.nextLink }, 200);
      }
      out.set(mailboxId(m), events);
    }
    return out;
  }

  beforeAll(async () => {
    sim = await startSeeded({ clouds: ['worldwide'] });
    hook = await startHookStub();
    mongo = await testMongo();
    kafka = testKafka();
    await withAdmin((admin) => provisionTopics(admin, { prefix, partitions: 3 }));
    const day = utcDay(Date.now());
    for (let m = 0; m < MAILBOXES; m += 1) {
      sim.store.addMailbox(TENANT, { id: mailboxId(m), userPrincipalName: `k${m}@contoso.com`, displayName: `K ${m}`, mail: `k${m}@contoso.com`, kind: 'user', mailboxEnabled: true, mailboxSettings: {} });
      for (let e = 0; e < EVENTS; e += 1) {
        const start = day + ((e % 30) + 1) * 86_400_000 + (8 + (e % 9)) * 3_600_000;
        sim.store.addEvent(TENANT, mailboxId(m), {
          subject: canaries.make('subject'), location: { displayName: canaries.make('location') },
          start: { dateTime: new Date(start).toISOString().slice(0, 19), timeZone: 'UTC' },
          end: { dateTime: new Date(start + 1_800_000).toISOString().slice(0, 19), timeZone: 'UTC' },
        });
      }
    }
    connections = simConnections(sim, systemClock);
    graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
    await new ProvisioningStore(mongo.db(database), testKeyring(systemClock), systemClock).saveTenant({
      _id: TENANT, orgId: 'org-1', cloud: 'worldwide', status: 'authorised', clientId: APP, domains: ['contoso.com'], consentedAt: Date.now(),
    });
    const stack = testStack();
    const context = createAppContext({
      env: { HYCAL_KMS_MASTER_KEY: masterKey },
      overrides: { stack: { kafkaBrokers: [stack.kafkaBrokers].flat().join(','), schemaRegistryUrl: stack.schemaRegistryUrl, mongodbUri: stack.mongodbUri, mongodbDatabase: database, topicPrefix: prefix }, kms: { database } },
    });
    ({ keyring, close: closeKeyring } = buildKeyring(context, mongo));
    codec = await new TopicCodec(createSchemaRegistry(stack.schemaRegistryUrl), { prefix }).init();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    sink = new KafkaNotificationSink(producer, codec, `${prefix}graph.notifications.v1`);
    commands = new MailboxCommands(sink, () => Date.now());
    stopProducer = () => producer.disconnect();
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) await kill(child);
    await stopProducer?.();
    await closeKeyring?.();
    connections?.close();
    await mongo?.close();
    await hook?.close();
    await sim?.close();
  });

  it('connector – killed mid initial sync and mid incremental delta, restarted, the raw stream holds every event at its latest version and every deletion', async () => {
    // Phase 1: initial sync, SIGKILL once some mailboxes are synced and others are not.
    sim.admin.setFaults({ latencyMs: 250 });
    child = spawnConnector();
    for (let m = 0; m < MAILBOXES; m += 1) await commands.send(TENANT, mailboxId(m), 'ACTIVATE');
    const atFirstKill = await waitFor('the first synced mailboxes', async () => {
      const count = await rawCount();
      const activated = (await statuses()).filter((s) => s.status === 'ACTIVATED').length;
      return count > 0 ? { count, activated } : undefined;
    }, 120_000, 100);
    await kill(child);
    say(`killed mid initial sync: ${JSON.stringify(atFirstKill)}`);
    expect(atFirstKill.activated).toBeLessThan(MAILBOXES);
    sim.admin.setFaults({ latencyMs: 0 });
    child = spawnConnector();
    await waitFor('every mailbox activated after the restart', async () => {
      const docs = await statuses();
      return docs.length === MAILBOXES && docs.every((d) => d.status === 'ACTIVATED') ? true : undefined;
    }, 180_000);

    say('every mailbox activated after the restart');
    // Phase 2: changes nobody is notified of (the hook drops them), a `missed` lifecycle
    // notification per mailbox, SIGKILL while the incremental rounds run.
    const deleted = new Set<string>();
    for (let m = 0; m < MAILBOXES; m += 1) {
      const ids = sim.store.listEventIds(TENANT, mailboxId(m));
      for (const id of ids.slice(0, 5)) sim.store.updateEvent(TENANT, mailboxId(m), id, { subject: canaries.make('subject') });
      for (const id of ids.slice(5, 8)) {
        sim.store.deleteEvent(TENANT, mailboxId(m), id);
        deleted.add(id);
      }
      const start = utcDay(Date.now()) + 3 * 86_400_000 + m * 3_600_000;
      for (let k = 0; k < 3; k += 1) {
        sim.store.createEvent(TENANT, mailboxId(m), {
          subject: canaries.make('subject'),
          start: { dateTime: new Date(start + k * 600_000).toISOString().slice(0, 19), timeZone: 'UTC' },
          end: { dateTime: new Date(start + k * 600_000 + 300_000).toISOString().slice(0, 19), timeZone: 'UTC' },
        });
      }
    }
    const beforeMissed = await rawCount();
    sim.admin.setFaults({ latencyMs: 400 });
    const missedAt = Date.now();
    const missed = (m: number): { key: string; value: GraphNotification } => ({
      key: `${TENANT}/${mailboxId(m)}`,
      value: { tenantId: TENANT, mailboxId: mailboxId(m), kind: 'LIFECYCLE', changeType: 'NONE', lifecycleEvent: 'MISSED', command: 'NONE', subscriptionId: null, eventId: null, changeKey: null, receivedAt: Date.now() },
    });
    await sink.send(Array.from({ length: MAILBOXES }, (_, m) => missed(m)));
    const atSecondKill = await waitFor('the first incremental rounds', async () => {
      const count = await rawCount();
      const synced = (await statuses()).filter((s) => (s.lastSyncAt ?? 0) >= missedAt).length;
      return count > beforeMissed ? { count: count - beforeMissed, synced } : undefined;
    }, 120_000, 100);
    await kill(child);
    say(`killed mid incremental delta: ${JSON.stringify(atSecondKill)}`);
    expect(atSecondKill.synced).toBeLessThan(MAILBOXES);
    sim.admin.setFaults({ latencyMs: 0 });
    child = spawnConnector();
    await waitFor('every mailbox reconciled after the restart', async () => {
      const docs = await statuses();
      return docs.length === MAILBOXES && docs.every((d) => d.status === 'ACTIVATED' && (d.lastSyncAt ?? 0) >= missedAt) ? true : undefined;
    }, 180_000);

    say('every mailbox reconciled after the restart');
    // The raw stream, unsealed, against the simulator.
    const total = await rawCount();
    const records = await readTopic(kafka, `${prefix}calendar.raw.v1`, total, { timeoutMs: 60_000, sorted: true });
    const last = new Map<string, Map<string, string | null>>();
    const versions = new Map<string, number>();
    for (const r of records) {
      const value: RawCalendarRecord = await codec.decode('calendar.raw.v1', r.value!);
      const event = await unsealRawEvent<{ changeKey?: string }>(keyring, value);
      const version = `${value.eventId}|${value.changeType === 'DELETED' ? 'DELETED' : event?.changeKey ?? ''}`;
      versions.set(version, (versions.get(version) ?? 0) + 1);
      const forMailbox = last.get(value.mailboxId) ?? new Map<string, string | null>();
      forMailbox.set(value.eventId, value.changeType === 'DELETED' ? null : event?.changeKey ?? '');
      last.set(value.mailboxId, forMailbox);
    }
    const expected = await truth();
    let missing = 0;
    let stale = 0;
    for (const [mailbox, events] of expected) {
      const seen = last.get(mailbox) ?? new Map<string, string | null>();
      for (const [id, changeKey] of events) {
        const got = seen.get(id);
        if (got === undefined || got === null) missing += 1;
        else if (got !== changeKey) stale += 1;
      }
      const live = [...seen].filter(([, k]) => k !== null).map(([id]) => id).sort();
      expect(live).toEqual([...events.keys()].sort());
    }
    const deletionsPresent = [...deleted].filter((id) => [...last.values()].some((m) => m.has(id) && m.get(id) === null)).length;
    const duplicates = [...versions.values()].reduce((n, c) => n + c - 1, 0);
    expect(missing).toBe(0);
    expect(stale).toBe(0);
    expect(deletionsPresent).toBe(deleted.size);
    const scanned = await expectNoLeaks(canaries, { kafka, topicPrefix: prefix, mongo, databases: [database], logs });
    expect(scanned.records).toBeGreaterThan(0);
    const changes = [...expected.values()].reduce((n, m) => n + m.size, 0) + deleted.size;
    recordOutcome({
      scenario: 'connector SIGKILL mid-sync',
      survived: `SIGKILL mid initial sync (${atFirstKill.activated}/${MAILBOXES} mailboxes activated) and mid incremental delta (${atSecondKill.synced}/${MAILBOXES} reconciled), restart each time`,
      changes, lost: missing + stale, appliedTwice: duplicates, viewsEqualModel: missing === 0 && stale === 0, canaryHits: 0, passed: true,
      seconds: Math.round((Date.now() - started) / 1000),
      notes: `raw stream vs simulator: ${records.length} raw records, ${duplicates} duplicates (at-least-once on calendar.raw.v1; "applied twice" counts them), ${deletionsPresent}/${deleted.size} deletions present`,
    });
  });
});
