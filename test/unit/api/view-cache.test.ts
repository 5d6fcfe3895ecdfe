import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { StoredViewCache } from '../../../api/index.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

/** A loader over a mutable store that counts its calls. */
function source(store: Map<string, string>) {
  const calls: string[][] = [];
  let gate: Promise<void> = Promise.resolve();
  return {
    calls,
    hold(): () => void {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return open;
    },
    load: async (ids: readonly string[]): Promise<Map<string, string>> => {
      calls.push([...ids]);
      // Snapshot at send time, like a database read.
      const read = new Map(ids.flatMap((id) => (store.has(id) ? [[id, store.get(id)!] as const] : [])));
      await gate;
      return read;
    },
  };
}

const item = (id: string) => ({ key: `k:${id}`, id });

describe('api stored-view cache', () => {
  it('view cache – reuses a read for ttlMs, then reads again: a change shows no later than ttlMs after it was written', async () => {
    const clock = new ManualClock(T0);
    const store = new Map([['a', 'v1']]);
    const src = source(store);
    const cache = new StoredViewCache<string>({ ttlMs: 1_000, clock });
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v1']);
    store.set('a', 'v2');
    clock.advance(999);
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v1']);
    clock.advance(1);
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v2']);
    expect(src.calls).toEqual([['a'], ['a']]);
  });

  it('view cache – the TTL counts from when the read was sent, so a slow read cannot stretch staleness', async () => {
    const clock = new ManualClock(T0);
    const store = new Map([['a', 'v1']]);
    const src = source(store);
    const cache = new StoredViewCache<string>({ ttlMs: 1_000, clock });
    const open = src.hold();
    const first = cache.getMany([item('a')], src.load, '-');
    store.set('a', 'v2'); // written while the read (which saw v1) is on its way
    clock.advance(800);
    open();
    expect(await first).toEqual(['v1']);
    clock.advance(200); // 1 000 ms after the send, not after the answer
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v2']);
  });

  it('view cache – concurrent misses of the same keys share one read (single flight); only the missing keys are read', async () => {
    const clock = new ManualClock(T0);
    const src = source(new Map([['a', 'A'], ['b', 'B'], ['c', 'C']]));
    const cache = new StoredViewCache<string>({ ttlMs: 1_000, clock });
    const open = src.hold();
    const lists = [cache.getMany([item('a'), item('b')], src.load, '-'), cache.getMany([item('a'), item('b')], src.load, '-'), cache.getMany([item('b'), item('c')], src.load, '-')];
    open();
    expect(await Promise.all(lists)).toEqual([['A', 'B'], ['A', 'B'], ['B', 'C']]);
    expect(src.calls).toEqual([['a', 'b'], ['c']]);
    expect(await cache.getMany([item('c'), item('x')], src.load, '-')).toEqual(['C', '-']);
    expect(src.calls).toEqual([['a', 'b'], ['c'], ['x']]);
  });

  it('view cache – a failed read fails its waiters and is not cached; ttlMs 0 reads every time', async () => {
    const clock = new ManualClock(T0);
    const cache = new StoredViewCache<string>({ ttlMs: 1_000, clock });
    let fail = true;
    const load = (ids: readonly string[]) => (fail ? Promise.reject(new Error('down')) : Promise.resolve(new Map(ids.map((id) => [id, 'ok']))));
    await expect(Promise.all([cache.getMany([item('a')], load, '-'), cache.getMany([item('a')], load, '-')])).rejects.toThrow('down');
    fail = false;
    expect(await cache.getMany([item('a')], load, '-')).toEqual(['ok']);
    const src = source(new Map([['a', 'A']]));
    const off = new StoredViewCache<string>({ ttlMs: 0, clock });
    await off.getMany([item('a')], src.load, '-');
    await off.getMany([item('a')], src.load, '-');
    expect(src.calls).toHaveLength(2);
    expect(off.size).toBe(0);
  });

  it('view cache – holds at most maxEntries (oldest read dropped first)', async () => {
    const clock = new ManualClock(T0);
    const src = source(new Map([['a', 'A'], ['b', 'B'], ['c', 'C']]));
    const cache = new StoredViewCache<string>({ ttlMs: 60_000, maxEntries: 2, clock });
    await cache.getMany([item('a'), item('b'), item('c')], src.load, '-');
    expect(cache.size).toBe(2);
    await cache.getMany([item('a')], src.load, '-');
    expect(src.calls).toEqual([['a', 'b', 'c'], ['a']]);
  });

  it('view cache – expired entries are let go as new reads come in (memory follows the users of the last ttlMs)', async () => {
    const clock = new ManualClock(T0);
    const src = source(new Map([['a', 'A'], ['b', 'B'], ['c', 'C']]));
    const cache = new StoredViewCache<string>({ ttlMs: 1_000, clock });
    await cache.getMany([item('a'), item('b')], src.load, '-');
    clock.advance(1_000);
    await cache.getMany([item('c')], src.load, '-');
    expect(cache.size).toBe(1);
  });

  it('view cache – counts the keys it served without a read of their own (live or in flight) and the keys it read', async () => {
    const clock = new ManualClock(T0);
    const src = source(new Map([['a', 'A'], ['b', 'B']]));
    const cache = new StoredViewCache<string>({ ttlMs: 1_000, clock });
    const open = src.hold();
    const lists = [cache.getMany([item('a'), item('b')], src.load, '-'), cache.getMany([item('a')], src.load, '-')];
    open();
    await Promise.all(lists);
    expect(cache.stats).toEqual({ hits: 1, misses: 2 });
    await cache.getMany([item('a'), item('c')], src.load, '-');
    expect(cache.stats).toEqual({ hits: 2, misses: 3 });
    const off = new StoredViewCache<string>({ ttlMs: 0, clock });
    await off.getMany([item('a'), item('a')], src.load, '-');
    expect(off.stats).toEqual({ hits: 0, misses: 2 });
  });
});
