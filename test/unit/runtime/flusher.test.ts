import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { EffectRefusedError } from '../../../runtime/index.js';
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
