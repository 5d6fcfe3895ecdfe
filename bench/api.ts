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
import { packFields, silentLogger, systemClock, unpackDocument } from '../common/index.js';
import { CARD_FIELD, cardPlaintext } from '../schemas/index.js';
import { ProvisioningStore } from '../connectors/graph/index.js';
import { createKeyring, generateKeyText, kmsOptionsSchema, type Keyring } from '../kms/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeviceBookingsView, MeetingViewEntry, PresenceView, ViewsReader } from '../api/index.js';
import type { LoadResult, LoadSpec, Target } from './api-load.js';
import { collectGarbage } from './gc.js';
import { loopAndGcText, watchProcess } from './process-watch.js';
import type { BenchOptions, BenchReport, BenchRow } from './report.js';

/**
 * Meeting-list latency of the API on the real stack (MongoDB views through FerretDB — beside 2,000
 * other users' day documents — the kms keyring opening every sensitive field): a week of 50
 * meetings for one user, asked for at a fixed rate by an open-loop client (each request's latency
 * counts from when it was due, so a slow answer cannot hold back the next ones), next to a fastify
 * route answering a constant at the same rate, by the same client, in the same run. The client runs
 * in a process of its own (bench/api-load.ts, keep-alive sockets), so it does not share the API's
 * event loop. The list is measured with the stored-view cache on (`viewCacheMs`, the default) and
 * off, for one user and spread over 1,000 users each with their own token (where the caches
 * rarely hold the caller's data: the path most lists take in a real organisation). The tenant's
 * organisation is read from the connector's `connector_tenants` as in the service. Goal: p99 ≤ 25
 * ms at 200 requests/s.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const TENANT = '5a5a5a5a-0000-4000-8000-00000000beef';
const USER = 'bench-user';
const DAY = 86_400_000;
const MEETINGS = 50;
/** Day documents of other users in the same view. */
const OTHER_DAYS = 2_000;
/** Users of the spread rows: each a week of 50 meetings and a token of their own. */
const SPREAD_USERS = 1_000;
const spreadUser = (i: number): string => `spread-${i}`;

interface Measured extends LoadResult {
  /** CPU of this (the server's) process over the client's run, ms. */
  readonly serverCpuMs: number;
  /** Share of day reads the view cache served (open loops on the cached API). */
  readonly cache?: number;
  /** Day documents the view cache read again in the background (refresh ahead) over the run. */
  readonly refreshes?: number;
  /** The server's event loop over the run (warm-up included): delay p99 and max, ms. */
  readonly loopDelay: { readonly p99: number; readonly max: number };
  /** Garbage collection in the server over the run: total and longest pause, ms. */
  readonly gc: { readonly totalMs: number; readonly longestMs: number };
}

