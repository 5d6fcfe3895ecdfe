import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ManualClock, systemClock } from '../../../common/clock.js';
import { classifyGraphError, type GraphAccess, type GraphConnections } from '../../../graph/index.js';
import { STATUS_VIEW } from '../../../connectors/graph/mailbox/index.js';
import { buildWebhookApp, SUBSCRIPTIONS_VIEW, type SubscriptionRoute } from '../../../connectors/graph/webhook/index.js';
import { KeyDestroyedError, KeyNotFoundError, KmsUnavailableError, type Keyring } from '../../../kms/index.js';
import { unsealRawEvent, unsealRawSettings } from '../../../records/index.js';
import type { GraphNotification, RawCalendarRecord } from '../../../schemas/index.js';
import { loadOrCreateTls } from '../../../sim/graph/tls/index.js';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { ALICE, APP, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { SUBSCRIPTION_LIFETIME_MS, renewAt } from '../../../connectors/graph/mailbox/index.js';
import { MailboxProbe, command, mailboxDriver, simConnections, startHookStub, testKeyring } from './helpers.js';

const KEY = `${TENANT}/${ALICE}`;
const MINUTE = 60_000;
describe('connector mailbox actor – against the simulator', () => {
  let sim: GraphSimulator;
  let connections: GraphConnections;
  let graph: GraphAccess;
  let keyring: Keyring;
  let webhook: FastifyInstance;
  let driver: MailboxProbe;
  const inbox: GraphNotification[] = [];

  beforeAll(async () => {
    sim = await startSeeded();
    connections = simConnections(sim, systemClock);
    graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
    keyring = testKeyring(systemClock);
    const tls = await loadOrCreateTls();
    const routes = (id: string): SubscriptionRoute | undefined => {
      return (driver.view(SUBSCRIPTIONS_VIEW, id) ?? undefined) as SubscriptionRoute | undefined;
    };
    webhook = buildWebhookApp({
      options: { path: '/hook', bodyLimitBytes: 1 << 20, maxRequestsPerSecond: 1000, maxItemsPerRequest: 1000 },
      lookup: { route: (id) => Promise.resolve(routes(id)) },
      sink: { send: (records) => { inbox.push(...records.map((r) => r.value)); return Promise.resolve(); } },
      clock: systemClock, https: { key: tls.keyPem, cert: tls.certPem },
    });
    await webhook.listen({ host: '127.0.0.1', port: 0 });
    const port = (webhook.server.address() as { port: number }).port;
    driver = new MailboxProbe(mailboxDriver({
      graph: { graphFor: () => Promise.resolve(graph) }, keyring,
      options: { notificationUrl: `https://localhost:${port}/hook`, settingsPollMs: 5 * MINUTE, reconcileMs: 30 * MINUTE, deltaPageSize: 10 },
      random: () => 0.5,
    }, new ManualClock(Date.now())), KEY);
  });

  afterAll(async () => {
    await webhook.close();
    connections.close();
    await sim.close();
  });

  const raw = (): RawCalendarRecord[] => driver.raw();
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
    expect(JSON.stringify(driver.driver.allOutputs)).not.toContain('Planning');
    const settings = driver.settings();
    expect(settings).toHaveLength(1);
    const sub = driver.state?.subscription;
    expect(sub?.id).toBeDefined();
    expect(driver.view(SUBSCRIPTIONS_VIEW, sub!.id)).toMatchObject({ tenantId: TENANT, mailboxId: ALICE });
    expect(JSON.stringify(driver.state)).not.toMatch(/clientState"/);
    expect(driver.view(STATUS_VIEW, KEY)).toMatchObject({ status: 'ACTIVATED' });
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
    await driver.driver.advanceTime(60_000);
    await driver.process(lifecycle('REAUTHORIZATION_REQUIRED', first.id));
    expect(driver.state!.subscription!.id).toBe(first.id);
    expect(driver.state!.subscription!.expiresAt).toBeGreaterThan(first.expiresAt);
    const before = raw().length;
    await driver.process(lifecycle('SUBSCRIPTION_REMOVED', first.id));
    const second = driver.state!.subscription!;
    expect(second.id).not.toBe(first.id);
    expect(second.clientStateSealed).not.toBe(first.clientStateSealed);
    expect(driver.view(SUBSCRIPTIONS_VIEW, first.id)).toBeNull();
    expect(driver.view(SUBSCRIPTIONS_VIEW, second.id)).toMatchObject({ tenantId: TENANT, mailboxId: ALICE });
    await driver.process(lifecycle('MISSED', second.id));
    expect(raw().length).toBe(before); // nothing changed, so the resyncs emit nothing new
    expect(driver.state?.status).toBe('ACTIVATED');
  });

  it('mailbox – a lost deletion notification is found by the next reconciliation', async () => {
    const victim = driver.state!.known[0]!.i;
    await graph.deleteEvent(ALICE, victim);
    inbox.length = 0; // the notifications are lost
    const before = raw().length;
    await driver.driver.advanceTime(30 * MINUTE + 1);
    const after = raw().slice(before);
    expect(after.filter((r) => r.changeType === 'DELETED').map((r) => r.eventId)).toEqual([victim]);
    expect(driver.state?.known.some((k) => k.i === victim)).toBe(false);
  });

  it('mailbox – settings polled every 5 minutes are emitted only when they changed', async () => {
    const count = (): number => driver.settings().length;
    const before = count();
    await driver.driver.advanceTime(5 * MINUTE + 1);
    expect(count()).toBe(before);
  });

  it('mailbox – an access-policy 403 becomes Error with the reason and a backed-off retry, then recovers', async () => {
    sim.admin.setAccessPolicy(TENANT, APP, []);
    await driver.process(command('RESYNC'));
    const s = driver.state!;
    expect(s).toMatchObject({ status: 'ERROR', reason: 'HC_ERR_GRAPH_ACCESS_POLICY', attempts: 1 });
    expect(s.nextRetryAt! - driver.driver.clock.now()).toBeGreaterThanOrEqual(1_000);
    expect(driver.view(STATUS_VIEW, KEY)).toMatchObject({ status: 'ERROR', reason: 'HC_ERR_GRAPH_ACCESS_POLICY', nextRetryAt: s.nextRetryAt });
    await driver.driver.advanceTime(s.nextRetryAt! - driver.driver.clock.now() + 1);
    expect(driver.state).toMatchObject({ status: 'ERROR', attempts: 2 });
    sim.admin.setAccessPolicy(TENANT, APP, undefined);
    await driver.driver.advanceTime(driver.state!.nextRetryAt! - driver.driver.clock.now() + 1);
    expect(driver.state).toMatchObject({ status: 'ACTIVATED', attempts: 0 });
  });

  it('mailbox – deactivation deletes the subscription and forgets the mailbox', async () => {
    const sub = driver.state!.subscription!.id;
    await driver.process(command('DEACTIVATE'));
    expect(driver.state).toMatchObject({ status: 'NOT_ACTIVATED', known: [] });
    expect(driver.view(SUBSCRIPTIONS_VIEW, sub)).toBeNull();
    expect(sim.admin.notificationStats()).toBeDefined();
  });
});

