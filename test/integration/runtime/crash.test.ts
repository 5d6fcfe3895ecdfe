import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, MongoClient } from 'mongodb';
import { testMongo, uniqueName, withAdmin } from '../../support/stack.js';
import { createLedgerTopics, ledgerRecords, ledgerViews, produce, spawnWorker, waitFor, type WorkerHandle } from './helpers.js';

const KEYS = 200;
const PER_KEY = 250; // 50,000 records
const OPTIONS = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000, commitIntervalMs: 500, drainTimeoutMs: 5_000 };

describe('runtime – crash safety with separate worker processes', () => {
  let mongo: MongoClient;
  const workers: WorkerHandle[] = [];
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await mongo.close();
  });

  it('runtime – SIGKILLing workers repeatedly during a 50,000-record run converges to the reference with 0 lost and 0 applied twice', async () => {
    const prefix = `${uniqueName('crash')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    const db: Db = mongo.db(dbName);
    await createLedgerTopics(prefix, 6);
    const records = ledgerRecords(KEYS, PER_KEY, 11);
    const reference = new Map<string, number>();
    for (const { key, value } of records) reference.set(key, (reference.get(key) ?? 0) + value.amount);

    const start = (): WorkerHandle => {
      const worker = spawnWorker({ prefix, db: dbName, options: OPTIONS });
      workers.push(worker);
      return worker;
    };
    const live = (): WorkerHandle[] => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    start();
    start();

    // Produce in slices while workers are being killed and replaced (2–3 workers in the group).
    const slices = 10;
    const sliceSize = records.length / slices;
    let seed = 5;
    const pick = (n: number): number => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed % n;
    };
    let kills = 0;
    for (let i = 0; i < slices; i += 1) {
      await produce(`${prefix}ledger.in`, records.slice(i * sliceSize, (i + 1) * sliceSize));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      if (i % 2 === 1) {
        const candidates = live();
        const victim = candidates[pick(candidates.length)];
        if (victim !== undefined) {
          victim.child.kill('SIGKILL');
          await victim.exited;
          kills += 1;
        }
        if (live().length < 3) start();
        if (live().length < 2) start();
      }
    }
    expect(kills).toBeGreaterThanOrEqual(4);

    const views = await waitFor('every ledger view to reach its last record', async () => {
      const current = await ledgerViews(db);
      const complete = current.filter((view) => view.n === PER_KEY).length;
      return complete === KEYS ? current : undefined;
    }, 180_000, 2_000);

    // Compare with the reference computed from what was produced, independently of the runtime.
    expect(views).toHaveLength(KEYS);
    for (const view of views) {
      expect({ key: view._id, n: view.n, sum: view.sum, dups: view.dups, gaps: view.gaps }).toEqual({
        key: view._id,
        n: PER_KEY,
        sum: reference.get(view._id),
        dups: 0,
        gaps: 0,
      });
    }
    // Every emitted record reached the output topic (at-least-once: possibly more, never fewer).
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(`${prefix}ledger.out`));
    const produced = offsets.reduce((total, p) => total + Number(p.high), 0);
    expect(produced).toBeGreaterThanOrEqual(KEYS * PER_KEY);

    for (const worker of live()) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }, 300_000);
});
