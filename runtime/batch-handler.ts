import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { Logger } from '../common/index.js';
import type { Dispatcher } from './actors.js';
import { BatchCompletion, BatchRecord } from './batch.js';
import type { RuntimeMetrics } from './metrics.js';
import type { RuntimeOptions } from './options.js';
import { PartitionProgress } from './progress.js';
import type { PartitionSessions } from './sessions.js';
import { errorMessage } from './supervision.js';
import type { ActorMemory, PartitionSession, RecordItem, RuntimeItem } from './work.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { graceBound } from './abort.js';

/**
 * A partition's progress across batches. Records may outlive the batch that fetched them (a key
 * waiting for its dependency): the handler returns after `batchHoldMs`, the actors keep them, and
 * commits stop at the first unfinished record until it is done.
 */
interface Track {
  readonly session: PartitionSession;
  readonly progress: PartitionProgress;
  committed: number;
  /** A batch handler of this partition runs (it commits; the watcher does not). */
  inHandler: boolean;
  /** A watcher commits the durable prefix while no handler runs. */
  watching: boolean;
  /** Paused: more than maxPendingPerPartition records unfinished. */
  paused: boolean;
  /**
   * The effect writer's `submitted` once the partition's last batch ran: the next batch's handler
   * waits for those effects to be produced only (not for its own, nor for what other partitions
   * submitted since).
   */
  through: number;
}

export interface BatchHandlerDeps {
  readonly topologyName: string;
  readonly options: RuntimeOptions;
  readonly sessions: PartitionSessions;
  readonly dispatcher: Dispatcher<ActorMemory, RuntimeItem>;
  /**
   * The effect writer: `produced(through)` resolves once the messages of every effect numbered up
   * to `through` are produced (or failed), within the writer's bound on what may be produced and
   * not yet written to MongoDB; `submitted` is the number of the last effect handed to it.
   */
  readonly effects: { produced(through?: number): Promise<void>; readonly submitted: number };
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
}

/**
 * kafkajs's eachBatch for the runtime: hands every record of a partition's batch to its key's
 * actor and stays in the handler until the batch's records ran and the messages of the partition's
 * previous batch are produced (or `batchHoldMs` passed), heartbeating and committing the durable
 * prefix as it goes. Fetch, process and flush are pipelined: while batch N's messages are being
 * produced, kafkajs fetches batch N+1 and its records run; MongoDB writes follow in the flusher's
 * write cycles, at most `maxUnwrittenItems` behind. Records still unfinished when the
 * handler returns stay with their actors (a watcher commits for them): commits stay at the durable
 * prefix, exactly as when the handler waited for them. Staying in the handler is what makes rebalances
 * safe with kafkajs (which has no revocation callback): kafkajs only rejoins the group after the
 * handler returns, so when a heartbeat reports a rebalance the handler first drops the partition's
 * queued records, waits (bounded) for the started ones, commits only the durable prefix and then
 * lets kafkajs rejoin.
 */
export class BatchHandler {
  readonly #deps: BatchHandlerDeps;
  readonly #tracks = new WeakMap<PartitionSession, Track>();
  #consumer: Consumer | null = null;
  #running = true;
  #drainDeadline = 0;

  constructor(deps: BatchHandlerDeps) {
    this.#deps = deps;
  }

  attach(consumer: Consumer): void {
    this.#consumer = consumer;
  }

  /** Stop: no new records; in-flight ones get until `deadline` (Date.now() ms). */
  stopping(deadline: number): void {
    this.#running = false;
    this.#drainDeadline = deadline;
  }

