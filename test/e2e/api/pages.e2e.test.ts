import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault } from '../../../kms/index.js';
import { seedBasicTenant, startGraphSimulator, type GraphSimulator } from '@hybrid-calendar/sim-graph';
import {
  MemoryCalendarActions, MemoryConnections, MemoryProvisioning, MemorySettings, MemoryStateStore, MemoryViews, buildApi, type MailboxStatus,
} from '../../../api/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** axe-core in the page (evaluated through the devtools protocol, so the page's CSP stays on). */
async function seriousViolations(page: Page): Promise<string[]> {
  const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string | null; nodes: unknown[] }[] }> } }).axe;
    return axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) ×${v.nodes.length}`);
}

describe('api pages in a browser (chromium, simulator identity platform)', () => {
  let sim: GraphSimulator;
  let app: FastifyInstance;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let userDir: string;
  let seed: ReturnType<typeof seedBasicTenant>;
  const provisioning = { current: undefined as unknown as MemoryProvisioning };
  const connections = new MemoryConnections();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium".`);
    mkdirSync(ARTIFACTS, { recursive: true });
    sim = await startGraphSimulator({ clouds: ['worldwide'] });
    seed = seedBasicTenant(sim, { users: 3, rooms: 1, seed: 16 });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const clientId = '0e5a1c3b-7a61-4f6e-9d43-2f4b8c1d9e16';
    sim.admin.registerApp({
      appId: clientId, displayName: 'hybrid-calendar', homeTenantId: seed.tenantId, secrets: ['e2e-secret'],
      redirectUris: [`${base}/auth/callback`, `${base}/admin/setup/callback`],
      applicationPermissions: ['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'User.Read.All', 'Domain.Read.All'],
      delegatedPermissions: ['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'User.Read'],
    });
    const clock = new ManualClock(Date.now());
    const vault = new TenantKeyVault({ masterKey: Buffer.alloc(32, 7), store: new MemoryTenantKeyStore(), clock });
    const keyring = new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock });
    provisioning.current = new MemoryProvisioning({ orgs: [{ orgId: 'org-e2e', admins: [`user0@${seed.domain}`], homeTenantId: seed.tenantId }], consent: { authorityUrl: sim.authorityUrl, clientId } });
    provisioning.current.knownTenants.set(seed.tenantId, { tenantId: seed.tenantId, displayName: 'Tenant 16', state: 'pending', reason: null, domains: [seed.domain] });
    provisioning.current.testMailboxResults.set(`user1@${seed.domain}`, { ok: true, detail: `An event was created and removed in user1@${seed.domain}.` });
    provisioning.current.testMailboxResults.set(`room0@${seed.domain}`, { ok: false, code: 'ErrorAccessDenied', reason: 'Access is denied: an application access policy excludes this mailbox.', nextStep: 'Add the mailbox to the security group of the application access policy (New-ApplicationAccessPolicy), or choose a mailbox in scope.' });
    app = await buildApi({
      publicBaseUrl: base, cookieSecret: 'e2e-cookie-secret-of-at-least-32-characters',
      oidc: { authorityUrl: sim.authorityUrl, clientId, clientSecret: 'e2e-secret', caPem: sim.caCertPem },
    }, { views: new MemoryViews(), decryptor: keyring, provisioning: provisioning.current, connections, settings: new MemorySettings(), actions: new MemoryCalendarActions(), state: new MemoryStateStore() }, { clock });
    await app.listen({ host: '127.0.0.1', port });
    userDir = mkdtempSync(join(tmpdir(), 'hycal-chromium-'));
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM, headless: true, ignoreHTTPSErrors: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await app?.close();
    await sim?.close();
    if (userDir !== undefined) rmSync(userDir, { recursive: true, force: true });
  });

  /** Waits for a page of ours; on timeout says where the browser is and what it shows. */
  async function arrive(url: string | RegExp): Promise<void> {
    try {
      await page.waitForURL(url, { timeout: 15_000 });
    } catch (error) {
      throw new Error(`browser at ${page.url()}: ${(await page.locator('body').textContent())?.slice(0, 400)}`, { cause: error });
    }
  }

  async function signIn(path: string, email: string): Promise<void> {
    await page.goto(`${base}${path}`);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Next' }).click();
  }

  it('e2e – admin signs in, sets up Microsoft 365 through admin consent, and a refused test mailbox says why and what to do', async () => {
    await signIn('/admin', `user0@${seed.domain}`);
    await arrive(`${base}/admin`);
    await page.getByRole('link', { name: 'Set up Microsoft 365' }).first().click();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Set up Microsoft 365' }).click();
    await page.getByLabel('Administrator account').fill(`user0@${seed.domain}`);
    await page.getByRole('button', { name: 'Accept' }).click();
    await arrive(/\/admin\/setup\/callback/);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Consent granted');
    await page.screenshot({ path: join(ARTIFACTS, 'admin-consent-granted.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel(/Test mailbox/).fill(`room0@${seed.domain}`);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('application access policy');
    expect(await page.getByRole('alert').textContent()).toContain('What to do next');
    await page.screenshot({ path: join(ARTIFACTS, 'admin-test-mailbox-refused.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel(/Test mailbox/).fill(`user1@${seed.domain}`);
    await page.getByRole('button', { name: 'Test the mailbox' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Success');
    await page.screenshot({ path: join(ARTIFACTS, 'admin-setup-done.png'), fullPage: true });
    expect((await provisioning.current.tenants('org-e2e')).map((t) => t.state)).toEqual(['authorised']);
  });

  it('e2e – the status report searches, filters and pages with the keyboard', async () => {
    const states = ['not-activated', 'pending', 'activated', 'error'] as const;
    const rows: MailboxStatus[] = Array.from({ length: 240 }, (_, i) => ({
      mailboxId: `m${i}`, tenantId: seed.tenantId, displayName: `Person ${String(i).padStart(3, '0')}`, address: `p${i}@${seed.domain}`, kind: 'user',
      state: states[i % 4]!, reason: i % 4 === 3 ? 'Graph answered 404: the mailbox does not exist' : null, nextRetryAt: i % 4 === 3 ? Date.UTC(2026, 11, 3, 15, 0) : null,
    }));
    provisioning.current.setStatuses(rows);
    await page.goto(`${base}/admin/users`);
    expect(await page.getByText('Page 1 of 5 (240 mailboxes)').count()).toBeGreaterThan(0);
    await page.getByLabel('State').selectOption('error');
    await page.getByLabel('Search by name or address').fill('Person 1');
    await page.getByLabel('Search by name or address').press('Enter');
    await arrive(/state=error/);
    const text = await page.locator('main').textContent();
    expect(text).toContain('Person 103');
    expect(text).toContain('Graph answered 404');
    expect(text).not.toContain('Person 100');
    await page.screenshot({ path: join(ARTIFACTS, 'admin-status-report.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    for (const path of ['/admin/tenants', '/admin/rooms', '/admin/settings', '/admin/tokens']) {
      await page.goto(`${base}${path}`);
      expect(await seriousViolations(page), path).toEqual([]);
    }
  });

  it('e2e – a user signs in and connects their Microsoft 365 calendar (authorization code + PKCE), then disconnects', async () => {
    await context.clearCookies();
    await signIn('/me', `user2@${seed.domain}`);
    await arrive(`${base}/me`);
    expect(await page.locator('#connection-state').textContent()).toBe('Not connected');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Connect your Microsoft 365 calendar' }).click();
    await arrive(`${base}/me`);
    expect(await page.locator('#connection-state').textContent()).toBe('Pending activation');
    const userId = [...connections.grants.keys()][0]!;
    expect(userId.startsWith(`${seed.tenantId}/`)).toBe(true);
    expect(connections.grants.get(userId)!.refreshToken).toMatch(/^1\./);
    await page.screenshot({ path: join(ARTIFACTS, 'user-connected.png'), fullPage: true });
    await page.getByRole('button', { name: 'Disconnect your calendar' }).click();
    await arrive(`${base}/me`);
    expect(await page.locator('#connection-state').textContent()).toBe('Not connected');
  });
});
