import { randomBytes } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/clock.js';
import type { GraphConnections } from '../../../graph/index.js';
import { Provisioning, ProvisioningStore, StateSigner, cloudFromOpenIdConfiguration } from '../../../connectors/graph/provisioning/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { testMongo, uniqueName } from '../../support/stack.js';
import { ALICE, APP, BOB, REDIRECT, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { simConnections, testKeyring } from './harness.js';

const OTHER_TENANT = '7d3b7e6c-1f4a-4a38-9a5e-2c7c1d0a1b02';

describe('connector provisioning – consent, cloud policy, domains, test mailbox', () => {
  let sim: GraphSimulator;
  let mongo: MongoClient;
  let connections: GraphConnections;
  let provisioning: Provisioning;
  let government: Provisioning;
  let signer: StateSigner;

  beforeAll(async () => {
    sim = await startSeeded();
    sim.store.addTenant({ id: OTHER_TENANT, displayName: 'Fabrikam', cloud: 'worldwide', domains: [{ id: 'fabrikam.com', isDefault: true, isInitial: false }] });
    sim.store.addMailbox(OTHER_TENANT, { id: '0b0b0b0b-0000-4000-8000-000000000001', userPrincipalName: 'carol@fabrikam.com', displayName: 'Carol', mail: 'carol@fabrikam.com', kind: 'user', mailboxEnabled: true, mailboxSettings: {} });
    sim.admin.grantAdminConsent(OTHER_TENANT, APP);
    mongo = await testMongo();
    const db = mongo.db(uniqueName('conn-prov'));
    const keyring = testKeyring(systemClock);
    connections = simConnections(sim, systemClock);
    signer = new StateSigner(randomBytes(32), systemClock);
    const deps = {
      store: new ProvisioningStore(db, keyring, systemClock), connections, signer, clock: systemClock,
      app: { clientId: APP, credential: { kind: 'secret' as const, clientSecret: SECRET } },
      consentRedirectUri: REDIRECT, authorityHost: sim.authorityUrl,
    };
    provisioning = new Provisioning({ ...deps, mode: 'commercial' });
    government = new Provisioning({ ...deps, mode: 'government' });
  });

  afterAll(async () => {
    connections.close();
    await mongo.close();
    await sim.close();
  });

  function stateOf(url: string): string {
    return new URL(url).searchParams.get('state') ?? '';
  }

  it('provisioning – builds the admin consent URL and records the tenant and its domains on success', async () => {
    const url = provisioning.adminConsentUrl('org-1', 'worldwide');
    expect(url.startsWith(`${sim.authorityUrl}/organizations/adminconsent?`)).toBe(true);
    expect(new URL(url).searchParams.get('client_id')).toBe(APP);
    const tenant = await provisioning.completeAdminConsent({ tenant: TENANT, admin_consent: 'True', state: stateOf(url) });
    expect(tenant).toMatchObject({ _id: TENANT, orgId: 'org-1', status: 'authorised', cloud: 'worldwide', domains: ['contoso.com', 'contoso.onmicrosoft.com'], defaultDomain: 'contoso.com' });
  });

  it('provisioning – refuses a tampered state and reports a declined consent with its code', async () => {
    const state = stateOf(provisioning.adminConsentUrl('org-1', 'worldwide'));
    const [body, mac] = state.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), orgId: 'org-evil' })).toString('base64url');
    await expect(provisioning.completeAdminConsent({ tenant: TENANT, admin_consent: 'True', state: `${forged}.${mac}` })).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_CONSENT_STATE_INVALID' });
    await expect(provisioning.completeAdminConsent({ tenant: TENANT, admin_consent: 'True', state: `${body}.${mac.slice(0, -2)}AA` })).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_CONSENT_STATE_INVALID' });
    await expect(provisioning.completeAdminConsent({ tenant: TENANT, admin_consent: 'True' })).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_CONSENT_STATE_INVALID' });
    await expect(provisioning.completeAdminConsent({ error: 'access_denied', error_description: 'AADSTS65004: The admin canceled the request', state })).rejects.toMatchObject({
      code: 'HC_ERR_GRAPH_CONSENT_DENIED', details: { error: 'access_denied', aadsts: 65004 },
    });
  });

  it('provisioning – accepts worldwide and GCC, refuses GCC High, DoD, China and Germany, and GCC High only in government mode', () => {
    expect(() => provisioning.adminConsentUrl('org-1', 'gcc')).not.toThrow();
    for (const cloud of ['gccHigh', 'dod', 'china', 'germany'] as const) {
      expect(() => provisioning.adminConsentUrl('org-1', cloud)).toThrow(expect.objectContaining({ code: 'HC_ERR_GRAPH_CLOUD_REFUSED' }) as Error);
    }
    expect(() => government.adminConsentUrl('org-1', 'gccHigh')).not.toThrow();
    expect(() => government.adminConsentUrl('org-1', 'dod')).toThrow(/DoD/);
    expect(cloudFromOpenIdConfiguration({ msgraph_host: 'graph.microsoft.us', tenant_region_sub_scope: 'DODCON' })).toBe('gccHigh');
    expect(cloudFromOpenIdConfiguration({ msgraph_host: 'graph.microsoft.com', tenant_region_sub_scope: 'GCC' })).toBe('gcc');
    expect(cloudFromOpenIdConfiguration({ msgraph_host: 'microsoftgraph.chinacloudapi.cn' })).toBe('china');
  });

  it('provisioning – routes addresses to the right tenant when an organisation has several', async () => {
    await provisioning.completeAdminConsent({ tenant: OTHER_TENANT, admin_consent: 'True', state: stateOf(provisioning.adminConsentUrl('org-1', 'worldwide')) });
    expect(await provisioning.routeAddress('org-1', 'Alice@Contoso.com')).toBe(TENANT);
    expect(await provisioning.routeAddress('org-1', 'carol@fabrikam.com')).toBe(OTHER_TENANT);
    await expect(provisioning.routeAddress('org-2', 'carol@fabrikam.com')).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_UNKNOWN_DOMAIN' });
    await expect(provisioning.routeAddress('org-1', 'x@unknown.example')).rejects.toMatchObject({ code: 'HC_ERR_GRAPH_UNKNOWN_DOMAIN' });
  });

  it('provisioning – the test mailbox check creates and deletes an event, or names the precise reason', async () => {
    expect(await provisioning.testMailbox(TENANT, 'alice@contoso.com')).toEqual({ ok: true, mailboxId: ALICE });
    expect(sim.store.findMailbox(TENANT, ALICE)).toBeDefined();
    sim.admin.setAccessPolicy(TENANT, APP, [ALICE]);
    expect(await provisioning.testMailbox(TENANT, 'bob@contoso.com')).toMatchObject({ ok: false, code: 'HC_ERR_GRAPH_ACCESS_POLICY' });
    sim.admin.setAccessPolicy(TENANT, APP, undefined);
    expect(await provisioning.testMailbox(TENANT, 'nobody@contoso.com')).toMatchObject({ ok: false, code: 'HC_ERR_GRAPH_MAILBOX_NOT_FOUND' });
    expect(await provisioning.testMailbox(TENANT, 'guest@contoso.com')).toMatchObject({ ok: false, code: 'HC_ERR_GRAPH_NOT_EXCHANGE_ONLINE' });
    sim.admin.revokeConsent(TENANT, APP);
    try {
      const fresh = new Provisioning({
        store: new ProvisioningStore(mongo.db(uniqueName('conn-prov2')), testKeyring(systemClock), systemClock), connections: simConnections(sim, systemClock), signer, clock: systemClock,
        app: { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } }, consentRedirectUri: REDIRECT, authorityHost: sim.authorityUrl, mode: 'commercial',
      });
      await fresh.completeAdminConsent({ tenant: TENANT, admin_consent: 'True', state: stateOf(fresh.adminConsentUrl('org-1', 'worldwide')) }).catch(() => undefined);
      expect(await fresh.testMailbox(TENANT, 'bob@contoso.com')).toMatchObject({ ok: false, code: 'HC_ERR_GRAPH_CONSENT_MISSING' });
    } finally {
      sim.admin.grantAdminConsent(TENANT, APP);
    }
    expect(BOB).toBeDefined();
  });
});
