import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Collection, Db } from 'mongodb';
import type { ClockSkewMonitor } from './clock-skew.js';
import { linearBackoff, retry, systemClock, type Clock } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { abortableSleep, raceAbort, settlesWithin } from './abort.js';
import { RuntimeUnavailableError, WorkAbandonedError } from './errors.js';
import { isDuplicateKey } from './sink.js';
import { errorMessage } from './supervision.js';

/**
 * Partition ownership leases: a key is never processed by two workers at once.
 *
 * Kafka's group protocol hands a partition to its new owner as soon as every member rejoined, and
 * kafkajs rejoins without waiting for work that outlived its batch (a key waiting for its KMS) or
 * for a timer firing. So a partition also has a lease in MongoDB, and a worker starts a partition's
 * records and timers only while it holds the lease; the previous owner gives it up only after its
 * last running item returned and its effects are durable.
 *
 * FerretDB 1.x applies conditional updates non-atomically under concurrency; the one atomic
 * primitive it shares with MongoDB is the unique `_id`. Hence ownership is a chain of claim
 * documents, one per epoch: `{_id: "<topic>|<partition>#<epoch>", o: owner, x: expiresAt, r: released}`.
 * Claiming epoch e+1 is an insert, so exactly one worker wins it, and only when claim e is released
 * or expired. Only a claim's owner ever writes it (renewals, release). A head document
 * `{_id: "<topic>|<partition>", e}` ($max) says where to start looking; the chain is walked forward
 * from it, so a head that lags behind is harmless.
 *
 * Time: the owner renews every leaseMs/4 and trusts its lease only until `renewal start + leaseMs -
 * margin` (margin = leaseMs/4), and only if the renewal was acknowledged before its previous trust
 * ran out; a claimant takes an unreleased claim over only when its `x` lies before the moment the
 * claimant started reading it. Safe while clocks of workers differ by less than the margin and the
 * store is linearizable per document (MongoDB, FerretDB). A worker that cannot renew in time (paused,
 * cut off from MongoDB) loses the lease: it stops starting work of the partition at once and its
 * effects not yet written are dropped (fenced); only a processor call already running in such a
 * worker can still overlap with the new owner.
 */
export interface LeaseTiming {
  /** A lease not renewed for this long may be taken over, ms. */
  readonly leaseMs: number;
  /** How often a waiting claimant looks again, ms. */
  readonly pollMs: number;
  /** A handoff waiting this long for running work logs a warning (and again every such period), ms. */
  readonly handoffWarnMs?: number;
}

interface ClaimDocument {
  _id: string;
  /** Owner (worker instance). */
  o: string;
  /** Expires at, ms since the epoch (owner's clock). */
  x: number;
  /** Released by its owner: the next claimant need not wait for `x`. */
  r: boolean;
  /** Claimed at. */
  at: number;
}

interface Held {
  readonly bucket: string;
  readonly epoch: number;
  /** The owner trusts the lease until then (its monotonic clock: a wall-clock jump changes nothing). */
  validUntil: number;
  /** Set while the partition is handed off (waiting for its running work). */
  handoff: Promise<void> | null;
}

export interface OwnershipHooks {
  /** The lease of a partition was lost (not renewed in time, or taken over): stop its work. */
  onLost?(bucket: string, reason: string): void;
  onAcquired?(bucket: string, epoch: number, waitedMs: number): void;
  onReleased?(bucket: string, epoch: number, handoffMs: number): void;
}

export interface PartitionOwnership {
  readonly owner: string;
  /** Resolves once this worker holds the partition's lease (waits for the previous owner). */
  acquire(bucket: string, signal: AbortSignal): Promise<void>;
  /** Whether this worker holds the lease right now (used to fence effects before they are written). */
  holds(bucket: string): boolean;
  /** Gives the lease up once `quiet` resolved (the partition's running work is done and durable). */
  handOff(bucket: string, quiet: Promise<void>): Promise<void>;
  /** Buckets held now. */
  readonly held: readonly string[];
  start(): void;
  /** Stops renewing; leases not handed off expire after leaseMs. */
  stop(): void;
}

