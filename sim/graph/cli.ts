import type { Command } from 'commander';
import { startGraphSimulator, type GraphSimulator } from './index.js';
import type { CloudName } from './model.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function guid(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface SimSeedResult {
  tenantId: string;
  domain: string;
  appId: string;
  clientSecret: string;
}

/** A deterministic demo tenant: users, rooms and one app registration with admin consent. */
export function seedBasicTenant(sim: GraphSimulator, options: { users: number; rooms: number; seed: number; cloud?: CloudName }): SimSeedResult {
  const next = mulberry32(options.seed);
  const tenantId = guid(next);
  const domain = `tenant${options.seed}.example.com`;
  sim.store.addTenant({
    id: tenantId, displayName: `Tenant ${options.seed}`, cloud: options.cloud ?? 'worldwide',
    domains: [{ id: domain, isDefault: true, isInitial: false }, { id: `tenant${options.seed}.onmicrosoft.com`, isDefault: false, isInitial: true }],
  });
  for (let i = 0; i < options.users; i += 1) {
    const upn = `user${i}@${domain}`;
    sim.store.addMailbox(tenantId, { id: guid(next), userPrincipalName: upn, displayName: `User ${i}`, mail: upn, kind: 'user', mailboxEnabled: true, mailboxSettings: {} });
  }
  for (let i = 0; i < options.rooms; i += 1) {
    const upn = `room${i}@${domain}`;
    sim.store.addMailbox(tenantId, { id: guid(next), userPrincipalName: upn, displayName: `Room ${i}`, mail: upn, kind: 'room', mailboxEnabled: true, mailboxSettings: {} });
  }
  const appId = guid(next);
  const clientSecret = `sim~${guid(next).replace(/-/g, '')}`;
  sim.admin.registerApp({
    appId, displayName: 'hybrid-calendar (simulated)', homeTenantId: tenantId, secrets: [clientSecret],
    redirectUris: ['https://localhost/callback', 'http://localhost:3000/admin/consent/callback'],
    applicationPermissions: ['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'User.Read.All', 'Domain.Read.All'],
    delegatedPermissions: ['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'User.Read'],
  });
  sim.admin.grantAdminConsent(tenantId, appId);
  return { tenantId, domain, appId, clientSecret };
}

/** `hycal sim --users N --rooms M --seed S`: starts the simulator and prints where to point a connector. */
export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('Run the Microsoft Graph + identity platform simulator and print its endpoints')
    .option('--users <n>', 'users in the demo tenant', '10')
    .option('--rooms <n>', 'room mailboxes in the demo tenant', '2')
    .option('--seed <n>', 'seed for deterministic ids', '1')
    .option('--port <n>', 'port for the worldwide listener (0 = any)', '8443')
    .action(async (opts: { users: string; rooms: string; seed: string; port: string }) => {
      const ints = { users: Number(opts.users), rooms: Number(opts.rooms), seed: Number(opts.seed), port: Number(opts.port) };
      for (const [key, value] of Object.entries(ints)) {
        if (!Number.isInteger(value) || value < 0) {
          console.error(`hycal sim: --${key} must be a non-negative integer`);
          process.exitCode = 2;
          return;
        }
      }
      const sim = await startGraphSimulator({ ports: { worldwide: ints.port } });
      const seeded = seedBasicTenant(sim, ints);
      const lines = [
        'Microsoft Graph simulator running',
        `  Graph base URL      ${sim.graphBaseUrl}   (Graph client baseUrl; customHosts: ["localhost"])`,
        `  Authority           ${sim.authorityUrl}/${seeded.tenantId}`,
        `  knownAuthorities    ["${sim.knownAuthority}"]`,
        `  authorityMetadata   ${sim.authorityMetadata}`,
        `  CA certificate      ${sim.caCertPath}   (export NODE_EXTRA_CA_CERTS=${sim.caCertPath})`,
        `  Admin               ${sim.graphBaseUrl}/_sim/calls , POST /_sim/faults`,
        `  Tenant              ${seeded.tenantId} (${seeded.domain}), ${ints.users} users, ${ints.rooms} rooms`,
        `  App                 client_id ${seeded.appId}  client_secret ${seeded.clientSecret}`,
        '  Clouds:',
        ...Object.values(sim.clouds).map((c) => `    ${c.cloud.padEnd(10)} ${c.graphBaseUrl}  (documented: ${c.documentedGraphHost}, ${c.documentedLoginHost})`),
        'Press Ctrl+C to stop.',
      ];
      console.log(lines.join('\n'));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sim.close();
    });
}
