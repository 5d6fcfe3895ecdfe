import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/clock.js';
import { TOKEN_CACHE_COLLECTION, type GraphConnections } from '../../../graph/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { testMongo, uniqueName } from '../../support/stack.js';
import { ALICE, APP, REDIRECT, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { simConnections, startHookStub, testKeyring } from './harness.js';
import { authorize } from '../../support/sign-in.js';
import { ManualClock } from '../../../common/clock.js';
import { createMailboxProcessor, ProvisionedGraphResolver, ProvisioningStore, type MailboxState } from '../../../connectors/graph/index.js';
import { defineTopology } from '../../../runtime/index.js';
import { TopologyTestDriver } from '../../../runtime/testing/index.js';
import type { GraphNotification } from '../../../schemas/index.js';

describe('connector delegated access – connect your calendar (auth code + PKCE, sealed msal cache)', () => {
  let sim: GraphSimulator;
  let mongo: MongoClient;
  let connections: GraphConnections;
  const database = uniqueName('conn-deleg').replace(/\./g, '_');
  const registration = { clientId: APP, credential: { kind: 'secret' as const, clientSecret: SECRET } };
  const partition = `${TENANT}/${ALICE}`;

  beforeAll(async () => {
    sim = await startSeeded();
    mongo = await testMongo();
    connections = simConnections(sim, systemClock, { db: mongo.db(database), keyring: testKeyring(systemClock) });
  });

  afterAll(async () => {
    connections.close();
    await mongo.close();
    await sim.close();
  });

  it('delegated – signs in with PKCE, keeps the refresh token only sealed in MongoDB, and reads the mailbox as the user', async () => {
    const tokens = connections.userTokens({ tenantId: TENANT, cloud: 'worldwide' }, registration, partition);
    const pending = await tokens.beginSignIn(REDIRECT, 'state-1', 'alice@contoso.com');
    const url = new URL(pending.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')).toContain('offline_access');
    const callback = await authorize(pending.url, sim.caCertPem);
    expect(callback.get('state')).toBe('state-1');
    const account = await tokens.completeSignIn(callback.get('code')!, REDIRECT, pending.codeVerifier);
    expect(account.userObjectId).toBe(ALICE);
    const doc = await mongo.db(database).collection(TOKEN_CACHE_COLLECTION).findOne({ _id: partition as never });
    expect(doc).not.toBeNull();
    const stored = JSON.stringify(doc);
    expect(stored).not.toMatch(/RefreshToken|AccessToken|secret/i);
    // A fresh process (new client objects) reads the sealed cache and refreshes silently.
    connections.forget(partition);
    const graph = connections.forUser({ tenantId: TENANT, cloud: 'worldwide' }, registration, partition);
    expect(graph.userPath(ALICE)).toBe('/me');
    const settings = await graph.getMailboxSettings(ALICE);
    expect(settings['timeZone']).toBe('Pacific Standard Time');
    const again = connections.userTokens({ tenantId: TENANT, cloud: 'worldwide' }, registration, partition);
    await expect(again.getToken(true)).resolves.toMatchObject({ token: expect.any(String) as string });
  });

  it('delegated – a revoked grant becomes "needs re-authorisation", never a silent stop', async () => {
    sim.admin.revokeConsent(TENANT, APP);
    try {
      const tokens = connections.userTokens({ tenantId: TENANT, cloud: 'worldwide' }, registration, partition);
      await expect(tokens.getToken(true)).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_REAUTH_REQUIRED' });
    } finally {
      sim.admin.grantAdminConsent(TENANT, APP);
    }
  });
});

describe('connector mailboxes – each mailbox in its own authorization mode, from provisioning state', () => {
  const FABRIKAM = '9e1c2f4a-5b6d-4e7f-8a9b-0c1d2e3f4a01';
  const CAROL = '9e1c2f4a-0000-4000-8000-000000000001';
  let sim: GraphSimulator;
  let mongo: MongoClient;
  let connections: GraphConnections;
  let hook: { url: string; close: () => Promise<void> };
  const database = uniqueName('conn-modes').replace(/\./g, '_');
  const registration = { clientId: APP, credential: { kind: 'secret' as const, clientSecret: SECRET } };

  beforeAll(async () => {
    sim = await startSeeded();
    // A second tenant whose administrator never consented: only its users can connect their calendars.
    sim.store.addTenant({ id: FABRIKAM, displayName: 'Fabrikam', cloud: 'worldwide', domains: [{ id: 'fabrikam.com', isDefault: true, isInitial: false }] });
    sim.store.addMailbox(FABRIKAM, { id: CAROL, userPrincipalName: 'carol@fabrikam.com', displayName: 'Carol Chen', mail: 'carol@fabrikam.com', kind: 'user', mailboxEnabled: true, mailboxSettings: { timeZone: 'UTC' } });
    mongo = await testMongo();
    connections = simConnections(sim, systemClock, { db: mongo.db(database), keyring: testKeyring(systemClock) });
    hook = await startHookStub();
  });

  afterAll(async () => {
    await hook.close();
    connections.close();
    await mongo.close();
    await sim.close();
  });

  it('modes – an admin-consented tenant\'s mailbox syncs with application permissions and a connected user\'s with delegated ones, in one run', async () => {
    const keyring = testKeyring(systemClock);
    const store = new ProvisioningStore(mongo.db(database), keyring, systemClock);
    await store.saveTenant({ _id: TENANT, orgId: 'org-1', cloud: 'worldwide', status: 'authorised', clientId: APP, domains: ['contoso.com'], consentedAt: Date.now() });
    // Carol connects her calendar (auth code + PKCE; her consent is a user consent).
    const partition = `${FABRIKAM}/${CAROL}`;
    const tokens = connections.userTokens({ tenantId: FABRIKAM, cloud: 'worldwide' }, registration, partition);
    const pending = await tokens.beginSignIn(REDIRECT, 'state-carol', 'carol@fabrikam.com');
    const callback = await authorize(pending.url, sim.caCertPem);
    await tokens.completeSignIn(callback.get('code')!, REDIRECT, pending.codeVerifier);
    await store.saveConnection({ tenantId: FABRIKAM, mailboxId: CAROL, cloud: 'worldwide', partition, clientId: APP, connectedAt: Date.now() });
    const resolver = new ProvisionedGraphResolver({ store, connections, registration });
    expect(await resolver.modeOf(TENANT, ALICE)).toBe('application');
    expect(await resolver.modeOf(FABRIKAM, CAROL)).toBe('delegated');
    expect(await resolver.modeOf(FABRIKAM, 'someone-else')).toBeUndefined();
    // Application mode is not available in Fabrikam: the delegated grant is what makes Carol's mailbox work.
    await expect(connections.forTenant({ tenantId: FABRIKAM, cloud: 'worldwide' }, registration).getMailboxSettings(CAROL)).rejects.toMatchObject({ code: expect.stringMatching(/^HC_ERR_GRAPH_/) as string });
    const alice = await connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, registration).createEvent(ALICE, { subject: 'Alice app-mode', start: { dateTime: new Date(Date.now() + 86_400_000).toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: new Date(Date.now() + 90_000_000).toISOString().slice(0, 19), timeZone: 'UTC' } }, 'tx-a');
    const carol = await (await resolver.graphFor(FABRIKAM, CAROL)).createEvent(CAROL, { subject: 'Carol delegated', start: { dateTime: new Date(Date.now() + 86_400_000).toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: new Date(Date.now() + 90_000_000).toISOString().slice(0, 19), timeZone: 'UTC' } }, 'tx-c');
    expect(alice.id).toBeDefined();

    const driver = new TopologyTestDriver(defineTopology({
      name: 'connector-modes', inputs: [{ topic: 'graph.notifications.v1' }], outputs: ['calendar.raw.v1', 'mailbox.settings.raw.v1'],
      stages: [createMailboxProcessor({ graph: resolver, keyring, options: { notificationUrl: hook.url, settingsPollMs: 300_000, reconcileMs: 1_800_000, deltaPageSize: 50 } })],
    }), { clock: new ManualClock(Date.now()) });
    const activate = (tenantId: string, mailboxId: string): GraphNotification => ({ tenantId, mailboxId, kind: 'COMMAND', changeType: 'NONE', lifecycleEvent: 'NONE', command: 'ACTIVATE', subscriptionId: null, eventId: null, changeKey: null, receivedAt: Date.now() });
    sim.admin.clearCalls();
    await driver.pipeInput('graph.notifications.v1', `${TENANT}/${ALICE}`, activate(TENANT, ALICE));
    await driver.pipeInput('graph.notifications.v1', `${FABRIKAM}/${CAROL}`, activate(FABRIKAM, CAROL));
    expect(driver.state<MailboxState>(`${TENANT}/${ALICE}`, 'graph-mailbox')?.status).toBe('ACTIVATED');
    expect(driver.state<MailboxState>(`${FABRIKAM}/${CAROL}`, 'graph-mailbox')?.status).toBe('ACTIVATED');
    const rawIds = (key: string): string[] => driver.outputs('calendar.raw.v1').filter((o) => o.key === key).map((o) => (o.value as { eventId: string }).eventId);
    expect(rawIds(`${FABRIKAM}/${CAROL}`)).toEqual([carol.id]);
    expect(rawIds(`${TENANT}/${ALICE}`)).toContain(alice.id);
    // Each mailbox went through its own path: /users/{id} with the app token, /me with Carol's.
    const calls = sim.admin.calls({});
    expect(calls.some((c) => c.url.includes(`/users/${ALICE}/calendarView/delta`) && c.status === 200)).toBe(true);
    expect(calls.some((c) => c.url.includes('/me/calendarView/delta') && c.status === 200 && c.tenantId === FABRIKAM)).toBe(true);
    await driver.close();
  });
});
