import type { Db } from 'mongodb';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { defineTopology, Runtime, type Processor } from '../../../runtime/index.js';
import { Flusher, type FlushItem, type MessageSender } from '../../../runtime/flusher.js';
import type { MongoSink } from '../../../runtime/sink.js';

// Fetch, process and flush pipelined: a batch handler waits for the effects of its partition's
// previous batch, not for its own (nor for what was submitted after it); commits still stop at
// the durable prefix. A producer whose produce requests are acknowledged only when the test says
// so shows what is in flight at each step.

const IN = 'pipe.in.v1';
const OUT = 'pipe.out.v1';

/** A produce request held until `ack`; `offsets` are the input offsets its messages came from. */
interface HeldSend {
  readonly offsets: number[];
  ack(): void;
}

class GatedProducer implements MessageSender {
  readonly held: HeldSend[] = [];
  /** Input offsets whose output the broker acknowledged. */
  readonly acked = new Set<number>();
  readonly events = { REQUEST: 'producer.network.request' };

  sendBatch(batch: Parameters<MessageSender['sendBatch']>[0]): Promise<unknown> {
    const offsets = batch.topicMessages.flatMap((t) => t.messages.map((m) => Number(String(m.value))));
    return new Promise((resolve) => {
      this.held.push({
        offsets,
        ack: () => {
          for (const offset of offsets) this.acked.add(offset);
          resolve(undefined);
        },
      });
    });
  }

  /** Acknowledges every request sent so far. */
  ackAll(): void {
    for (const send of this.held.splice(0)) send.ack();
  }

  /** 1 + the last offset of the acknowledged prefix (what may be committed). */
  durablePrefix(): number {
    let next = 0;
    while (this.acked.has(next)) next += 1;
    return next;
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  disconnect(): Promise<void> {
    return Promise.resolve();
  }

  on(): void {}
}

/** Every commit the runtime makes, with the durable prefix at that moment. */
interface Commit {
  readonly offset: number;
  readonly durable: number;
}

function fakeKafka(producer: GatedProducer, commits: Commit[]): { kafka: Kafka; eachBatch: () => (payload: EachBatchPayload) => Promise<void> } {
  let handler: ((payload: EachBatchPayload) => Promise<void>) | null = null;
  const consumer = {
    events: { REBALANCING: 'rebalancing', GROUP_JOIN: 'group_join', CRASH: 'crash' },
    on: () => undefined,
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    run: (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      handler = config.eachBatch;
      return Promise.resolve();
    },
    commitOffsets: (offsets: { offset: string }[]) => {
      for (const o of offsets) commits.push({ offset: Number(o.offset), durable: producer.durablePrefix() });
      return Promise.resolve();
    },
    pause: () => undefined,
    resume: () => undefined,
    seek: () => undefined,
  };
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    listTopics: () => Promise.resolve([IN, `${IN}.dlq.v1`, OUT]),
    describeConfigs: () => Promise.resolve({ resources: [] }),
  };
  const kafka = { producer: () => producer, consumer: () => consumer, admin: () => admin } as unknown as Kafka;
  return {
    kafka,
    eachBatch: () => {
      if (handler === null) throw new Error('the runtime did not start its consumer');
      return handler;
    },
  };
}

/** A store that answers every read with nothing; `reads` lists the collections read. */
function memoryDb(reads: string[] = []): Db {
  let name = '';
  const collection = {
    findOne: () => {
      reads.push(name);
      return Promise.resolve(null);
    },
    replaceOne: () => Promise.resolve({ acknowledged: true }),
    updateOne: () => Promise.resolve({ acknowledged: true }),
    bulkWrite: () => Promise.resolve({ acknowledged: true }),
  };
  return {
    collection: (named: string) => {
      name = named;
      return collection;
    },
  } as unknown as Db;
}

