import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dispatcher, type WorkItem } from '../../../runtime/index.js';

interface Item extends WorkItem {
  readonly seq: number;
  readonly delay: number;
}

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('runtime – actors (one per key)', () => {
  it('actors – run one key strictly in order and different keys concurrently, never above the bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), delay: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        async (work, bound) => {
          const seen = new Map<string, number[]>();
          const busy = new Set<string>();
          let running = 0;
          let peak = 0;
          const dispatcher = new Dispatcher<null, Item>({
            maxConcurrent: bound,
            maxActors: 100,
            passivationIdleMs: 1_000,
            now: () => 0,
            execute: async (actor, item) => {
              expect(busy.has(actor.key)).toBe(false);
              busy.add(actor.key);
              running += 1;
              peak = Math.max(peak, running);
              await tick(item.delay);
              seen.set(actor.key, [...(seen.get(actor.key) ?? []), item.seq]);
              running -= 1;
              busy.delete(actor.key);
            },
          });
          work.forEach((w, seq) => dispatcher.enqueue(w.key, { tag: 'p0', seq, delay: w.delay, abandon: () => undefined }));
          await dispatcher.whenIdle();
          expect(peak).toBeLessThanOrEqual(bound);
          for (const [key, seqs] of seen) {
            expect(seqs).toEqual(work.map((w, seq) => ({ ...w, seq })).filter((w) => w.key === key).map((w) => w.seq));
          }
          expect([...seen.values()].flat()).toHaveLength(work.length);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('actors – a slow key does not stall the other keys', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const dispatcher = new Dispatcher<null, Item>({
      maxConcurrent: 2,
      maxActors: 100,
      passivationIdleMs: 1_000,
      now: () => 0,
      execute: async (actor, item) => {
        if (actor.key === 'slow') await new Promise<void>((resolve) => (release = resolve));
        order.push(`${actor.key}${item.seq}`);
      },
    });
    dispatcher.enqueue('slow', { tag: 'p', seq: 0, delay: 0, abandon: () => undefined });
    for (let i = 1; i <= 5; i += 1) dispatcher.enqueue('fast', { tag: 'p', seq: i, delay: 0, abandon: () => undefined });
    await tick(20);
    expect(order).toEqual(['fast1', 'fast2', 'fast3', 'fast4', 'fast5']);
    release();
    await dispatcher.whenIdle();
    expect(order.at(-1)).toBe('slow0');
  });

  it('actors – dropping a partition abandons its queued items only', async () => {
    const ran: number[] = [];
    const abandoned: number[] = [];
    let release: () => void = () => undefined;
    const dispatcher = new Dispatcher<null, Item>({
      maxConcurrent: 1,
      maxActors: 100,
      passivationIdleMs: 1_000,
      now: () => 0,
      execute: async (_actor, item) => {
        if (item.seq === 0) await new Promise<void>((resolve) => (release = resolve));
        ran.push(item.seq);
      },
    });
    const item = (seq: number, tag: string): Item => ({ tag, seq, delay: 0, abandon: () => abandoned.push(seq) });
    dispatcher.enqueue('k', item(0, 'p1'));
    dispatcher.enqueue('k', item(1, 'p1'));
    dispatcher.enqueue('j', item(2, 'p2'));
    expect(dispatcher.dropQueued((i) => i.tag === 'p1')).toBe(1);
    release();
    await dispatcher.whenIdle();
    expect(ran).toEqual([0, 2]);
    expect(abandoned).toEqual([1]);
  });

  it('actors – 1,000,000 distinct keys pass through with a bounded number of actors in memory', async () => {
    const maxActors = 10_000;
    let processed = 0;
    let peakActors = 0;
    const dispatcher = new Dispatcher<{ n: number }, Item>({
      maxConcurrent: 256,
      maxActors,
      passivationIdleMs: 60_000,
      now: () => 0,
      execute: async (actor) => {
        actor.state = { n: 1 };
        processed += 1;
        await Promise.resolve();
      },
    });
    const abandon = (): void => undefined;
    const before = process.memoryUsage().heapUsed;
    for (let chunk = 0; chunk < 100; chunk += 1) {
      for (let i = 0; i < 10_000; i += 1) dispatcher.enqueue(`tenant/${chunk}-${i}`, { tag: 'p0', seq: i, delay: 0, abandon });
      await dispatcher.whenIdle();
      peakActors = Math.max(peakActors, dispatcher.size);
    }
    expect(processed).toBe(1_000_000);
    expect(peakActors).toBeLessThanOrEqual(maxActors + 10_000);
    expect(dispatcher.size).toBeLessThanOrEqual(maxActors + 10_000);
    // 1M retained actors would be several hundred MB; the bound keeps the heap flat.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(150 * 1024 * 1024);
  }, 120_000);
});