describe('connector mailbox actor – durable timers on a manual clock shared with the simulator', () => {
  const HOUR = 3_600_000;
  // 20:00 UTC: the day changes four hours in.
  const clock = new ManualClock(Date.UTC(2026, 11, 3, 20, 0, 0));
  let sim: GraphSimulator;
  let connections: GraphConnections;
  let graph: GraphAccess;
  let keyring: Keyring;
  let hook: { url: string; close: () => Promise<void> };
  let probe: MailboxProbe;
  const t0 = clock.now();
  let oldId = '';
  let laterId = '';

  function at(ms: number, subject: string): Record<string, unknown> {
    return { subject, start: { dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: new Date(ms + HOUR).toISOString().slice(0, 19), timeZone: 'UTC' } };
  }

  beforeAll(async () => {
    sim = await startSeeded({ clock });
    connections = simConnections(sim, clock);
    graph = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
    keyring = testKeyring(clock);
    hook = await startHookStub();
    probe = new MailboxProbe(mailboxDriver({
      graph: { graphFor: () => Promise.resolve(graph) }, keyring,
      options: { notificationUrl: hook.url, settingsPollMs: HOUR, reconcileMs: 2 * HOUR, deltaPageSize: 50, fetchBatchMs: 1_000 },
      random: () => 0.5,
    }, clock), KEY);
  });

  afterAll(async () => {
    await hook.close();
    connections.close();
    await sim.close();
  });

  it('timers – activation arms the renewal, settings and reconciliation timers', async () => {
    await graph.createEvent(ALICE, at(t0 + 3 * HOUR, 'Tonight'), 'tx-tonight');
    // Inside today's window [day − 7 d, day + 32 d); falls out when the window slides two days.
    oldId = (await graph.createEvent(ALICE, at(Date.UTC(2026, 10, 26, 21), 'Old'), 'tx-old')).id;
    // Beyond the window until it slides to Dec 5 (end Jan 6).
    laterId = (await graph.createEvent(ALICE, at(Date.UTC(2027, 0, 5, 12), 'Later'), 'tx-later')).id;
    await probe.process(command('ACTIVATE'));
    expect(probe.state).toMatchObject({ status: 'ACTIVATED', windowDay: Date.UTC(2026, 11, 3) });
    expect(probe.state!.known).toHaveLength(2);
    const timers = Object.fromEntries(probe.driver.timers(KEY).map((t) => [t.id, t.due]));
    const expiresAt = probe.state!.subscription!.expiresAt;
    expect(expiresAt).toBe(t0 + SUBSCRIPTION_LIFETIME_MS);
    expect(timers).toEqual({ renew: renewAt(expiresAt, () => 0.5), settings: t0 + HOUR, reconcile: t0 + 2 * HOUR });
    expect(probe.settings()).toHaveLength(1);
  });

  it('timers – a mailboxSettings change (automatic replies, then language and time zone) is emitted once, and nothing while unchanged', async () => {
    await probe.driver.advanceTime(HOUR); // one poll, nothing changed
    expect(probe.settings()).toHaveLength(1);
    sim.store.setAutomaticReplies(TENANT, ALICE, { status: 'alwaysEnabled', externalAudience: 'all', internalReplyMessage: 'Away until Monday' });
    await probe.driver.advanceTime(HOUR);
    expect(probe.settings()).toHaveLength(2);
    const opened = await unsealRawSettings<{ automaticRepliesSetting: { status: string } | null; timeZone: string | null }>(keyring, probe.settings()[1]!);
    expect(opened.automaticRepliesSetting?.status).toMatch(/^alwaysEnabled$/i); // tenants differ in enum casing
    expect(probe.settings()[1]).toMatchObject({ tenantId: TENANT, mailboxId: ALICE, source: 'POLL' });
    expect(JSON.stringify(probe.driver.allOutputs)).not.toContain('Away until Monday');
    await probe.driver.advanceTime(2 * HOUR); // two more polls, unchanged
    expect(probe.settings()).toHaveLength(2);
    sim.store.patchMailboxSettings(sim.store.requireMailbox(TENANT, ALICE), { language: { locale: 'de-DE', displayName: 'German (Germany)' }, timeZone: 'W. Europe Standard Time' });
    await probe.driver.advanceTime(HOUR);
    expect(probe.settings()).toHaveLength(3);
    const third = await unsealRawSettings<{ language: { locale: string }; timeZone: string }>(keyring, probe.settings()[2]!);
    expect(third).toMatchObject({ language: { locale: 'de-DE' }, timeZone: 'W. Europe Standard Time' });
  });

  it('timers – a lost delta token (410 syncStateNotFound) starts a fresh round that emits only what changed', async () => {
    const before = probe.raw().length;
    const link = probe.state!.deltaLink;
    const fresh = await graph.createEvent(ALICE, at(clock.now() + 5 * HOUR, 'After the reset'), 'tx-reset');
    sim.admin.setFaults({ expireSyncState: true });
    sim.admin.clearCalls();
    await probe.driver.advanceTime(2 * HOUR); // the next reconciliation
    const deltaCalls = sim.admin.calls({ pathIncludes: 'calendarView/delta' });
    expect(deltaCalls.some((c) => c.status === 410)).toBe(true);
    const added = probe.raw().slice(before);
    expect(added.map((r) => [r.eventId, r.changeType, r.source])).toEqual([[fresh.id, 'CREATED', 'RECONCILE']]);
    expect(probe.state!.deltaLink).toBeDefined();
    expect(probe.state!.deltaLink).not.toBe(link);
    expect(probe.state!.status).toBe('ACTIVATED');
  });

  it('timers – the window slides on a new day (what left it is retracted), and the renewal timer renews the subscription before it lapses', async () => {
    const first = probe.state!.subscription!;
    sim.admin.clearCalls();
    const before = probe.raw().length;
    // To Dec 5 16:00: the window moves to Dec 5 (start Nov 28), and the renewal (≈ 40 h after activation) fires.
    await probe.driver.advanceTime(t0 + 44 * HOUR - clock.now());
    expect(probe.state!.windowDay).toBe(Date.UTC(2026, 11, 5));
    const windows = sim.admin.calls({ pathIncludes: 'calendarView/delta' }).map((c) => new URL(c.url, 'https://x').searchParams.get('startDateTime')).filter((v) => v !== null);
    expect(windows).toContain(new Date(Date.UTC(2026, 10, 28)).toISOString());
    // The event of Nov 26 left the window on Dec 4 (start Nov 27); the one of Jan 5 entered it on Dec 5.
    expect(probe.raw().filter((r) => r.eventId === oldId).map((r) => [r.changeType, r.source])).toEqual([['CREATED', 'DELTA'], ['DELETED', 'RECONCILE']]);
    expect(probe.raw().slice(before).filter((r) => r.eventId === laterId).map((r) => [r.changeType, r.source])).toEqual([['CREATED', 'RECONCILE']]);
    expect(probe.state!.known.map((k) => k.i)).toContain(laterId);
    expect(probe.state!.known.map((k) => k.i)).not.toContain(oldId);
    // Renewed in place: same subscription, later expiry, exactly one PATCH, the next renewal armed.
    const renewed = probe.state!.subscription!;
    expect(renewed.id).toBe(first.id);
    expect(renewed.expiresAt).toBeGreaterThan(first.expiresAt);
    expect(sim.admin.calls({ pathIncludes: `/subscriptions/${first.id}` }).filter((c) => c.method === 'PATCH' && c.status === 200)).toHaveLength(1);
    const renewTimer = probe.driver.timers(KEY).find((t) => t.id === 'renew');
    expect(renewTimer?.due).toBe(renewAt(renewed.expiresAt, () => 0.5));
    expect(renewTimer!.due).toBeGreaterThan(clock.now());
    expect(probe.state!.status).toBe('ACTIVATED');
  });

  it('batch – 25 notified changes are re-read by $batch (20 a request); items throttled inside a batch are retried at their Retry-After, each emitted once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i += 1) ids.push((await graph.createEvent(ALICE, at(clock.now() + (i + 3) * HOUR, `Batch ${i}`), `tx-batch-${i}`)).id);
    const change = (eventId: string): GraphNotification => ({
      tenantId: TENANT, mailboxId: ALICE, kind: 'CHANGE', changeType: 'CREATED', lifecycleEvent: 'NONE', command: 'NONE', subscriptionId: null, eventId, changeKey: null, receivedAt: clock.now(),
    });
    const before = probe.raw().length;
    for (const id of [...ids, ...ids.slice(0, 5)]) await probe.process(change(id));
    expect(probe.state!.pending).toHaveLength(25); // duplicates collapsed, nothing fetched yet
    expect(probe.raw()).toHaveLength(before);
    sim.admin.clearCalls();
    sim.admin.setThrottleLimits({ requestsPerWindow: 12, windowMs: 60_000, concurrent: 4 });
    try {
      await probe.driver.advanceTime(1_000);
      const first = probe.raw().slice(before);
      expect(first).toHaveLength(12);
      expect(probe.state!.pending).toHaveLength(13);
      const retry = probe.driver.timers(KEY).find((t) => t.id === 'fetch');
      expect(retry!.due - clock.now()).toBeGreaterThan(0);
      expect(retry!.due - clock.now()).toBeLessThanOrEqual(60_000);
      await probe.driver.advanceTime(5 * 60_000);
    } finally {
      sim.admin.setThrottleLimits({ requestsPerWindow: 10_000, windowMs: 600_000, concurrent: 4 });
    }
    const added = probe.raw().slice(before);
    expect(added.map((r) => r.eventId).sort()).toEqual([...ids].sort());
    expect(added.every((r) => r.changeType === 'CREATED' && r.source === 'NOTIFICATION')).toBe(true);
    expect(probe.state!.pending).toEqual([]);
    const batches = sim.admin.calls({ pathIncludes: '$batch' });
    expect(batches.length).toBeGreaterThanOrEqual(3); // 20 + 5, then the throttled ones again
    const reads = sim.admin.calls({ pathIncludes: '/events/' }).filter((c) => c.method === 'GET');
    // Every read went inside a batch, but a lone leftover (one id: a plain GET costs the same).
    expect(reads.filter((c) => c.batchRequestId === undefined).length).toBeLessThanOrEqual(1);
    expect(reads.filter((c) => c.batchRequestId !== undefined).length).toBeGreaterThanOrEqual(25);
    expect(reads.filter((c) => c.status === 429).length).toBeGreaterThan(0);
  });
});