/**
 * Claims this many epochs behind the newest are deleted. The walk starts at the head document,
 * which may lag behind the newest claim only by the few head updates racing each other (each needs
 * a whole claim to be won first), never by this many; claims at or above the head stay.
 */
const GC_DEPTH = 16;

/** Monotonic milliseconds (performance.now), for deadlines the wall clock must not move. */
export const monotonicClock: Clock = Object.freeze({ now: () => performance.now() });

export function workerInstanceId(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/** Leases in MongoDB, one chain of claims per partition (see the module comment). */
export class PartitionLeases implements PartitionOwnership {
  readonly owner: string;
  readonly #claims: Collection<ClaimDocument>;
  readonly #clock: Clock;
  /** Monotonic time for the owner's trust deadline (never jumps with the wall clock). */
  readonly #mono: Clock;
  /** Every lease write is abandoned after this (below the margin): a stalled store cannot outlive the trust. */
  readonly #writeTimeoutMs: number;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #marginMs: number;
  readonly #pollMs: number;
  readonly #warnMs: number;
  readonly #logger: Logger;
  readonly #hooks: OwnershipHooks;
  readonly #held = new Map<string, Held>();
  #timer: NodeJS.Timeout | null = null;
  #renewing = false;

  /** Skew of this worker's wall clock against MongoDB's, measured at every renewal round. */
  readonly #skew: ClockSkewMonitor | null;
  #skewWarned = false;

  constructor(deps: { db: Db; collection: string; clock: Clock; monotonic?: Clock; timing: LeaseTiming; logger: Logger; hooks?: OwnershipHooks; owner?: string; skew?: ClockSkewMonitor }) {
    this.owner = deps.owner ?? workerInstanceId();
    this.#skew = deps.skew ?? null;
    this.#claims = deps.db.collection<ClaimDocument>(deps.collection);
    this.#clock = deps.clock;
    // The system clock's owners use performance.now(); a test's injected clock drives both.
    this.#mono = deps.monotonic ?? (deps.clock === systemClock ? monotonicClock : deps.clock);
    this.#writeTimeoutMs = Math.max(5, Math.floor((deps.timing.leaseMs * 3) / 16));
    this.#leaseMs = deps.timing.leaseMs;
    this.#renewMs = Math.max(10, Math.floor(deps.timing.leaseMs / 4));
    this.#marginMs = Math.floor(deps.timing.leaseMs / 4);
    this.#pollMs = deps.timing.pollMs;
    this.#warnMs = deps.timing.handoffWarnMs ?? 30_000;
    this.#logger = deps.logger;
    this.#hooks = deps.hooks ?? {};
  }

  get held(): readonly string[] {
    return [...this.#held.keys()];
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => void this.renewAll(), this.#renewMs);
    this.#timer.unref();
    void this.#measureSkew();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  holds(bucket: string): boolean {
    const held = this.#held.get(bucket);
    if (held === undefined) return false;
    if (this.#mono.now() < held.validUntil) return true;
    // Trust ran out before a renewal noticed: the lease is lost now, not at the next renewal.
    queueMicrotask(() => {
      if (this.#held.get(bucket) === held) this.#lose(held, 'the lease ran out before it was renewed');
    });
    return false;
  }

  async acquire(bucket: string, signal: AbortSignal): Promise<void> {
    const started = this.#clock.now();
    let waitingLogged = false;
    for (;;) {
      if (signal.aborted) throw new WorkAbandonedError('The partition was revoked while waiting for its lease.');
      if (this.#skew?.exceeded === true) {
        // No lease is claimed on a clock the other workers cannot trust (readiness says so too).
        await abortableSleep(Math.max(this.#pollMs, 1_000), signal);
        continue;
      }
      const mine = this.#held.get(bucket);
      if (mine !== undefined) {
        if (mine.handoff === null) return;
        // This worker still hands the partition off (an earlier session's work is running).
        await raceAbort(mine.handoff, signal);
        continue;
      }
      let outcome: Awaited<ReturnType<PartitionLeases['tryClaim']>>;
      try {
        outcome = await this.tryClaim(bucket);
      } catch (error) {
        // The store is unavailable: keep trying (the partition waits, nothing is lost).
        this.#logger.warn({ err: errorMessage(error), bucket }, 'could not look at a partition lease; retrying');
        await abortableSleep(Math.max(this.#pollMs, 1_000), signal);
        continue;
      }
      if (typeof outcome === 'number') {
        this.#hooks.onAcquired?.(bucket, outcome, this.#clock.now() - started);
        return;
      }
      if (outcome === 'contended') continue;
      if (!waitingLogged && this.#clock.now() - started >= this.#pollMs * 10) {
        waitingLogged = true;
        this.#logger.info({ bucket, holder: outcome.holder }, 'waiting for the previous owner of the partition to hand it off');
      }
      await abortableSleep(this.#pollMs, signal);
    }
  }

  /**
   * One look at the chain: claims the next epoch when the latest claim is released or expired.
   * Returns the epoch won, 'contended' (another worker won it: look again at once), or who holds it.
   * (Public for tests of the protocol; the runtime calls `acquire`.)
   */
  async tryClaim(bucket: string): Promise<number | 'contended' | { holder: string }> {
    const head = await this.#claims.findOne({ _id: bucket }) as unknown as { e?: number } | null;
    let epoch = head?.e ?? 0;
    let current: ClaimDocument | null = null;
    let readAt = 0;
    if (epoch > 0) {
      readAt = this.#clock.now();
      current = await this.#claims.findOne({ _id: claimId(bucket, epoch) });
    }
    for (;;) {
      const at = this.#clock.now();
      const next = await this.#claims.findOne({ _id: claimId(bucket, epoch + 1) });
      if (next === null) break;
      epoch += 1;
      current = next;
      readAt = at;
    }
    if (current !== null && !current.r && current.x >= readAt) return { holder: current.o };
    const claimAt = this.#clock.now();
    const claimMono = this.#mono.now();
    const claimed = epoch + 1;
    try {
      // Not bounded: an insert given up that lands later would leave this worker waiting for its own claim.
      await this.#claims.insertOne({ _id: claimId(bucket, claimed), o: this.owner, x: claimAt + this.#leaseMs, r: false, at: claimAt });
    } catch (error) {
      if (isDuplicateKey(error)) return 'contended';
      throw error;
    }
    const validUntil = claimMono + this.#leaseMs - this.#marginMs;
    if (this.#mono.now() >= validUntil) {
      // The insert took longer than the lease can be trusted: let it expire and try again.
      this.#logger.warn({ bucket, epoch: claimed }, 'claiming a partition lease took too long; claiming again');
      return 'contended';
    }
    this.#held.set(bucket, { bucket, epoch: claimed, validUntil, handoff: null });
    // Best effort: where the next claimant starts looking, and garbage from long ago.
    try {
      await this.#claims.updateOne({ _id: bucket }, { $max: { e: claimed } }, { upsert: true });
      if (claimed > GC_DEPTH) await this.#claims.deleteOne({ _id: claimId(bucket, claimed - GC_DEPTH) });
    } catch (error) {
      this.#logger.debug({ err: errorMessage(error), bucket }, 'could not move the lease head');
    }
    return claimed;
  }

  /** Renews every lease held (also those being handed off: their running work still needs them). */
  async renewAll(): Promise<void> {
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      for (const held of [...this.#held.values()]) {
        if (this.#held.get(held.bucket) !== held) continue;
        const start = this.#clock.now();
        const startMono = this.#mono.now();
        if (startMono >= held.validUntil) {
          this.#lose(held, 'the lease expired before it could be renewed');
          continue;
        }
        try {
          const result = await this.#bounded(this.#claims.updateOne({ _id: claimId(held.bucket, held.epoch), o: this.owner }, { $set: { x: start + this.#leaseMs } }));
          if (this.#held.get(held.bucket) !== held) continue;
          if (result.matchedCount === 0) this.#lose(held, 'the claim is gone');
          else if (this.#mono.now() >= held.validUntil) this.#lose(held, 'the renewal was acknowledged after the lease ran out');
          else held.validUntil = startMono + this.#leaseMs - this.#marginMs;
        } catch (error) {
          this.#logger.warn({ err: errorMessage(error), bucket: held.bucket }, 'could not renew a partition lease');
          if (this.#held.get(held.bucket) === held && this.#mono.now() >= held.validUntil) this.#lose(held, 'the store was unavailable');
        }
      }
      await this.#measureSkew();
    } finally {
      this.#renewing = false;
    }
  }

  /**
   * Measures the clock skew against MongoDB (bounded like a lease write). Beyond the bound, every
   * lease is given up and none is claimed until the skew is back within it: lease expiry times are
   * wall-clock times, which the other workers read on their own clocks.
   */
  async #measureSkew(): Promise<void> {
    const skew = this.#skew;
    if (skew === null) return;
    try {
      await this.#bounded(skew.measure());
    } catch (error) {
      this.#logger.debug({ err: errorMessage(error) }, 'could not measure the clock skew against MongoDB');
      return;
    }
    if (!skew.exceeded) {
      if (this.#skewWarned) this.#logger.info({ offsetMs: Math.round(skew.last?.offsetMs ?? 0) }, 'clock skew against MongoDB is back within the bound');
      this.#skewWarned = false;
      return;
    }
    if (!this.#skewWarned) {
      this.#skewWarned = true;
      this.#logger.error({ offsetMs: Math.round(skew.last?.offsetMs ?? 0), maxSkewMs: skew.maxSkewMs }, 'clock skew against MongoDB is beyond the bound; partition leases are given up until it is back (synchronise this host\'s clock)');
    }
    for (const held of [...this.#held.values()]) this.#lose(held, 'clock skew against MongoDB beyond the bound');
  }

  /** A lease write under a timeout below the margin (a stalled write counts as a failed one). */
  async #bounded<T>(write: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RuntimeUnavailableError(`A partition lease write took longer than ${this.#writeTimeoutMs} ms; it counts as failed.`)), this.#writeTimeoutMs);
    });
    write.catch(() => undefined);
    try {
      return await Promise.race([write, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #lose(held: Held, reason: string): void {
    this.#held.delete(held.bucket);
    this.#logger.warn({ bucket: held.bucket, epoch: held.epoch, reason }, 'partition lease lost; its work stops and is fetched again once the lease is back');
    this.#hooks.onLost?.(held.bucket, reason);
  }

  handOff(bucket: string, quiet: Promise<void>): Promise<void> {
    const held = this.#held.get(bucket);
    if (held === undefined) return Promise.resolve();
    if (held.handoff !== null) return held.handoff;
    const started = this.#clock.now();
    held.handoff = (async () => {
      for (let waited = 0; !(await settlesWithin(quiet, this.#warnMs));) {
        waited += this.#warnMs;
        this.#logger.warn({ bucket, waitedMs: waited }, 'handing a partition off waits for work still running in its processor');
      }
      if (this.#held.get(bucket) !== held) return;
      this.#held.delete(bucket);
      const warn = (error: unknown, attempt: number): void => {
        this.#logger.warn({ err: errorMessage(error), bucket, attempt }, 'could not release a partition lease; it expires after leaseMs');
      };
      try {
        await retry(() => this.#claims.updateOne({ _id: claimId(bucket, held.epoch), o: this.owner }, { $set: { r: true } }), {
          attempts: 5,
          delayMs: linearBackoff(this.#pollMs, 2_000),
          onRetry: warn,
        });
        this.#hooks.onReleased?.(bucket, held.epoch, this.#clock.now() - started);
      } catch (error) {
        warn(error, 5);
      }
    })();
    return held.handoff;
  }
}

/** Single-worker deployments (ownership.leases = false): every partition is always owned. */
export class UnfencedOwnership implements PartitionOwnership {
  readonly owner = 'unfenced';
  readonly held: readonly string[] = [];
  acquire(): Promise<void> {
    return Promise.resolve();
  }
  holds(): boolean {
    return true;
  }
  handOff(): Promise<void> {
    return Promise.resolve();
  }
  start(): void {}
  stop(): void {}
}

export function claimId(bucket: string, epoch: number): string {
  return `${bucket}#${epoch}`;
}
