import type { Kafka, Producer, IHeaders } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { ManualClock } from '../../../common/clock.js';
import { createLogger, type Logger } from '../../../common/logger.js';
import { createKeyring, generateKeyText, kmsOptionsSchema, type KmsOptionsInput, type Keyring } from '../../../kms/index.js';
import { createSchemaRegistry, provisionTopics, TopicCodec } from '../../../schemas/index.js';
import { LogCapture } from '../../support/canary.js';
import { readTopic, testKafka, testMongo, testStack, uniqueName, withAdmin, within, type ReadRecord } from '../../support/stack.js';
import { linearBackoff, retry } from '../../../common/index.js';

export type KafkaRecord = ReadRecord;

/** One test's slice of the real stack: its own topic prefix, database, codec and captured logs. */
export interface Harness {
  readonly prefix: string;
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly codec: TopicCodec;
  readonly mongo: MongoClient;
  readonly dbName: string;
  readonly db: Db;
  readonly logs: LogCapture;
  readonly logger: Logger;
  readonly clock: ManualClock;
  readonly masterKeyText: string;
  keyring(options?: KmsOptionsInput, env?: Record<string, string>): { keyring: Keyring; close: () => Promise<void> };
  produce(topic: string, key: string, value: Buffer | null, headers?: IHeaders): Promise<void>;
  readAll(topic: string, count: number, timeoutMs?: number): Promise<KafkaRecord[]>;
  close(): Promise<void>;
}

export async function openHarness(label: string): Promise<Harness> {
  const prefix = `${uniqueName(label)}.`;
  const kafka = testKafka();
  // Provisioning is idempotent; creating topics while other tests do may briefly answer
  // UNKNOWN_TOPIC_OR_PARTITION while leaders are elected, so try again a few times.
  await retry(() => withAdmin((admin) => provisionTopics(admin, { prefix, partitions: 1 })), { attempts: 5, delayMs: linearBackoff(1_000) });
  const codec = await new TopicCodec(createSchemaRegistry(testStack().schemaRegistryUrl), { prefix }).init();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await within(60_000, 'connecting the Kafka producer', producer.connect());
  const mongo = await testMongo();
  const dbName = uniqueName(`${label}db`).replaceAll('.', '_');
  const db = mongo.db(dbName);
  const logs = new LogCapture();
  const logger = createLogger({ name: label, level: 'trace', destination: logs });
  const clock = new ManualClock(Date.now());
  const masterKeyText = generateKeyText();
  const closers: (() => Promise<void>)[] = [];
  return {
    prefix,
    kafka,
    producer,
    codec,
    mongo,
    dbName,
    db,
    logs,
    logger,
    clock,
    masterKeyText,
    keyring(options = {}, env = {}) {
      const made = createKeyring({ db, options: kmsOptionsSchema.parse(options), clock, logger, env: { HYCAL_KMS_MASTER_KEY: masterKeyText, ...env } });
      closers.push(made.close);
      return made;
    },
    async produce(topic, key, value, headers) {
      await producer.send({ topic: `${prefix}${topic}`, messages: [{ key, value, ...(headers === undefined ? {} : { headers }) }] });
    },
    readAll(topic, count, timeoutMs = 30_000) {
      return readTopic(kafka, `${prefix}${topic}`, count, { timeoutMs });
    },
    async close() {
      for (const close of closers) await close();
      await producer.disconnect();
      await mongo.db(dbName).dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
}
