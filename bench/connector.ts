import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastify, { type FastifyInstance } from 'fastify';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { systemClock, silentLogger } from '../common/index.js';
import { buildWebhookApp, clientStateHash, connectorOptionsSchema, createMailboxProcessor, KafkaNotificationSink, type MailboxState, type NotificationSink } from '../connectors/graph/index.js';
import { GraphConnections, graphAccessOptionsSchema, type GraphAccess } from '../graph/index.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault } from '../kms/index.js';
import type { ProcessorContext } from '../runtime/index.js';
import { createSchemaRegistry, provisionTopics, TopicCodec, type GraphNotification } from '../schemas/index.js';
import { BENCH_APP, BENCH_SECRET, BENCH_TENANT, type BenchSimInfo } from './connector-sim.js';
import { LOAD_CLIENT_STATE, LOAD_SUBSCRIPTION, type LoadResult } from './connector-load.js';
import { collectGarbage } from './gc.js';
import type { BenchOptions, BenchReport, BenchRow } from './report.js';

/**
 * `npm run bench -- connector` (issue 11 of the Graph connector).
 *
 * (a) Initial sync: the simulator (own process, Graph's throttling limits on) holds `mailboxes` ×
 * `meetings`; every mailbox actor (`createMailboxProcessor`, the connector's own code) gets
 * ACTIVATE: subscription, `calendarView/delta` pages of up to the configured page size, settings.
 * The runtime's Kafka and MongoDB are replaced by a bench context that keeps each key's state in
 * memory (as the runtime's state cache does at most) and drops the sealed records after counting
 * them: the numbers are the connector's, not the broker's (those are in `bench runtime|pipeline`).
 * Measured: wall time, Graph requests per meeting (HTTP requests the process sent, `$batch` one,
 * tokens apart; goal ≤ 0.1), and peak RSS growth per mailbox (goal ≤ 100 KB).
 *
 * (b) Webhook answer latency at a steady 2,000 notifications/s (one per POST, open loop, from a
 * load generator in its own process): the connector's receiver (validation, clientState check in constant time, routing, sink) against a
 * bare fastify handler answering 202, in the same run. The sink acknowledges at once, so Kafka's
 * acknowledgement is not in these numbers (goal p99 ≤ 50 ms).
 */
export interface ConnectorBenchOptions extends Partial<BenchOptions> {
  mailboxes?: number;
  meetings?: number;
  /** Mailboxes activated at once (the runtime's `maxConcurrentKeys` is 256). */
  concurrency?: number;
  notificationsPerSecond?: number;
  seconds?: number;
  /** Which parts to run (default both; `npm run bench -- connector --only webhook`). */
  parts?: readonly ConnectorPart[];
}

/** The suite's parts, each runnable alone with `--only`. */
export const parts = ['sync', 'webhook'] as const;
type ConnectorPart = (typeof parts)[number];

const HERE = dirname(fileURLToPath(import.meta.url));

