import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { EffectRefusedError, WorkAbandonedError } from '../../../runtime/index.js';
import { Flusher, type FlushItem, type MessageSender } from '../../../runtime/flusher.js';
import type { MongoSink } from '../../../runtime/sink.js';

const sink = { upsertGuarded: () => Promise.resolve({ applied: 0, stale: 0 }), updateBuckets: () => Promise.resolve() } as unknown as MongoSink;

function item(key: string): FlushItem {
  return { messages: [{ topic: 'out.v1', key, value: Buffer.from(key) }], views: [], state: null, timerIndex: [] };
}

describe('runtime – flusher', () => {
  it('flusher – a produce the broker refuses for good fails only its item; the items of the same cycle are written', async () => {
    const written: string[] = [];
    const sender: MessageSender = {
      sendBatch: (batch) => {
        const keys = batch.topicMessages.flatMap((t) => t.messages.map((m) => String(m.key)));
        if (keys.includes('bad')) return Promise.reject(Object.assign(new Error('The request included a message larger than the max message size'), { name: 'KafkaJSProtocolError', retriable: false, type: 'MESSAGE_TOO_LARGE' }));
        written.push(...keys);
        return Promise.resolve();
      },
    };
    const flusher = new Flusher({ sender, sink, retry: { initialMs: 1, maxMs: 2, factor: 2 }, logger: silentLogger });
    const results = await Promise.allSettled(['a', 'bad', 'b'].map((key) => flusher.submit(item(key))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(EffectRefusedError);
    expect(written).toEqual(['a', 'b']);
    await flusher.close();
  });

  it('flusher – each cycle reports where its time went: produce, views, states and timer index apart', async () => {
    const slow = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const timed = {
      upsertGuarded: async (ops: readonly { collection: string }[]) => {
        // Views take 40 ms, state documents 80 ms; the index is free.
        if (ops.length > 0) await slow(ops[0]!.collection === 'rt_t_state' ? 80 : 40);
        return { applied: ops.length, stale: 0 };
      },
      updateBuckets: () => Promise.resolve(),
    } as unknown as MongoSink;
    const sender: MessageSender = { sendBatch: () => slow(20) };
    const cycles: { ms: number; phases: { produce: number; views: number; states: number; index: number } }[] = [];
    const flusher = new Flusher({ sender, sink: timed, retry: { initialMs: 1, maxMs: 2, factor: 2 }, logger: silentLogger, hooks: { onCycle: (stats) => cycles.push(stats) } });
    await flusher.submit({ ...item('a'), views: [{ collection: 'view', id: 'a', v: 1, doc: {} }], state: { collection: 'rt_t_state', id: 'a', v: 1, doc: {} } });
    await flusher.close();
    expect(cycles).toHaveLength(1);
    const { ms, phases } = cycles[0]!;
    expect(phases.produce).toBeGreaterThanOrEqual(15);
    expect(phases.views).toBeGreaterThanOrEqual(35);
    expect(phases.states).toBeGreaterThanOrEqual(75);
    expect(phases.index).toBeLessThan(phases.states);
    // Produce and views overlap; states and index follow both.
    expect(ms).toBeGreaterThanOrEqual(Math.max(phases.produce, phases.views) + phases.states + phases.index - 1);
  });
});

/** A sink whose every call waits until the test opens it (state documents recorded by id). */
class GatedSink {
  readonly calls: { kind: 'upsert' | 'buckets'; ids: string[] }[] = [];
  readonly states: string[] = [];
  failNext = 0;
  #open: (() => void)[] = [];
  #gate = true;

  readonly sink = {
    upsertGuarded: async (ops: readonly { collection: string; id: string }[]) => {
      if (ops.length === 0) return { applied: 0, stale: 0 };
      this.calls.push({ kind: 'upsert', ids: ops.map((op) => op.id) });
      await this.#wait();
      if (this.failNext > 0) {
        this.failNext -= 1;
        throw Object.assign(new Error('connection reset'), { name: 'MongoNetworkError' });
      }
      for (const op of ops) if (op.collection === 'state') this.states.push(op.id);
      return { applied: ops.length, stale: 0 };
    },
    updateBuckets: () => Promise.resolve(),
  } as unknown as MongoSink;

  open(): void {
    this.#gate = false;
    for (const resolve of this.#open.splice(0)) resolve();
  }

  close(): void {
    this.#gate = true;
  }

  #wait(): Promise<void> {
    return this.#gate ? new Promise((resolve) => this.#open.push(resolve)) : Promise.resolve();
  }
}

const stateful = (key: string, v = 1): FlushItem => ({ ...item(key), state: { collection: 'state', id: key, v, doc: {} } });
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
async function settles(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => { done = true; }, () => { done = true; });
  await tick();
  return done;
}

describe('runtime – flusher: producing runs ahead of MongoDB', () => {
  it('flusher – later records are produced while MongoDB still writes earlier ones; nothing is durable before its MongoDB write', async () => {
    const produced: string[] = [];
    const sender: MessageSender = { sendBatch: (batch) => { produced.push(...batch.topicMessages.flatMap((t) => t.messages.map((m) => String(m.key)))); return Promise.resolve(); } };
    const gated = new GatedSink();
    const flusher = new Flusher({ sender, sink: gated.sink, retry: { initialMs: 1, maxMs: 2, factor: 2 }, logger: silentLogger });
    const first = flusher.submit(stateful('a'));
    await tick();
    // a's state write is waiting for MongoDB; b and c are produced meanwhile.
    const later = [flusher.submit(stateful('b')), flusher.submit(stateful('c', 1)), flusher.submit(stateful('c', 2))];
    expect(await settles(flusher.produced())).toBe(true);
    expect(produced).toEqual(['a', 'b', 'c', 'c']);
    // More batches go out while MongoDB still holds the first (not two cycles and then wait).
    later.push(flusher.submit(stateful('d')));
    expect(await settles(flusher.produced())).toBe(true);
    expect(produced).toEqual(['a', 'b', 'c', 'c', 'd']);
    expect(await settles(first)).toBe(false);
    expect(await settles(flusher.barrier())).toBe(false);
    gated.open();
    await Promise.all([first, ...later]);
    // Written in order; the batches that piled up went as one cycle (MongoSink keeps c's latest state only).
    expect(gated.states).toEqual(['a', 'b', 'c', 'c', 'd']);
    expect(gated.calls.map((c) => c.ids)).toEqual([['a'], ['b', 'c', 'c', 'd']]);
    await flusher.close();
  });

  it('flusher – producing waits while maxAhead items are produced and not yet written', async () => {
    const produced: string[] = [];
    const sender: MessageSender = { sendBatch: (batch) => { produced.push(...batch.topicMessages.flatMap((t) => t.messages.map((m) => String(m.key)))); return Promise.resolve(); } };
    const gated = new GatedSink();
    const flusher = new Flusher({ sender, sink: gated.sink, retry: { initialMs: 1, maxMs: 2, factor: 2 }, logger: silentLogger, maxAhead: 2 });
    const all = [flusher.submit(stateful('a')), flusher.submit(stateful('b'))];
    await tick();
    all.push(flusher.submit(stateful('c')));
    const third = flusher.produced();
    expect(await settles(third)).toBe(false);
    expect(produced).toEqual(['a', 'b']);
    expect(flusher.backlog).toBe(3);
    gated.open();
    await Promise.all(all);
    expect(produced).toEqual(['a', 'b', 'c']);
    expect(await settles(third)).toBe(true);
    expect(flusher.backlog).toBe(0);
    await flusher.close();
  });

  it('flusher – produce batches and write cycles take at most a quarter of maxAhead items each, so room comes back in steps', async () => {
    const sends: number[] = [];
    const sender: MessageSender = { sendBatch: (batch) => { sends.push(batch.topicMessages.reduce((n, t) => n + t.messages.length, 0)); return Promise.resolve(); } };
    const gated = new GatedSink();
    const flusher = new Flusher({ sender, sink: gated.sink, retry: { initialMs: 1, maxMs: 2, factor: 2 }, logger: silentLogger, maxAhead: 8 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((key) => flusher.submit(stateful(key)));
    await tick();
    gated.open();
    await Promise.all(all);
    expect(sends).toEqual([2, 2, 1]);
    expect(gated.calls.map((c) => c.ids)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    await flusher.close();
  });

  it('flusher – a MongoDB write that fails is retried alone: the records are not produced again', async () => {
    let sends = 0;
    const sender: MessageSender = { sendBatch: () => { sends += 1; return Promise.resolve(); } };
    const gated = new GatedSink();
    gated.open();
    gated.failNext = 2;
    const retries: number[] = [];
    const flusher = new Flusher({ sender, sink: gated.sink, retry: { initialMs: 1, maxMs: 2, factor: 2 }, logger: silentLogger, hooks: { onRetry: (_, attempt) => retries.push(attempt) } });
    await flusher.submit(stateful('a'));
    expect(retries).toEqual([1, 2]);
    expect(sends).toBe(1);
    expect(gated.states).toEqual(['a']);
    await flusher.close();
  });

  it('flusher – close writes what was produced and fails what never was', async () => {
    const sender: MessageSender = { sendBatch: () => Promise.resolve() };
    const gated = new GatedSink();
    const flusher = new Flusher({ sender, sink: gated.sink, retry: { initialMs: 1, maxMs: 2, factor: 2 }, logger: silentLogger, maxAhead: 1 });
    const first = flusher.submit(stateful('a'));
    await tick();
    const second = flusher.submit(stateful('b'));
    await tick();
    const closing = flusher.close();
    gated.open();
    await closing;
    await expect(first).resolves.toBeUndefined();
    await expect(second).rejects.toBeInstanceOf(WorkAbandonedError);
    expect(gated.states).toEqual(['a']);
  });
});
