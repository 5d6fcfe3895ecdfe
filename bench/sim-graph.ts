import { Agent, request } from 'node:https';
import { ManualClock } from '../common/index.js';
import { startGraphSimulator } from '@hybrid-calendar/sim-graph';
import type { GraphEventInput } from '@hybrid-calendar/sim-graph/model';
import { SimStore } from '@hybrid-calendar/sim-graph/store';
import type { BenchOptions, BenchReport } from './report.js';

export interface SimGraphBenchOptions extends Partial<BenchOptions> {
  mailboxes?: number;
  perMailbox?: number;
  httpRequests?: number;
}

const ZONES = ['Pacific Standard Time', 'W. Europe Standard Time', 'UTC', 'Eastern Standard Time'];
const SUBJECTS = ['Weekly sync', 'Design review', '1:1', 'Planning', 'Customer call', 'Retro', 'All hands', 'Interview'];
const BODY = '<p>Join Microsoft Teams Meeting <a href="https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0">Join</a></p>';

/** Loads `mailboxes` × `perMailbox` meetings into a fresh store; returns the store and elapsed ms. */
export function loadStore(mailboxes: number, perMailbox: number): { store: SimStore; ms: number } {
  const started = performance.now();
  const store = new SimStore(new ManualClock(Date.UTC(2026, 0, 5)));
  const tenantId = '7d3b7e6c-1f4a-4a38-9a5e-2c7c1d0a1b01';
  store.addTenant({ id: tenantId, displayName: 'Bench', cloud: 'worldwide', domains: [{ id: 'bench.example', isDefault: true, isInitial: false }] });
  for (let m = 0; m < mailboxes; m += 1) {
    const id = `00000000-0000-4000-8000-${m.toString(16).padStart(12, '0')}`;
    store.addMailbox(tenantId, { id, userPrincipalName: `u${m}@bench.example`, displayName: `User ${m}`, mail: `u${m}@bench.example`, kind: 'user', mailboxEnabled: true, mailboxSettings: {} });
    for (let e = 0; e < perMailbox; e += 1) {
      const day = 1 + ((m + e) % 27);
      const hour = 8 + (e % 9);
      const tz = ZONES[(m + e) % ZONES.length] ?? 'UTC';
      const date = `2026-02-${String(day).padStart(2, '0')}`;
      const input: GraphEventInput = {
        subject: SUBJECTS[e % SUBJECTS.length] ?? 'x',
        body: { contentType: 'html', content: BODY },
        start: { dateTime: `${date}T${String(hour).padStart(2, '0')}:00:00`, timeZone: tz },
        end: { dateTime: `${date}T${String(hour).padStart(2, '0')}:30:00`, timeZone: tz },
        location: { displayName: `Room ${e % 20}` },
        attendees: [0, 1, 2].map((k) => ({ type: 'required' as const, emailAddress: { name: `User ${(m + k + 1) % mailboxes}`, address: `u${(m + k + 1) % mailboxes}@bench.example` } })),
      };
      if (e % 5 === 0) input.recurrence = { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] }, range: { type: 'noEnd', startDate: date } };
      store.addEvent(tenantId, id, input);
    }
  }
  return { store, ms: performance.now() - started };
}

/** Baseline: the same inputs kept as plain JSON copies in per-mailbox maps (no interning, no compact records). */
function loadNaive(mailboxes: number, perMailbox: number): number {
  const started = performance.now();
  const all = new Map<string, Map<string, unknown>>();
  for (let m = 0; m < mailboxes; m += 1) {
    const events = new Map<string, unknown>();
    for (let e = 0; e < perMailbox; e += 1) {
      const tz = ZONES[(m + e) % ZONES.length] ?? 'UTC';
      const date = `2026-02-${String(1 + ((m + e) % 27)).padStart(2, '0')}`;
      const input = {
        subject: SUBJECTS[e % SUBJECTS.length], body: { contentType: 'html', content: BODY },
        start: { dateTime: `${date}T10:00:00`, timeZone: tz }, end: { dateTime: `${date}T10:30:00`, timeZone: tz },
        location: { displayName: `Room ${e % 20}` },
        attendees: [0, 1, 2].map((k) => ({ type: 'required', emailAddress: { name: `User ${(m + k + 1) % mailboxes}`, address: `u${(m + k + 1) % mailboxes}@bench.example` } })),
      };
      events.set(`${m}-${e}`, JSON.parse(JSON.stringify(input)) as unknown);
    }
    all.set(String(m), events);
  }
  return all.size === mailboxes ? performance.now() - started : Number.NaN;
}

