import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { MongoClient } from 'mongodb';
import { ManualClock } from '../../../common/clock.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault } from '../../../kms/index.js';
import { defineTopology, Runtime, type Processor } from '../../../runtime/index.js';
import { testKafka, testMongo, uniqueName } from '../../support/stack.js';
import { waitFor } from './helpers.js';

/** Reads `count` records of a topic from its beginning. */
async function readTopic(kafka: Kafka, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('read'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: KafkaMessage[] = [];
  try {
    await consumer.run({ eachMessage: ({ message }) => {
      seen.push(message);
      return Promise.resolve();
    } });
    return await waitFor(`${count} records of ${topic}`, () => (seen.length >= count ? seen : undefined), 30_000, 100);
  } finally {
    await consumer.disconnect();
  }
}

describe('runtime – record size limits of each topic', () => {
  let mongo: MongoClient;
  const kafka = testKafka();
  beforeAll(async () => {
    mongo = await testMongo();
  });
  afterAll(async () => {
    await mongo.close();
  });

  it('runtime – a record over its output topic\'s own max.message.bytes goes, still sealed, to the dead letter while the partition keeps flowing', async () => {
    const prefix = `${uniqueName('limit')}.`;
    const input = `${prefix}sealed.in`;
    const output = `${prefix}sealed.out`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: input, numPartitions: 1 },
        { topic: `${input}.dlq.v1`, numPartitions: 1 },
        // Far below runtime.maxRecordBytes (1,000,000 by default): only the topic's own limit refuses the big one.
        { topic: output, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '4096' }] },
      ],
    });
    await admin.disconnect();

    // Values are sealed as the connector seals raw records: the plaintext is never on a topic.
    const clock = new ManualClock();
    const keyring = new Keyring({
      store: new MemoryDataKeyStore(),
      providers: { cloud: new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock }) },
      clock,
    });
    const plaintext = (size: number, label: string): Buffer => Buffer.from(`PLAINTEXT-${label}-`.padEnd(size, 'x'));
    const sizes = [100, 100, 9_000, 100, 100, 100];
    const values: Buffer[] = [];
    for (const [index, size] of sizes.entries()) {
      values.push(await keyring.seal({ tenantId: 'tenant-a', recordKey: `k${index}`, purpose: 'test' }, plaintext(size, String(index))));
    }
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: input, acks: -1, messages: values.map((value, index) => ({ key: `k${index}`, value })) });
    await producer.disconnect();

    const passThrough: Processor<Buffer, never> = {
      name: 'pass',
      stateful: false,
      process(record, ctx) {
        ctx.emitRaw('sealed.out', record.key, record.raw);
      },
    };
    const runtime = new Runtime({
      topology: defineTopology({ name: 'limit', inputs: [{ topic: 'sealed.in', decode: (bytes) => bytes }], outputs: ['sealed.out'], stages: [passThrough] }),
      kafka,
      db: mongo.db(prefix.replace(/[.-]/g, '_')),
      prefix,
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, commitIntervalMs: 200, retry: { initialMs: 10, maxMs: 50, maxAttempts: 2 } },
    });
    await runtime.start();
    try {
      // Every other record, also those after the big one on the same partition, reaches the output.
      const out = await readTopic(kafka, output, 5);
      expect(out.map((m) => m.key?.toString())).toEqual(['k0', 'k1', 'k3', 'k4', 'k5']);
      const [letter] = await readTopic(kafka, `${input}.dlq.v1`, 1);
      expect(letter?.headers?.['hc-error-code']?.toString()).toBe('HC_ERR_RUNTIME_RECORD_TOO_LARGE');
      expect(letter?.headers?.['hc-source-offset']?.toString()).toBe('2');
      // The dead letter holds the original sealed bytes, not the plaintext.
      expect(letter?.value?.equals(values[2] as Buffer)).toBe(true);
      expect(letter?.value?.includes('PLAINTEXT')).toBe(false);
      expect(await runtime.metricsText()).toMatch(/hycal_runtime_dead_letters_total\{topic="sealed\.in",processor="pass",code="HC_ERR_RUNTIME_RECORD_TOO_LARGE"\} 1/);
    } finally {
      await runtime.stop();
      const cleanup = kafka.admin();
      await cleanup.connect();
      await cleanup.deleteTopics({ topics: [input, `${input}.dlq.v1`, output] }).catch(() => undefined);
      await cleanup.disconnect();
    }
  }, 90_000);
});
