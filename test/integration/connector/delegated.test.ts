import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/clock.js';
import { TOKEN_CACHE_COLLECTION, type GraphConnections } from '../../../graph/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { testMongo, uniqueName } from '../../support/stack.js';
import { ALICE, APP, REDIRECT, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { simConnections, testKeyring } from './harness.js';
import { authorize } from '../../support/sign-in.js';

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