describe('connector mailbox actor – a mailbox whose sealed state cannot be opened', () => {
  function failing(error: () => Error): { probe: MailboxProbe; calls: () => number; clock: ManualClock } {
    let calls = 0;
    const clock = new ManualClock(Date.UTC(2026, 2, 2, 9));
    const probe = new MailboxProbe(mailboxDriver({
      graph: { graphFor: () => { calls += 1; return Promise.reject(error()); } }, keyring: testKeyring(clock),
      options: { notificationUrl: 'https://localhost:1/hook', settingsPollMs: 5 * MINUTE, reconcileMs: 30 * MINUTE, deltaPageSize: 10 },
      random: () => 0.5,
    }, clock), KEY);
    return { probe, calls: () => calls, clock };
  }

  it('mailbox – a tenant credential sealed under keys this deployment lacks deactivates the mailbox with the reason, without retrying', async () => {
    const { probe, calls } = failing(() => new KeyNotFoundError(`Tenant ${TENANT} has no data key k1 version 1.`));
    await probe.process(command('ACTIVATE'));
    expect(probe.state).toMatchObject({ status: 'FAILED', reason: 'HC_ERR_KMS_KEY_NOT_FOUND', attempts: 1 });
    expect(probe.state!.nextRetryAt).toBeUndefined();
    expect(probe.view(STATUS_VIEW, KEY)).toMatchObject({ status: 'FAILED', reason: 'HC_ERR_KMS_KEY_NOT_FOUND', nextRetryAt: null });
    // A day later: no retry ran, and a change notification for it is ignored.
    await probe.driver.advanceTime(24 * 60 * MINUTE);
    await probe.process({ ...command('ACTIVATE'), kind: 'CHANGE', command: 'NONE', changeType: 'UPDATED', eventId: 'e1', changeKey: 'k1' });
    expect(calls()).toBe(1);
    expect(probe.state).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(probe.raw()).toEqual([]);
  });

  it('mailbox – an administrator activating it again tries once more (and fails the same way, still without a retry timer)', async () => {
    const { probe, calls } = failing(() => new KeyDestroyedError('The tenant was shredded.'));
    await probe.process(command('ACTIVATE'));
    await probe.process(command('ACTIVATE'));
    expect(calls()).toBe(2);
    expect(probe.state).toMatchObject({ status: 'FAILED', reason: 'HC_ERR_KMS_KEY_DESTROYED', attempts: 2 });
    await probe.driver.advanceTime(7 * 24 * 60 * MINUTE);
    expect(calls()).toBe(2);
  });

  it('mailbox – an activation Graph throttled beyond the retry budget retries no sooner than the Retry-After Graph gave', async () => {
    // Ten minutes: far more than the first back-off (a second or two), so only the Retry-After explains the wait.
    const { probe, calls } = failing(() => classifyGraphError(429, { code: 'TooManyRequests', message: 'Please retry again later.' }, 'calendarView/delta', 10 * MINUTE));
    await probe.process(command('ACTIVATE'));
    expect(probe.state).toMatchObject({ status: 'ERROR', reason: 'HC_ERR_GRAPH_THROTTLED', attempts: 1 });
    expect(probe.state!.nextRetryAt! - probe.driver.clock.now()).toBeGreaterThanOrEqual(10 * MINUTE);
    await probe.driver.advanceTime(10 * MINUTE - 1);
    expect(calls()).toBe(1);
    await probe.driver.advanceTime(probe.state!.nextRetryAt! - probe.driver.clock.now() + 1);
    expect(calls()).toBe(2);
  });

  it('mailbox – a transient failure (KMS unavailable) still retries on a backed-off timer', async () => {
    const { probe, calls } = failing(() => new KmsUnavailableError('The KMS did not answer.'));
    await probe.process(command('ACTIVATE'));
    expect(probe.state).toMatchObject({ status: 'ERROR', reason: 'HC_ERR_KMS_UNAVAILABLE', attempts: 1 });
    await probe.driver.advanceTime(probe.state!.nextRetryAt! - probe.driver.clock.now() + 1);
    expect(calls()).toBe(2);
  });
});
