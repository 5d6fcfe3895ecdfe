import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/index.js';
import type { Dispatcher } from './actors.js';
import { WorkAbandonedError } from './errors.js';
import type { RecordCodec } from './codec.js';
import type { KeyExecutor } from './executor.js';
import type { RuntimeMetrics } from './metrics.js';
import type { PartitionOwnership } from './ownership.js';
import { errorMessage } from './supervision.js';
import { DueTimers } from './timers.js';
import type { Topology } from './topology.js';
import { whenQuiet, type ActorMemory, type PartitionSession, type RuntimeItem } from './work.js';
import { graceBound } from './abort.js';

export interface PartitionSessionsDeps {
  readonly topology: Topology;
  readonly prefix: string;
  readonly ownership: PartitionOwnership;
  readonly dispatcher: Dispatcher<ActorMemory, RuntimeItem>;
  readonly executor: KeyExecutor;
  /** Where effects are written: a handoff waits until what was submitted before it is written. */
  readonly effects: { barrier(): Promise<void> };
  readonly codec: RecordCodec;
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
}


/**
 * The partitions this worker owns right now, one session each, and their lease lifecycle: a
 * session runs nothing before it holds its partition's lease (ownership.ts), and a revoked session
 * hands the lease off only when its running work returned and its effects are written.
 */
export class PartitionSessions {
  readonly #deps: PartitionSessionsDeps;
  readonly #map = new Map<string, PartitionSession>();
  /** Per partition tag: the handoff of its last revoked session (the next session acquires after it). */
  readonly #handoffs = new Map<string, Promise<void>>();
  /** Per session: settles true once its lease is held, false if it was revoked first. */
  readonly #acquired = new WeakMap<PartitionSession, Promise<boolean>>();

  constructor(deps: PartitionSessionsDeps) {
    this.#deps = deps;
  }

  get(tag: string): PartitionSession | undefined {
    return this.#map.get(tag);
  }

  values(): IterableIterator<PartitionSession> {
    return this.#map.values();
  }

  /** The session holding a lease bucket, if this worker has one. */
  byBucket(bucket: string): PartitionSession | undefined {
    return [...this.#map.values()].find((s) => s.bucket === bucket);
  }

  /** The session of a partition, opened (and its lease sought) on first use. */
  open(topic: string, partition: number): PartitionSession {
    const tag = `${topic}|${partition}`;
    let session = this.#map.get(tag);
    if (session === undefined) {
      const inputIndex = this.#deps.topology.inputs.findIndex((input) => `${this.#deps.prefix}${input.topic}` === topic);
      const logicalTopic = topic.slice(this.#deps.prefix.length);
      // Leases are per Kafka partition (prefixed topic): deployments sharing a database never wait for each other.
      const bucket = tag;
      const ownership = this.#deps.ownership;
      session = {
        tag,
        topic,
        logicalTopic,
        partition,
        inputIndex,
        decode: this.#deps.codec.decoderFor(this.#deps.topology.inputs[inputIndex] ?? { topic: logicalTopic }),
        controller: new AbortController(),
        timers: new DueTimers(),
        bucket,
        owned: false,
        parked: [],
        active: 0,
        quietWaiters: [],
        fence: () => ownership.holds(bucket),
        givenUp: false,
      };
      this.#map.set(tag, session);
      this.#acquire(session);
    }
    return session;
  }

  /**
   * A new session runs nothing before it holds the partition's lease: the previous owner (another
   * worker, or an earlier session of this one) hands it off only after its running work returned
   * and its effects are durable. Records fetched meanwhile wait in `parked`; timers and actor
   * state are read only once the lease is held.
   */
  #acquire(session: PartitionSession): void {
    const { signal } = session.controller;
    const previous = this.#handoffs.get(session.tag) ?? Promise.resolve();
    const acquired = (async (): Promise<boolean> => {
      await previous;
      try {
        await this.#deps.ownership.acquire(session.bucket, signal);
        return true;
      } catch (error) {
        if (!(error instanceof WorkAbandonedError)) this.#deps.logger.error({ err: errorMessage(error), tag: session.tag }, 'could not acquire a partition lease');
        return false;
      }
    })();
    this.#acquired.set(session, acquired);
    void acquired.then(async (ok) => {
      // Revoked meanwhile: revoke hands the lease back.
      if (!ok || signal.aborted || this.#map.get(session.tag) !== session) return;
      // The timer index is read before any item runs: an item's timers go into the in-memory
      // index, which a later load would overwrite (timers of the partition never firing).
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.#deps.executor.loadIndex(session);
          break;
        } catch (error) {
          if (error instanceof WorkAbandonedError || signal.aborted) return;
          this.#deps.logger.error({ err: errorMessage(error), tag: session.tag, attempt }, 'could not load the timer index; retrying');
          await sleep(Math.min(10_000, 500 * attempt));
        }
      }
      if (signal.aborted || this.#map.get(session.tag) !== session) return;
      session.owned = true;
      const parked = session.parked;
      session.parked = [];
      for (const item of parked) this.#deps.dispatcher.enqueue(item.key, item);
    });
  }

  /** Records fetched before the lease was held are given up (fetched again by the next owner). */
  dropParked(session: PartitionSession): void {
    const parked = session.parked;
    session.parked = [];
    for (const item of parked) item.abandon();
    if (parked.length > 0) this.#deps.metrics.records.inc({ topology: this.#deps.topology.name, outcome: 'abandoned' }, parked.length);
  }

  /**
   * The session's lease is handed off once its acquisition settled, every item of it that is
   * running returned, and the effects they submitted are written.
   */
  #handOff(session: PartitionSession): void {
    const acquired = this.#acquired.get(session) ?? Promise.resolve(false);
    const handoff = (async () => {
      if (!(await acquired)) return;
      await this.#deps.ownership.handOff(session.bucket, (async () => {
        await whenQuiet(session);
        await this.#deps.effects.barrier();
      })());
    })();
    this.#handoffs.set(session.tag, handoff);
    void handoff.finally(() => {
      if (this.#handoffs.get(session.tag) === handoff) this.#handoffs.delete(session.tag);
    });
  }

  /** Stops a partition here: queued work dropped, actors reloaded later, its lease handed off. */
  revoke(session: PartitionSession): void {
    session.controller.abort();
    this.#map.delete(session.tag);
    this.dropParked(session);
    this.#handOff(session);
    this.#deps.dispatcher.dropQueued((item) => item.tag === session.tag);
    this.#deps.dispatcher.invalidate((actor) => actor.home === session.tag);
    this.#deps.metrics.consumerLag.remove({ topic: session.topic, partition: String(session.partition) });
    this.#deps.logger.info({ topic: session.topic, partition: session.partition }, 'partition revoked');
  }

  /**
   * Stop: hands off the leases of partitions where nothing runs any more (their effects were
   * written or refused by the closed flusher). A partition whose processor call is still running
   * keeps its lease until it expires: the process exits, so the call ends with it.
   */
  async releaseQuiet(): Promise<void> {
    const releases: Promise<void>[] = [];
    for (const session of this.#map.values()) {
      if (session.active === 0) releases.push(this.#deps.ownership.handOff(session.bucket, Promise.resolve()));
    }
    await Promise.all(releases);
    await Promise.all([...this.#handoffs.values()].map((handoff) => Promise.race([handoff, graceBound(1_000)])));
  }
}
