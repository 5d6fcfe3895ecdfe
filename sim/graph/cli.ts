import type { Command } from 'commander';
import { systemClock, type Clock } from './clock.js';
import { SimConfigError } from './errors.js';
import { CLOUD_NAMES } from './clouds.js';
import { guid } from './seed.js';
import { startGraphSimulator, type GraphSimulator } from './simulator.js';
import type { CloudName } from './model.js';
import { mulberry32 } from './seeded-random.js';
import { ActivityDriver, compileScenarioOptions, loadScenario, type ScenarioSummary } from './scenarios/index.js';
import { SimStore } from './store/index.js';

export interface SimCliOptions {
  users: number;
  rooms: number;
  seed: number;
  /** Tenants, assigned to `clouds` in turn (default 1). */
  tenants?: number;
  /** Meetings per licensed user's calendar (default 20). */
  meetings?: number;
  /** Activity driver actions per second; 0 or absent = no driver. */
  activity?: number;
  /** The scenario's "now" (default: start of the current UTC day, so one day's runs match). */
  anchorMs?: number;
  clouds?: CloudName[];
  /** Fixed port of the worldwide listener (0 = any). */
  port?: number;
  clock?: Clock;
}

export interface SimCliTenant {
  tenantId: string;
  cloud: CloudName;
  domains: string[];
  users: number;
  rooms: number;
}

export interface SimCliRun {
  sim: GraphSimulator;
  scenario: ScenarioSummary;
  tenants: SimCliTenant[];
  appId: string;
  clientSecret: string;
  driver: ActivityDriver | undefined;
  /** What `hycal sim` prints. */
  lines: string[];
  close(): Promise<void>;
}

/**
 * Starts the simulator, seeds it with the scenario generator (`loadScenario`), registers one
 * multi-tenant app with admin consent in every tenant and, when asked, runs the activity driver.
 */