  /** The partition's progress across batches (records may outlive the batch that fetched them). */
  #track(session: PartitionSession): Track {
    let track = this.#tracks.get(session);
    if (track === undefined) {
      track = { session, progress: new PartitionProgress(), committed: -1, inHandler: false, watching: false, paused: false, through: 0 };
      this.#tracks.set(session, track);
    }
    return track;
  }

  handle = async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload;
    const session = this.#deps.sessions.open(batch.topic, batch.partition);
    this.#deps.metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    if (!this.#running) {
      // Stopping: nothing new is taken (pausing keeps kafkajs from fetching the batch in a loop).
      payload.pause();
      return;
    }
    if (session.controller.signal.aborted || batch.messages.length === 0) return;
    // Fetched before the partition was sent back to its durable prefix (a record given up, a lease
    // lost): its records lie past a gap and must not run — on actors reloaded without the given-up
    // record, a later one of its key would be applied and move the replay guard past it (lost).
    // kafkajs fetches again from the seek; nothing is resolved here.
    if (payload.isStale()) return;
    const track = this.#track(session);
    // The messages of the partition's previous batch: the handler returns only once they are
    // produced, so the pipeline stays one batch deep — batch N+1 is fetched and runs while batch
    // N is produced — and no deeper than the flusher lets producing run ahead of MongoDB
    // (`maxUnwrittenItems`). The handler waits neither for its own batch's effects nor for
    // MongoDB: commits do (they stop at the durable prefix).
    const effects = this.#deps.effects;
    const earlier = effects.produced(track.through);
    const completion = new BatchCompletion(batch.messages.length);
    const lastOffset = this.#admit(track, batch.messages, completion);
    void completion.whenProcessed().then(() => {
      track.through = Math.max(track.through, effects.submitted);
    });
    const commit = async (): Promise<void> => {
      const safe = track.progress.safeOffset;
      if (safe === null || safe <= track.committed) return;
      await payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(safe) }] }] });
      track.committed = Math.max(track.committed, safe);
    };
    track.inHandler = true;
    try {
      await this.#hold(track, payload, completion.whenProcessed(), earlier, commit);
    } catch (error) {
      // A rebalance (or a broker failure) while records are in flight: drop what has not started,
      // give started records a bounded time to become durable, commit only the durable prefix.
      track.inHandler = false;
      this.abandon(session);
      this.#drainDeadline = Math.max(this.#drainDeadline, Date.now() + this.#deps.options.drainTimeoutMs);
      await Promise.race([completion.whenDone(), graceBound(this.#deps.options.drainTimeoutMs)]);
      await commit().catch(() => undefined);
      this.#resolveDurable(track.progress, payload);
      throw error;
    }
    // Normally everything is durable or still owned by an actor here; after a drain deadline,
    // started records get what is left of the bound.
    if (!this.#running) await Promise.race([completion.whenDone(), graceBound(Math.max(0, this.#drainDeadline - Date.now()))]);
    try {
      await commit();
    } finally {
      track.inHandler = false;
      this.#afterBatch(track, payload, lastOffset);
    }
  };

  /** Hands a batch's records to their actors (or parks them until the lease is held). */
  #admit(track: Track, messages: EachBatchPayload['batch']['messages'], completion: BatchCompletion): number {
    const { session, progress } = track;
    const items: RecordItem[] = [];
    let lastOffset = -1;
    for (const message of messages) {
      const offset = Number(message.offset);
      lastOffset = offset;
      progress.add(offset);
      items.push(new BatchRecord(session, message, progress, offset, completion));
    }
    if (session.owned) for (const item of items) this.#deps.dispatcher.enqueue(item.key, item);
    else for (const item of items) session.parked.push(item);
    return lastOffset;
  }

  /**
   * Waits until the batch's records ran (`processed`) and the effect writer has room (`room`: the
   * previous batch produced), heartbeating and committing; while running, the records are waited
   * for at most `batchHoldMs` (a slow key must not hold the other partitions), the writer for as
   * long as it takes: fetching more while the writes trail by `maxUnwrittenItems` would only pile
   * up effects in memory and take the CPU the writes need.
   */
  async #hold(track: Track, payload: EachBatchPayload, processed: Promise<unknown>, room: Promise<unknown>, commit: () => Promise<void>): Promise<void> {
    const { options } = this.#deps;
    const { session } = track;
    const tickMs = Math.min(250, options.commitIntervalMs, options.batchHoldMs);
    const started = Date.now();
    let lastCommit = started;
    let roomy = false;
    void room.then(() => {
      roomy = true;
    });
    const ready = Promise.all([processed, room]);
    for (;;) {
      const done = await Promise.race([ready.then(() => true), sleep(tickMs).then(() => false)]);
      if (done) return;
      if (!this.#running && Date.now() >= this.#drainDeadline) {
        this.abandon(session);
        return;
      }
      if (this.#running && (!payload.isRunning() || payload.isStale() || session.controller.signal.aborted)) {
        this.abandon(session);
        return;
      }
      await payload.heartbeat();
      if (Date.now() - lastCommit >= options.commitIntervalMs) {
        lastCommit = Date.now();
        await commit();
      }
      // A slow key must not hold the next fetch of every partition (kafkajs fetches from a broker
      // again only after every batch of its last fetch was handled): after batchHoldMs the
      // unfinished records stay with their actors (their keys' later records queue behind them)
      // and the handler returns; commits still stop at the first unfinished record.
      if (this.#running && roomy && Date.now() - started >= options.batchHoldMs) return;
    }
  }

  #afterBatch(track: Track, payload: EachBatchPayload, lastOffset: number): void {
    const { session, progress } = track;
    if (this.#running && !session.controller.signal.aborted && progress.abandoned === 0) {
      // Every record of the batch is done or owned by its actor: kafkajs may fetch what follows.
      payload.resolveOffset(String(lastOffset));
      if (progress.pending >= this.#deps.options.maxPendingPerPartition) {
        track.paused = true;
        payload.pause();
      }
      // Also when nothing is pending: records completed while the handler's last commit was in
      // flight are past what it committed, and no later batch may come to commit them.
      if (progress.pending > 0 || (progress.safeOffset !== null && progress.safeOffset > track.committed)) this.#watch(track);
    } else {
      // Stopping, revoked, or a record was given up (abandoned): fetch again from the durable prefix.
      this.#resolveDurable(progress, payload);
      if (this.#running && progress.abandoned > 0) this.#restartPartition(track);
    }
  }

  /**
   * Commits the durable prefix of a partition whose records outlive their batch, while no handler
   * of that partition runs; resumes it once it is back under `maxPendingPerPartition`.
   */
  #watch(track: Track): void {
    if (track.watching) return;
    track.watching = true;
    void this.#watchLoop(track);
  }

  async #watchLoop(track: Track): Promise<void> {
    const { options } = this.#deps;
    // `watching` is cleared in the same turn as the decision to stop (a finally inside the loop,
    // not a callback on its promise): a handler finishing in between starts a new watcher.
    try {
      for (;;) {
        const { progress, session } = track;
        await Promise.race([progress.whenIdle(), sleep(options.commitIntervalMs)]);
        if (this.#tracks.get(session) !== track || session.controller.signal.aborted || !this.#running) return;
        if (!track.inHandler) await this.#commitTrack(track);
        if (track.paused && progress.pending < Math.max(1, Math.floor(options.maxPendingPerPartition / 2))) {
          track.paused = false;
          this.#consumer?.resume([{ topic: session.topic, partitions: [session.partition] }]);
        }
        if (progress.abandoned > 0 && !track.inHandler) {
          this.#restartPartition(track);
          return;
        }
        // Decided on the progress as it is now, not as it was before the commit's await: a batch
        // admitted meanwhile has pending records and its handler may have seen this watcher running.
        if (progress.pending === 0) {
          if (progress.safeOffset === null || progress.safeOffset <= track.committed) return;
          await sleep(Math.min(250, options.commitIntervalMs));
        }
      }
    } finally {
      track.watching = false;
    }
  }

  async #commitTrack(track: Track): Promise<void> {
    const safe = track.progress.safeOffset;
    if (safe === null || safe <= track.committed || this.#consumer === null) return;
    try {
      await this.#consumer.commitOffsets([{ topic: track.session.topic, partition: track.session.partition, offset: String(safe) }]);
      track.committed = Math.max(track.committed, safe);
    } catch (error) {
      // A rebalance in progress: the new generation starts from the last commit.
      this.#deps.logger.debug({ err: errorMessage(error), tag: track.session.tag }, 'commit of a partition outside its batch failed');
    }
  }

  /** The partition's lease was lost: restarts it if a batch of it is tracked (true), else false. */
  restartIfTracked(session: PartitionSession): boolean {
    const track = this.#tracks.get(session);
    if (track === undefined) return false;
    this.#restartPartition(track);
    return true;
  }

  /**
   * A record of the partition was given up while later ones went on (an unexpected failure): stop
   * everything of the partition, and fetch it again from the durable prefix once nothing of it
   * runs (actors reload their state and the replay guard skips what was applied).
   */
  #restartPartition(track: Track): void {
    const { session } = track;
    const sessions = this.#deps.sessions;
    if (sessions.get(session.tag) !== session) return;
    this.#deps.logger.warn({ topic: session.topic, partition: session.partition, offset: track.progress.safeOffset }, 'a record was given up; the partition is fetched again from its durable prefix');
    sessions.revoke(session);
    sessions.open(session.topic, session.partition);
    const safe = track.progress.safeOffset;
    try {
      if (safe !== null) this.#consumer?.seek({ topic: session.topic, partition: session.partition, offset: String(safe) });
      if (track.paused) this.#consumer?.resume([{ topic: session.topic, partitions: [session.partition] }]);
    } catch (error) {
      // The consumer is stopping or rejoining: the next generation starts from the committed prefix.
      this.#deps.logger.warn({ err: errorMessage(error), tag: session.tag }, 'could not seek back to the durable prefix');
    }
  }

  /**
   * A rebalance: kafkajs rejoins at once (no handler runs for records that outlived their batch),
   * so such work is given up like a revoked partition — queued records dropped, back-offs aborted,
   * actors reloaded before their next item — and every partition starts the new generation with a
   * fresh progress from its committed durable prefix (the replay guard skips what was applied).
   */
  releaseHeld(joined: boolean): void {
    for (const session of [...this.#deps.sessions.values()]) {
      const track = this.#tracks.get(session);
      if (track === undefined) continue;
      // REBALANCING: only work no handler looks after (handlers drain their own batch first).
      if (!joined && (track.inHandler || track.progress.pending === 0)) continue;
      this.#tracks.delete(session);
      if (track.paused) this.#consumer?.resume([{ topic: session.topic, partitions: [session.partition] }]);
      if (track.progress.pending > 0) this.#deps.sessions.revoke(session);
    }
  }

  /** Stop: records outliving their batch get until the drain deadline, then the durable prefix is committed. */
  async drainHeld(): Promise<void> {
    const tracks = [...this.#deps.sessions.values()].map((s) => this.#tracks.get(s)).filter((t): t is Track => t !== undefined && t.progress.pending > 0);
    if (tracks.length === 0) return;
    await Promise.race([Promise.all(tracks.map((t) => t.progress.whenIdle())), graceBound(Math.max(0, this.#drainDeadline - Date.now()))]);
    for (const track of tracks) {
      this.abandon(track.session);
      await this.#commitTrack(track);
    }
  }

  /** Lets kafkajs fetch after the durable prefix only: abandoned records are fetched again. */
  #resolveDurable(progress: PartitionProgress, payload: Pick<EachBatchPayload, 'resolveOffset'>): void {
    const safe = progress.safeOffset;
    if (safe !== null && safe > 0) payload.resolveOffset(String(safe - 1));
  }

  abandon(session: PartitionSession): void {
    this.#deps.sessions.dropParked(session);
    const dropped = this.#deps.dispatcher.dropQueued((item) => item.tag === session.tag);
    if (dropped > 0) this.#deps.metrics.records.inc({ topology: this.#deps.topologyName, outcome: 'abandoned' }, dropped);
    this.#deps.dispatcher.invalidate((actor) => actor.home === session.tag);
  }
}
