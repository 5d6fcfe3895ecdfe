import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { MongoClient } from 'mongodb';

/** Connection strings of the real stack the integration tests run against (set by global-setup). */
export interface TestStack {
  readonly kafkaBrokers: string[];
  readonly schemaRegistryUrl: string;
  readonly mongodbUri: string;
}

export function testStack(): TestStack {
  return {
    kafkaBrokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',').map((b) => b.trim()),
    schemaRegistryUrl: process.env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:18081/apis/ccompat/v7',
    mongodbUri: process.env['MONGODB_URI'] ?? 'mongodb://127.0.0.1:27018/',
  };
}

/** A unique prefix for topics, groups, subjects and databases, so tests never share state. */
export function uniqueName(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}`;
}

export function testKafka(clientId = uniqueName('client')): Kafka {
  return new Kafka({
    clientId,
    brokers: testStack().kafkaBrokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
}

export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * `step`, or a failure naming `what` when it takes longer than `ms`: a setup step that hangs
 * fails with its name instead of the hook's blind time-out.
 */
export async function within<T>(ms: number, what: string | (() => string), step: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${typeof what === 'string' ? what : what()} did not end within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([step, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function testMongo(): Promise<MongoClient> {
  const client = new MongoClient(testStack().mongodbUri, { serverSelectionTimeoutMS: 20_000 });
  await within(60_000, `connecting to MongoDB at ${testStack().mongodbUri}`, client.connect());
  return client;
}

/** A record as read back by a test, with its coordinates and headers. */
export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/**
 * The first `count` records of a topic (all partitions, from the beginning) through a fresh
 * consumer group, in arrival order (or sorted by partition and offset); fails naming how many
 * arrived in time.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  options: { timeoutMs?: number; sorted?: boolean } = {},
): Promise<ReadRecord[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const records: ReadRecord[] = [];
  if (count === 0) return records;
  // Metadata refreshed every second: a topic created moments ago may not show every partition's
  // leader in the first metadata answer, and the default refresh (5 min) would outlast the wait.
  const consumer = kafka.consumer({ groupId: uniqueName('read'), maxWaitTimeInMs: 100, metadataMaxAge: 1_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${records.length}/${count} records of ${topic} in time`)), timeoutMs);
      void consumer.run({
        autoCommit: false,
        eachMessage: ({ topic: t, partition, message }) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(Array.isArray(value) ? value[0] : value);
          records.push({ topic: t, partition, offset: message.offset, key: message.key?.toString() ?? '', value: message.value, headers });
          if (records.length >= count) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return options.sorted === true ? records.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset)) : records;
}
