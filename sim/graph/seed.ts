import type { CloudName } from './model.js';
import { mulberry32 } from './seeded-random.js';
import type { GraphSimulator } from './simulator.js';

/** A deterministic v4-shaped GUID from a seeded generator. */
export function guid(next: () => number): string {
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

