/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- JSON from the wire */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '../../index.js';
import { expandSeries } from '../../recurrence/index.js';
import { loadOrCreateTls } from '../../tls/index.js';
import { ALICE, APP, SECRET, TENANT, startSeeded } from '../unit/helpers.js';

/**
 * The simulator end to end: a real HTTPS webhook receiver (serving the simulator's own localhost
 * certificate, so the hub trusts it through the simulator CA), the unmodified msal-node and Graph
 * client in a child process, change notifications for what the client changes, recurrence views
 * that agree, delta follow-ups, notification faults and revoked consent.
 */

interface Post { path: string; body: any; validationToken: string | null }

class Webhook {
  readonly posts: Post[] = [];
  #server: Server | undefined;
  #waiters: (() => void)[] = [];
  url = '';

  async start(cert: { certPem: string; keyPem: string }): Promise<void> {
    this.#server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://localhost');
        const token = url.searchParams.get('validationToken');
        const text = Buffer.concat(chunks).toString();
        this.posts.push({ path: url.pathname, body: text === '' ? undefined : JSON.parse(text), validationToken: token });
        for (const w of this.#waiters.splice(0)) w();
        if (token !== null) {
          res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
          return;
        }
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `https://localhost:${(this.#server.address() as AddressInfo).port}`;
  }

  items(path: string): any[] {
    return this.posts.filter((p) => p.path === path && p.validationToken === null).flatMap((p) => p.body.value as any[]);
  }

  /** Waits (real time) until `predicate` holds over the received posts. */
  async until<T>(predicate: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = predicate();
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

/** The Graph client in a child process (NODE_EXTRA_CA_CERTS must be set when a process starts). */
class GraphWorker {
  #child: ChildProcessWithoutNullStreams;
  #next = 1;
  #pending = new Map<number, (answer: any) => void>();
  stderr = '';

  constructor(sim: GraphSimulator) {
    const config = {
      graphBaseUrl: sim.graphBaseUrl, authorityUrl: sim.authorityUrl, knownAuthority: sim.knownAuthority,
      authorityMetadata: sim.authorityMetadata, tenant: TENANT, appId: APP, secret: SECRET,
    };
    this.#child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./graph-client-worker.ts', import.meta.url))], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: sim.caCertPath, SIM_E2E_CONFIG: JSON.stringify(config) },
    });
    this.#child.stderr.on('data', (c: Buffer) => {
      this.stderr += c.toString();
    });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as { id: number };
      this.#pending.get(answer.id)?.(answer);
      this.#pending.delete(answer.id);
    });
  }

  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, extra: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {}): Promise<any> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.stdin.write(`${JSON.stringify({ id, method, path, ...extra })}\n`);
    });
  }

  async ok(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, extra: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {}): Promise<any> {
    const answer = await this.call(method, path, extra);
    if (answer.ok !== true) throw new Error(`${method} ${path} failed: ${JSON.stringify(answer)} ${this.stderr}`);
    return answer.body;
  }

  /** Follows nextLinks to the end; returns all items and the deltaLink. */
  async delta(first: string, query?: Record<string, string>): Promise<{ items: any[]; deltaLink: string }> {
    const items: any[] = [];
    let page = await this.ok('GET', first, { headers: { Prefer: 'odata.maxpagesize=3' }, ...(query === undefined ? {} : { query }) });
    for (;;) {
      items.push(...(page.value as any[]));
      if (typeof page['@odata.deltaLink'] === 'string') return { items, deltaLink: page['@odata.deltaLink'] };
      page = await this.ok('GET', page['@odata.nextLink'] as string, { headers: { Prefer: 'odata.maxpagesize=3' } });
    }
  }

  close(): void {
    this.#child.kill();
  }
}

const utcMs = (dateTime: string): number => Date.parse(`${dateTime.slice(0, 19)}Z`);
const WINDOW = { startDateTime: '2026-03-01T00:00:00Z', endDateTime: '2026-06-01T00:00:00Z' };
const SERIES = {
  start: { dateTime: '2026-03-16T09:00:00', timeZone: 'W. Europe Standard Time' },
  end: { dateTime: '2026-03-16T09:30:00', timeZone: 'W. Europe Standard Time' },
  isAllDay: false,
  recurrence: {
    pattern: { type: 'weekly' as const, interval: 1, daysOfWeek: ['monday' as const], firstDayOfWeek: 'sunday' as const },
    range: { type: 'numbered' as const, startDate: '2026-03-16', numberOfOccurrences: 8 },
  },
};

let sim: GraphSimulator;
let hook: Webhook;
let graph: GraphWorker;
let subscriptionId = '';
const clientState = 'e2e-secret-state';

beforeAll(async () => {
  sim = await startSeeded();
  hook = new Webhook();
  await hook.start(await loadOrCreateTls());
  graph = new GraphWorker(sim);
});