/** Runs the client (bench/api-load.ts) in a process of its own against `url`; this process only serves. */
async function load(spec: Omit<LoadSpec, 'warmupSeconds'> & { readonly warmupSeconds?: number }): Promise<Measured> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'api-load.ts')], { stdio: ['pipe', 'pipe', 'inherit'], cwd: join(HERE, '..') });
  child.stdin.end(`${JSON.stringify({ warmupSeconds: 0, ...spec })}\n`);
  const watch = watchProcess({ loopResolutionMs: 1 });
  const lines = createInterface({ input: child.stdout });
  const result = await new Promise<LoadResult>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bench client exited (${code ?? 'signal'}) without a result`)));
    // JSON has no Infinity: an unanswered request's latency comes back as null.
    lines.once('line', (line) => resolve(JSON.parse(line, (key, value: unknown) => ((key === 'p50' || key === 'p99') && value === null ? Number.POSITIVE_INFINITY : value)) as LoadResult));
  });
  const w = watch.stop();
  return { ...result, serverCpuMs: w.cpuMs, loopDelay: w.loopDelay, gc: w.gc };
}

const cpuPerRequest = (m: Measured): string => `server CPU ${(m.serverCpuMs / Math.max(1, m.sent)).toFixed(2)} ms/request, client ${(m.clientCpuMs / Math.max(1, m.sent)).toFixed(2)}; ` +
  `server ${loopAndGcText(m)}`;

/** One user's week of 50 meetings in the materialized view's shape: one document per UTC day. */
async function userWeek(keyring: Keyring, user: string, monday: number): Promise<Record<string, unknown>[]> {
  const lease = await keyring.lease(TENANT, MEETINGS);
  const days = new Map<number, Record<string, unknown>[]>();
  for (let i = 0; i < MEETINGS; i += 1) {
    const day = i % 7;
    const start = monday + day * DAY + (8 + Math.floor(i / 7)) * 3_600_000;
    const meetingId = `AAMkAG-bench-${i}`;
    const list = days.get(day) ?? [];
    // As the materializer stores a meeting sealed by the encrypt processor: its card (the four list fields together).
    const card = cardPlaintext({
      subject: `Weekly sync ${i}`, location: 'Room 4 @webex', organizer: { name: 'Alice', address: 'alice@example.com' },
      joinDetails: { provider: 'WEBEX', url: `https://example.webex.com/meet/${i}`, sipUri: null, meetingNumber: null, foundIn: 'location' },
    });
    list.push({
      meetingId, seriesMasterId: null, v: 1, start, end: start + 1_800_000, isAllDay: false, isPrivate: false, isOrganizer: i % 2 === 0, responseStatus: 'ACCEPTED', showAs: 'BUSY',
      providerKind: 'WEBEX', intent: null, attendeeCount: 6, keyRef: null,
      card: lease.encryptField({ tenantId: TENANT, recordKey: `${TENANT}/${user}`, entityId: meetingId, field: CARD_FIELD }, card),
    });
    days.set(day, list);
  }
  // Stored as materialize stores a day: its meetings packed (common/packed.ts).
  return [...days.entries()].map(([day, meetings]) => ({
    _id: `${TENANT}/${user}/${new Date(monday + day * DAY).toISOString().slice(0, 10)}`, ...packFields({ tenantId: TENANT, mailboxId: user, meetings }, ['meetings']), v: 1,
  }));
}

/** `users` weeks of 50 meetings (the first is USER, the others spread-0…), beside other users' single days. */
async function seed(db: Db, keyring: Keyring, monday: number, users: number): Promise<void> {
  const collection = db.collection<Record<string, unknown>>('user_meetings');
  let batch: Record<string, unknown>[] = [];
  for (let u = 0; u <= users; u += 1) {
    batch.push(...(await userWeek(keyring, u === 0 ? USER : spreadUser(u - 1), monday)));
    if (batch.length >= 500 || u === users) {
      await collection.insertMany(batch);
      batch = [];
    }
  }
  // Other users' days beside them, as in a real view: a read that is not narrowed by _id pays for them.
  const sample = (unpackDocument((await userWeek(keyring, USER, monday))[0]!)['meetings'] as unknown[])[0];
  for (let b = 0; b < OTHER_DAYS; b += 500) {
    await collection.insertMany(Array.from({ length: Math.min(500, OTHER_DAYS - b) }, (_, i) => ({
      _id: `${TENANT}/other-${b + i}/${new Date(monday + ((b + i) % 7) * DAY).toISOString().slice(0, 10)}` as never, ...packFields({ tenantId: TENANT, mailboxId: `other-${b + i}`, meetings: [sample] }, ['meetings']), v: 1,
    })));
  }
}

/** Tenant → organisation read from the connector's `connector_tenants`, as the service's provisioning does (app/api-provisioning.ts). */
class StoredTenantProvisioning extends MemoryProvisioning {
  readonly #store: ProvisioningStore;

  constructor(store: ProvisioningStore) {
    super({ orgs: [], consent: { authorityUrl: 'https://login.example.test', clientId: 'c' } });
    this.#store = store;
  }

  override async orgOfTenant(tenantId: string): Promise<string | undefined> {
    return (await this.#store.tenant(tenantId))?.orgId;
  }
}

/** The views, counting the meeting lists in flight (a saturated run leaves a backlog the next run must not pay for). */
class CountingViews implements ViewsReader {
  inFlight = 0;

