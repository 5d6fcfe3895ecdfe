import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { MongoClient, type Db } from 'mongodb';
import {
  MemoryCalendarActions, MemoryConnections, MemoryProvisioning, MemorySettings, MongoStateStore, MongoViewsReader, TokenService, buildApi,
} from '../api/index.js';
import { silentLogger, systemClock } from '../common/index.js';
import { createKeyring, generateKeyText, kmsOptionsSchema, type Keyring } from '../kms/index.js';
import type { LoadResult, LoadSpec } from './api-load.js';
import type { BenchOptions, BenchReport, BenchRow } from './report.js';

/**
 * Meeting-list latency of the API on the real stack (MongoDB views through FerretDB — beside 2,000
 * other users' day documents — the kms keyring opening every sensitive field): a week of 50
 * meetings for one user, asked for at a fixed rate by an open-loop client (each request's latency
 * counts from when it was due, so a slow answer cannot hold back the next ones), next to a fastify
 * route answering a constant at the same rate, by the same client, in the same run. The client runs
 * in a process of its own (bench/api-load.ts, keep-alive sockets), so it does not share the API's
 * event loop. The list is measured with the stored-view cache on (`viewCacheMs`, the default) and
 * off. Goal: p99 ≤ 25 ms at 200 requests/s.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const TENANT = '5a5a5a5a-0000-4000-8000-00000000beef';
const USER = 'bench-user';
const DAY = 86_400_000;
const MEETINGS = 50;
/** Day documents of other users in the same view. */
const OTHER_DAYS = 2_000;

interface Measured extends LoadResult {
  /** CPU of this (the server's) process over the client's run, ms. */
  readonly serverCpuMs: number;
}

/** Runs the client (bench/api-load.ts) in a process of its own against `url`; this process only serves. */
async function load(spec: Omit<LoadSpec, 'warmupSeconds'> & { readonly warmupSeconds?: number }): Promise<Measured> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'api-load.ts')], { stdio: ['pipe', 'pipe', 'inherit'], cwd: join(HERE, '..') });
  child.stdin.end(`${JSON.stringify({ warmupSeconds: 0, ...spec })}\n`);
  const cpu = process.cpuUsage();
  const lines = createInterface({ input: child.stdout });
  const result = await new Promise<LoadResult>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bench client exited (${code ?? 'signal'}) without a result`)));
    // JSON has no Infinity: an unanswered request's latency comes back as null.
    lines.once('line', (line) => resolve(JSON.parse(line, (key, value: unknown) => ((key === 'p50' || key === 'p99') && value === null ? Number.POSITIVE_INFINITY : value)) as LoadResult));
  });
  const used = process.cpuUsage(cpu);
  return { ...result, serverCpuMs: (used.user + used.system) / 1000 };
}

const cpuPerRequest = (m: Measured): string => `server CPU ${(m.serverCpuMs / Math.max(1, m.sent)).toFixed(2)} ms/request, client ${(m.clientCpuMs / Math.max(1, m.sent)).toFixed(2)}`;

/** A week of 50 meetings in the materialized view's shape (one document per UTC day), beside other users' days. */
async function seed(db: Db, keyring: Keyring, monday: number): Promise<void> {
  const enc = (meetingId: string, field: string, text: string) => keyring.encryptField({ tenantId: TENANT, recordKey: `${TENANT}/${USER}`, entityId: meetingId, field }, Buffer.from(text));
  const days = new Map<number, Record<string, unknown>[]>();
  for (let i = 0; i < MEETINGS; i += 1) {
    const day = i % 7;
    const start = monday + day * DAY + (8 + Math.floor(i / 7)) * 3_600_000;
    const meetingId = `AAMkAG-bench-${i}`;
    const list = days.get(day) ?? [];
    list.push({
      meetingId, seriesMasterId: null, v: 1, start, end: start + 1_800_000, isAllDay: false, isPrivate: false, isOrganizer: i % 2 === 0, responseStatus: 'ACCEPTED', showAs: 'BUSY',
      providerKind: 'WEBEX', intent: null, attendeeCount: 6, keyRef: null,
      subject: await enc(meetingId, 'subject', `Weekly sync ${i}`), location: await enc(meetingId, 'location', 'Room 4 @webex'),
      organizer: await enc(meetingId, 'organizer', JSON.stringify({ name: 'Alice', address: 'alice@example.com' })),
      joinDetails: await enc(meetingId, 'joinDetails', JSON.stringify({ provider: 'WEBEX', url: `https://example.webex.com/meet/${i}`, sipUri: null, meetingNumber: null, foundIn: 'location' })),
    });
    days.set(day, list);
  }
  await db.collection('user_meetings').insertMany([...days.entries()].map(([day, meetings]) => ({
    _id: `${TENANT}/${USER}/${new Date(monday + day * DAY).toISOString().slice(0, 10)}` as never, tenantId: TENANT, mailboxId: USER, meetings, v: 1,
  })));
  // Other users' days beside them, as in a real view: a read that is not narrowed by _id pays for them.
  const sample = days.get(0)![0]!;
  for (let b = 0; b < OTHER_DAYS; b += 500) {
    await db.collection('user_meetings').insertMany(Array.from({ length: Math.min(500, OTHER_DAYS - b) }, (_, i) => ({
      _id: `${TENANT}/other-${b + i}/${new Date(monday + ((b + i) % 7) * DAY).toISOString().slice(0, 10)}` as never, tenantId: TENANT, mailboxId: `other-${b + i}`, meetings: [sample], v: 1,
    })));
  }
}