function get(agent: Agent, ca: string, url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** calendarView over HTTPS: 4 concurrent clients on different mailboxes, keep-alive. */
async function httpCalendarView(requests: number): Promise<{ opsPerSec: number; p50Ms: number; p99Ms: number }> {
  const { store } = loadStore(50, 50);
  const sim = await startGraphSimulator({ clouds: ['worldwide'], store });
  try {
    const tenantId = [...store.tenants.keys()][0] ?? '';
    sim.admin.registerApp({ appId: 'bench-app', homeTenantId: tenantId, secrets: ['s'], applicationPermissions: ['Calendars.Read'] });
    sim.admin.grantAdminConsent(tenantId, 'bench-app');
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const tokenRes = await new Promise<string>((resolve, reject) => {
      const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'bench-app', client_secret: 's', scope: 'https://graph.microsoft.com/.default' }).toString();
      const req = request(`${sim.authorityUrl}/${tenantId}/oauth2/v2.0/token`, { method: 'POST', agent, ca: sim.caCertPem, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve((JSON.parse(text) as { access_token: string }).access_token));
      });
      req.on('error', reject);
      req.end(body);
    });
    const mailboxes = [...(store.tenant(tenantId)?.mailboxes.keys() ?? [])];
    const latencies: number[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (next < requests) {
        const i = next++;
        const t0 = performance.now();
        await get(agent, sim.caCertPem, `${sim.graphBaseUrl}/v1.0/users/${mailboxes[i % mailboxes.length] ?? ''}/calendarView?startDateTime=2026-02-01T00:00:00Z&endDateTime=2026-02-08T00:00:00Z&$top=50`, tokenRes);
        latencies.push(performance.now() - t0);
      }
    }));
    const total = performance.now() - started;
    agent.destroy();
    latencies.sort((a, b) => a - b);
    return { opsPerSec: requests / (total / 1000), p50Ms: latencies[Math.floor(latencies.length / 2)] ?? 0, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
  } finally {
    await sim.close();
  }
}

export async function run(opts: SimGraphBenchOptions = {}): Promise<BenchReport> {
  const quick = opts.quick === true;
  const mailboxes = opts.mailboxes ?? (quick ? 1_000 : 10_000);
  const perMailbox = opts.perMailbox ?? 50;
  const progress = opts.progress ?? (() => undefined);
  progress(0, 4, `loading ${mailboxes}×${perMailbox}`);
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const { store, ms } = loadStore(mailboxes, perMailbox);
  globalThis.gc?.();
  const heapMiB = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
  const baselineMailboxes = Math.max(1, Math.floor(mailboxes / 10));
  progress(1, 4, 'baseline load');
  const naiveMs = loadNaive(baselineMailboxes, perMailbox);
  progress(2, 4, 'calendarView expand');
  const naiveOps = (baselineMailboxes * perMailbox) / (naiveMs / 1000);
  const tenant = [...store.tenants.values()][0];
  const mbx = tenant === undefined ? undefined : [...tenant.mailboxes.values()][0];
  let views = 0;
  const t0 = performance.now();
  const rounds = quick ? 300 : 2000;
  for (let i = 0; i < rounds && mbx !== undefined; i += 1) views += store.expand(mbx, Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1)).length;
  const cvMs = performance.now() - t0;
  progress(3, 4, 'HTTPS calendarView');
  const http = await httpCalendarView(opts.httpRequests ?? (quick ? 300 : 2000));
  progress(4, 4, 'done');
  return {
    name: 'sim-graph',
    rows: [
      {
        case: `load ${mailboxes}×${perMailbox} events`, opsPerSec: (mailboxes * perMailbox) / (ms / 1000),
        baseline: `plain JSON copies (${baselineMailboxes}×${perMailbox})`, ratio: (mailboxes * perMailbox) / (ms / 1000) / naiveOps,
        note: `${(ms / 1000).toFixed(1)} s, heap +${heapMiB.toFixed(0)} MiB, ${store.eventCount} events; targets: < 30 s, < 2 GiB`,
      },
      { case: 'HTTPS GET calendarView (1 week, 4 clients)', opsPerSec: http.opsPerSec, p50Ms: http.p50Ms, p99Ms: http.p99Ms },
      { case: 'calendarView expand (1 mailbox, 1 month)', opsPerSec: rounds / (cvMs / 1000), note: `${views / rounds} items per view` },
    ],
  };
}
