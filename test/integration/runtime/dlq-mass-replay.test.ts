import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { IHeaders } from 'kafkajs';
import { replayDeadLetters, type ReplayProgress } from '../../../runtime/index.js';
import { readTopic, testKafka, uniqueName, withAdmin } from '../../support/stack.js';

const LETTERS = 100_000;
const FORGED = 3;
const SOURCE_LIMIT = 64 * 1024;

async function highWatermarks(topic: string): Promise<number> {
  return withAdmin(async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0));
}

describe('runtime – dead letters: a mass replay', () => {
  const prefix = `${uniqueName('dlqmass')}.`;
  afterAll(async () => {
    await withAdmin((admin) => admin.deleteTopics({ topics: [`${prefix}ledger.in`, `${prefix}ledger.in.dlq.v1`, `${prefix}other.in`] })).catch(() => undefined);
  });

  it(`dlq – replays ${LETTERS.toLocaleString('en')} dead letters in chunks under the topic's limit, only to the selected source topic, reporting progress`, async () => {
    await withAdmin((admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [
          // A small record limit on the target: a replay that does not chunk under it is refused by the broker.
          { topic: `${prefix}ledger.in`, numPartitions: 3, configEntries: [{ name: 'max.message.bytes', value: String(SOURCE_LIMIT) }] },
          { topic: `${prefix}ledger.in.dlq.v1`, numPartitions: 3 },
          { topic: `${prefix}other.in`, numPartitions: 1 },
        ],
      }),
    );
    const kafka = testKafka();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const value = randomBytes(150);
    const letter = (i: number, source: string): { key: string; value: Buffer; headers: IHeaders } => ({
      key: `k${i % 5_000}`,
      value,
      headers: { 'hc-source-topic': source, 'hc-source-partition': '0', 'hc-source-offset': String(i), 'hc-error-code': 'HC_ERR_TEST', 'hc-attempts': '1', trace: `t${i}` },
    });
    for (let start = 0; start < LETTERS; start += 2_500) {
      const messages = Array.from({ length: Math.min(2_500, LETTERS - start) }, (_, j) => letter(start + j, 'ledger.in'));
      // Forged letters (header names another topic) sit among the genuine ones.
      if (start === 50_000) messages.push(...Array.from({ length: FORGED }, (_, j) => letter(j, 'other.in')));
      await producer.send({ topic: `${prefix}ledger.in.dlq.v1`, acks: -1, messages });
    }
    await producer.disconnect();

    const progress: ReplayProgress[] = [];
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const result = await replayDeadLetters(kafka, { topic: 'ledger.in', prefix }, {
      onProgress: (p) => {
        progress.push(p);
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      },
    });

    expect(result.replayed).toBe(LETTERS);
    expect(result.skipped).toBe(FORGED);
    expect(result.topics).toEqual([`${prefix}ledger.in`]);
    expect(result.batches).toBeGreaterThan(100);
    expect(result.largestBatchBytes).toBeLessThanOrEqual(SOURCE_LIMIT);
    expect(await highWatermarks(`${prefix}ledger.in`)).toBe(LETTERS);
    expect(await highWatermarks(`${prefix}other.in`)).toBe(0);

    // Progress: from nothing to everything, never backwards.
    expect(progress[0]).toMatchObject({ read: 0, total: LETTERS + FORGED });
    expect(progress.at(-1)).toEqual({ read: LETTERS + FORGED, total: LETTERS + FORGED, replayed: LETTERS, skipped: FORGED });
    for (let i = 1; i < progress.length; i += 1) expect(progress[i]!.read).toBeGreaterThanOrEqual(progress[i - 1]!.read);

    // Replayed records carry the original key, bytes and own headers, not the error headers.
    const sample = await readTopic(kafka, `${prefix}ledger.in`, 5);
    for (const record of sample) {
      expect(record.value).toEqual(value);
      expect(record.headers['trace']).toMatch(/^t\d+$/);
      expect(record.headers['hc-replayed-from']).toMatch(new RegExp(`^${prefix.replaceAll('.', '\\.')}ledger\\.in\\.dlq\\.v1/\\d/\\d+$`));
      expect(record.headers['hc-error-code']).toBeUndefined();
    }
    // Memory stays bounded by the fetch and chunk sizes, not the number of letters (reported, not asserted).
    process.stderr.write(`dlq mass replay: ${result.batches} batches, largest ${result.largestBatchBytes} B, heap growth ≤ ${((heapPeak - heapBefore) / 1048576).toFixed(1)} MiB\n`);
  }, 300_000);
});