/** A fetched batch of partition 0: offsets [from, from + count), one key per offset modulo 3; `stale`: a seek of the partition is pending. */
function payload(from: number, count: number, commits: Commit[], producer: GatedProducer, stale = false, commitGate: { current: Promise<void> } = { current: Promise.resolve() }): EachBatchPayload {
  const messages = Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`tenant/mbx-${(from + i) % 3}`),
    value: Buffer.from(String(from + i)),
    offset: String(from + i),
    timestamp: '0',
    attributes: 0,
    headers: {},
  })) as unknown as KafkaMessage[];
  return {
    batch: { topic: IN, partition: 0, messages, offsetLag: () => '0', lastOffset: () => String(from + count - 1), firstOffset: () => String(from) },
    pause: () => () => undefined,
    isRunning: () => true,
    isStale: () => stale,
    heartbeat: () => Promise.resolve(),
    resolveOffset: () => undefined,
    commitOffsetsIfNecessary: async (offsets?: { topics: { partitions: { offset: string }[] }[] }) => {
      const durable = producer.durablePrefix();
      await commitGate.current;
      for (const topic of offsets?.topics ?? []) for (const p of topic.partitions) commits.push({ offset: Number(p.offset), durable });
    },
    uncommittedOffsets: () => ({ topics: [] }),
  } as unknown as EachBatchPayload;
}

/** Whether `promise` settled within a few turns of the event loop (the flusher takes one per cycle). */
async function settles(promise: Promise<unknown>, turns = 20): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < turns && !settled; i += 1) await tick();
  return settled;
}

/** Waits (a bounded number of turns) until the producer holds `count` requests. */
async function sent(producer: GatedProducer, count: number): Promise<void> {
  for (let i = 0; i < 50 && producer.held.length < count; i += 1) await tick();
  expect(producer.held.length).toBe(count);
}

async function startRuntime(reads: string[] = [], db: Db = memoryDb(reads), stateful = false, options: Record<string, unknown> = {}, holdAt: ReadonlyMap<number, Promise<void>> = new Map()): Promise<{ runtime: Runtime; producer: GatedProducer; commits: Commit[]; handle: (payload: EachBatchPayload) => Promise<void> }> {
  const producer = new GatedProducer();
  const commits: Commit[] = [];
  const { kafka, eachBatch } = fakeKafka(producer, commits);
  const copy: Processor<Buffer, number> = {
    name: 'copy',
    stateful,
    async process(record, ctx) {
      // A record listed in holdAt runs only once its promise settles (a slow KMS call, say).
      await holdAt.get(Number(String(record.raw)));
      if (stateful) ctx.state.set((ctx.state.get() ?? 0) + 1);
      ctx.emitRaw(OUT, record.key, record.raw);
    },
  };
  const runtime = new Runtime({
    topology: defineTopology({ name: 'pipe', inputs: [{ topic: IN, decode: (bytes) => bytes }], outputs: [OUT], stages: [copy] }),
    kafka,
    db,
    options: { batchHoldMs: 60_000, commitIntervalMs: 10, drainTimeoutMs: 100, ownership: { leases: false }, ...options },
  });
  await runtime.start();
  return { runtime, producer, commits, handle: eachBatch() };
}