  constructor(readonly inner: MongoViewsReader) {}

  async userMeetings(tenantId: string, userId: string, from: number, to: number): Promise<readonly MeetingViewEntry[]> {
    this.inFlight += 1;
    try {
      return await this.inner.userMeetings(tenantId, userId, from, to);
    } finally {
      this.inFlight -= 1;
    }
  }

  deviceBookings(tenantId: string, deviceId: string): Promise<DeviceBookingsView | undefined> {
    return this.inner.deviceBookings(tenantId, deviceId);
  }

  presence(tenantId: string, userId: string): Promise<PresenceView | undefined> {
    return this.inner.presence(tenantId, userId);
  }
}

/** Waits (at most 2 minutes) until no meeting list has been in flight for 300 ms, then half a second more. */
async function drain(apis: readonly { readonly views: CountingViews }[]): Promise<void> {
  const until = Date.now() + 120_000;
  for (let quiet = 0; quiet < 3 && Date.now() < until; await sleep(100)) quiet = apis.every((a) => a.views.inFlight === 0) ? quiet + 1 : 0;
  // The row before may have left a heap of garbage (1,000 users' cached days): collected here, not
  // by a pause in the middle of the next row.
  collectGarbage();
  await sleep(500);
}

/** The API on the views with the stored-view cache for `viewCacheMs` (0: off); its URL. */
async function startApi(db: Db, keyring: Keyring, viewCacheMs: number): Promise<{ app: FastifyInstance; url: string; views: CountingViews }> {
  const views = new CountingViews(new MongoViewsReader(db, { clock: systemClock, cacheMs: viewCacheMs }));
  const provisioning = new StoredTenantProvisioning(new ProvisioningStore(db, keyring, systemClock));
  const app = await buildApi({
    publicBaseUrl: 'http://127.0.0.1:1', cookieSecret: 'b'.repeat(40), oidc: { authorityUrl: 'https://login.example.test', clientId: 'c', clientSecret: 's' },
    // The client is one address and one token: the per-token limit would refuse it.
    rateLimit: { max: 1_000_000, windowMs: 60_000 },
  }, { views, decryptor: keyring, provisioning, connections: new MemoryConnections(), settings: new MemorySettings(), actions: new MemoryCalendarActions(), state: new MongoStateStore(db) }, { clock: systemClock });
  return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }), views };
}

/** A token per user of the spread rows and their meeting-list requests. */
async function spreadTargets(db: Db, users: number, url: string, range: string): Promise<Target[]> {
  const tokens = new TokenService(new MongoStateStore(db), systemClock);
  const targets: Target[] = [];
  for (let u = 0; u < users; u += 1) {
    const { token } = await tokens.issue({ orgId: 'bench', kind: 'user', tenantId: TENANT, subject: spreadUser(u), ttlMs: DAY });
    targets.push({ url: `${url}/v1/tenants/${TENANT}/users/${spreadUser(u)}/meetings?${range}`, headers: { authorization: `Bearer ${token}` } });
  }
  return targets;
}

async function expectWeek(url: string, headers: Record<string, string>): Promise<void> {
  const check = await fetch(url, { headers });
  const count = ((await check.json()) as { meetings?: unknown[] }).meetings?.length;
  if (count !== MEETINGS) throw new Error(`the meeting list answered ${check.status} with ${count} meetings, not ${MEETINGS}`);
}

