/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from the wire */
import { createServer } from 'node:net';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/clock.js';
import { TokenService, MongoStateStore } from '../../../api/index.js';
import { buildCodec, buildKafka, buildKeyring, createAppContext, startService, type AppContext, type RunningService } from '../../../app/index.js';
import { KafkaNotificationSink, MailboxCommands, ProvisioningStore } from '../../../connectors/graph/index.js';
import { GraphConnections, MongoTokenCacheStore, graphAccessOptionsSchema, type GraphAccess } from '../../../graph/index.js';
import { generateKeyText } from '../../../kms/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { loadOrCreateTls } from '../../../sim/graph/tls/index.js';
import { testMongo, testStack, uniqueName } from '../../support/stack.js';
import { ALICE, APP, BOB, REDIRECT, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { waitFor } from '../runtime/helpers.js';
import { authorize } from '../../support/sign-in.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

const HOUR = 3_600_000;
const wall = (ms: number) => ({ dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' });

interface Meeting { id: string; subject: string | null; location: string | null; showAs: string }

describe('api role of hycal serve – on the real stack against the simulator', () => {
  const prefix = `${uniqueName('api')}.`;
  const database = uniqueName('api-db').replace(/\./g, '_');
  const base = Math.ceil(Date.now() / HOUR) * HOUR + 24 * HOUR;
  let sim: GraphSimulator;
  let mongo: MongoClient;
  let context: AppContext;
  let service: RunningService;
  let graph: GraphAccess;
  let connections: GraphConnections;
  let userToken: string;
  let invitation = '';

  beforeAll(async () => {
    sim = await startSeeded();
    mongo = await testMongo();
    connections = new GraphConnections({
      options: graphAccessOptionsSchema.parse({ caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata }),
      clock: systemClock,
    });
    graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
    for (let i = 0; i < 3; i += 1) {
      await graph.createEvent(ALICE, { subject: `Planning ${i}`, start: wall(base + i * 2 * HOUR), end: wall(base + (i * 2 + 1) * HOUR) }, `tx-a-${i}`);
    }
    invitation = (await graph.createEvent(BOB, {
      subject: 'Invitation from Bob', start: wall(base + 8 * HOUR), end: wall(base + 9 * HOUR),
      attendees: [{ type: 'required', emailAddress: { address: 'alice@contoso.com' } }],
    }, 'tx-b-1')).id;
    const stack = testStack();
    context = createAppContext({
      env: { HYCAL_KMS_MASTER_KEY: generateKeyText() },
      overrides: {
        stack: { kafkaBrokers: stack.kafkaBrokers.join(','), schemaRegistryUrl: stack.schemaRegistryUrl, mongodbUri: stack.mongodbUri, mongodbDatabase: database, topicPrefix: prefix },
        ops: { host: '127.0.0.1', port: 0 },
        api: { host: '127.0.0.1', port: 0, cookieSecret: 'c'.repeat(40), admins: ['admin@contoso.com'] },
        logLevel: 'warn',
        runtime: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
      },
    });
    const { keyring, close } = buildKeyring(context, mongo);
    await new ProvisioningStore(mongo.db(database), keyring, systemClock).saveTenant({
      _id: TENANT, orgId: 'default', cloud: 'worldwide', status: 'authorised', clientId: APP, domains: ['contoso.com'], consentedAt: Date.now(),
    });
    // Bob connected his calendar (delegated): his grant sits sealed in the token cache under tenantId/userId.
    const delegated = new GraphConnections({
      options: graphAccessOptionsSchema.parse({ caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata }),
      clock: systemClock, tokenCache: new MongoTokenCacheStore(mongo.db(database), keyring, systemClock),
    });
    const tokens = delegated.userTokens({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } }, `${TENANT}/${BOB}`);
    const pending = await tokens.beginSignIn(REDIRECT, 'state-1', 'bob@contoso.com');
    await tokens.completeSignIn((await authorize(pending.url, sim.caCertPem)).get('code')!, REDIRECT, pending.codeVerifier);
    delegated.close();
    await close();

    const tls = await loadOrCreateTls();
    const port = await freePort();
    service = await startService(context, ['webhook', 'connector', 'processors', 'api'], {
      webhook: { host: '127.0.0.1', port, tls: { keyPem: tls.keyPem, certPem: tls.certPem } },
      mailboxes: { notificationUrl: `https://localhost:${port}/graph/notifications`, settingsPollMs: 60_000, reconcileMs: 600_000 },
      app: { clientId: APP, clientSecret: SECRET },
      access: { caPem: sim.caCertPem, graphBaseUrl: sim.graphBaseUrl, authorityHost: sim.authorityUrl, knownAuthorities: [sim.knownAuthority], authorityMetadata: sim.authorityMetadata },
    });
    userToken = (await new TokenService(new MongoStateStore(mongo.db(database)), systemClock).issue({ orgId: 'default', kind: 'user', tenantId: TENANT, subject: ALICE, ttlMs: HOUR })).token;
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    connections?.close();
    await mongo?.db(database).dropDatabase().catch(() => undefined);
    await mongo?.close();
    await sim?.close();
  }, 60_000);

  const get = async (path: string, token = userToken): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${service.apiUrl!}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  };
  const send = async (method: string, path: string, body: unknown, token = userToken): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${service.apiUrl!}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  const range = () => `from=${new Date(base - HOUR).toISOString().slice(0, 19)}Z&to=${new Date(base + 7 * 24 * HOUR).toISOString().slice(0, 19)}Z`;
  const meetings = async (): Promise<Meeting[]> => (await get(`/v1/tenants/${TENANT}/users/${ALICE}/meetings?${range()}`)).body.meetings as Meeting[];

  it('serve api – an app token lists the meetings the pipeline materialized; respond and create reach Graph and the view follows within the notification round trip', async () => {
    expect(service.roles).toContain('api');
    expect((await fetch(`${service.apiUrl!}/openapi.json`)).status).toBe(200);
    // Activation goes the normal way: a mailbox command on graph.notifications.v1.
    const producer = buildKafka(context, 'api-test-commands').producer();
    await producer.connect();
    const commands = new MailboxCommands(new KafkaNotificationSink(producer, await buildCodec(context), `${prefix}graph.notifications.v1`), () => Date.now());
    await commands.send(TENANT, ALICE, 'ACTIVATE');
    await commands.send(TENANT, BOB, 'ACTIVATE');
    await producer.disconnect();

    const listed = await waitFor('four meetings in the view', async () => {
      const list = await meetings();
      return list.length === 4 ? list : undefined;
    }, 90_000);
    expect(listed.map((m) => m.subject).sort()).toEqual(['Invitation from Bob', 'Planning 0', 'Planning 1', 'Planning 2']);
    const invited = listed.find((m) => m.subject === 'Invitation from Bob')!;
    expect(invited.showAs).toBe('TENTATIVE');
    // Another user's list is refused to this token.
    expect((await get(`/v1/tenants/${TENANT}/users/${BOB}/meetings?${range()}`)).status).toBe(403);

    // Alice accepts (application mode: the tenant's app, /users/{id}); her view turns busy.
    const accepted = await send('POST', `/v1/tenants/${TENANT}/users/${ALICE}/events/${invited.id}/respond`, { response: 'accept', comment: 'See you', sendResponse: true });
    expect(accepted.status).toBe(204);
    const organizer = await graph.getEvent(BOB, invitation);
    expect((organizer['attendees'] as any[])[0].status.response).toBe('accepted');
    await waitFor('the accepted invitation busy in the view', async () => ((await meetings()).find((m) => m.id === invited.id)?.showAs === 'BUSY' ? true : undefined), 60_000);

    // Alice schedules a meeting with @webex in the location, exactly as typed.
    const created = await send('POST', `/v1/tenants/${TENANT}/users/${ALICE}/events`, {
      subject: 'Design review', start: wall(base + 26 * HOUR), end: wall(base + 27 * HOUR), location: '@webex', attendees: [{ address: 'bob@contoso.com', type: 'required' }],
    });
    expect(created.status).toBe(201);
    const eventId = created.body.eventId as string;
    expect((await graph.getEvent(ALICE, eventId))['location']).toMatchObject({ displayName: '@webex' });
    const shown = await waitFor('the created meeting in the view', async () => (await meetings()).find((m) => m.id === eventId), 60_000);
    expect(shown.subject).toBe('Design review');

    // Bob (connected, delegated) declines through /me; a refused call names Graph's reason.
    const bobToken = (await new TokenService(new MongoStateStore(mongo.db(database)), systemClock).issue({ orgId: 'default', kind: 'user', tenantId: TENANT, subject: BOB, ttlMs: HOUR })).token;
    const bobsCopy = (await graph.deltaPage(BOB, { window: { start: new Date(base).toISOString(), end: new Date(base + 48 * HOUR).toISOString() } }, 50)).events.find((e) => e['subject'] === 'Design review')!;
    sim.admin.clearCalls();
    expect((await send('POST', `/v1/tenants/${TENANT}/users/${BOB}/events/${bobsCopy.id}/respond`, { response: 'decline', sendResponse: false }, bobToken)).status).toBe(204);
    expect(sim.admin.calls().some((c) => c.method === 'POST' && c.url.startsWith('/v1.0/me/events/') && c.url.endsWith('/decline'))).toBe(true);
    const refused = await send('POST', `/v1/tenants/${TENANT}/users/${BOB}/events/${bobsCopy.id}/cancel`, { comment: 'not mine' }, bobToken);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('HC_ERR_API_GRAPH_REFUSED');
    expect(refused.body.error.message).toContain('ErrorAccessDenied');
  }, 240_000);
});
