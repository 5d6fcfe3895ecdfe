import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localConnections, localStackOptionsSchema, startLocalPart, stopLocalPart, type PartName, type StackTarget } from '../../stack/index.js';
import { createSchemaRegistry, registerAvro } from '../../schemas/index.js';
import { LEDGER_SCHEMA_V1, LEDGER_SCHEMA_V2 } from '../integration/runtime/fixtures/ledger.js';
import { createLedgerTopics, ledgerRecords, ledgerViews, waitFor, type LedgerView } from '../integration/runtime/helpers.js';
import { Canaries, formatHits } from '../support/canary.js';
import { testKafka, testMongo, uniqueName } from '../support/stack.js';
import { recordOutcome } from './summary.js';
import { compareLedger, freePort, ledgerReference, RELIABILITY_OPTIONS, WorkerPool } from './workload.js';

/**
 * Server outages under the ledger workload (3 runtime instances as child processes): the broker
 * stopped and started again on its data, FerretDB stopped and started again, the schema registry
 * down while records of a schema version no worker has seen arrive. These stop servers, so the
 * file runs its OWN private stack (Kafka KRaft, FerretDB, Apicurio through stack/, in a temporary
 * root on free ports; the shared stack is never touched), shared by its three scenarios, and
 * points every test helper at it. Nobody restarts a worker: the runtime must ride the outage out.
 */