describe('runtime – fetch, process and flush pipelined', () => {
  it('pipelining – a batch handler returns once the previous batch of its partition is written, while its own batch is still being written', async () => {
    const { runtime, producer, commits, handle } = await startRuntime();
    const first = handle(payload(0, 10, commits, producer));
    expect(await settles(first)).toBe(true);
    await sent(producer, 1);
    expect(producer.held.map((s) => s.offsets.length)).toEqual([10]);

    // Batch 2 is fetched and runs while batch 1 is being written...
    const second = handle(payload(10, 10, commits, producer));
    // ...but its handler (and so the next fetch) waits for batch 1: one batch deep, not more.
    expect(await settles(second)).toBe(false);
    producer.ackAll();
    expect(await settles(second)).toBe(true);
    await sent(producer, 1);
    // Batch 2's own effects are in flight while kafkajs may fetch batch 3.
    expect(producer.held.flatMap((s) => s.offsets)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    expect(producer.acked.has(10)).toBe(false);

    const third = handle(payload(20, 10, commits, producer));
    expect(await settles(third)).toBe(false);
    producer.ackAll();
    expect(await settles(third)).toBe(true);
    await sent(producer, 1);
    producer.ackAll();
    await runtime.stop();
  });

  it('pipelining – a batch handler returns once the previous batch is produced while its MongoDB writes still wait; commits wait for them', async () => {
    // State documents are written only when the test opens the store.
    const gate: (() => void)[] = [];
    let open = false;
    const written: number[] = [];
    const db = memoryDb();
    const collection = db.collection('any') as unknown as { bulkWrite: (ops: unknown[]) => Promise<unknown> };
    collection.bulkWrite = async (ops) => {
      if (!open) await new Promise<void>((resolve) => gate.push(resolve));
      written.push(ops.length);
      return { acknowledged: true };
    };
    const { runtime, producer, commits, handle } = await startRuntime([], db, true);
    const highest = (): number => Math.max(-1, ...commits.map((c) => c.offset));
    expect(await settles(handle(payload(0, 10, commits, producer)))).toBe(true);
    await sent(producer, 1);
    producer.ackAll();
    // Batch 1 is produced; its state documents wait for MongoDB. Batch 2's handler returns anyway.
    expect(await settles(handle(payload(10, 10, commits, producer)))).toBe(true);
    await sent(producer, 1);
    producer.ackAll();
    expect(await settles(handle(payload(20, 10, commits, producer)))).toBe(true);
    expect(written).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(highest()).toBeLessThanOrEqual(0);
    open = true;
    for (const resolve of gate.splice(0)) resolve();
    await sent(producer, 1);
    producer.ackAll();
    for (let i = 0; i < 200 && highest() < 30; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(highest()).toBe(30);
    expect(written.length).toBeGreaterThan(0);
    await runtime.stop();
  });

  it('pipelining – while the MongoDB writes trail by maxUnwrittenItems a batch handler holds past batchHoldMs (the next fetch waits) until a write cycle makes room', async () => {
    const gate: (() => void)[] = [];
    let open = false;
    const db = memoryDb();
    const collection = db.collection('any') as unknown as { bulkWrite: (ops: unknown[]) => Promise<unknown> };
    collection.bulkWrite = async () => {
      if (!open) await new Promise<void>((resolve) => gate.push(resolve));
      return { acknowledged: true };
    };
    const { runtime, producer, commits, handle } = await startRuntime([], db, true, { batchHoldMs: 20, maxUnwrittenItems: 40 });
    // Produce batches and write cycles take at most a quarter of the bound: 10 items.
    const ackUntil = async (count: number): Promise<void> => {
      for (let i = 0; i < 200 && producer.acked.size < count; i += 1) {
        producer.ackAll();
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(producer.acked.size).toBe(count);
    };
    await handle(payload(0, 40, commits, producer));
    await ackUntil(40);
    // Batch 1 (40 records) is produced and waits for MongoDB: 40 unwritten, the bound.
    expect(await settles(handle(payload(40, 10, commits, producer)))).toBe(true);
    // Batch 2's messages may not go out until a write cycle ends, so batch 3's handler holds.
    const third = handle(payload(50, 10, commits, producer));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await settles(third)).toBe(false);
    expect(producer.held).toEqual([]);
    open = true;
    for (const resolve of gate.splice(0)) resolve();
    for (let i = 0; i < 200 && producer.held.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    // Room again: batch 2 goes out first (batch 3 after it), and the handler returns once batch 2 is acknowledged.
    expect(producer.held.flatMap((h) => h.offsets).slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => 40 + i));
    expect(await settles(third)).toBe(false);
    producer.ackAll();
    expect(await settles(third, 200)).toBe(true);
    await ackUntil(60);
    await runtime.stop();
  });

  it('pipelining – no offset is committed before the effects of every record below it are written', async () => {
    const { runtime, producer, commits, handle } = await startRuntime();
    const highest = (): number => Math.max(-1, ...commits.map((c) => c.offset));
    const until = async (done: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !done(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await handle(payload(0, 10, commits, producer));
    await sent(producer, 1);
    void handle(payload(10, 10, commits, producer));
    // Both batches ran, nothing is written: the handlers and the watcher commit nothing past 0.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(highest()).toBeLessThanOrEqual(0);
    producer.ackAll();
    await until(() => highest() >= 10);
    await sent(producer, 1);
    // Batch 1 is written, batch 2 is not: commits stay at 10 while batch 2 is being written.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(highest()).toBe(10);
    producer.ackAll();
    // What completes after the handler returned is committed by the watcher.
    await until(() => highest() >= 20);
    expect(highest()).toBe(20);
    // Every commit, at the moment it was made, was within the written prefix.
    expect(commits.filter((c) => c.offset > c.durable)).toEqual([]);
    await runtime.stop();
  });
});

describe('runtime – the end of a partition is committed', () => {
  it('last commit – records that become durable while the handler\'s last commit is in flight are committed although no batch follows', async () => {
    let releaseLast!: () => void;
    const last = new Promise<void>((resolve) => (releaseLast = resolve));
    // Commits while a handler waits are rare (a minute apart): only its last commit counts here.
    const { runtime, producer, commits, handle } = await startRuntime([], undefined, false, { commitIntervalMs: 60_000 }, new Map([[19, last]]));
    const highest = (): number => Math.max(-1, ...commits.map((c) => c.offset));
    const until = async (done: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !done(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    // Batch 1 is written and committed; nothing of the partition is pending.
    await handle(payload(0, 10, commits, producer));
    await sent(producer, 1);
    producer.ackAll();
    await until(() => highest() >= 10);
    expect(highest()).toBe(10);
    await new Promise((resolve) => setTimeout(resolve, 30));

    // Batch 2: records 10..18 run and are written while record 19 still runs. Then 19 runs: the
    // handler's last commit takes 19 (the durable prefix then), and record 19 is written while that
    // commit is in flight. It is the partition's last batch: no later one comes to commit offset 20.
    let releaseCommit!: () => void;
    const commitGate = { current: new Promise<void>((resolve) => (releaseCommit = resolve)) };
    const second = handle(payload(10, 10, commits, producer, false, commitGate));
    await sent(producer, 1);
    expect(producer.held.flatMap((s) => s.offsets)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18]);
    producer.ackAll();
    await new Promise((resolve) => setTimeout(resolve, 30));
    releaseLast();
    await sent(producer, 1);
    expect(producer.held.flatMap((s) => s.offsets)).toEqual([19]);
    producer.ackAll();
    for (let i = 0; i < 20; i += 1) await tick();
    releaseCommit();
    await second;
    await until(() => highest() >= 20);
    expect(highest()).toBe(20);
    expect(commits.filter((c) => c.offset > c.durable)).toEqual([]);
    await runtime.stop();
  });
});

describe('runtime – batches fetched before a seek', () => {
  it('stale batch – a batch fetched before its partition was sent back to the durable prefix runs none of its records and commits nothing', async () => {
    const { runtime, producer, commits, handle } = await startRuntime();
    await handle(payload(0, 10, commits, producer));
    await sent(producer, 1);
    producer.ackAll();
    // The partition was sought back (a record given up, a lease lost) after this batch was fetched.
    await handle(payload(10, 10, commits, producer, true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(producer.held).toEqual([]);
    expect([...producer.acked].filter((offset) => offset >= 10)).toEqual([]);
    expect(commits.filter((c) => c.offset > 10)).toEqual([]);
    await runtime.stop();
  });
});

describe('runtime – stateless topologies', () => {
  it('stateless – a partition starts without reading a timer index (timers live in state: a stateless topology has none)', async () => {
    const reads: string[] = [];
    const { runtime, producer, commits, handle } = await startRuntime(reads);
    await handle(payload(0, 10, commits, producer));
    await sent(producer, 1);
    expect(reads).toEqual([]);
    producer.ackAll();
    await runtime.stop();
  });
});

describe('runtime – flusher barriers', () => {
  const sink = { upsertGuarded: () => Promise.resolve({ applied: 0, stale: 0 }), updateBuckets: () => Promise.resolve() } as unknown as MongoSink;
  const item = (offset: number): FlushItem => ({ messages: [{ topic: OUT, key: 'k', value: Buffer.from(String(offset)) }], views: [], state: null, timerIndex: [] });

  it('flusher – barrier(through) waits for the items numbered up to through, not for those submitted after them', async () => {
    const producer = new GatedProducer();
    const flusher = new Flusher({ sender: producer, sink, retry: { initialMs: 1, maxMs: 2, factor: 2 }, logger: silentLogger });
    void flusher.submit(item(0));
    void flusher.submit(item(1));
    const through = flusher.submitted;
    expect(through).toBe(2);
    await tick();
    void flusher.submit(item(2));
    const upToTwo = flusher.barrier(through);
    const all = flusher.barrier();
    expect(await settles(upToTwo)).toBe(false);
    producer.held.shift()?.ack();
    expect(await settles(upToTwo)).toBe(true);
    // Item 2 (in the next cycle) is still being written.
    expect(producer.acked.has(2)).toBe(false);
    expect(await settles(all)).toBe(false);
    producer.ackAll();
    expect(await settles(all)).toBe(true);
    expect(await settles(flusher.barrier(0))).toBe(true);
    await flusher.close();
  });
});
