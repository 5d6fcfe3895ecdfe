import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Db } from 'mongodb';
import { testKafka, testStack, withAdmin } from '../../support/stack.js';
import type { LedgerValue } from './fixtures/ledger.js';

export const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

export async function createLedgerTopics(prefix: string, partitions: number): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: `${prefix}ledger.in`, numPartitions: partitions },
        { topic: `${prefix}ledger.in.dlq.v1`, numPartitions: 1 },
        { topic: `${prefix}ledger.out`, numPartitions: partitions },
      ],
    });
  });
}

/** Deterministic amounts (a seeded LCG), so the reference is computed independently of the runtime. */
export function ledgerRecords(keys: number, perKey: number, seed = 7): { key: string; value: LedgerValue }[] {
  let x = seed;
  const next = (): number => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x % 1_000;
  };
  const out: { key: string; value: LedgerValue }[] = [];
  for (let seq = 1; seq <= perKey; seq += 1) {
    for (let k = 0; k < keys; k += 1) out.push({ key: `k${k}`, value: { seq, amount: next() } });
  }
  return out;
}

export async function produce(topic: string, records: readonly { key: string; value: unknown }[]): Promise<void> {
  const producer = testKafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 5_000) {
      await producer.send({
        topic,
        acks: -1,
        messages: records.slice(i, i + 5_000).map((r) => ({ key: r.key, value: JSON.stringify(r.value) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface WorkerHandle {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<number | null>;
}

export function spawnWorker(env: { prefix: string; db: string; options?: Record<string, unknown>; extraEnv?: Record<string, string> }): WorkerHandle {
  const stack = testStack();
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: {
      ...process.env,
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MONGODB_URI: stack.mongodbUri,
      HC_PREFIX: env.prefix,
      HC_DB: env.db,
      HC_OPTIONS: JSON.stringify(env.options ?? {}),
      ...env.extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter((l) => l !== '')));
  child.stderr?.on('data', (chunk: Buffer) => {
    if (process.env['HC_TEST_VERBOSE'] === '1') process.stderr.write(chunk);
    output.push(...chunk.toString().split('\n').filter((l) => l !== '').map((l) => `ERR ${l}`));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface LedgerView {
  _id: string;
  v: number;
  n: number;
  sum: number;
  dups: number;
  gaps: number;
  fired: number;
  firedIds: string[];
}

export async function ledgerViews(db: Db): Promise<LedgerView[]> {
  return (await db.collection('ledger').find({}).toArray()) as unknown as LedgerView[];
}