afterAll(async () => {
  graph.close();
  await sim.close();
  await hook.close();
});

describe('sim/graph end to end with msal-node, the Graph client and a real webhook', () => {
  it('subscriptions – the Graph client creates a subscription; both URLs pass the validation handshake', async () => {
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    const sub = await graph.ok('POST', '/subscriptions', {
      body: {
        changeType: 'created,updated,deleted', notificationUrl: `${hook.url}/notify`, lifecycleNotificationUrl: `${hook.url}/lifecycle`,
        resource: `/users/${ALICE}/events`, expirationDateTime: expiration, clientState,
      },
    });
    subscriptionId = sub.id as string;
    expect(sub).toMatchObject({ resource: `/users/${ALICE}/events`, changeType: 'created,updated,deleted', clientState, notificationUrl: `${hook.url}/notify` });
    expect(sub['@odata.context']).toBe(`${sim.graphBaseUrl}/v1.0/$metadata#subscriptions/$entity`);
    expect(hook.posts.filter((p) => p.validationToken !== null).map((p) => p.path).sort()).toEqual(['/lifecycle', '/notify']);

    const list = await graph.ok('GET', '/subscriptions');
    expect(list['@odata.context']).toBe(`${sim.graphBaseUrl}/v1.0/$metadata#subscriptions`);
    expect(list.value.map((s: any) => s.id)).toContain(subscriptionId);
    const renewed = await graph.ok('PATCH', `/subscriptions/${subscriptionId}`, { body: { expirationDateTime: new Date(Date.now() + 7_200_000).toISOString() } });
    expect(Date.parse(renewed.expirationDateTime as string)).toBeGreaterThan(Date.parse(expiration));
  });

  it('subscriptions – PATCH to a new notificationUrl runs the handshake against it first', async () => {
    const before = hook.posts.filter((p) => p.path === '/notify2' && p.validationToken !== null).length;
    await graph.ok('PATCH', `/subscriptions/${subscriptionId}`, { body: { notificationUrl: `${hook.url}/notify2` } });
    expect(hook.posts.filter((p) => p.path === '/notify2' && p.validationToken !== null)).toHaveLength(before + 1);
    await graph.ok('PATCH', `/subscriptions/${subscriptionId}`, { body: { notificationUrl: `${hook.url}/notify` } });
    const failed = await graph.call('PATCH', `/subscriptions/${subscriptionId}`, { body: { notificationUrl: 'https://localhost:1/unreachable' } });
    expect(failed.ok).toBe(false);
    expect(failed.statusCode).toBe(400);
  });

  it('notifications – create, update and delete through Graph arrive as created/updated/deleted with clientState and Graph\'s resource shape', async () => {
    const created = await graph.ok('POST', `/users/${ALICE}/calendar/events`, {
      body: { subject: 'E2E single', start: { dateTime: '2026-04-07T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-04-07T11:00:00', timeZone: 'UTC' } },
    });
    const id = created.id as string;
    const of = (type: string) => () => hook.items('/notify').find((n) => n.changeType === type && n.resourceData.id === id);
    const c = await hook.until(of('created'), 'created notification');
    expect(c).toMatchObject({
      subscriptionId, clientState, tenantId: TENANT, changeType: 'created', resource: `Users/${ALICE}/Events/${id}`,
      resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': `Users/${ALICE}/Events/${id}`, id },
    });
    expect(c.resourceData['@odata.etag']).toBe(created['@odata.etag']);
    expect(typeof c.subscriptionExpirationDateTime).toBe('string');

    const patched = await graph.ok('PATCH', `/users/${ALICE}/events/${id}`, { body: { subject: 'E2E single (moved)' } });
    const u = await hook.until(of('updated'), 'updated notification');
    expect(u.resourceData['@odata.etag']).toBe(patched['@odata.etag']);
    await graph.ok('DELETE', `/users/${ALICE}/events/${id}`);
    await hook.until(of('deleted'), 'deleted notification');
  });

  it('recurrence – instances, calendarView and calendarView/delta agree with each other and with expandSeries after a cancel and a modification; delta follow-up returns changes and @removed', async () => {
    const master = await graph.ok('POST', `/users/${ALICE}/events`, { body: { subject: 'E2E weekly', ...SERIES } });
    const masterId = master.id as string;
    const first = await graph.ok('GET', `/users/${ALICE}/events/${masterId}/instances`, { query: WINDOW });
    const expected = expandSeries(SERIES, Date.parse(WINDOW.startDateTime), Date.parse(WINDOW.endDateTime));
    expect(first.value.map((o: any) => utcMs(o.start.dateTime as string))).toEqual(expected.map((o) => o.startMs));
    // Across the EU's DST change on 2026-03-29 the wall time stays 09:00.
    expect(expected.map((o) => o.start.dateTime.slice(11, 16))).toEqual(Array(8).fill('09:00'));

    const occ = first.value as any[];
    const cancelled = occ[2].id as string;
    const moved = occ[4].id as string;
    await graph.ok('DELETE', `/users/${ALICE}/events/${cancelled}`);
    await graph.ok('PATCH', `/users/${ALICE}/events/${moved}`, {
      body: { subject: 'E2E weekly (moved)', start: { dateTime: '2026-04-13T11:00:00', timeZone: 'W. Europe Standard Time' }, end: { dateTime: '2026-04-13T11:45:00', timeZone: 'W. Europe Standard Time' } },
    });

    const want = expected
      .filter((o) => o.startMs !== expected[2]!.startMs)
      .map((o) => (o.startMs === expected[4]!.startMs
        ? { start: Date.parse('2026-04-13T09:00:00Z'), end: Date.parse('2026-04-13T09:45:00Z'), subject: 'E2E weekly (moved)' }
        : { start: o.startMs, end: o.endMs, subject: 'E2E weekly' }));
    const shape = (items: any[]) => items
      .filter((e) => e.seriesMasterId === masterId && e['@removed'] === undefined)
      .map((e) => ({ start: utcMs(e.start.dateTime as string), end: utcMs(e.end.dateTime as string), subject: e.subject as string }))
      .sort((a, b) => a.start - b.start);
    const instances = await graph.ok('GET', `/users/${ALICE}/events/${masterId}/instances`, { query: WINDOW });
    const view = await graph.ok('GET', `/users/${ALICE}/calendar/calendarView`, { query: { ...WINDOW, $top: '50' } });
    const delta = await graph.delta(`/users/${ALICE}/calendarView/delta`, WINDOW);
    expect(shape(instances.value as any[])).toEqual(want);
    expect(shape(view.value as any[])).toEqual(want);
    expect(shape(delta.items)).toEqual(want);
    expect(instances.value.map((e: any) => e.id)).not.toContain(cancelled);
    expect(instances.value.find((e: any) => e.id === moved)?.type).toBe('exception');

    const changed = occ[5].id as string;
    const removed = occ[6].id as string;
    await graph.ok('PATCH', `/users/${ALICE}/events/${changed}`, { body: { subject: 'E2E weekly (renamed)' } });
    await graph.ok('DELETE', `/users/${ALICE}/events/${removed}`);
    const follow = await graph.delta(delta.deltaLink);
    expect(follow.items.find((e) => e.id === changed)?.subject).toBe('E2E weekly (renamed)');
    expect(follow.items.find((e) => e.id === removed)).toMatchObject({ '@removed': { reason: 'deleted' } });
    const quiet = await graph.delta(follow.deltaLink);
    expect(quiet.items).toEqual([]);
  });

  it('faults – dropped notifications produce a missed lifecycle event; an outage holds notifications until it ends', async () => {
    sim.admin.setFaults({ notifications: { dropRate: 1 } });
    const lost = await graph.ok('POST', `/users/${ALICE}/events`, {
      body: { subject: 'E2E dropped', start: { dateTime: '2026-04-08T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-04-08T11:00:00', timeZone: 'UTC' } },
    });
    await hook.until(() => hook.items('/lifecycle').find((n) => n.lifecycleEvent === 'missed' && n.subscriptionId === subscriptionId), 'missed lifecycle event');
    expect(hook.items('/notify').some((n) => n.resourceData.id === lost.id)).toBe(false);
    expect(sim.admin.notificationStats()?.droppedByFault).toBeGreaterThanOrEqual(1);

    sim.admin.clearFaults();
    sim.admin.setNotificationFaults({ outage: true });
    const held = await graph.ok('POST', `/users/${ALICE}/events`, {
      body: { subject: 'E2E held', start: { dateTime: '2026-04-09T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-04-09T11:00:00', timeZone: 'UTC' } },
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(hook.items('/notify').some((n) => n.resourceData.id === held.id)).toBe(false);
    expect(sim.admin.notificationStats()?.queued).toBeGreaterThanOrEqual(1);
    sim.admin.setNotificationFaults({ outage: false });
    const arrived = await hook.until(() => hook.items('/notify').find((n) => n.resourceData.id === held.id), 'held notification after the outage');
    expect(arrived).toMatchObject({ changeType: 'created', clientState });
  });

  it('consent – revoking the app\'s consent sends reauthorizationRequired; Graph calls then fail', async () => {
    sim.admin.revokeConsent(TENANT, APP);
    const event = await hook.until(
      () => hook.items('/lifecycle').find((n) => n.lifecycleEvent === 'reauthorizationRequired' && n.subscriptionId === subscriptionId),
      'reauthorizationRequired lifecycle event',
    );
    expect(event).toMatchObject({ tenantId: TENANT, clientState });
    const denied = await graph.call('GET', `/users/${ALICE}/events`);
    expect(denied.ok).toBe(false);
    expect([401, 403]).toContain(denied.statusCode);
  });
});
