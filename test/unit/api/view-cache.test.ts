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
    expect(cache.stats).toEqual({ hits: 1, misses: 2, refreshes: 0 });
    await cache.getMany([item('a'), item('c')], src.load, '-');
    expect(cache.stats).toEqual({ hits: 2, misses: 3, refreshes: 0 });
    const off = new StoredViewCache<string>({ ttlMs: 0, clock });
    await off.getMany([item('a'), item('a')], src.load, '-');
    expect(off.stats).toEqual({ hits: 0, misses: 2, refreshes: 0 });
  });

  it('refresh ahead – a key used after refreshAfterMs is served from its entry at once and read again in the background; the next use sees that read', async () => {
    const clock = new ManualClock(T0);
    const store = new Map([['a', 'v1']]);
    const src = source(store);
    const cache = new StoredViewCache<string>({ ttlMs: 1_000, refreshAfterMs: 500, clock });
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v1']);
    store.set('a', 'v2');
    clock.advance(499);
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v1']);
    expect(src.calls).toHaveLength(1);
    clock.advance(1);
    const open = src.hold();
    // Served without waiting for the database (the refresh is held), and only one refresh is sent.
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v1']);
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v1']);
    expect(src.calls).toEqual([['a'], ['a']]);
    open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v2']);
    // The refreshed entry counts from when its read was sent (T0 + 500): live until T0 + 1 500.
    clock.advance(999);
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v2']);
    expect(cache.stats).toEqual({ hits: 5, misses: 1, refreshes: 2 });
  });

  it('refresh ahead – staleness stays bounded by ttlMs: an entry whose refresh has not answered is not served past its expiry', async () => {
    const clock = new ManualClock(T0);
    const store = new Map([['a', 'v1']]);
    const src = source(store);
    const cache = new StoredViewCache<string>({ ttlMs: 1_000, refreshAfterMs: 500, clock });
    await cache.getMany([item('a')], src.load, '-');
    store.set('a', 'v2');
    clock.advance(600);
    const open = src.hold();
    expect(await cache.getMany([item('a')], src.load, '-')).toEqual(['v1']);
    clock.advance(400); // expired; the refresh (sent at T0 + 600, saw v2) is still on its way
    const waiting = cache.getMany([item('a')], src.load, '-');
    open();
    expect(await waiting).toEqual(['v2']);
    expect(src.calls).toHaveLength(2); // the expired caller joined the refresh instead of reading again
  });

  it('refresh ahead – a failed refresh keeps the entry until it expires, then the key is read for the caller', async () => {
    const clock = new ManualClock(T0);
    const cache = new StoredViewCache<string>({ ttlMs: 1_000, refreshAfterMs: 500, clock });
    let fail = false;
    let calls = 0;
    const load = (ids: readonly string[]) => {
      calls += 1;
      return fail ? Promise.reject(new Error('down')) : Promise.resolve(new Map(ids.map((id) => [id, `ok${calls}`])));
    };
    expect(await cache.getMany([item('a')], load, '-')).toEqual(['ok1']);
    fail = true;
    clock.advance(500);
    expect(await cache.getMany([item('a')], load, '-')).toEqual(['ok1']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.getMany([item('a')], load, '-')).toEqual(['ok1']); // still live; a second refresh is tried
    expect(calls).toBe(3);
    clock.advance(500);
    fail = false;
    expect(await cache.getMany([item('a')], load, '-')).toEqual(['ok4']);
  });

  it('refresh ahead – refreshAfterMs must be a positive integer below ttlMs', () => {
    const clock = new ManualClock(T0);
    expect(() => new StoredViewCache<string>({ ttlMs: 1_000, refreshAfterMs: 1_000, clock })).toThrow(/refreshAfterMs/);
    expect(() => new StoredViewCache<string>({ ttlMs: 1_000, refreshAfterMs: 0, clock })).toThrow(/refreshAfterMs/);
    expect(() => new StoredViewCache<string>({ ttlMs: 1_000, refreshAfterMs: 999, clock })).not.toThrow();
  });
});
