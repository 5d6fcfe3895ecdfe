import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoClient } from 'mongodb';
import { listDeadLetters } from '../../../runtime/index.js';
import { buildProgram } from '../../../cli/main.js';
import { Canaries, formatHits } from '../../support/canary.js';
import { testKafka, testMongo, uniqueName } from '../../support/stack.js';
import { createLedgerTopics, ledgerViews, produce, spawnWorker, waitFor, type WorkerHandle } from './helpers.js';

const OPTIONS = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, commitIntervalMs: 500, drainTimeoutMs: 5_000, retry: { initialMs: 20, maxMs: 100, maxAttempts: 3 } };

describe('runtime – no plaintext in dead letters, logs or dlq list', () => {
  let mongo: MongoClient;
  let worker: WorkerHandle | undefined;
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await mongo.close();
  });

  it('dlq – a processor error carrying a value leaves it in no dead-letter header, worker log line or hycal dlq list output', async () => {
    const canaries = new Canaries();
    const secret = canaries.make('subject');
    const prefix = `${uniqueName('dlqcanary')}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    await createLedgerTopics(prefix, 1);
    await produce(`${prefix}ledger.in`, [{ key: 'k1', value: { seq: 1, amount: 1, leak: secret } }, { key: 'k2', value: { seq: 1, amount: 5 } }]);
    worker = spawnWorker({ prefix, db: dbName, options: OPTIONS, extraEnv: { HC_LOG_LEVEL: 'trace' } });
    await waitFor('the good record', async () => ((await ledgerViews(mongo.db(dbName))).length === 1 ? true : undefined), 60_000);
    const kafka = testKafka();
    const letters = await waitFor('the dead letter', async () => {
      const found = await listDeadLetters(kafka, { topic: 'ledger.in', prefix });
      return found.length === 1 ? found : undefined;
    }, 30_000, 1_000);
    expect(letters[0]!.error.code).toBe('TypeError');
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
    expect(lines.join('')).toContain('TypeError');
    worker.child.kill('SIGTERM');
    await worker.exited;
    const hits = [
      ...canaries.scan(Buffer.from(JSON.stringify(letters.map((l) => ({ ...l, headers: l.headers, error: l.error })))), 'listDeadLetters'),
      ...canaries.scan(Buffer.from(lines.join('')), 'hycal dlq list'),
      ...canaries.scan(Buffer.from(worker.output.join('\n')), 'worker logs'),
    ];
    expect(hits, formatHits(hits)).toEqual([]);
  }, 120_000);
});