export async function startSimFromCli(options: SimCliOptions): Promise<SimCliRun> {
  const clouds = options.clouds ?? ['worldwide'];
  const clock = options.clock ?? systemClock;
  const anchorMs = options.anchorMs ?? Math.floor(clock.now() / 86_400_000) * 86_400_000;
  const scenarioOptions = {
    seed: options.seed, tenants: options.tenants ?? 1, usersPerTenant: options.users, roomsPerTenant: options.rooms,
    meetingsPerMailbox: options.meetings ?? 20, anchorMs, clouds,
  };
  compileScenarioOptions(scenarioOptions);
  const store = new SimStore(clock);
  const scenario = loadScenario(store, scenarioOptions);
  const sim = await startGraphSimulator({
    clock, store, clouds: [...new Set(clouds)], ...(options.port === undefined ? {} : { ports: { [clouds[0] ?? 'worldwide']: options.port } }),
  });
  const next = mulberry32(options.seed);
  const appId = guid(next);
  const clientSecret = `sim~${guid(next).replace(/-/g, '')}`;
  const first = scenario.tenants[0];
  sim.admin.registerApp({
    appId, displayName: 'hybrid-calendar (simulated)', homeTenantId: first?.id ?? '', secrets: [clientSecret],
    redirectUris: ['https://localhost/callback', 'http://localhost:3000/admin/consent/callback'],
    applicationPermissions: ['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'User.Read.All', 'Domain.Read.All'],
    delegatedPermissions: ['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'User.Read'],
  });
  for (const t of scenario.tenants) sim.admin.grantAdminConsent(t.id, appId);
  const tenants = scenario.tenants.map((t) => ({ tenantId: t.id, cloud: t.cloud, domains: t.domains, users: t.users.length, rooms: t.rooms.length }));
  let driver: ActivityDriver | undefined;
  if (options.activity !== undefined && options.activity > 0) {
    // The store sends invitations and updates to attendee and room mailboxes itself, so the
    // driver does not write room copies of its own.
    driver = new ActivityDriver({ target: sim.store, tenants: scenario.tenants, seed: options.seed, ratePerSecond: options.activity, clock, anchorMs, roomCopies: false });
    driver.start();
  }
  const lines = describeEndpoints(sim, { tenants, appId, clientSecret, scenario, activity: options.activity ?? 0 });
  return {
    sim, scenario, tenants, appId, clientSecret, driver, lines,
    async close() {
      await driver?.stop();
      await sim.close();
    },
  };
}

/** The endpoints and credentials a connector needs, one per line. */
export function describeEndpoints(
  sim: GraphSimulator,
  info: { tenants: SimCliTenant[]; appId: string; clientSecret: string; scenario: ScenarioSummary; activity: number },
): string[] {
  const c = info.scenario.counts;
  const lines = [
    'Microsoft Graph simulator running',
    `  CA certificate      ${sim.caCertPath}   (export NODE_EXTRA_CA_CERTS=${sim.caCertPath})`,
    `  App registration    client_id ${info.appId}  client_secret ${info.clientSecret}  (admin consent in every tenant)`,
    `  Scenario            ${c.mailboxes} mailboxes, ${c.events} events, ${c.series} series, ${c.exceptions} exceptions${info.activity > 0 ? `; activity ${info.activity}/s` : ''}`,
    '  Clouds:',
  ];
  for (const cloud of Object.values(sim.clouds)) {
    lines.push(
      `    ${cloud.cloud}`,
      `      Graph base URL    ${cloud.graphBaseUrl}   (Graph client baseUrl; customHosts: ["localhost"]; documented ${cloud.documentedGraphHost})`,
      `      Authority host    ${cloud.authorityUrl}   (documented ${cloud.documentedLoginHost}); knownAuthorities ["${cloud.knownAuthority}"]`,
      `      authorityMetadata ${cloud.authorityMetadata}   (MSAL fills in {tenant})`,
      `      Admin             ${cloud.graphBaseUrl}/_sim/calls, POST /_sim/faults, GET /_sim/notifications`,
    );
  }
  lines.push('  Tenants:');
  for (const t of info.tenants) {
    const cloud = sim.clouds[t.cloud];
    lines.push(`    ${t.tenantId}  ${t.cloud}  ${t.domains.join(', ')}  (${t.users} users, ${t.rooms} rooms)`);
    if (cloud !== undefined) lines.push(`      authority  ${cloud.authorityUrl}/${t.tenantId}   (Graph ${cloud.graphBaseUrl})`);
  }
  lines.push('Press Ctrl+C to stop.');
  return lines;
}

function nonNegativeInt(name: string, text: string | undefined, fallback: number): number {
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 0) throw new SimConfigError(`hycal sim: --${name} must be a non-negative integer (got ${String(text)}).`, { details: { key: name } });
  return value;
}

/** `hycal sim --users N --rooms M --seed S`: starts the simulator and prints where to point a connector. */
export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('Run the Microsoft Graph + identity platform simulator, seeded by the scenario generator, and print its endpoints')
    .option('--users <n>', 'users per tenant', '10')
    .option('--rooms <n>', 'room mailboxes per tenant', '2')
    .option('--seed <n>', 'seed of the scenario (same seed, same tenants and meetings)', '1')
    .option('--tenants <n>', 'tenants, assigned to --clouds in turn', '1')
    .option('--meetings <n>', 'meetings per user calendar', '20')
    .option('--clouds <list>', 'comma-separated clouds: worldwide, gcc, gccHigh, dod, china', 'worldwide')
    .option('--activity <perSecond>', 'run the activity driver at this many actions per second (0 = off)', '0')
    .option('--port <n>', 'port of the first cloud\'s listener (0 = any)', '8443')
    .action(async (opts: Record<string, string | undefined>) => {
      let run: SimCliRun;
      try {
        const clouds = (opts['clouds'] ?? 'worldwide').split(',').map((c) => c.trim()).filter((c) => c !== '');
        const unknown = clouds.find((c) => !(CLOUD_NAMES as readonly string[]).includes(c));
        if (unknown !== undefined) throw new SimConfigError(`hycal sim: --clouds has unknown cloud '${unknown}'; use ${CLOUD_NAMES.join(', ')}.`, { details: { key: 'clouds' } });
        const activity = Number(opts['activity'] ?? '0');
        if (!(Number.isFinite(activity) && activity >= 0)) throw new SimConfigError('hycal sim: --activity must be a number >= 0 (actions per second).', { details: { key: 'activity' } });
        run = await startSimFromCli({
          users: nonNegativeInt('users', opts['users'], 10), rooms: nonNegativeInt('rooms', opts['rooms'], 2), seed: nonNegativeInt('seed', opts['seed'], 1),
          tenants: nonNegativeInt('tenants', opts['tenants'], 1), meetings: nonNegativeInt('meetings', opts['meetings'], 20),
          port: nonNegativeInt('port', opts['port'], 8443), clouds: clouds as CloudName[], activity,
        });
      } catch (error) {
        console.error(error instanceof Error ? error.message : String(error));
        process.exitCode = 2;
        return;
      }
      console.log(run.lines.join('\n'));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await run.close();
    });
}
