import type { Producer } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '@hybrid-calendar/sim-graph';
import { definePipelineTopologies } from '../../../app/topologies-pipeline.js';
import { systemClock } from '../../../common/clock.js';
import { createLogger } from '../../../common/logger.js';
import { createKeyring, generateKeyText, kmsOptionsSchema } from '../../../kms/index.js';
import { HTML_BEGIN, setWritebackSettings, WRITEBACK_VIEW } from '../../../processors/writeback/index.js';
import { Runtime } from '../../../runtime/index.js';
import { createSchemaRegistry, provisionTopics, TopicCodec } from '../../../schemas/index.js';
import { ALICE, APP, SECRET, TENANT, startSeeded } from '../../../sim/graph/test/unit/helpers.js';
import { simConnections } from '../../unit/connector/helpers.js';
import { meeting } from '../../unit/writeback/sim-fixture.js';
import { testKafka, testMongo, testStack, uniqueName, withAdmin } from '../../support/stack.js';
import { waitFor } from '../runtime/helpers.js';

describe('writeback – on the real stack (Kafka, registry, MongoDB) against the simulator', () => {
  const prefix = `${uniqueName('wb')}.`;
  const closers: (() => Promise<void>)[] = [];
  let sim: GraphSimulator;
  let mongo: MongoClient;
  let db: Db;
  let producer: Producer;
  let codec: TopicCodec;

  beforeAll(async () => {
    await withAdmin((admin) => provisionTopics(admin, { prefix, partitions: 1 }));
    codec = await new TopicCodec(createSchemaRegistry(testStack().schemaRegistryUrl), { prefix }).init();
    producer = testKafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    mongo = await testMongo();
    db = mongo.db(prefix.replace(/[.-]/g, '_'));
    sim = await startSeeded();
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await producer.disconnect();
    await db.dropDatabase().catch(() => undefined);
    await mongo.close();
    await sim.close();
  });

  it('writeback – a keyword meeting on calendar.meetings.v1 gets one join block through Graph and a decorated state in writeback_meetings', async () => {
    const logger = createLogger({ name: 'writeback-it', level: 'warn' });
    const made = createKeyring({ db, options: kmsOptionsSchema.parse({}), clock: systemClock, logger, env: { HYCAL_KMS_MASTER_KEY: generateKeyText() } });
    closers.push(made.close);
    const connections = simConnections(sim, systemClock);
    closers.push(() => Promise.resolve(connections.close()));
    const access = connections.forTenant({ tenantId: TENANT, cloud: 'worldwide' }, { clientId: APP, credential: { kind: 'secret', clientSecret: SECRET } });
    await setWritebackSettings(db, TENANT, { siteDomain: 'contoso.webex.com' });
    const { writeback } = definePipelineTopologies({ db, clock: systemClock, keyring: made.keyring, writeback: { graph: { graphFor: () => Promise.resolve(access) } } });
    const runtime = new Runtime({
      topology: writeback!, kafka: testKafka(), db, codec, prefix, logger, clock: systemClock,
      options: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100, commitIntervalMs: 200, drainTimeoutMs: 1_000, timerPollMs: 50 },
    });
    await runtime.start();
    closers.push(() => runtime.stop());
    const start = Date.now() + 3_600_000;
    const id = sim.store.createEvent(TENANT, ALICE, {
      subject: 'Sync', body: { contentType: 'html', content: '<html><body><p>notes</p></body></html>' },
      start: { dateTime: new Date(start).toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: new Date(start + 1_800_000).toISOString().slice(0, 19), timeZone: 'UTC' },
      location: { displayName: '@webex' },
    });
    const m = meeting(id, { start, end: start + 1_800_000 });
    const value = await codec.encode('calendar.meetings.v1', m);
    // The record and two duplicates (a notification storm): one PATCH, one block.
    await producer.send({ topic: `${prefix}calendar.meetings.v1`, acks: -1, messages: [0, 1, 2].map(() => ({ key: `${TENANT}/${ALICE}`, value })) });
    const view = await waitFor('the decorated state', async () => {
      const doc = await db.collection<{ _id: string; status?: string }>(WRITEBACK_VIEW).findOne({ _id: `${TENANT}/${ALICE}/${id}` });
      return doc?.status === 'decorated' ? doc : undefined;
    }, 30_000, 200);
    const body = (await access.getEvent(ALICE, id, ['body']))['body'] as { content: string };
    expect(body.content.split(HTML_BEGIN).length - 1).toBe(1);
    expect(body.content).toContain('https://contoso.webex.com/meet/alice');
    expect(Object.keys(view).sort()).toEqual(['_id', 'kind', 'language', 'mailboxId', 'meetingId', 'provider', 'reason', 'status', 'targetId', 'tenantId', 'updatedAt', 'v']);
    const patches = sim.admin.calls({ pathIncludes: `/events/` }).filter((c) => c.method === 'PATCH').length;
    expect(patches).toBe(1);
  }, 60_000);
});
