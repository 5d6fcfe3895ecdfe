import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ManualClock, systemClock } from '../../../common/clock.js';
import type { GraphAccess, GraphConnections } from '../../../graph/index.js';
import { createMailboxProcessor, STATUS_VIEW, type MailboxState } from '../../../connectors/graph/mailbox/index.js';
import { buildWebhookApp, SUBSCRIPTIONS_VIEW, type SubscriptionRoute } from '../../../connectors/graph/webhook/index.js';
import { unsealRawEvent, type Keyring } from '../../../kms/index.js';
import { ProcessorTestDriver } from '../../../runtime/testing/index.js';
import type { GraphNotification, RawCalendarRecord, RawMailboxSettings } from '../../../schemas/index.js';
import { loadOrCreateTls } from '../../../sim/graph/tls/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { ALICE, APP, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { simConnections, testKeyring } from './helpers.js';

const KEY = `${TENANT}/${ALICE}`;
const MINUTE = 60_000;

function command(c: GraphNotification['command']): GraphNotification {
  return { tenantId: TENANT, mailboxId: ALICE, kind: 'COMMAND', changeType: 'NONE', lifecycleEvent: 'NONE', command: c, subscriptionId: null, eventId: null, changeKey: null, receivedAt: 0 };
}

describe('connector mailbox actor – against the simulator', () => {
  let sim: GraphSimulator;
  let connections: GraphConnections;
  let graph: GraphAccess;
  let keyring: Keyring;
  let webhook: FastifyInstance;
  let driver: ProcessorTestDriver<GraphNotification, MailboxState>;
  const inbox: GraphNotification[] = [];

  beforeAll(async () => {
    sim = await startSeeded();
    connections = simConnections(sim, systemClock);
    graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
    keyring = testKeyring(systemClock);
    const tls = await loadOrCreateTls();
    const routes = (id: string): SubscriptionRoute | undefined => {
      return (driver.effects.views.get(`${SUBSCRIPTIONS_VIEW}/${id}`)?.doc ?? undefined) as SubscriptionRoute | undefined;
    };
    webhook = buildWebhookApp({
      options: { path: '/hook', bodyLimitBytes: 1 << 20, maxRequestsPerSecond: 1000, maxItemsPerRequest: 1000 },
      lookup: { route: (id) => Promise.resolve(routes(id)) },
      sink: { send: (records) => { inbox.push(...records.map((r) => r.value)); return Promise.resolve(); } },
      clock: systemClock, https: { key: tls.keyPem, cert: tls.certPem },
    });
    await webhook.listen({ host: '127.0.0.1', port: 0 });
    const port = (webhook.server.address() as { port: number }).port;
    driver = new ProcessorTestDriver(createMailboxProcessor({
      graph: { graphFor: () => Promise.resolve(graph) }, keyring,
      options: { notificationUrl: `https://localhost:${port}/hook`, settingsPollMs: 5 * MINUTE, reconcileMs: 30 * MINUTE, deltaPageSize: 10 },
      random: () => 0.5,
    }), { key: KEY, clock: new ManualClock(Date.now()) });
  });

  afterAll(async () => {
    await webhook.close();
    connections.close();
    await sim.close();
  });

  const raw = (): RawCalendarRecord[] => driver.effects.emitted.filter((e) => e.topic === 'calendar.raw.v1').map((e) => e.value as RawCalendarRecord);
  async function waitForInbox(n: number): Promise<void> {
    for (let i = 0; i < 200 && inbox.length < n; i += 1) await new Promise((r) => setTimeout(r, 25));
  }
  function event(subject: string, inHours: number): Record<string, unknown> {
    const start = new Date(Date.now() + inHours * 3_600_000).toISOString().slice(0, 19);
    const end = new Date(Date.now() + (inHours + 1) * 3_600_000).toISOString().slice(0, 19);
    return { subject, start: { dateTime: start, timeZone: 'UTC' }, end: { dateTime: end, timeZone: 'UTC' } };
  }

  it('mailbox – activation subscribes, syncs the window over several delta pages, emits sealed records and settings', async () => {
    for (let i = 0; i < 23; i += 1) await graph.createEvent(ALICE, event(`Planning ${i}`, 2 + i * 3), `tx-${i}`);
    await driver.process(command('ACTIVATE'));
    expect(driver.state).toMatchObject({ status: 'ACTIVATED', attempts: 0 });
    expect(driver.state?.known).toHaveLength(23);
    expect(raw()).toHaveLength(23);
    expect(raw().every((r) => r.changeType === 'CREATED' && r.source === 'DELTA' && Buffer.isBuffer(r.sealed))).toBe(true);
    const opened = await unsealRawEvent<{ subject: string }>(keyring, raw()[0]!);
    expect(opened?.subject).toMatch(/^Planning/);
    expect(JSON.stringify(driver.effects.emitted)).not.toContain('Planning');
    const settings = driver.effects.emitted.filter((e) => e.topic === 'mailbox.settings.raw.v1').map((e) => e.value as RawMailboxSettings);
    expect(settings).toHaveLength(1);
    const sub = driver.state?.subscription;
    expect(sub?.id).toBeDefined();
    expect(driver.effects.views.get(`${SUBSCRIPTIONS_VIEW}/${sub!.id}`)?.doc).toMatchObject({ tenantId: TENANT, mailboxId: ALICE });
    expect(JSON.stringify(driver.state)).not.toMatch(/clientState"/);
    expect(driver.effects.views.get(`${STATUS_VIEW}/${KEY}`)?.doc).toMatchObject({ status: 'ACTIVATED' });
  });

  it('mailbox – a notification fetches the event once; duplicated and reordered notifications emit nothing more', async () => {
    const before = raw().length;
    inbox.length = 0;
    const created = await graph.createEvent(ALICE, event('Fresh meeting', 30), 'tx-fresh');
    await waitForInbox(1);
    expect(inbox.length).toBeGreaterThan(0);
    const notes = [...inbox];
    for (const n of [...notes, ...notes, ...notes.reverse()]) await driver.process(n);
    const fresh = raw().slice(before);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ eventId: created.id, changeType: 'CREATED', source: 'NOTIFICATION' });
  });

  it('mailbox – reauthorizationRequired renews, subscriptionRemoved recreates with a new clientState, missed resyncs', async () => {
    const first = driver.state!.subscription!;
    const lifecycle = (event: GraphNotification['lifecycleEvent'], subscriptionId: string): GraphNotification => ({
      tenantId: TENANT, mailboxId: ALICE, kind: 'LIFECYCLE', changeType: 'NONE', lifecycleEvent: event, command: 'NONE', subscriptionId, eventId: null, changeKey: null, receivedAt: 0,
    });
    await driver.advance(60_000);
    await driver.process(lifecycle('REAUTHORIZATION_REQUIRED', first.id));
    expect(driver.state!.subscription!.id).toBe(first.id);
    expect(driver.state!.subscription!.expiresAt).toBeGreaterThan(first.expiresAt);
    const before = raw().length;
    await driver.process(lifecycle('SUBSCRIPTION_REMOVED', first.id));
    const second = driver.state!.subscription!;
    expect(second.id).not.toBe(first.id);
    expect(second.clientStateSealed).not.toBe(first.clientStateSealed);
    expect(driver.effects.views.get(`${SUBSCRIPTIONS_VIEW}/${first.id}`)?.doc).toBeNull();
    expect(driver.effects.views.get(`${SUBSCRIPTIONS_VIEW}/${second.id}`)?.doc).toMatchObject({ tenantId: TENANT, mailboxId: ALICE });
    await driver.process(lifecycle('MISSED', second.id));
    expect(raw().length).toBe(before); // nothing changed, so the resyncs emit nothing new
    expect(driver.state?.status).toBe('ACTIVATED');
  });

  it('mailbox – a lost deletion notification is found by the next reconciliation', async () => {
    const victim = driver.state!.known[0]!.i;
    await graph.deleteEvent(ALICE, victim);
    inbox.length = 0; // the notifications are lost
    const before = raw().length;
    await driver.advance(30 * MINUTE + 1);
    const after = raw().slice(before);
    expect(after.filter((r) => r.changeType === 'DELETED').map((r) => r.eventId)).toEqual([victim]);
    expect(driver.state?.known.some((k) => k.i === victim)).toBe(false);
  });

  it('mailbox – settings polled every 5 minutes are emitted only when they changed', async () => {
    const count = (): number => driver.effects.emitted.filter((e) => e.topic === 'mailbox.settings.raw.v1').length;
    const before = count();
    await driver.advance(5 * MINUTE + 1);
    expect(count()).toBe(before);
  });

  it('mailbox – an access-policy 403 becomes Error with the reason and a backed-off retry, then recovers', async () => {
    sim.admin.setAccessPolicy(TENANT, APP, []);
    await driver.process(command('RESYNC'));
    const s = driver.state!;
    expect(s).toMatchObject({ status: 'ERROR', reason: 'HC_ERR_GRAPH_ACCESS_POLICY', attempts: 1 });
    expect(s.nextRetryAt! - driver.clock.now()).toBeGreaterThanOrEqual(1_000);
    expect(driver.effects.views.get(`${STATUS_VIEW}/${KEY}`)?.doc).toMatchObject({ status: 'ERROR', reason: 'HC_ERR_GRAPH_ACCESS_POLICY', nextRetryAt: s.nextRetryAt });
    await driver.advance(s.nextRetryAt! - driver.clock.now() + 1);
    expect(driver.state).toMatchObject({ status: 'ERROR', attempts: 2 });
    sim.admin.setAccessPolicy(TENANT, APP, undefined);
    await driver.advance(driver.state!.nextRetryAt! - driver.clock.now() + 1);
    expect(driver.state).toMatchObject({ status: 'ACTIVATED', attempts: 0 });
  });

  it('mailbox – deactivation deletes the subscription and forgets the mailbox', async () => {
    const sub = driver.state!.subscription!.id;
    await driver.process(command('DEACTIVATE'));
    expect(driver.state).toMatchObject({ status: 'NOT_ACTIVATED', known: [] });
    expect(driver.effects.views.get(`${SUBSCRIPTIONS_VIEW}/${sub}`)?.doc).toBeNull();
    expect(sim.admin.notificationStats()).toBeDefined();
  });
});