/** The API on the views with the stored-view cache for `viewCacheMs` (0: off); its URL. */
async function startApi(db: Db, keyring: Keyring, viewCacheMs: number): Promise<{ app: FastifyInstance; url: string; views: MongoViewsReader }> {
  const views = new MongoViewsReader(db, { clock: systemClock, cacheMs: viewCacheMs });
  const provisioning = new MemoryProvisioning({ orgs: [{ orgId: 'bench', admins: [], homeTenantId: TENANT }], consent: { authorityUrl: 'https://login.example.test', clientId: 'c' } });
  const app = await buildApi({
    publicBaseUrl: 'http://127.0.0.1:1', cookieSecret: 'b'.repeat(40), oidc: { authorityUrl: 'https://login.example.test', clientId: 'c', clientSecret: 's' },
    // The client is one address and one token: the per-token limit would refuse it.
    rateLimit: { max: 1_000_000, windowMs: 60_000 },
  }, { views, decryptor: keyring, provisioning, connections: new MemoryConnections(), settings: new MemorySettings(), actions: new MemoryCalendarActions(), state: new MongoStateStore(db) }, { clock: systemClock });
  return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }), views };
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const rate = 200;
  const seconds = options.quick ? 5 : 30;
  const closedSeconds = options.quick ? 3 : 10;
  const mongo = new MongoClient(process.env['MONGODB_URI'] ?? 'mongodb://127.0.0.1:27018/');
  await mongo.connect();
  const db = mongo.db(`bench_api_${randomBytes(4).toString('hex')}`);
  const made = createKeyring({ db, options: kmsOptionsSchema.parse({ cacheTtlMs: 3_600_000 }), clock: systemClock, logger: silentLogger, env: { HYCAL_KMS_MASTER_KEY: generateKeyText() } });
  const apps: FastifyInstance[] = [];
  const constant = Fastify({ logger: false });
  try {
    const monday = Math.floor(Date.now() / DAY) * DAY;
    await seed(db, made.keyring, monday);
    const cached = await startApi(db, made.keyring, 1_000);
    const uncached = await startApi(db, made.keyring, 0);
    apps.push(cached.app, uncached.app);
    constant.get('/constant', () => ({ ok: true }));
    await constant.listen({ host: '127.0.0.1', port: 0 });
    const constantUrl = `http://127.0.0.1:${(constant.server.address() as AddressInfo).port}/constant`;
    const token = (await new TokenService(new MongoStateStore(db), systemClock).issue({ orgId: 'bench', kind: 'user', tenantId: TENANT, subject: USER, ttlMs: DAY })).token;
    const path = `/v1/tenants/${TENANT}/users/${USER}/meetings?from=${new Date(monday).toISOString()}&to=${new Date(monday + 7 * DAY).toISOString()}`;
    const headers = { authorization: `Bearer ${token}` };
    for (const url of [cached.url, uncached.url]) {
      const check = await fetch(`${url}${path}`, { headers });
      const count = ((await check.json()) as { meetings?: unknown[] }).meetings?.length;
      if (count !== MEETINGS) throw new Error(`the meeting list answered ${check.status} with ${count} meetings, not ${MEETINGS}`);
    }
    const targets = [
      { name: 'constant route', url: constantUrl, headers: {} },
      { name: 'meeting list, view cache on', url: `${cached.url}${path}`, headers },
      { name: 'meeting list, view cache off', url: `${uncached.url}${path}`, headers },
    ];
    // Closed loops first (they leave no backlog), then the open loops, the uncached list last: a
    // server slower than the rate is still working through its queue after its run.
    const steps = targets.length * 2;
    const closed: Measured[] = [];
    for (const [i, t] of targets.entries()) {
      options.progress(i, steps, `${t.name}, 8 clients back to back`);
      closed.push(await load({ url: t.url, headers: t.headers, mode: 'closed', rate, seconds: closedSeconds, concurrency: 8, warmupSeconds: 2 }));
    }
    const open: Measured[] = [];
    for (const [i, t] of targets.entries()) {
      options.progress(targets.length + i, steps, `${t.name}, ${rate}/s`);
      open.push(await load({ url: t.url, headers: t.headers, mode: 'open', rate, seconds, concurrency: 0, warmupSeconds: 1 }));
    }
    options.progress(steps, steps, 'done');
    return { name: 'api', rows: rows({ rate, seconds, closedSeconds, open, closed, dayReads: cached.views.dayReads }) };
  } finally {
    for (const app of apps) await app.close();
    await constant.close();
    await made.close();
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
  }
}

