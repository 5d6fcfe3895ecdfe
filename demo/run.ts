import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../common/index.js';
import { loadOrCreateTls } from '@hybrid-calendar/sim-graph';
import { startSimFromCli, type SimCliRun } from '@hybrid-calendar/sim-graph/cli';
import { ActivityDriver } from '@hybrid-calendar/sim-graph/scenarios';
import {
  buildCodec, buildKafka, buildKeyring, connectMongo, createAppContext, serviceDb, startService, stackTargetOf, type AppContext, type RunningService,
} from '../app/index.js';
import { KafkaNotificationSink, MailboxCommands, ProvisioningStore } from '../connectors/graph/index.js';
import { registerDevices } from '../processors/obtp/index.js';
import { setWritebackSettings } from '../processors/writeback/index.js';
import { stackUp, checkoutRoot } from '../stack/index.js';
import { DemoBoard } from './board.js';
import { startDashboard } from './dashboard.js';
import { TopicTap } from './tap.js';
import { demoClock, rateOnDemoClock } from './clock.js';

export interface DemoOptions {
  readonly users: number;
  readonly rooms: number;
  readonly seed: number;
  /** Calendar actions per second (of real time, whatever the speed) of the simulated organisation once the service runs. */
  readonly activity: number;
  readonly dashboardPort: number;
  /** The service clock runs this many times faster than real time (1: real time, the default). */
  readonly speed?: number;
  /**
   * Names what a run keeps (topics `<name>.`, database `hycal_<name>`); default `demo`. Another
   * name gives a clean organisation beside the one earlier runs left (e.g. one sealed under keys
   * this checkout does not have).
   */
  readonly name?: string;
  readonly say: (line: string) => void;
}

export interface RunningDemo {
  readonly dashboardUrl: string;
  stop(): Promise<void>;
}

const STEPS = 6;
const DEMO_NAME = 'demo';

