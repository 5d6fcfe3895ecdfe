/**
 * One actor per key: a mailbox of work items run strictly one after another, while different keys
 * run concurrently up to a bound. Ready actors take turns one item at a time (a busy key cannot
 * starve the others). Idle actors are passivated: dropped from memory after an idle period, or at
 * once, oldest first, when there are more than `maxActors`; their state reloads on the next item.
 */
export interface WorkItem {
  /** Partition the item belongs to (`topic|partition`), used to drop work on revocation. */
  readonly tag: string;
  /** Called when the item is dropped without running (revocation, shutdown). */
  abandon(): void;
}

export class Actor<S, I extends WorkItem> {
  readonly key: string;
  /** Partition tag of the latest item: the partition that owns this key. */
  home: string;
  readonly queue: I[] = [];
  running = false;
  queued = false;
  /** Loaded state (null = not loaded yet). */
  state: S | null = null;
  /** The in-memory state may be behind the store (another owner, abandoned work): reload before use. */
  stale = false;
  /** Effects submitted and not yet durable. */
  inflight = 0;
  lastActive: number;

  constructor(key: string, home: string, now: number) {
    this.key = key;
    this.home = home;
    this.lastActive = now;
  }

  #settledWaiters: (() => void)[] | null = null;

  get idle(): boolean {
    return !this.running && this.queue.length === 0 && this.inflight === 0;
  }

  /** Resolves when every effect this actor submitted settled (durable or failed). */
  whenSettled(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#settledWaiters ??= []).push(resolve));
  }

  /** One submitted effect settled. */
  settle(): void {
    this.inflight -= 1;
    if (this.inflight !== 0 || this.#settledWaiters === null) return;
    const waiters = this.#settledWaiters;
    this.#settledWaiters = null;
    for (const wake of waiters) wake();
  }
}

export interface DispatcherOptions<S, I extends WorkItem> {
  readonly maxConcurrent: number;
  readonly maxActors: number;
  readonly passivationIdleMs: number;
  readonly now: () => number;
  /**
   * Runs one item for an actor; must not throw or reject (failures are handled inside). Returns
   * undefined when the item finished synchronously (no promise per item on the fast path).
   */
  readonly execute: (actor: Actor<S, I>, item: I) => Promise<void> | undefined;
  readonly onPassivate?: (count: number) => void;
  /**
   * Longest stretch (ms) the dispatcher runs items without giving the event loop a turn; the rest
   * waits for a `setImmediate`. Items that finish synchronously (or through already-resolved
   * promises: microtasks, which also hold the loop) otherwise run a whole fetched batch in one go,
   * and everything else in the process waits: produce acknowledgements, fetches, heartbeats, lease
   * renewals, other runtimes' keys. Undefined or 0: no slicing (the in-memory test driver).
   */
  readonly sliceMs?: number;
  /** A monotonic clock for the slices (ms); `performance.now` unless given. */
  readonly monotonicNow?: () => number;
  /** Called each time a slice ends with ready work left (the rest runs after a turn of the loop). */
  readonly onYield?: () => void;
}

export class Dispatcher<S, I extends WorkItem> {
  readonly #options: DispatcherOptions<S, I>;
  readonly #actors = new Map<string, Actor<S, I>>();
  #ready: Actor<S, I>[] = [];
  #readyHead = 0;
  #running = 0;
  #idleWaiters: (() => void)[] = [];
  #nextOverflowCheck = 0;
  /** A pump loop runs (an item that finished synchronously enqueued more work): it picks it up. */
  #pumping = false;
  /** When the current slice began (monotonic ms), or null outside one. */
  #sliceStart: number | null = null;
  /** The slice ran out: nothing starts until the event loop had a turn (a `setImmediate`). */
  #yielded = false;
  readonly #monotonicNow: () => number;

  constructor(options: DispatcherOptions<S, I>) {
    this.#options = options;
    this.#monotonicNow = options.monotonicNow ?? (() => performance.now());
  }

  /** Actors in memory. */
  get size(): number {
    return this.#actors.size;
  }

  /** Actors running an item right now. */
  get running(): number {
    return this.#running;
  }

  get(key: string): Actor<S, I> | undefined {
    return this.#actors.get(key);
  }

