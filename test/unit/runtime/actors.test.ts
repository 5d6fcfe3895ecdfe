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
  describe('actors – time slices', () => {
    /** Runs `count` items over 4 keys, each finishing at once (no promise) or through a resolved promise; 1 ms of monotonic time each. */
    function slicedRun(sliceMs: number, settle: 'synchronously' | 'through resolved promises', count = 60) {
      let clock = 0;
      const ran: Item[] = [];
      const keys: string[] = [];
      let yields = 0;
      const dispatcher = new Dispatcher<null, Item>({
        maxConcurrent: 256,
        maxActors: 100,
        passivationIdleMs: 1_000,
        now: () => 0,
        sliceMs,
        monotonicNow: () => clock,
        onYield: () => { yields += 1; },
        execute: (actor, item) => {
          clock += 1;
          ran.push(item);
          keys.push(actor.key);
          return settle === 'synchronously' ? undefined : Promise.resolve();
        },
      });
      for (let seq = 0; seq < count; seq += 1) dispatcher.enqueue(`k${seq % 4}`, { tag: 'p0', seq, delay: 0, abandon: () => undefined });
      return { dispatcher, ran, keys, yields: () => yields };
    }

    it.each(['synchronously', 'through resolved promises'] as const)('actors – items that finish %s give the event loop a turn once a slice is used up, and every item still runs, in order per key', async (settle) => {
      const run = slicedRun(5, settle);
      // A callback queued for the loop's next turn runs while items are still waiting.
      const ranBeforeTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(run.ran.length)));
      expect(ranBeforeTurn).toBeGreaterThan(0);
      expect(ranBeforeTurn).toBeLessThan(60);
      await run.dispatcher.whenIdle();
      expect(run.ran).toHaveLength(60);
      expect(run.yields()).toBeGreaterThanOrEqual(60 / 6 - 1);
      for (const key of ['k0', 'k1', 'k2', 'k3']) {
        const seqs = run.ran.filter((_, i) => run.keys[i] === key).map((item) => item.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(seqs).toHaveLength(15);
      }
    });

    it('actors – without a slice (0) a run of synchronous items finishes before the loop gets a turn', async () => {
      const run = slicedRun(0, 'synchronously');
      expect(run.ran).toHaveLength(60);
      expect(run.yields()).toBe(0);
      await run.dispatcher.whenIdle();
    });

    it('actors – work that fits in a slice runs at once, and a later run starts a slice of its own', async () => {
      const run = slicedRun(100, 'synchronously', 20);
      expect(run.ran).toHaveLength(20);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      for (let seq = 20; seq < 40; seq += 1) run.dispatcher.enqueue('k0', { tag: 'p0', seq, delay: 0, abandon: () => undefined });
      // 40 ms of items in all, but the second run began a new slice after a turn of the loop.
      expect(run.ran).toHaveLength(40);
      expect(run.yields()).toBe(0);
    });
  });
});