const KEYS = 100;
const PER_KEY = 100;
const SLICES = 10;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('reliability – server outages (private stack)', () => {
  let root: string;
  let target: StackTarget;
  let mongo: MongoClient | undefined;
  const saved = { KAFKA_BROKERS: process.env['KAFKA_BROKERS'], SCHEMA_REGISTRY_URL: process.env['SCHEMA_REGISTRY_URL'], MONGODB_URI: process.env['MONGODB_URI'] };
  const pools: WorkerPool[] = [];
  const stop = async (part: PartName): Promise<number> => {
    const at = Date.now();
    console.log(`outages: stopping ${part}: ${await stopLocalPart(part, target)}`);
    return at;
  };
  const start = async (part: PartName, downSince: number): Promise<number> => {
    console.log(`outages: starting ${part}: ${await startLocalPart(part, target)}`);
    return Math.round((Date.now() - downSince) / 1000);
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'hycal-reliability-'));
    const options = localStackOptionsSchema.parse({
      kafkaPort: await freePort(),
      kafkaControllerPort: await freePort(),
      registryPort: await freePort(),
      registryManagementPort: await freePort(),
      mongoPort: await freePort(),
      mode: 'local',
      startTimeoutMs: 240_000,
    });
    target = { options, root };
    const started = Date.now();
    await Promise.all((['kafka', 'registry', 'mongodb'] as const).map((part) => startLocalPart(part, target)));
    const connections = localConnections(options);
    Object.assign(process.env, connections);
    console.log(`outages: private stack up in ${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(connections)}`);
    mongo = await testMongo();
  }, 600_000);

  afterAll(async () => {
    for (const pool of pools) pool.killAll();
    await mongo?.close();
    if (target !== undefined) for (const part of ['mongodb', 'registry', 'kafka'] as const) await stopLocalPart(part, target).catch(() => undefined);
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  /**
   * Runs 3 workers on KEYS × PER_KEY changes produced in SLICES slices, a second apart; `fault` runs
   * after slice SLICES/2 - 1 (it may produce slices itself, through `produceSlice`), then the rest is
   * produced. Ends when every view reached its last change (or after 5 minutes), and checks the views
   * against the model, every worker still running on its own, and the canaries (one change in 100
   * carries one in a field the processor ignores) in outputs, dead letters, views, state and logs.
   */
  const run = async (setup: {
    label: string;
    avro?: boolean;
    fault: (io: { pool: WorkerPool; produceSlice: (i: number) => Promise<void>; unprocessed: () => Promise<number> }) => Promise<string>;
  }) => {
    const started = Date.now();
    const canaries = new Canaries();
    const prefix = `${uniqueName(`rel-${setup.label}`)}.`;
    const dbName = prefix.replace(/[.-]/g, '_');
    const db: Db = mongo!.db(dbName);
    await createLedgerTopics(prefix, 6);
    const records = ledgerRecords(KEYS, PER_KEY, 41);
    const reference = ledgerReference(records);
    const note = (i: number): string | null => (i % 100 === 0 ? canaries.make('subject') : null);
    // Avro: the first half written with schema version 1, the second half with version 2, which the
    // workers first meet while the registry is down (the test's own client fetched both before).
    let registry: SchemaRegistry | undefined;
    const ids: number[] = [];
    if (setup.avro === true) {
      registry = createSchemaRegistry(process.env['SCHEMA_REGISTRY_URL']!);
      for (const schema of [LEDGER_SCHEMA_V1, LEDGER_SCHEMA_V2]) ids.push(await registerAvro(registry, `${prefix}ledger.in-value`, schema));
      await registry.encode(ids[1]!, { seq: 0, amount: 0, note: null });
    }
    const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const size = records.length / SLICES;
    const produced = new Set<number>();
    const produceSlice = async (slice: number): Promise<void> => {
      const messages = await Promise.all(
        records.slice(slice * size, (slice + 1) * size).map(async ({ key, value }, j) => {
          const i = slice * size + j;
          const bytes =
            registry === undefined
              ? Buffer.from(JSON.stringify({ ...value, note: note(i) }))
              : slice < SLICES / 2
                ? await registry.encode(ids[0]!, value)
                : await registry.encode(ids[1]!, { ...value, note: note(i) });
          return { key, value: bytes };
        }),
      );
      await producer.send({ topic: `${prefix}ledger.in`, acks: -1, messages });
      produced.add(slice);
    };
    const pool = new WorkerPool({ prefix, db: dbName, options: RELIABILITY_OPTIONS, extraEnv: setup.avro === true ? { HC_AVRO: '1' } : {} });
    pools.push(pool);
    for (let i = 0; i < 3; i += 1) pool.start();
    const unprocessed = async (): Promise<number> => {
      const applied = (await ledgerViews(db)).reduce((sum, v) => sum + v.n, 0);
      return produced.size * size - applied;
    };
    let survived = '';
    let pendingAtFault = 0;
    for (let slice = 0; slice < SLICES; slice += 1) {
      if (slice === SLICES / 2 - 1) {
        // The fault strikes mid-processing: once the workers applied some of what was produced, and
        // right after a slice was produced, so that slice is still on its way through the workers
        // (a second's pause lets today's workers apply every slice before the next).
        await waitFor('the workers to apply changes', async () => ((await unprocessed()) < produced.size * size ? true : undefined), 180_000, 1_000);
        await produceSlice(slice);
        pendingAtFault = await unprocessed();
        console.log(`outages: ${setup.label}: fault with ${pendingAtFault} of ${produced.size * size} produced changes unprocessed`);
        survived = await setup.fault({ pool, produceSlice, unprocessed });
        continue;
      }
      if (!produced.has(slice)) await produceSlice(slice);
      await sleep(1_000);
    }
    expect(pendingAtFault, 'the fault struck while changes were unprocessed').toBeGreaterThan(0);
    await producer.disconnect();
    let views: LedgerView[] = [];
    views = await waitFor('every view to reach its last change', async () => {
      const current = await ledgerViews(db);
      return current.filter((v) => v.n >= PER_KEY).length === KEYS ? current : undefined;
    }, 300_000, 2_000).catch(async () => ledgerViews(db));
    const { lost, twice, equal } = compareLedger(views, reference);
    if (lost > 0 || twice > 0 || !equal) for (const worker of pool.workers) console.log(`outages: worker ${worker.child.pid} (exit ${worker.child.exitCode ?? worker.child.signalCode}):\n  ${worker.output.slice(-15).join('\n  ')}`);
    const exited = pool.exitedByThemselves().length;
    const stillRunning = pool.live().length;
    await pool.stopAll();
    const kafka = testKafka();
    const hits = [
      ...canaries.scan(Buffer.from(pool.output().join('\n')), 'worker logs'),
      ...(await canaries.scanKafka(kafka, prefix, { timeoutMs: 240_000, skipTopics: [`${prefix}ledger.in`], valueCopiedTopics: [`${prefix}ledger.in.dlq.v1`] })).hits,
      ...(await canaries.scanMongo(mongo!, [dbName])).hits,
    ];
    return { started, survived, changes: records.length, lost, twice, equal, exited, stillRunning, hits, canaries: canaries.values.length };
  };

  const report = (scenario: string, result: Awaited<ReturnType<typeof run>>, notes: string): void => {
    const passed = result.lost === 0 && result.twice === 0 && result.equal && result.hits.length === 0 && result.exited === 0;
    recordOutcome({
      scenario, survived: result.survived, changes: result.changes, lost: result.lost, appliedTwice: result.twice, viewsEqualModel: result.equal, canaryHits: result.hits.length, passed,
      seconds: Math.round((Date.now() - result.started) / 1000),
      notes: `${notes}; 3 runtime instances, none restarted by hand (${result.exited} exited by themselves, ${result.stillRunning} running at the end); ${result.canaries} canaries in a field the processor ignores`,
    });
    expect(result.hits, formatHits(result.hits)).toHaveLength(0);
    expect({ lost: result.lost, twice: result.twice, equal: result.equal, exited: result.exited }).toEqual({ lost: 0, twice: 0, equal: true, exited: 0 });
  };

  it('reliability – the broker stopped and started again mid-run (same data dir): nothing lost, nothing applied twice, views equal the model, 0 canary hits', async () => {
    const result = await run({
      label: 'broker',
      fault: async ({ unprocessed }) => {
        const pending = await unprocessed();
        const down = await stop('kafka');
        await sleep(15_000);
        const seconds = await start('kafka', down);
        return `broker stopped (SIGTERM) and started again on its data dir with ${pending} of ${(KEYS * PER_KEY) / 2} produced changes unprocessed; ${seconds} s without a broker`;
      },
    });
    report('broker restart', result, 'production paused while the broker was down (the test producer is not under test)');
  }, 900_000);

  it('reliability – FerretDB stopped and started again mid-run while changes keep arriving: nothing lost, nothing applied twice, views equal the model, 0 canary hits', async () => {
    const result = await run({
      label: 'mongo',
      fault: async ({ produceSlice, unprocessed }) => {
        const pending = await unprocessed();
        const down = await stop('mongodb');
        // Changes keep arriving while MongoDB is away.
        for (let slice = SLICES / 2; slice < SLICES / 2 + 3; slice += 1) {
          await produceSlice(slice);
          await sleep(5_000);
        }
        await sleep(5_000);
        const seconds = await start('mongodb', down);
        return `FerretDB stopped (SIGTERM) with ${pending} changes unprocessed, ${(3 * KEYS * PER_KEY) / SLICES} more produced while it was down, started again on its data; ${seconds} s without MongoDB`;
      },
    });
    report('MongoDB (FerretDB) stop and start', result, 'leases, state, views and the workers\' own MongoDB clients all lost the store');
  }, 900_000);

  it('reliability – the schema registry down while records of a schema version no worker has seen arrive, and a worker replaced meanwhile: nothing lost, nothing applied twice, views equal the model, 0 canary hits', async () => {
    let waiting = 0;
    const result = await run({
      label: 'registry',
      avro: true,
      fault: async ({ pool, produceSlice, unprocessed }) => {
        const down = await stop('registry');
        // A replacement worker starts with an empty schema cache while the registry is away.
        const victim = pool.live()[0]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        pool.start();
        for (let slice = SLICES / 2; slice < SLICES; slice += 1) {
          await produceSlice(slice);
          await sleep(2_000);
        }
        await sleep(10_000);
        // The outage mattered: changes of the new version cannot be decoded without the registry.
        waiting = await unprocessed();
        const seconds = await start('registry', down);
        return `registry stopped for ${seconds} s (incl. its start) while ${(KEYS * PER_KEY) / 2} changes of a new schema version arrived (${waiting} waiting for it when it came back); 1 worker SIGKILLed and replaced meanwhile (cold schema cache)`;
      },
    });
    expect(waiting).toBeGreaterThan(0);
    report('schema registry down', result, 'Avro ledger (Confluent wire format); the second half written with schema v2, read as v1');
  }, 900_000);
});