  enqueue(key: string, item: I): void {
    let actor = this.#actors.get(key);
    if (actor === undefined) {
      actor = new Actor<S, I>(key, item.tag, this.#options.now());
      this.#actors.set(key, actor);
      if (this.#actors.size > this.#options.maxActors && this.#actors.size >= this.#nextOverflowCheck) {
        this.passivate(true);
        // If everything is busy, look again only after another tenth of the bound was added.
        this.#nextOverflowCheck = this.#actors.size + Math.max(1, Math.floor(this.#options.maxActors / 10));
      }
    }
    actor.home = item.tag;
    actor.queue.push(item);
    this.#makeReady(actor);
    this.#pump();
  }

  /** Removes queued (not started) items matching `predicate`, calling their `abandon`. */
  dropQueued(predicate: (item: I) => boolean): number {
    let dropped = 0;
    for (const actor of this.#actors.values()) {
      if (actor.queue.length === 0) continue;
      const keep: I[] = [];
      for (const item of actor.queue) {
        if (predicate(item)) {
          dropped += 1;
          item.abandon();
        } else {
          keep.push(item);
        }
      }
      actor.queue.length = 0;
      actor.queue.push(...keep);
    }
    return dropped;
  }

  /** Marks actors for a state reload before their next item. */
  invalidate(predicate: (actor: Actor<S, I>) => boolean): void {
    for (const actor of this.#actors.values()) {
      if (predicate(actor)) actor.stale = true;
    }
  }

  /**
   * Drops idle actors that were inactive for the idle period (or, with `overflow`, the oldest idle
   * ones until the count is back under the bound). Returns how many were dropped.
   */
  passivate(overflow = false): number {
    const now = this.#options.now();
    const target = overflow ? Math.floor(this.#options.maxActors * 0.9) : Number.POSITIVE_INFINITY;
    let dropped = 0;
    // Map order is insertion order: the oldest actors are looked at first.
    for (const [key, actor] of this.#actors) {
      if (!actor.idle || actor.queued) continue;
      if (now - actor.lastActive >= this.#options.passivationIdleMs || this.#actors.size > target) {
        this.#actors.delete(key);
        dropped += 1;
      }
    }
    if (dropped > 0) this.#options.onPassivate?.(dropped);
    return dropped;
  }

  /** Actor finished effects (durable or failed): may become idle. */
  settled(actor: Actor<S, I>): void {
    actor.settle();
    actor.lastActive = this.#options.now();
    this.#wakeIfIdle();
  }

  /** Resolves when no actor runs or has queued items. */
  whenIdle(): Promise<void> {
    if (this.#isQuiet()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #isQuiet(): boolean {
    return this.#running === 0 && this.#readyHead >= this.#ready.length;
  }

  #wakeIfIdle(): void {
    if (!this.#isQuiet() || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  #makeReady(actor: Actor<S, I>): void {
    if (actor.running || actor.queued || actor.queue.length === 0) return;
    actor.queued = true;
    this.#ready.push(actor);
  }

  #pump(): void {
    if (this.#pumping || this.#yielded) return;
    this.#pumping = true;
    try {
      this.#pumpReady();
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Starts ready actors' next items. Items that finish synchronously are done before the next one
   * starts (their actor goes to the back of the ready queue: turns stay fair); the loop, not
   * recursion, takes the next one, so a long run of synchronous items uses no stack.
   */
  #pumpReady(): void {
    while (this.#running < this.#options.maxConcurrent && this.#readyHead < this.#ready.length) {
      if (this.#sliceOver()) return;
      const actor = this.#ready[this.#readyHead];
      this.#readyHead += 1;
      if (this.#readyHead > 4_096 && this.#readyHead * 2 > this.#ready.length) {
        this.#ready = this.#ready.slice(this.#readyHead);
        this.#readyHead = 0;
      }
      if (actor === undefined) continue;
      actor.queued = false;
      const item = actor.queue.shift();
      if (item === undefined) continue;
      actor.running = true;
      this.#running += 1;
      let running: Promise<void> | undefined;
      try {
        running = this.#options.execute(actor, item);
      } catch {
        running = undefined;
      }
      if (running === undefined) this.#finish(actor);
      else void running.finally(() => this.#done(actor));
    }
    this.#wakeIfIdle();
  }

  /**
   * Whether the current slice is used up; if so, the rest of the ready work is resumed after a
   * turn of the event loop. A slice begins with the first item started after a turn (a
   * `setImmediate` ends it), so work spread over many small callbacks shares one slice per turn.
   */
  #sliceOver(): boolean {
    const sliceMs = this.#options.sliceMs ?? 0;
    if (sliceMs <= 0) return false;
    const now = this.#monotonicNow();
    if (this.#sliceStart === null) {
      this.#sliceStart = now;
      setImmediate(() => {
        if (!this.#yielded) this.#sliceStart = null;
      });
      return false;
    }
    if (now - this.#sliceStart < sliceMs) return false;
    this.#yielded = true;
    this.#options.onYield?.();
    setImmediate(() => {
      this.#yielded = false;
      this.#sliceStart = null;
      this.#pump();
    });
    return true;
  }

  #finish(actor: Actor<S, I>): void {
    actor.running = false;
    actor.lastActive = this.#options.now();
    this.#running -= 1;
    this.#makeReady(actor);
  }

  #done(actor: Actor<S, I>): void {
    this.#finish(actor);
    this.#pump();
    this.#wakeIfIdle();
  }
}
