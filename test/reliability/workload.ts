import { createServer } from 'node:net';
import type { LedgerValue } from '../integration/runtime/fixtures/ledger.js';
import { spawnWorker, type LedgerView, type WorkerHandle } from '../integration/runtime/helpers.js';

/** Runtime options of the reliability workers: short sessions, so a lost worker is noticed in seconds. */
export const RELIABILITY_OPTIONS = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000, commitIntervalMs: 500, drainTimeoutMs: 5_000, retry: { initialMs: 20, maxMs: 100, maxAttempts: 2 } };

/** What the ledger views must hold: each key's record count and amount sum, from what was produced. */
export function ledgerReference(records: readonly { key: string; value: LedgerValue }[]): Map<string, { n: number; sum: number }> {
  const reference = new Map<string, { n: number; sum: number }>();
  for (const { key, value } of records) {
    const r = reference.get(key) ?? { n: 0, sum: 0 };
    reference.set(key, { n: r.n + 1, sum: r.sum + value.amount });
  }
  return reference;
}

/** Lost records (missing at the end or skipped: gaps), records applied twice, and whether every view equals its reference. */
export function compareLedger(views: readonly LedgerView[], reference: Map<string, { n: number; sum: number }>): { lost: number; twice: number; equal: boolean } {
  const byKey = new Map(views.map((v) => [v._id, v]));
  let lost = 0;
  let twice = 0;
  let equal = true;
  for (const [key, want] of reference) {
    const view = byKey.get(key);
    // A gap is a record skipped before a later one of its key was applied: at least one lost.
    lost += Math.max(0, want.n - (view?.n ?? 0)) + (view?.gaps ?? 0);
    twice += view?.dups ?? 0;
    if (view === undefined || view.n !== want.n || view.sum !== want.sum || view.gaps !== 0) equal = false;
  }
  return { lost, twice, equal };
}

/** The runtime instances of one scenario (child processes running the ledger topology). */
export class WorkerPool {
  readonly workers: WorkerHandle[] = [];
  readonly #env: Parameters<typeof spawnWorker>[0];

  constructor(env: Parameters<typeof spawnWorker>[0]) {
    this.#env = env;
  }

  start(): WorkerHandle {
    const worker = spawnWorker(this.#env);
    this.workers.push(worker);
    return worker;
  }

  live(): WorkerHandle[] {
    return this.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  }

  /** Workers that exited on their own (not by a signal the test sent). */
  exitedByThemselves(): WorkerHandle[] {
    return this.workers.filter((w) => w.child.exitCode !== null && w.child.signalCode === null && !w.output.some((l) => l.startsWith('STOPPED')));
  }

  async stopAll(): Promise<void> {
    for (const worker of this.live()) worker.child.kill('SIGTERM');
    await Promise.all(this.workers.map((w) => w.exited));
  }

  killAll(): void {
    for (const worker of this.live()) worker.child.kill('SIGKILL');
  }

  output(): string[] {
    return this.workers.flatMap((w) => w.output);
  }
}

/** A TCP port nobody listens on now (for private servers). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
