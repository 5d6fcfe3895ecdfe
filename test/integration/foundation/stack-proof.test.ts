import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, type Consumer, type Producer } from 'kafkajs';
import type { Collection, Db, MongoClient } from 'mongodb';
import { createSchemaRegistry, provisionTopics, TopicCodec, topicSpec, type PresenceChange } from '../../../schemas/index.js';
import { canRestartBroker, restartBroker } from '../../support/restart.js';
import { testKafka, testMongo, testStack, uniqueName } from '../../support/stack.js';

/**
 * Proof that the stack is real: Avro records through the registry, a consumer group across
 * partitions, version-guarded upserts into MongoDB, and a broker restart in the middle that loses
 * nothing the producer had acknowledged.
 */
interface PresenceView {
  _id: string;
  v: number;
  outOfOffice: boolean;
}

const KEYS = 120;
const VERSIONS_PER_KEY = 20;

/** The version-guarded upsert: a missing doc is inserted, an older one replaced, a newer one kept. */
async function upsertIfNewer(collection: Collection<PresenceView>, view: PresenceView): Promise<'applied' | 'stale'> {
  try {
    await collection.replaceOne({ _id: view._id, v: { $lt: view.v } }, view, { upsert: true });
    return 'applied';
  } catch (error) {
    if ((error as { code?: number }).code === 11000) return 'stale';
    throw error;
  }
}

function presence(key: number, version: number): PresenceChange {
  return {
    tenantId: 'tenant-proof',
    userId: `user-${key}`,
    outOfOffice: version % 2 === 0,
    since: version % 2 === 0 ? 1_767_600_000_000 + version : null,
    until: null,
    version,
    updatedAt: 1_767_600_000_000 + version,
  };
}

describe('the stack is real', () => {
  const prefix = `${uniqueName('proof')}.`;
  const topic = `${prefix}presence.v1`;
  const restartTopic = `${prefix}restart.presence.v1`;
  let mongo: MongoClient;
  let db: Db;
  let codec: TopicCodec;

  beforeAll(async () => {
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await provisionTopics(admin, { prefix, topics: [topicSpec('presence.v1')!], partitions: 6 });
    await provisionTopics(admin, { prefix: `${prefix}restart.`, topics: [topicSpec('presence.v1')!], partitions: 6 });
    await admin.disconnect();
    codec = await new TopicCodec(createSchemaRegistry(testStack().schemaRegistryUrl), { prefix }).init();
    mongo = await testMongo();
    db = mongo.db(uniqueName('proofdb').replace(/-/g, '_'));
  });

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await mongo?.close();
  });

  it('stack – the version guard keeps the newest document and reports older writes as stale', async () => {
    const collection = db.collection<PresenceView>('guard');
    expect(await upsertIfNewer(collection, { _id: 'k', v: 2, outOfOffice: true })).toBe('applied');
    expect(await upsertIfNewer(collection, { _id: 'k', v: 1, outOfOffice: false })).toBe('stale');
    expect(await upsertIfNewer(collection, { _id: 'k', v: 2, outOfOffice: false })).toBe('stale');
    expect(await upsertIfNewer(collection, { _id: 'k', v: 3, outOfOffice: false })).toBe('applied');
    expect(await collection.findOne({ _id: 'k' })).toEqual({ _id: 'k', v: 3, outOfOffice: false });
  });

  /** Produces KEYS × VERSIONS_PER_KEY records (half before, half after an optional broker restart) and checks the views. */
  async function flowThroughGroup(restart: boolean): Promise<void> {
    const kafka = testKafka();
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 30, maxRetryTime: 5_000 } });
    await producer.connect();
    const views = db.collection<PresenceView>(restart ? 'presence_restart' : 'presence');
    const acknowledged = new Map<string, number>();
    const consumed = new Set<string>();
    const partitionsSeen = new Set<number>();
    const membersWithWork = new Set<string>();

    const group = uniqueName(restart ? 'proof-restart' : 'proof-group');
    const consumers: Consumer[] = [];
    for (let member = 0; member < 2; member += 1) {
      const consumer = kafka.consumer({ groupId: group, sessionTimeout: 30_000, heartbeatInterval: 1_000, retry: { retries: 30 } });
      await consumer.connect();
      await consumer.subscribe({ topic: restart ? restartTopic : topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          const value = await codec.decode('presence.v1', message.value!);
          await upsertIfNewer(views, { _id: `${value.tenantId}/${value.userId}`, v: value.version, outOfOffice: value.outOfOffice });
          consumed.add(`${value.tenantId}/${value.userId}#${value.version}`);
          partitionsSeen.add(partition);
          membersWithWork.add(String(member));
        },
      });
      consumers.push(consumer);
    }

    const produceVersion = async (version: number): Promise<void> => {
      const messages = await Promise.all(
        Array.from({ length: KEYS }, async (_, key) => {
          const value = presence(key, version);
          return { key: `${value.tenantId}/${value.userId}`, value: await codec.encode('presence.v1', value) };
        }),
      );
      await producer.send({ topic: restart ? restartTopic : topic, acks: -1, compression: CompressionTypes.None, messages });
      for (const message of messages) acknowledged.set(message.key, version);
    };

    const half = VERSIONS_PER_KEY / 2;
    for (let version = 1; version <= half; version += 1) await produceVersion(version);
    if (restart) await restartBroker();
    for (let version = half + 1; version <= VERSIONS_PER_KEY; version += 1) await produceVersion(version);

    // Every acknowledged record reaches the view.
    const deadline = Date.now() + 120_000;
    let upToDate = 0;
    while (Date.now() < deadline) {
      const docs = await views.find({}).toArray();
      upToDate = docs.filter((doc) => acknowledged.get(doc._id) === doc.v).length;
      if (upToDate === KEYS) break;
      await sleep(500);
    }
    await Promise.all(consumers.map((consumer) => consumer.disconnect()));
    await producer.disconnect();

    expect(upToDate).toBe(KEYS);
    expect(partitionsSeen.size).toBe(6);
    for (const [key, version] of acknowledged) {
      for (let v = 1; v <= version; v += 1) expect(consumed.has(`${key}#${v}`), `${key}#${v}`).toBe(true);
    }
    expect(consumed.size).toBe(KEYS * VERSIONS_PER_KEY);
    const final = await views.find({}).toArray();
    expect(final).toHaveLength(KEYS);
    expect(final.every((doc) => doc.v === VERSIONS_PER_KEY && doc.outOfOffice === (VERSIONS_PER_KEY % 2 === 0))).toBe(true);
    expect(membersWithWork.size).toBeGreaterThanOrEqual(1);
  }

  it('stack – Avro records flow through a consumer group across partitions into MongoDB views', async () => {
    await flowThroughGroup(false);
  }, 240_000);

  it.runIf(canRestartBroker())(
    'stack – a broker restart in the middle of the run loses nothing the producer had acknowledged',
    async () => {
      await flowThroughGroup(true);
    },
    240_000,
  );
});
