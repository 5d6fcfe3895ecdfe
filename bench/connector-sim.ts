/**
 * The Graph simulator of `npm run bench -- connector`, in a process of its own so the bench
 * process's RSS is the connector's alone. Seeds one tenant with `--mailboxes` × `--meetings`
 * single meetings inside the connector's sync window (Graph's throttling limits on, as the
 * simulator has them by default), registers the app with admin consent, answers subscription
 * validation on a small HTTPS hook, prints one JSON line with what the connector needs, and runs
 * until stdin closes.
 */
import { createServer } from 'node:https';
import { fileURLToPath } from 'node:url';
import { startGraphSimulator } from '@hybrid-calendar/sim-graph';
import type { GraphEventInput } from '@hybrid-calendar/sim-graph/model';
import { loadOrCreateTls } from '../sim/graph/tls/index.js';

export const BENCH_TENANT = '7d3b7e6c-1f4a-4a38-9a5e-2c7c1d0a1b01';
export const BENCH_APP = '5b1f0d7e-8c1a-4a6e-9f0d-3e2b1c4d5a01';
export const BENCH_SECRET = 'bench-secret-value';

export interface BenchSimInfo {
  readonly graphBaseUrl: string;
  readonly authorityUrl: string;
  readonly knownAuthority: string;
  readonly authorityMetadata: string;
  readonly caCertPem: string;
  readonly hookUrl: string;
  readonly mailboxIds: readonly string[];
  readonly rssBytes: number;
}

export function benchMailboxId(m: number): string {
  return `00000000-0000-4000-8000-${m.toString(16).padStart(12, '0')}`;
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: number): number => {
    const at = process.argv.indexOf(`--${name}`);
    return at < 0 ? fallback : Number(process.argv[at + 1]);
  };
  const mailboxes = arg('mailboxes', 500);
  const meetings = arg('meetings', 50);
  const sim = await startGraphSimulator({ clouds: ['worldwide'] });
  const store = sim.store;
  store.addTenant({ id: BENCH_TENANT, displayName: 'Bench', cloud: 'worldwide', domains: [{ id: 'bench.example', isDefault: true, isInitial: false }] });
  const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const ids: string[] = [];
  for (let m = 0; m < mailboxes; m += 1) {
    const id = benchMailboxId(m);
    ids.push(id);
    store.addMailbox(BENCH_TENANT, { id, userPrincipalName: `u${m}@bench.example`, displayName: `User ${m}`, mail: `u${m}@bench.example`, kind: 'user', mailboxEnabled: true, mailboxSettings: {} });
    for (let e = 0; e < meetings; e += 1) {
      // Spread over [day − 6 d, day + 30 d), working hours, inside the connector's window.
      const start = day + (((m + e * 7) % 36) - 6) * 86_400_000 + (8 + (e % 9)) * 3_600_000;
      const input: GraphEventInput = {
        subject: `Meeting ${e}`,
        body: { contentType: 'html', content: '<p>Agenda</p>' },
        start: { dateTime: new Date(start).toISOString().slice(0, 19), timeZone: 'UTC' },
        end: { dateTime: new Date(start + 1_800_000).toISOString().slice(0, 19), timeZone: 'UTC' },
        location: { displayName: `Room ${e % 20}` },
        attendees: [1, 2, 3].map((k) => ({ type: 'required' as const, emailAddress: { name: `User ${(m + k) % mailboxes}`, address: `u${(m + k) % mailboxes}@bench.example` } })),
      };
      store.addEvent(BENCH_TENANT, id, input);
    }
  }
  sim.admin.registerApp({
    appId: BENCH_APP, displayName: 'Hybrid Calendar bench', homeTenantId: BENCH_TENANT, secrets: [BENCH_SECRET], redirectUris: ['https://localhost/callback'],
    applicationPermissions: ['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'User.Read.All', 'Domain.Read.All'],
    delegatedPermissions: ['Calendars.ReadWrite'],
  });
  sim.admin.grantAdminConsent(BENCH_TENANT, BENCH_APP);
  const tls = await loadOrCreateTls();
  // The subscription validation handshake (and any change notification: answered 202, dropped).
  const hook = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const token = new URL(req.url ?? '/', 'https://localhost').searchParams.get('validationToken');
    req.resume();
    if (token !== null) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
      return;
    }
    res.writeHead(202).end();
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const port = (hook.address() as { port: number }).port;
  const info: BenchSimInfo = {
    graphBaseUrl: sim.graphBaseUrl, authorityUrl: sim.authorityUrl, knownAuthority: sim.knownAuthority, authorityMetadata: sim.authorityMetadata,
    caCertPem: sim.caCertPem, hookUrl: `https://localhost:${port}/hook`, mailboxIds: ids, rssBytes: process.memoryUsage().rss,
  };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    hook.close();
    void sim.close().then(() => process.exit(0));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