interface Step {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly spread?: readonly Target[];
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const rate = 200;
  const seconds = options.quick ? 5 : 30;
  const closedSeconds = options.quick ? 3 : 10;
  const users = options.quick ? 100 : SPREAD_USERS;
  const mongo = new MongoClient(process.env['MONGODB_URI'] ?? 'mongodb://127.0.0.1:27018/');
  await mongo.connect();
  const db = mongo.db(`bench_api_${randomBytes(4).toString('hex')}`);
  const made = createKeyring({ db, options: kmsOptionsSchema.parse({ cacheTtlMs: 3_600_000 }), clock: systemClock, logger: silentLogger, env: { HYCAL_KMS_MASTER_KEY: generateKeyText() } });
  const apps: FastifyInstance[] = [];
  const constant = Fastify({ logger: false });
  try {
    const monday = Math.floor(Date.now() / DAY) * DAY;
    options.progress(0, 1, `seeding ${users + 1} weeks of ${MEETINGS} meetings`);
    await seed(db, made.keyring, monday, users);
    await new ProvisioningStore(db, made.keyring, systemClock).saveTenant({ _id: TENANT, orgId: 'bench', cloud: 'worldwide', status: 'authorised', clientId: 'c', domains: ['bench.example.com'], consentedAt: Date.now() });
    const cached = await startApi(db, made.keyring, 1_000);
    const uncached = await startApi(db, made.keyring, 0);
    apps.push(cached.app, uncached.app);
    constant.get('/constant', () => ({ ok: true }));
    await constant.listen({ host: '127.0.0.1', port: 0 });
    const constantUrl = `http://127.0.0.1:${(constant.server.address() as AddressInfo).port}/constant`;
    const token = (await new TokenService(new MongoStateStore(db), systemClock).issue({ orgId: 'bench', kind: 'user', tenantId: TENANT, subject: USER, ttlMs: DAY })).token;
    const range = `from=${new Date(monday).toISOString()}&to=${new Date(monday + 7 * DAY).toISOString()}`;
    const path = `/v1/tenants/${TENANT}/users/${USER}/meetings?${range}`;
    const headers = { authorization: `Bearer ${token}` };
    const spread = await spreadTargets(db, users, cached.url, range);
    for (const url of [cached.url, uncached.url]) await expectWeek(`${url}${path}`, headers);
    await expectWeek(spread.at(-1)!.url, spread.at(-1)!.headers);
    const targets: Step[] = [
      { name: 'constant route', url: constantUrl, headers: {} },
      { name: 'meeting list, view cache on', url: `${cached.url}${path}`, headers },
      { name: `meeting list, ${users} users, view cache on`, url: spread[0]!.url, headers: {}, spread },
      { name: 'meeting list, view cache off', url: `${uncached.url}${path}`, headers },
    ];
    // Closed loops first (they leave no backlog), then the open loops, the uncached list last; a
    // server slower than the rate is still working through its queue after its run, so each run
    // starts once the lists of the one before are done (drain).
    const steps = targets.length * 2;
    const closed: Measured[] = [];
    for (const [i, t] of targets.entries()) {
      options.progress(i, steps, `${t.name}, 8 clients back to back`);
      await drain([cached, uncached]);
      closed.push(await load({ url: t.url, headers: t.headers, ...(t.spread === undefined ? {} : { spread: t.spread }), mode: 'closed', rate, seconds: closedSeconds, concurrency: 8, warmupSeconds: 2 }));
    }
    const open: Measured[] = [];
    for (const [i, t] of targets.entries()) {
      options.progress(targets.length + i, steps, `${t.name}, ${rate}/s`);
      await drain([cached, uncached]);
      const before = cached.views.inner.cacheStats;
      const measured = await load({ url: t.url, headers: t.headers, ...(t.spread === undefined ? {} : { spread: t.spread }), mode: 'open', rate, seconds, concurrency: 0, warmupSeconds: 1 });
      const after = cached.views.inner.cacheStats;
      open.push({ ...measured, cache: hitRate(before, after), refreshes: after.refreshes - before.refreshes });
    }
    options.progress(steps, steps, 'done');
    return { name: 'api', rows: rows({ rate, seconds, closedSeconds, users, open, closed, dayReads: cached.views.inner.dayReads }) };
  } finally {
    for (const app of apps) await app.close();
    await constant.close();
    await made.close();
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
  }
}

/** Share of the day documents served by the view cache between two readings of its counters (warm-up included). */
function hitRate(before: { hits: number; misses: number }, after: { hits: number; misses: number }): number {
  const hits = after.hits - before.hits;
  return hits / Math.max(1, hits + after.misses - before.misses);
}