/** The demo's master key, kept beside the stack's data so that a second run reads what the first wrote. */
function demoMasterKey(root: string): string {
  const dir = join(root, '.stack', 'demo');
  const file = join(dir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** Saves the simulated tenants as consented, their write-back settings, and registers a workspace device per room and a personal one per third user. */
async function seedOrganisation(context: AppContext, sim: SimCliRun): Promise<{ tenantId: string; mailboxes: string[] }[]> {
  const mongo = await connectMongo(context);
  try {
    const db = serviceDb(context, mongo);
    const { keyring, close } = buildKeyring(context, mongo);
    try {
      const store = new ProvisioningStore(db, keyring, context.clock);
      const out: { tenantId: string; mailboxes: string[] }[] = [];
      for (const tenant of sim.scenario.tenants) {
        await store.saveTenant({ _id: tenant.id, orgId: 'demo', cloud: 'worldwide', status: 'authorised', clientId: sim.appId, domains: tenant.domains, consentedAt: context.clock.now() });
        // Keyword meetings (@webex, @meet) get join details from the built-in provider on a demo site.
        await setWritebackSettings(db, tenant.id, {
          siteDomain: 'demo.webex.com', defaultLanguage: 'en-US', fallbackLanguage: 'en-US',
          joinBlock: { en: { header: 'Join from a video device, the app or the browser.', footer: 'Hybrid Calendar demo' }, de: { header: 'Beitreten per Videosystem, App oder Browser.', footer: 'Hybrid Calendar Demo' } },
        });
        for (const room of tenant.rooms) await registerDevices(db, tenant.id, room, [{ deviceId: `room-${room.slice(0, 8)}`, mode: 'shared' }]);
        showcaseMeetings(sim, tenant.id, tenant.rooms, context.clock.now());
        for (const [index, user] of licensedUsers(tenant).slice(0, 6).entries()) keywordMeeting(sim, tenant.id, user, context.clock.now(), index);
        for (const [index, user] of tenant.users.entries()) {
          if (index % 3 === 0) await registerDevices(db, tenant.id, user, [{ deviceId: `desk-${user.slice(0, 8)}`, mode: 'personal' }]);
        }
        const licensed = new Set(tenant.unlicensed);
        out.push({ tenantId: tenant.id, mailboxes: [...tenant.users.filter((u) => !licensed.has(u)), ...tenant.rooms] });
      }
      return out;
    } finally {
      await close();
    }
  } finally {
    await mongo.close();
  }
}

/**
 * A few video meetings in each room starting over the next half hour (service clock), so that a
 * person watching sees Join buttons come and go on the room devices within minutes (seconds at
 * `--speed 60`), not only when the seeded calendar happens to have a meeting soon.
 */
function showcaseMeetings(sim: SimCliRun, tenantId: string, rooms: readonly string[], now: number): void {
  const iso = (ms: number): { dateTime: string; timeZone: string } => ({ dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' });
  for (const [r, room] of rooms.entries()) {
    for (let k = 0; k < 3; k += 1) {
      const start = Math.ceil(now / 60_000) * 60_000 + (6 + 10 * k + 2 * r) * 60_000;
      sim.sim.store.createEvent(tenantId, room, {
        subject: `Stand-up ${k + 1}`,
        body: { contentType: 'html', content: `<p>Join: <a href="https://demo.webex.com/meet/room${r}k${k}">https://demo.webex.com/meet/room${r}k${k}</a></p>` },
        start: iso(start), end: iso(start + 15 * 60_000),
        location: { displayName: 'Video room' },
      });
    }
  }
}

function licensedUsers(tenant: { users: readonly string[]; unlicensed: readonly string[] }): string[] {
  const unlicensed = new Set(tenant.unlicensed);
  return tenant.users.filter((u) => !unlicensed.has(u));
}

/** The keywords a person types in Location, in turn (both providers, every modifier). */
const KEYWORDS = ['@webex', '@meet', '@webex:onetime', '@meet:myroom', '@webex:space', '@meet:onetime'] as const;

/**
 * A keyword meeting organised by `user`, starting a few hours ahead of the SERVICE clock (the one
 * write-back's "created in the past, left alone" check reads): the simulated organisation's seeded
 * calendar is laid out on real time, so at `--speed 60` its keyword meetings of the next hours are
 * already over for the service by the time it reads them. These get decorated while one watches.
 */
function keywordMeeting(sim: SimCliRun, tenantId: string, user: string, now: number, index: number): void {
  const iso = (ms: number): { dateTime: string; timeZone: string } => ({ dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' });
  const start = Math.ceil(now / 900_000) * 900_000 + (3 + (index % 4)) * 3_600_000;
  sim.sim.store.createEvent(tenantId, user, {
    subject: `Planning ${index + 1}`,
    body: { contentType: 'html', content: '<html><body><p>Agenda: the next release.</p></body></html>' },
    start: iso(start), end: iso(start + 30 * 60_000),
    location: { displayName: KEYWORDS[index % KEYWORDS.length] ?? '@webex' },
  });
}

/** Every `everyMs` of real time, one more keyword meeting by the next user (service clock, see `keywordMeeting`). */
function keywordMeetingsEvery(sim: SimCliRun, clock: { now(): number }, everyMs: number): () => Promise<void> {
  const tenants = sim.scenario.tenants.map((t) => ({ id: t.id, users: licensedUsers(t) }));
  let n = 0;
  const timer = setInterval(() => {
    const tenant = tenants[n % tenants.length];
    if (tenant === undefined || tenant.users.length === 0) return;
    keywordMeeting(sim, tenant.id, tenant.users[Math.floor(n / tenants.length) % tenant.users.length]!, clock.now(), n);
    n += 1;
  }, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    return Promise.resolve();
  };
}

async function activate(context: AppContext, tenants: { tenantId: string; mailboxes: string[] }[]): Promise<number> {
  const kafka = buildKafka(context, 'hycal-demo-commands');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const codec = await buildCodec(context);
    const commands = new MailboxCommands(new KafkaNotificationSink(producer, codec, `${context.config.stack.topicPrefix}graph.notifications.v1`), () => context.clock.now());
    let n = 0;
    for (const { tenantId, mailboxes } of tenants) {
      for (const mailbox of mailboxes) {
        await commands.send(tenantId, mailbox, 'ACTIVATE');
        n += 1;
      }
    }
    return n;
  } finally {
    await producer.disconnect();
  }
}

/**
 * `hycal demo`: the real stack, the Graph simulator with a seeded organisation, the service
 * (webhook, connector, processors) and a dashboard fed by the service's public topics; then
 * simulated calendar activity. Everything a run creates lives under the `demo.` topic prefix and
 * the `hycal_demo` database (`--name` picks another), so a second run reuses it.
 */
export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const root = checkoutRoot();
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    options.say(`[1/${STEPS}] stack: Kafka, schema registry, MongoDB (started or reused)`);
    const base = createAppContext();
    const stack = await stackUp({ ...stackTargetOf(base, root) });
    options.say(`[2/${STEPS}] Microsoft Graph simulator: ${options.users} users, ${options.rooms} rooms, seed ${options.seed}`);
    const speed = options.speed ?? 1;
    // One clock for the service and the simulated Microsoft 365 (subscription lifetimes, "now" of
    // the seeded calendar, token lifetimes): at --speed 60 a service clock ahead of Graph's asked
    // for subscriptions beyond Graph's 4,230 minutes and saw keyword meetings as already over.
    const clock = demoClock(speed);
    const sim = await startSimFromCli({ users: options.users, rooms: options.rooms, seed: options.seed, meetings: 8, activity: 0, clock });
    stops.push(() => sim.close());
    const name = options.name ?? DEMO_NAME;
    const prefix = `${name}.`;
    const context = createAppContext({
      clock,
      env: { ...process.env, HYCAL_KMS_MASTER_KEY: demoMasterKey(root) },
      overrides: {
        stack: { kafkaBrokers: stack.connections.KAFKA_BROKERS, schemaRegistryUrl: stack.connections.SCHEMA_REGISTRY_URL, mongodbUri: stack.connections.MONGODB_URI, mongodbDatabase: `hycal_${name.replace(/[^a-z0-9_]/gi, '_')}`, topicPrefix: prefix },
        ops: { host: '127.0.0.1', port: 0 },
        logLevel: 'warn',
        runtime: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
        api: { host: '127.0.0.1', port: 0, orgId: 'demo', cookieSecret: randomBytes(32).toString('base64url') },
      },
    });
    options.say(`[3/${STEPS}] organisation: tenant consent, devices for rooms and desks`);
    const tenants = await seedOrganisation(context, sim);
    options.say(`[4/${STEPS}] service: webhook, connector, processors and API (hycal serve)`);
    const tls = await loadOrCreateTls();
    const webhookPort = await freePort();
    const service: RunningService = await startService(context, ['webhook', 'connector', 'processors', 'api'], {
      webhook: { host: '127.0.0.1', port: webhookPort, tls: { keyPem: tls.keyPem, certPem: tls.certPem } },
      mailboxes: { notificationUrl: `https://localhost:${webhookPort}/graph/notifications`, settingsPollMs: 30_000, reconcileMs: 300_000 },
      app: { clientId: sim.appId, clientSecret: sim.clientSecret },
      access: { caPem: sim.sim.caCertPem, graphBaseUrl: sim.sim.graphBaseUrl, authorityHost: sim.sim.authorityUrl, knownAuthorities: [sim.sim.knownAuthority], authorityMetadata: sim.sim.authorityMetadata },
    });
    stops.push(() => service.stop());
    options.say(`API and pages: ${service.apiUrl ?? ''} (OpenAPI at /openapi.json)`);
    options.say(`[5/${STEPS}] dashboard`);
    const board = new DemoBoard(context.clock, speed);
    const tap = new TopicTap({ kafka: buildKafka(context, 'hycal-demo-dashboard'), codec: await buildCodec(context), board, logger: context.logger('demo'), prefix });
    await tap.start();
    stops.push(() => tap.stop());
    const dashboard = await startDashboard({ board, port: options.dashboardPort });
    stops.push(() => dashboard.app.close());
    const activated = await activate(context, tenants);
    options.say(`[6/${STEPS}] ${activated} mailboxes activated; calendar activity at ${options.activity}/s${speed > 1 ? ` of real time; service clock at ${speed}× real time` : ''}`);
    // A new keyword meeting every 10 s of real time, so decorations keep arriving on the board.
    stops.push(keywordMeetingsEvery(sim, context.clock, 10_000));
    if (options.activity > 0) {
      // Paced on the service clock, at `activity` actions per second of real time (rateOnDemoClock).
      const driver = new ActivityDriver({
        target: sim.sim.store, tenants: sim.scenario.tenants, seed: options.seed, ratePerSecond: rateOnDemoClock(options.activity, speed), clock: context.clock, anchorMs: context.clock.now(), roomCopies: false,
      });
      driver.start();
      stops.push(() => driver.stop());
    }
    return { dashboardUrl: dashboard.url, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
