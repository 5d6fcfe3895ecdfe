import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { testMongo, uniqueName } from '../../support/stack.js';
import type { TracedValue } from './fixtures/traced.js';
import { createLedgerTopics, ledgerViews, produce, spawnWorker, waitFor, type LedgerView, type WorkerHandle } from './helpers.js';

const KEYS = 48;
const PER_KEY = 16;
const SLOW_MS = 450;
/**
 * The unfenced control's slow calls: an overlap needs a call of the old owner still running when
 * the new owner reaches the key, and with 450 ms calls a run showed 0-7 overlaps (one CI run: 0).
 */
const UNFENCED_SLOW_MS = 1_500;
const TIMER_SLOW_MS = 700;
const OPTIONS = {
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 10_000,
  commitIntervalMs: 500,
  drainTimeoutMs: 3_000,
  timerPollMs: 100,
  batchHoldMs: 300,
  ownership: { pollMs: 100 },
};

interface Call {
  key: string;
  pid: number;
  start: number;
  end: number;
  what: string;
}

/** Every processor call of every worker, from the trace files (a call a dead worker never ended ends at its exit). */
function readCalls(dir: string, exits: ReadonlyMap<number, number>): Call[] {
  const open = new Map<string, { key: string; pid: number; start: number; what: string }>();
  const calls: Call[] = [];
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line === '') continue;
      const [mark, key, pidText, timeText, what] = line.split(' ') as [string, string, string, string, string];
      const pid = Number(pidText);
      const id = `${pid} ${key} ${what}`;
      if (mark === 'S') {
        open.set(id, { key, pid, start: Number(timeText), what });
      } else {
        const started = open.get(id);
        if (started !== undefined) calls.push({ ...started, end: Number(timeText) });
        open.delete(id);
      }
    }
  }
  for (const started of open.values()) calls.push({ ...started, end: exits.get(started.pid) ?? Number.POSITIVE_INFINITY });
  return calls;
}

/** Pairs of calls of one key that ran at the same time. */
function overlaps(calls: readonly Call[]): [Call, Call][] {
  const byKey = new Map<string, Call[]>();
  for (const call of calls) byKey.set(call.key, [...(byKey.get(call.key) ?? []), call]);
  const found: [Call, Call][] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => a.start - b.start);
    let latest: Call | undefined;
    for (const call of list) {
      if (latest !== undefined && call.start < latest.end) found.push([latest, call]);
      if (latest === undefined || call.end > latest.end) latest = call;
    }
  }
  return found;
}

/** Half of the keys are slow (every call outlives its batch); some records set a slow timer. */
function tracedRecords(startAt: number, slowMs: number): { key: string; value: TracedValue }[] {
  const out: { key: string; value: TracedValue }[] = [];
  for (let seq = 1; seq <= PER_KEY; seq += 1) {
    for (let k = 0; k < KEYS; k += 1) {
      const value: TracedValue = { seq, amount: (k * 31 + seq * 7) % 100 };
      if (k % 2 === 0) value.slowMs = slowMs;
      if (k % 3 === 0 && seq % 4 === 0) {
        value.timerAt = startAt + 2_000 + seq * 400;
        value.timerId = `t${seq}`;
      }
      out.push({ key: `k${k}`, value });
    }
  }
  return out;
}

const expectedFired = (k: number): number => (k % 3 === 0 ? Math.floor(PER_KEY / 4) : 0);

describe('runtime – partition ownership across rebalances (separate worker processes)', () => {
  let mongo: MongoClient;
  const workers: WorkerHandle[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await mongo.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Two workers, then a third joins, one leaves by SIGTERM, one is SIGKILLed and another joins,
   * while slow records and slow timers are inside their processors. Returns every traced call and
   * the final views.
   */
  async function churn(leases: boolean, slowMs: number): Promise<{ calls: Call[]; views: LedgerView[] }> {
    const prefix = `${uniqueName(leases ? 'owned' : 'unfenced')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    const traceDir = mkdtempSync(join(tmpdir(), 'hycal-trace-'));
    dirs.push(traceDir);
    await createLedgerTopics(prefix, 6);
    const exits = new Map<number, number>();
    const start = (): WorkerHandle => {
      const worker = spawnWorker({
        prefix,
        db: dbName,
        options: { ...OPTIONS, ownership: { ...OPTIONS.ownership, leases } },
        extraEnv: { HC_TRACE_DIR: traceDir, HC_TIMER_SLOW_MS: String(TIMER_SLOW_MS) },
      });
      const pid = worker.child.pid ?? -1;
      void worker.exited.then(() => exits.set(pid, Date.now()));
      workers.push(worker);
      return worker;
    };
    const startedUp = (worker: WorkerHandle): Promise<boolean> => waitFor('a worker to start', () => (worker.output.includes('STARTED') ? true : undefined), 60_000, 100);
    const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

    const a = start();
    const b = start();
    await Promise.all([startedUp(a), startedUp(b)]);
    await produce(`${prefix}ledger.in`, tracedRecords(Date.now(), slowMs));
    await pause(2_500);
    const c = start(); // join
    await startedUp(c);
    await pause(2_500);
    a.child.kill('SIGTERM'); // leave
    await a.exited;
    await pause(2_000);
    b.child.kill('SIGKILL'); // crash
    await b.exited;
    const d = start(); // join
    await startedUp(d);

    const views = await waitFor('every key to reach its last record and timer', async () => {
      const current = await ledgerViews(mongo.db(dbName));
      const complete = current.filter((view) => view.n === PER_KEY && view.fired === expectedFired(Number(view._id.slice(1))));
      return complete.length === KEYS ? current : undefined;
    }, 150_000, 1_000);
    for (const worker of [c, d]) worker.child.kill('SIGTERM');
    await Promise.all([c.exited, d.exited]);
    const calls = readCalls(traceDir, exits);
    if (process.env['HC_TEST_VERBOSE'] === '1') {
      const found = overlaps(calls);
      console.log(`leases=${leases}: ${calls.length} calls in ${new Set(calls.map((call) => call.pid)).size} workers, ${found.length} overlaps (${found.filter(([x, y]) => x.pid !== y.pid).length} across workers)`);
    }
    return { calls, views };
  }

  it('runtime – without leases, a slow call still running in the old owner overlaps its key on the new owner (the check below can fail)', async () => {
    const { calls } = await churn(false, UNFENCED_SLOW_MS);
    const found = overlaps(calls);
    expect(found.length).toBeGreaterThan(0);
    expect(found.some(([first, second]) => first.pid !== second.pid)).toBe(true);
  }, 240_000);

  it('runtime – with leases, no key is ever inside its processor in two workers at once across joins, leaves and a crash, and the views are exact', async () => {
    const { calls, views } = await churn(true, SLOW_MS);
    expect(new Set(calls.map((call) => call.pid)).size).toBeGreaterThanOrEqual(3);
    expect(calls.filter((call) => call.what.startsWith('timer:')).length).toBeGreaterThan(0);
    expect(overlaps(calls)).toEqual([]);
    for (const view of views) {
      const k = Number(view._id.slice(1));
      expect({ key: view._id, n: view.n, dups: view.dups, gaps: view.gaps, fired: view.fired }).toEqual({ key: view._id, n: PER_KEY, dups: 0, gaps: 0, fired: expectedFired(k) });
    }
  }, 240_000);
});