async function startSim(mailboxes: number, meetings: number): Promise<{ info: BenchSimInfo; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'connector-sim.ts'), '--mailboxes', String(mailboxes), '--meetings', String(meetings)], {
    stdio: ['pipe', 'pipe', 'inherit'], cwd: join(HERE, '..'),
  });
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise<BenchSimInfo>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bench simulator exited (${code ?? 'signal'}) before it was ready`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as BenchSimInfo));
  });
  return { info, child };
}

function benchKeyring(): Keyring {
  const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock: systemClock });
  return new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock: systemClock });
}

/** Outgoing HTTP(S) requests of this process by kind, through Node's diagnostics channel. */
function countRequests(): { graph: number; batch: number; token: number; stop: () => void } {
  const counts = { graph: 0, batch: 0, token: 0, stop: () => undefined as void };
  const onStart = (message: unknown): void => {
    const req = (message as { request: ClientRequest }).request;
    const path = req.path;
    if (path.includes('/oauth2/')) counts.token += 1;
    else if (path.startsWith('/v1.0/') || path.startsWith('/beta/')) {
      counts.graph += 1;
      if (path.includes('$batch')) counts.batch += 1;
    }
  };
  subscribe('http.client.request.start', onStart);
  counts.stop = () => unsubscribe('http.client.request.start', onStart);
  return counts;
}

/** A processor context for one key: state in memory, records counted and dropped, timers noted. */
function benchContext(key: string, states: Map<string, MailboxState>, tally: { records: number; timers: number }): ProcessorContext<MailboxState> {
  return {
    key, clock: systemClock, logger: silentLogger,
    metrics: { increment: () => undefined, observe: () => undefined },
    state: { get: () => states.get(key), set: (value) => void states.set(key, value), delete: () => void states.delete(key) },
    views: { upsert: () => undefined, remove: () => undefined },
    emit: () => void (tally.records += 1),
    emitRaw: () => void (tally.records += 1),
    forward: () => undefined,
    schedule: (_at, _payload, id) => {
      tally.timers += 1;
      return id ?? 'timer';
    },
    cancel: () => undefined,
  };
}

function command(mailboxId: string): GraphNotification {
  return { tenantId: BENCH_TENANT, mailboxId, kind: 'COMMAND', changeType: 'NONE', lifecycleEvent: 'NONE', command: 'ACTIVATE', subscriptionId: null, eventId: null, changeKey: null, receivedAt: Date.now() };
}

async function initialSync(options: Required<Pick<ConnectorBenchOptions, 'mailboxes' | 'meetings' | 'concurrency'>>, progress: BenchOptions['progress']): Promise<BenchRow[]> {
  const { mailboxes, meetings, concurrency } = options;
  progress(0, mailboxes, `seeding the simulator (${mailboxes} × ${meetings})`);
  const { info, child } = await startSim(mailboxes, meetings);
  const defaults = connectorOptionsSchema.parse({});
  const connections = new GraphConnections({
    options: graphAccessOptionsSchema.parse({ caPem: info.caCertPem, graphBaseUrl: info.graphBaseUrl, authorityHost: info.authorityUrl, knownAuthorities: [info.knownAuthority], authorityMetadata: info.authorityMetadata }),
    clock: systemClock,
  });
  const graph: GraphAccess = connections.forTenant({ tenantId: BENCH_TENANT, cloud: 'worldwide' }, { clientId: BENCH_APP, credential: { kind: 'secret', clientSecret: BENCH_SECRET } });
  const processor = createMailboxProcessor({
    keyring: benchKeyring(), graph: { graphFor: () => Promise.resolve(graph) },
    options: { notificationUrl: info.hookUrl, settingsPollMs: defaults.mailboxes.settingsPollMs, reconcileMs: defaults.mailboxes.reconcileMs, deltaPageSize: defaults.mailboxes.deltaPageSize, fetchBatchMs: defaults.mailboxes.fetchBatchMs },
  });
  const states = new Map<string, MailboxState>();
  const tally = { records: 0, timers: 0 };
  const activate = async (mailboxId: string): Promise<void> => {
    const key = `${BENCH_TENANT}/${mailboxId}`;
    await processor.process({ topic: 'graph.notifications.v1', partition: 0, offset: '0', key, value: command(mailboxId), raw: null, headers: {}, timestamp: Date.now() }, benchContext(key, states, tally));
  };
  try {
    // Warm up outside the measurement: code loaded, the app token taken, sockets open.
    await graph.getMailboxSettings(info.mailboxIds[0]!);
    collectGarbage();
    const baseRss = process.memoryUsage().rss;
    const baseHeap = process.memoryUsage().heapUsed;
    let peakRss = baseRss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);
    const requests = countRequests();
    const started = performance.now();
    let next = 0;
    let done = 0;
    await Promise.all(Array.from({ length: Math.min(concurrency, mailboxes) }, async () => {
      for (let i = next++; i < mailboxes; i = next++) {
        await activate(info.mailboxIds[i]!);
        done += 1;
        if (done % 100 === 0) progress(done, mailboxes, `initial sync ${done}/${mailboxes}`);
      }
    }));
    // A mailbox whose activation failed (Graph unavailable under load, throttled past its budget)
    // is activated again by its retry timer; here at once, and counted.
    const failed = [...states.entries()].filter(([, st]) => st.status !== 'ACTIVATED');
    const reasons = new Map<string, number>();
    for (const [, st] of failed) reasons.set(st.reason ?? st.status, (reasons.get(st.reason ?? st.status) ?? 0) + 1);
    for (const [key] of failed) await activate(key.slice(key.indexOf('/') + 1));
    const ms = performance.now() - started;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    requests.stop();
    collectGarbage();
    const retained = process.memoryUsage().heapUsed - baseHeap;
    const activated = [...states.values()].filter((s) => s.status === 'ACTIVATED').length;
    const known = [...states.values()].reduce((n, s) => n + s.known.length, 0);
    const stateBytes = [...states.values()].reduce((n, s) => n + JSON.stringify(s).length, 0);
    const total = mailboxes * meetings;
    const perMeeting = requests.graph / total;
    const rssPerMailbox = (peakRss - baseRss) / mailboxes;
    const note = (goal: string): string => `${goal}; ${mailboxes}×${meetings}, ${activated} activated, ${known} events known, ${tally.records} raw records, concurrency ${concurrency}${failed.length === 0 ? '' : `; ${failed.length} activations retried (${[...reasons].map(([r, n]) => `${r} ×${n}`).join(', ')})`}`;
    return [
      { case: `initial sync: meetings/s (${mailboxes} mailboxes)`, opsPerSec: total / (ms / 1000), note: note(`wall ${(ms / 1000).toFixed(1)} s`) },
      { case: 'initial sync: meetings per Graph request', opsPerSec: total / requests.graph, note: `${perMeeting.toFixed(3)} Graph requests per meeting (goal ≤ 0.1); ${requests.graph} Graph requests (${requests.batch} $batch) + ${requests.token} token requests for ${total} meetings` },
      { case: 'initial sync: peak RSS growth per mailbox, KB', opsPerSec: rssPerMailbox / 1024, note: `${(rssPerMailbox / 1024).toFixed(1)} KB (goal ≤ 100 KB; the activations in flight weigh on small runs); RSS ${(baseRss / 1048576).toFixed(0)} → ${(peakRss / 1048576).toFixed(0)} MB; heap retained after GC ${(retained / mailboxes / 1024).toFixed(1)} KB/mailbox; key state ${(stateBytes / mailboxes / 1024).toFixed(1)} KB/mailbox as JSON` },
    ];
  } finally {
    connections.close();
    child.stdin?.end();
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(undefined);
      }, 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }
}

/** Runs the load generator (bench/connector-load.ts) in its own process against `url`. */
export async function drive(url: string, rate: number, seconds: number): Promise<LoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'connector-load.ts'), '--url', url, '--rate', String(rate), '--seconds', String(seconds)], {
    stdio: ['ignore', 'pipe', 'inherit'], cwd: join(HERE, '..'),
  });
  const lines = createInterface({ input: child.stdout });
  return await new Promise<LoadResult>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the load generator exited (${code ?? 'signal'}) without a result`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as LoadResult));
  });
}

