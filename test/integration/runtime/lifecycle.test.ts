import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { testKafka, testMongo, uniqueName } from '../../support/stack.js';
import { createLedgerTopics, ledgerRecords, ledgerViews, produce, spawnWorker, waitFor, type WorkerHandle } from './helpers.js';

const OPTIONS = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000, commitIntervalMs: 500, drainTimeoutMs: 5_000, timerPollMs: 100 };

function assignmentOf(worker: WorkerHandle): number[] | undefined {
  const line = [...worker.output].reverse().find((l) => l.startsWith('ASSIGNED '));
  if (line === undefined) return undefined;
  const parsed = JSON.parse(line.slice('ASSIGNED '.length)) as Record<string, number[]>;
  return Object.values(parsed).flat().sort((a, b) => a - b);
}

describe('runtime – lifecycle with separate worker processes', () => {
  let mongo: MongoClient;
  const workers: WorkerHandle[] = [];
  const start = (prefix: string, db: string, options: Record<string, unknown> = OPTIONS): WorkerHandle => {
    const worker = spawnWorker({ prefix, db, options });
    workers.push(worker);
    return worker;
  };
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await mongo.close();
  });

  it('runtime – partitions move when a worker joins and move back when it leaves, and the views converge', async () => {
    const prefix = `${uniqueName('rebalance')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    await createLedgerTopics(prefix, 4);
    const first = start(prefix, dbName);
    await waitFor('the first worker to own all partitions', () => (assignmentOf(first)?.length === 4 ? true : undefined), 60_000);
    await produce(`${prefix}ledger.in`, ledgerRecords(40, 50).filter((r) => r.value.seq <= 25));

    const second = start(prefix, dbName);
    const split = await waitFor('the partitions to be shared', () => {
      const a = assignmentOf(first);
      const b = assignmentOf(second);
      return a !== undefined && b !== undefined && a.length === 2 && b.length === 2 ? [a, b] : undefined;
    }, 60_000);
    expect(new Set([...split[0]!, ...split[1]!]).size).toBe(4);
    await produce(`${prefix}ledger.in`, ledgerRecords(40, 50).filter((r) => r.value.seq > 25));

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await waitFor('the first worker to own all partitions again', () => (assignmentOf(first)?.length === 4 ? true : undefined), 60_000);
    const views = await waitFor('the views', async () => {
      const current = await ledgerViews(mongo.db(dbName));
      return current.length === 40 && current.every((v) => v.n === 50) ? current : undefined;
    }, 60_000);
    expect(views.every((v) => v.dups === 0 && v.gaps === 0)).toBe(true);
    first.child.kill('SIGTERM');
    await first.exited;
  }, 180_000);

  it('runtime – a poison record goes to the dead-letter topic with its original bytes and error headers while the rest of its partition flows', async () => {
    const prefix = `${uniqueName('poison')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    await createLedgerTopics(prefix, 1);
    const poison = { key: 'k0', value: { seq: 0, amount: 0, poison: true } };
    const records = ledgerRecords(10, 20);
    await produce(`${prefix}ledger.in`, [...records.slice(0, 50), poison, ...records.slice(50)]);
    const worker = start(prefix, dbName);
    const views = await waitFor('the views', async () => {
      const current = await ledgerViews(mongo.db(dbName));
      return current.length === 10 && current.every((v) => v.n === 20) ? current : undefined;
    }, 60_000);
    expect(views.every((v) => v.dups === 0 && v.gaps === 0)).toBe(true);

    const consumer = testKafka().consumer({ groupId: uniqueName('dlq-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}ledger.in.dlq.v1`, fromBeginning: true });
    const dead: { key: string; value: string; headers: Record<string, string> }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        dead.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
        await Promise.resolve();
      },
    });
    await waitFor('the dead letter', () => (dead.length > 0 ? true : undefined), 30_000);
    await consumer.disconnect();
    expect(dead).toHaveLength(1);
    expect(dead[0]!.key).toBe('k0');
    expect(dead[0]!.value).toBe(JSON.stringify(poison.value));
    expect(dead[0]!.headers).toMatchObject({
      'hc-error-code': 'HC_ERR_RUNTIME_PROCESSOR_FAILED',
      'hc-error-message': 'poison record (test)',
      'hc-attempts': '1',
      'hc-processor': 'ledger',
      'hc-source-topic': 'ledger.in',
      'hc-source-partition': '0',
      'hc-source-offset': '50',
    });
    worker.child.kill('SIGTERM');
    await worker.exited;
  }, 120_000);

  it('runtime – timers survive a crash: they fire after the restart, once each', async () => {
    const prefix = `${uniqueName('timers')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    await createLedgerTopics(prefix, 2);
    const first = start(prefix, dbName);
    const due = Date.now() + 8_000;
    await produce(`${prefix}ledger.in`, Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: { seq: 1, amount: 1, timerAt: due + i * 100, timerId: `t${i}` } })));
    await waitFor('the records to be applied', async () => {
      const views = await ledgerViews(mongo.db(dbName));
      return views.length === 6 ? true : undefined;
    }, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(Date.now()).toBeLessThan(due);
    start(prefix, dbName);
    const views = await waitFor('every timer to fire', async () => {
      const current = await ledgerViews(mongo.db(dbName));
      return current.length === 6 && current.every((v) => v.fired >= 1) ? current : undefined;
    }, 60_000);
    // Give a double firing the chance to show.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const settled = await ledgerViews(mongo.db(dbName));
    for (const view of settled) expect({ key: view._id, fired: view.fired, ids: view.firedIds }).toEqual({ key: view._id, fired: 1, ids: [`t${view._id.slice(1)}`] });
    expect(views).toHaveLength(6);
  }, 120_000);

  it('runtime – SIGTERM drains in-flight records within the bound and commits only durable work', async () => {
    const prefix = `${uniqueName('drain')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    await createLedgerTopics(prefix, 3);
    const records = ledgerRecords(60, 100);
    await produce(`${prefix}ledger.in`, records);
    const first = start(prefix, dbName);
    await waitFor('some progress', async () => ((await ledgerViews(mongo.db(dbName))).length > 0 ? true : undefined), 60_000, 100);
    const stopAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const stoppedIn = Date.now() - stopAt;
    expect(stoppedIn).toBeLessThan(OPTIONS.drainTimeoutMs + 5_000);
    expect(first.output.some((line) => line.startsWith('STOPPED '))).toBe(true);

    start(prefix, dbName);
    const views = await waitFor('the views', async () => {
      const current = await ledgerViews(mongo.db(dbName));
      return current.length === 60 && current.every((v) => v.n === 100) ? current : undefined;
    }, 90_000);
    expect(views.every((v) => v.dups === 0 && v.gaps === 0)).toBe(true);
  }, 180_000);

  it('runtime – a stopped worker process ends by itself: the bounds on its stop (drain, last writes, leaving the group) do not keep it alive', async () => {
    const prefix = `${uniqueName('exit')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    await createLedgerTopics(prefix, 2);
    await produce(`${prefix}ledger.in`, ledgerRecords(10, 5));
    // A drain bound far beyond this test's time: a referenced timer on it would keep the process
    // alive for 10 minutes after its stop.
    const worker = spawnWorker({ prefix, db: dbName, options: { ...OPTIONS, drainTimeoutMs: 600_000 }, extraEnv: { HC_EXIT: 'natural' } });
    workers.push(worker);
    await waitFor('the views', async () => {
      const current = await ledgerViews(mongo.db(dbName));
      return current.length === 10 && current.every((v) => v.n === 5) ? current : undefined;
    }, 60_000);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output.some((line) => line.startsWith('STOPPED '))).toBe(true);
  }, 120_000);
});