function rows(r: { rate: number; seconds: number; closedSeconds: number; users: number; open: readonly Measured[]; closed: readonly Measured[]; dayReads: string }): BenchRow[] {
  const [base, on, spreadOn, off] = r.open as [Measured, Measured, Measured, Measured];
  const [baseMax, onMax, spreadMax, offMax] = r.closed as [Measured, Measured, Measured, Measured];
  const baseCase = 'fastify route returning a constant';
  const closedCase = 'constant route, 8 clients back to back';
  const common = `open loop ${r.rate} req/s for ${r.seconds} s by a client process of its own (keep-alive); a week of ${MEETINGS} meetings, each with its encrypted card (subject, location, organizer, join details sealed together), among ${OTHER_DAYS} other day documents and ${r.users} other weeks; ` +
    `day reads: ${r.dayReads === 'one-query' ? 'one $in query' : 'one per day (this server does not narrow $in by _id)'}; load ${loadavg()[0]!.toFixed(1)}`;
  const list = (m: Measured, what: string): string => `${what}; ${common}; p99 ${(m.p99 / base.p99).toFixed(1)}× the constant route's; errors ${m.errors}/${m.sent}; ${cpuPerRequest(m)}; goal p99 ≤ 25 ms`;
  const hits = (m: Measured): string => `view cache hits ${((m.cache ?? 0) * 100).toFixed(0)}% of day reads, ${m.refreshes ?? 0} day documents refreshed ahead (in the background, after half the TTL)`;
  return [
    { case: baseCase, opsPerSec: Math.round(base.achieved), p50Ms: base.p50, p99Ms: base.p99, note: `same client and rate; errors ${base.errors}/${base.sent}; ${cpuPerRequest(base)}` },
    { case: 'meeting list, week of 50 (MongoDB views, decrypted), view cache 1 s', opsPerSec: Math.round(on.achieved), baseline: baseCase, p50Ms: on.p50, p99Ms: on.p99, note: list(on, `one user: stored (encrypted) day documents reused for viewCacheMs = 1000, fields opened per response; ${hits(on)}`) },
    { case: `meeting list, week of 50, ${r.users} users each with a token, view cache 1 s`, opsPerSec: Math.round(spreadOn.achieved), baseline: baseCase, p50Ms: spreadOn.p50, p99Ms: spreadOn.p99, note: list(spreadOn, `each request for one of ${r.users} users (uniformly at random), each user's own token: the view cache (1 s) and the token cache (5 s) rarely hold the caller's; ${hits(spreadOn)}`) },
    { case: 'meeting list, week of 50 (MongoDB views, decrypted), view cache off', opsPerSec: Math.round(off.achieved), baseline: baseCase, p50Ms: off.p50, p99Ms: off.p99, note: list(off, 'viewCacheMs = 0: every list reads its days') },
    { case: closedCase, opsPerSec: Math.round(baseMax.achieved), p50Ms: baseMax.p50, p99Ms: baseMax.p99, note: `closed loop ${r.closedSeconds} s: the most it answers` },
    { case: 'meeting list, 8 clients back to back, view cache 1 s', opsPerSec: Math.round(onMax.achieved), baseline: closedCase, p50Ms: onMax.p50, p99Ms: onMax.p99, note: `closed loop ${r.closedSeconds} s; errors ${onMax.errors}; ${cpuPerRequest(onMax)}` },
    { case: `meeting list, 8 clients back to back, ${r.users} users, view cache 1 s`, opsPerSec: Math.round(spreadMax.achieved), baseline: closedCase, p50Ms: spreadMax.p50, p99Ms: spreadMax.p99, note: `closed loop ${r.closedSeconds} s; errors ${spreadMax.errors}; ${cpuPerRequest(spreadMax)}` },
    { case: 'meeting list, 8 clients back to back, view cache off', opsPerSec: Math.round(offMax.achieved), baseline: closedCase, p50Ms: offMax.p50, p99Ms: offMax.p99, note: `closed loop ${r.closedSeconds} s; errors ${offMax.errors}; ${cpuPerRequest(offMax)}` },
  ];
}
