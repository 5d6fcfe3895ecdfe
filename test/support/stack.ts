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

export async function testMongo(): Promise<MongoClient> {
  const client = new MongoClient(testStack().mongodbUri, { serverSelectionTimeoutMS: 20_000 });
  await client.connect();
  return client;
}
