import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { listDeadLetters, replayDeadLetters } from '../../../runtime/index.js';
import { buildProgram } from '../../../cli/main.js';
import { testKafka, testMongo, uniqueName } from '../../support/stack.js';
import { createLedgerTopics, ledgerViews, produce, spawnWorker, waitFor, type WorkerHandle } from './helpers.js';

const OPTIONS = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, commitIntervalMs: 500, drainTimeoutMs: 5_000, retry: { initialMs: 20, maxMs: 100, maxAttempts: 3 } };

describe('runtime – dead letters: hycal dlq list | replay', () => {
  let mongo: MongoClient;
  let worker: WorkerHandle | undefined;
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await mongo.close();
  });

  it('dlq – lists dead letters with their source and error, and replays them to the source topic with the original bytes', async () => {
    const prefix = `${uniqueName('dlq')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    await createLedgerTopics(prefix, 2);
    // A value that is not JSON fails decoding: permanent, dead-lettered at once.
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({ topic: `${prefix}ledger.in`, acks: -1, messages: [{ key: 'k1', value: '{broken', headers: { trace: 'abc' } }] });
    await producer.disconnect();
    await produce(`${prefix}ledger.in`, [{ key: 'k2', value: { seq: 1, amount: 5 } }]);
    worker = spawnWorker({ prefix, db: dbName, options: OPTIONS });
    await waitFor('the good record', async () => ((await ledgerViews(mongo.db(dbName))).length === 1 ? true : undefined), 60_000);

    const kafka = testKafka();
    const letters = await waitFor('the dead letter', async () => {
      const found = await listDeadLetters(kafka, { topic: 'ledger.in', prefix });
      return found.length === 1 ? found : undefined;
    }, 30_000, 1_000);
    expect(letters[0]).toMatchObject({
      key: 'k1',
      valueBytes: 7,
      source: { topic: 'ledger.in', offset: '0' },
      headers: { trace: 'abc' },
      error: { attempts: 1, processor: 'decode' },
    });
    expect(letters[0]!.error.code).toBe('SyntaxError');

    // Through the command line, as an operator would.
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      process.env['HYCAL_TOPIC_PREFIX'] = prefix;
      await buildProgram().parseAsync(['node', 'hycal', 'dlq', 'list', 'ledger.in']);
    } finally {
      process.stdout.write = write;
      delete process.env['HYCAL_TOPIC_PREFIX'];
    }
    expect(lines.join('')).toContain('SyntaxError');
    expect(lines.join('')).toContain('1 dead letter(s)');

    const result = await replayDeadLetters(kafka, { topic: 'ledger.in', prefix, only: [`${letters[0]!.partition}:${letters[0]!.offset}`] });
    expect(result).toMatchObject({ replayed: 1, skipped: 0, topics: [`${prefix}ledger.in`] });
    // The replayed record fails again (same bytes) and comes back as a second dead letter, carrying
    // the original bytes and headers plus where it was replayed from.
    const again = await waitFor('the replayed dead letter', async () => {
      const found = await listDeadLetters(kafka, { topic: 'ledger.in', prefix });
      return found.length === 2 ? found : undefined;
    }, 30_000, 1_000);
    expect(again[1]).toMatchObject({ key: 'k1', valueBytes: 7, headers: { trace: 'abc' } });
    worker.child.kill('SIGTERM');
    await worker.exited;
  }, 120_000);
});