/** The receiver's sink on the real broker (idempotent producer, acks from all replicas), as `hycal connector` builds it. */
export async function kafkaSink(wrap: (parts: { producer: Producer; codec: TopicCodec }) => { producer: Producer; codec: TopicCodec } = (p) => p, lanes = 1): Promise<{ sink: NotificationSink; close: () => Promise<void> }> {
  const prefix = `bench-conn-${randomBytes(4).toString('hex')}.`;
  const kafka = new Kafka({ clientId: 'bench-connector', brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(','), logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  const admin = kafka.admin();
  await admin.connect();
  await provisionTopics(admin, { prefix, partitions: 6 });
  const codec = await new TopicCodec(createSchemaRegistry(process.env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:18081/apis/ccompat/v7'), { prefix }).init();
  const producers = Array.from({ length: lanes }, () => kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }));
  for (const producer of producers) await producer.connect();
  const wrapped = producers.map((producer) => wrap({ producer, codec }));
  return {
    sink: new KafkaNotificationSink(wrapped.map((w) => w.producer), wrapped[0]!.codec, `${prefix}graph.notifications.v1`),
    close: async () => {
      for (const producer of producers) await producer.disconnect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

async function webhookLatency(rate: number, seconds: number, progress: BenchOptions['progress']): Promise<BenchRow[]> {
  const route = { tenantId: BENCH_TENANT, mailboxId: 'u', clientStateHash: clientStateHash(LOAD_CLIENT_STATE) };
  const receiver = (sink: NotificationSink): FastifyInstance => buildWebhookApp({
    options: { path: '/graph/notifications', bodyLimitBytes: 1_048_576, maxRequestsPerSecond: Math.max(5_000, rate * 2), maxItemsPerRequest: 1_000 },
    lookup: { route: (id) => Promise.resolve(id === LOAD_SUBSCRIPTION ? route : undefined) },
    sink, clock: systemClock,
  });
  const bare = fastify({ logger: false });
  bare.post('/graph/notifications', (_req, reply) => reply.code(202).send());
  const memory = receiver({ send: () => new Promise<void>((resolve) => setImmediate(resolve)) });
  const kafka = await kafkaSink().catch((error: unknown) => error as Error);
  const onKafka = kafka instanceof Error ? undefined : receiver(kafka.sink);
  const baseCase = `webhook: bare fastify 202 at ${rate}/s`;
  try {
    const url = async (app: FastifyInstance): Promise<string> => `${await app.listen({ host: '127.0.0.1', port: 0 })}/graph/notifications`;
    const targets: [string, string, string][] = [
      [baseCase, await url(bare), 'baseline'],
      [`webhook: connector receiver, sink in memory, at ${rate}/s`, await url(memory), 'the receiver alone (sink acknowledges at once)'],
    ];
    if (onKafka !== undefined) targets.push([`webhook: connector receiver → Kafka, at ${rate}/s`, await url(onKafka), '202 after the broker acknowledged (idempotent producer, one record per POST)']);
    const rows: BenchRow[] = [];
    for (const [i, [name, target, what]] of targets.entries()) {
      progress(i, targets.length, name);
      await drive(target, rate, 1); // warm-up: JIT, sockets, producer metadata
      const r = await drive(target, rate, seconds);
      rows.push({
        case: name, opsPerSec: r.achieved, p50Ms: r.p50, p99Ms: r.p99, ...(name === baseCase ? {} : { baseline: baseCase }),
        note: `${name === baseCase ? '' : 'goal p99 ≤ 50 ms; '}${what}; ${r.ok}/${r.total} answered 202 over ${seconds} s`,
      });
    }
    if (kafka instanceof Error) rows.push({ case: 'webhook: connector receiver → Kafka', opsPerSec: 0, note: `not measured: no broker (${kafka.message}); set KAFKA_BROKERS and SCHEMA_REGISTRY_URL` });
    progress(targets.length, targets.length, 'done');
    return rows;
  } finally {
    await bare.close();
    await memory.close();
    await onKafka?.close();
    if (!(kafka instanceof Error)) await kafka.close();
  }
}

export async function run(options: ConnectorBenchOptions = {}): Promise<BenchReport> {
  const quick = options.quick === true;
  const progress = options.progress ?? (() => undefined);
  const rows: BenchRow[] = [];
  const chosen = options.parts ?? parts;
  if (chosen.includes('sync')) rows.push(...await initialSync({
    mailboxes: options.mailboxes ?? (quick ? 500 : 10_000),
    meetings: options.meetings ?? 50,
    concurrency: options.concurrency ?? 128,
  }, progress));
  if (chosen.includes('webhook')) rows.push(...await webhookLatency(options.notificationsPerSecond ?? 2_000, options.seconds ?? (quick ? 5 : 20), progress));
  return { name: 'connector', rows };
}