function rows(r: { rate: number; seconds: number; closedSeconds: number; open: readonly Measured[]; closed: readonly Measured[]; dayReads: string }): BenchRow[] {
  const [base, on, off] = r.open as [Measured, Measured, Measured];
  const [baseMax, onMax, offMax] = r.closed as [Measured, Measured, Measured];
  const baseCase = 'fastify route returning a constant';
  const closedCase = 'constant route, 8 clients back to back';
  const common = `open loop ${r.rate} req/s for ${r.seconds} s by a client process of its own (keep-alive); a week of ${MEETINGS} meetings, 4 encrypted fields each, among ${OTHER_DAYS} other day documents; ` +
    `day reads: ${r.dayReads === 'one-query' ? 'one $in query' : 'one per day (this server does not narrow $in by _id)'}; load ${loadavg()[0]!.toFixed(1)}`;
  const list = (m: Measured, what: string): string => `${what}; ${common}; p99 ${(m.p99 / base.p99).toFixed(1)}× the constant route's; errors ${m.errors}/${m.sent}; ${cpuPerRequest(m)}; goal p99 ≤ 25 ms`;
  return [
    { case: baseCase, opsPerSec: Math.round(base.achieved), p50Ms: base.p50, p99Ms: base.p99, note: `same client and rate; errors ${base.errors}/${base.sent}; ${cpuPerRequest(base)}` },
    { case: 'meeting list, week of 50 (MongoDB views, decrypted), view cache 1 s', opsPerSec: Math.round(on.achieved), baseline: baseCase, p50Ms: on.p50, p99Ms: on.p99, note: list(on, 'stored (encrypted) day documents reused for viewCacheMs = 1000, fields opened per response') },
    { case: 'meeting list, week of 50 (MongoDB views, decrypted), view cache off', opsPerSec: Math.round(off.achieved), baseline: baseCase, p50Ms: off.p50, p99Ms: off.p99, note: list(off, 'viewCacheMs = 0: every list reads its days') },
    { case: closedCase, opsPerSec: Math.round(baseMax.achieved), p50Ms: baseMax.p50, p99Ms: baseMax.p99, note: `closed loop ${r.closedSeconds} s: the most it answers` },
    { case: 'meeting list, 8 clients back to back, view cache 1 s', opsPerSec: Math.round(onMax.achieved), baseline: closedCase, p50Ms: onMax.p50, p99Ms: onMax.p99, note: `closed loop ${r.closedSeconds} s; errors ${onMax.errors}; ${cpuPerRequest(onMax)}` },
    { case: 'meeting list, 8 clients back to back, view cache off', opsPerSec: Math.round(offMax.achieved), baseline: closedCase, p50Ms: offMax.p50, p99Ms: offMax.p99, note: `closed loop ${r.closedSeconds} s; errors ${offMax.errors}; ${cpuPerRequest(offMax)}` },
  ];
}
