import fc from 'fast-check';
import type { Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDeadLetters } from '../../runtime/index.js';
import { Canaries, formatHits } from '../support/canary.js';
import { testKafka, testMongo, uniqueName, withAdmin } from '../support/stack.js';
import { createLedgerTopics, ledgerRecords, ledgerViews, produce, spawnWorker, waitFor, type LedgerView, type WorkerHandle } from '../integration/runtime/helpers.js';
import { recordOutcome } from './summary.js';
import { compareLedger, ledgerReference, RELIABILITY_OPTIONS } from './workload.js';

/**
 * Reliability scenarios on the runtime's ledger workload (test/integration/runtime/fixtures): each
 * key's view counts its records (n), sums their amounts and counts duplicates and gaps, so "nothing
 * lost, nothing applied twice, views equal the model" is read straight from the views against a
 * reference computed from what was produced. These use the shared stack without touching its
 * servers: only the worker processes (ours) are killed.
 */

const OPTIONS = RELIABILITY_OPTIONS;

describe('reliability – ledger workload', () => {
  let mongo: MongoClient;
  const workers: WorkerHandle[] = [];
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await mongo.close();
  });

  const start = (prefix: string, db: string): WorkerHandle => {
    const worker = spawnWorker({ prefix, db, options: OPTIONS });
    workers.push(worker);
    return worker;
  };
  const live = (): WorkerHandle[] => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  const stopAll = async (): Promise<void> => {
    for (const worker of live()) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  };
  // The size, 100,000 changes (HC_RELIABILITY_CHANGES, a multiple of 4,000, for a shorter run).
  const CHANGES = Number(process.env['HC_RELIABILITY_CHANGES'] ?? '100000');
  it(`reliability – 10 SIGKILLs among 3 instances (rebalances) during a ${CHANGES.toLocaleString('en-US')}-change run: nothing lost, nothing applied twice, views equal the model`, async () => {
    const started = Date.now();
    const PER_KEY = 200;
    const KEYS = CHANGES / PER_KEY;
    const prefix = `${uniqueName('rel-kill')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    const db: Db = mongo.db(dbName);
    await createLedgerTopics(prefix, 6);
    const records = ledgerRecords(KEYS, PER_KEY, 23);
    const reference = ledgerReference(records);
    for (let i = 0; i < 3; i += 1) start(prefix, dbName);
    let seed = 9;
    const pick = (n: number): number => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed % n;
    };
    const slices = 20;
    const size = records.length / slices;
    let kills = 0;
    const applied = async (): Promise<number> => (await ledgerViews(db)).reduce((sum, v) => sum + v.n, 0);
    for (let i = 0; i < slices; i += 1) {
      await produce(`${prefix}ledger.in`, records.slice(i * size, (i + 1) * size));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // Paced by the workers (backlog at most about one slice), so the kills spread over the whole run.
      await waitFor('the backlog to shrink', async () => ((await applied()) >= i * size ? true : undefined), 180_000, 1_000).catch(() => undefined);
      if (i % 2 === 1 && kills < 10) {
        const candidates = live();
        const victim = candidates[pick(candidates.length)];
        if (victim !== undefined) {
          victim.child.kill('SIGKILL');
          await victim.exited;
          kills += 1;
        }
        while (live().length < 3) start(prefix, dbName);
      }
    }
    let views: LedgerView[] = [];
    try {
      views = await waitFor('every view to reach its last change', async () => {
        const current = await ledgerViews(db);
        return current.filter((v) => v.n >= PER_KEY).length === KEYS ? current : undefined;
      }, 600_000, 2_000);
    } catch {
      views = await ledgerViews(db);
    }
    const { lost, twice, equal } = compareLedger(views, reference);
    await stopAll();
    recordOutcome({
      scenario: 'processor SIGKILLs + rebalances', survived: `${kills} SIGKILLs of 3 runtime instances (each kill a rebalance)`, changes: records.length,
      lost, appliedTwice: twice, viewsEqualModel: equal, canaryHits: 0, passed: kills === 10 && lost === 0 && twice === 0 && equal, seconds: Math.round((Date.now() - started) / 1000),
      notes: `${KEYS} keys × ${PER_KEY} changes, produced in ${slices} slices paced by the workers; canaries: see the poison and outage scenarios`,
    });
    expect(kills).toBe(10);
    expect({ lost, twice, equal }).toEqual({ lost: 0, twice: 0, equal: true });
  }, 2_400_000);

  it('reliability – 1,000 poison and fuzzed payloads among good changes: every good change applied once, every poison one dead-lettered, 0 canary hits', async () => {
    const started = Date.now();
    const canaries = new Canaries();
    const prefix = `${uniqueName('rel-poison')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    const db: Db = mongo.db(dbName);
    await createLedgerTopics(prefix, 3);
    const good = ledgerRecords(50, 20, 31);
    const reference = ledgerReference(good);
    // The corpus: 900 from one seed (tuned against), 100 held out from another; a fifth of each leak canaries.
    const fuzz = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.string({ maxLength: 200 }),
      fc.json().map((j) => `{"seq":${j}`),
      fc.constantFrom('{"poison":true,"seq":1,"amount":1}', '{"seq":"x","amount":null}', '[]', 'null', '{"seq":1e309}'),
    );
    const corpus = (label: string, count: number, seed: number) =>
      fc.sample(fuzz, { numRuns: count, seed }).map((text, i) => ({
        key: `poison-${label}-${i}`,
        raw: i % 5 === 0 ? JSON.stringify({ seq: 1, amount: 1, leak: `${canaries.make(i % 10 === 0 ? 'subject' : 'address')}` }) : text,
      }));
    const poison = [...corpus('train', 900, 101), ...corpus('held', 100, 202)];
    const producer = testKafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    // Interleave one poison payload after each good change, keeping each key's changes in order.
    const messages: { key: string; value: string }[] = [];
    for (let i = 0; i < Math.max(good.length, poison.length); i += 1) {
      if (good[i] !== undefined) messages.push({ key: good[i]!.key, value: JSON.stringify(good[i]!.value) });
      if (poison[i] !== undefined) messages.push({ key: poison[i]!.key, value: poison[i]!.raw });
    }
    for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: `${prefix}ledger.in`, acks: -1, messages: messages.slice(i, i + 500) });
    await producer.disconnect();
    const worker = start(prefix, dbName);
    const kafka = testKafka();
    const progress = setInterval(() => console.log(`poison: ${views.length} views, ${letters.length} dead letters`), 30_000);
    let views: LedgerView[] = [];
    let letters: Awaited<ReturnType<typeof listDeadLetters>> = [];
    const settled = async () => {
      views = await ledgerViews(db);
      letters = await listDeadLetters(kafka, { topic: 'ledger.in', prefix, limit: 5_000 });
      const accepted = views.filter((v) => v._id.startsWith('poison-')).reduce((s, v) => s + v.n, 0);
      return letters.length + accepted >= poison.length && compareLedger(views, reference).lost === 0 ? true : undefined;
    };
    await waitFor('every record applied or dead-lettered', settled, 300_000, 5_000).catch(() => undefined);
    clearInterval(progress);
    const { lost, twice, equal } = compareLedger(views, reference);
    const acceptedPoison = views.filter((v) => v._id.startsWith('poison-')).reduce((s, v) => s + v.n, 0);
    const poisonLost = poison.length - letters.length - acceptedPoison;
    const held = letters.filter((l) => l.key?.startsWith('poison-held-') === true).length + views.filter((v) => v._id.startsWith('poison-held-')).length;
    worker.child.kill('SIGTERM');
    await worker.exited;
    // The canaries are in the test's own input, and so in the dead letters' values (a dead letter
    // carries its record's original bytes; in production those are sealed): what the runtime writes
    // itself is scanned — outputs, dead-letter keys and hc-* headers, views, state, logs.
    const logs = Buffer.from(worker.output.join('\n'));
    const hits = [...canaries.scan(logs, 'worker logs'), ...(await canaries.scanKafka(kafka, prefix, { timeoutMs: 240_000, skipTopics: [`${prefix}ledger.in`], valueCopiedTopics: [`${prefix}ledger.in.dlq.v1`] })).hits, ...(await canaries.scanMongo(mongo, [dbName])).hits];
    recordOutcome({
      scenario: 'poison and fuzzed payloads', survived: `${poison.length} poison/fuzzed payloads (${poison.length / 5} carrying canaries) among ${good.length} good changes`, changes: good.length + poison.length,
      lost: lost + Math.max(0, poisonLost), appliedTwice: twice, viewsEqualModel: equal, canaryHits: hits.length, passed: lost === 0 && poisonLost <= 0 && twice === 0 && equal && hits.length === 0, seconds: Math.round((Date.now() - started) / 1000),
      notes: `${letters.length} dead-lettered, ${acceptedPoison} fuzzed values happened to be valid changes of their own keys; held-out 100 (other seed): ${held}/100 accounted for`,
    });
    expect(hits, formatHits(hits)).toHaveLength(0);
    expect({ lost, twice, equal, poisonLost }).toEqual({ lost: 0, twice: 0, equal: true, poisonLost: 0 });
    await withAdmin(async (admin) => admin.deleteTopics({ topics: (await admin.listTopics()).filter((t) => t.startsWith(prefix)) }).catch(() => undefined));
  }, 600_000);
});
