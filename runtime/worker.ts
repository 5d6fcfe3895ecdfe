import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import { systemClock, type Clock } from '../common/index.js';
import { silentLogger, type Logger } from '../common/index.js';
import type { TopicCodec } from '../schemas/index.js';
import type { TopicValues } from '../schemas/index.js';
import { Dispatcher } from './actors.js';
import { BatchCompletion, BatchRecord, splitTag } from './batch.js';
import { ProcessorFailedError, TopologyInvalidError, WorkAbandonedError } from './errors.js';
import { deadLetterTopicOf } from '../schemas/index.js';
import { KeyExecutor, type ActorMemory, type PartitionSession, type RecordItem, type RuntimeItem, type TimerItem } from './executor.js';
import { Flusher } from './flusher.js';
import { RuntimeMetrics } from './metrics.js';
import { compileRuntimeOptions, type RuntimeOptions, type RuntimeOptionsInput } from './options.js';
import { PartitionLeases, UnfencedOwnership, type PartitionOwnership } from './ownership.js';
import { PartitionSessions } from './sessions.js';
import { PartitionProgress } from './progress.js';
import { MongoSink } from './sink.js';
import { errorMessage } from './supervision.js';
import type { Topology, ValueDecoder } from './topology.js';

export interface RuntimeDeps {
  readonly topology: Topology;
  readonly kafka: Kafka;
  /** Database holding views, actor state and timers. */
  readonly db: Db;
  /** Avro codec (required when a stage emits to a schema topic or an input uses the default decoder). */
  readonly codec?: TopicCodec;
  readonly options?: RuntimeOptionsInput;
  /** Deployment prefix of topics (and of the default group id). */
  readonly prefix?: string;
  /** Consumer group id; default `<prefix><topology name>`. */
  readonly groupId?: string;
  readonly clock?: Clock;
  /** Clock of partition leases (default the system clock: leases are infrastructure time, not domain time). */
  readonly leaseClock?: Clock;
  /** Worker instance id in partition leases (default host/pid/random). */
  readonly instanceId?: string;
  readonly logger?: Logger;
  readonly metrics?: RuntimeMetrics;
}

type Phase = 'created' | 'running' | 'stopping' | 'stopped';

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
}

/**
 * The actor runtime of one topology on a kafkajs consumer group (DESIGN.md section 4).
 *
 * eachBatch hands every record of a partition's batch to its key's actor and stays in the handler
 * until the batch's effects are durable or `batchHoldMs` passed, heartbeating and committing the
 * durable prefix as it goes; records still unfinished then stay with their actors (see Track).
 * Staying in the handler is what makes rebalances safe with kafkajs (which has no revocation
 * callback): kafkajs only rejoins the group after the handler returns, so when a heartbeat reports
 * a rebalance the handler first drops the partition's queued records, waits (bounded) for the
 * started ones, commits only the durable prefix and then lets kafkajs rejoin. The new assignment
 * (GROUP_JOIN) revokes partitions no longer owned: their timers stop and their actors reload state.
 */
export class Runtime {
  readonly options: RuntimeOptions;
  readonly metrics: RuntimeMetrics;
  readonly #deps: RuntimeDeps;
  readonly #prefix: string;
  readonly #groupId: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #sink: MongoSink;
  readonly #dispatcher: Dispatcher<ActorMemory, RuntimeItem>;
  readonly #executor: KeyExecutor;
  readonly #sessions: PartitionSessions;
  #producer: Producer | null = null;
  #consumer: Consumer | null = null;
  #flusher: Flusher | null = null;
  #phase: Phase = 'created';
  #rebalancing = false;
  /** An assignment was received at least once. */
  #joined = false;
  /** The consumer crashed and will not restart. */
  #crashed: string | null = null;
  #drainDeadline = 0;
  #ticker: NodeJS.Timeout | null = null;
  #lastPassivation = 0;
  #assignment: Record<string, number[]> = {};
  readonly #tracks = new WeakMap<PartitionSession, Track>();
  readonly #ownership: PartitionOwnership;

  constructor(deps: RuntimeDeps) {
    this.#deps = deps;
    this.options = compileRuntimeOptions({
      ...(deps.options ?? {}),
      ...(deps.topology.maxConcurrentKeys === undefined || deps.options?.maxConcurrentKeys !== undefined ? {} : { maxConcurrentKeys: deps.topology.maxConcurrentKeys }),
    });
    this.metrics = deps.metrics ?? new RuntimeMetrics();
    this.#prefix = deps.prefix ?? '';
    this.#groupId = deps.groupId ?? `${this.#prefix}${deps.topology.name}`;
    this.#clock = deps.clock ?? systemClock;
    this.#logger = (deps.logger ?? silentLogger).child({ topology: deps.topology.name });
    this.#sink = new MongoSink(deps.db, { mode: this.options.mongoWriteMode, bulkMaxOps: this.options.bulkMaxOps });
    const topology = deps.topology.name;
    this.#dispatcher = new Dispatcher<ActorMemory, RuntimeItem>({
      maxConcurrent: this.options.maxConcurrentKeys,
      maxActors: this.options.maxActors,
      passivationIdleMs: this.options.passivationIdleMs,
      now: () => this.#clock.now(),
      execute: (actor, item) => this.#executor.execute(actor, item),
      onPassivate: (count) => this.metrics.passivated.inc({ topology }, count),
    });
    this.#executor = new KeyExecutor({
      topology: deps.topology,
      options: this.options,
      sink: this.#sink,
      flusher: { submit: (item) => this.#requireFlusher().submit(item) } as Flusher,
      clock: this.#clock,
      logger: this.#logger,
      metrics: this.metrics,
      prefix: this.#prefix,
      encode: (topic, value) => this.#encode(topic, value),
      dispatcher: () => this.#dispatcher,
    });
    const ownership = this.options.ownership;
    this.#ownership = ownership.leases
      ? new PartitionLeases({
        db: deps.db,
        collection: `rt_${topology}_leases`,
        clock: deps.leaseClock ?? systemClock,
        timing: { leaseMs: ownership.leaseMs ?? this.options.sessionTimeoutMs, pollMs: ownership.pollMs, handoffWarnMs: ownership.handoffWarnMs },
        logger: this.#logger,
        ...(deps.instanceId === undefined ? {} : { owner: deps.instanceId }),
        hooks: {
          onAcquired: (_bucket, _epoch, waitedMs) => this.metrics.leaseWaitSeconds.observe({ topology }, waitedMs / 1_000),
          onReleased: (_bucket, _epoch, handoffMs) => this.metrics.handoffSeconds.observe({ topology }, handoffMs / 1_000),
          onLost: (bucket) => this.#onLeaseLost(bucket),
        },
      })
      : new UnfencedOwnership();
    this.#sessions = new PartitionSessions({
      topology: deps.topology,
      prefix: this.#prefix,
      ownership: this.#ownership,
      dispatcher: this.#dispatcher,
      executor: this.#executor,
      flusher: () => this.#flusher,
      decoderFor: (inputIndex) => this.#decoderFor(inputIndex),
      logger: this.#logger,
      metrics: this.metrics,
    });
  }

  /** This worker's id in partition leases. */
  get instanceId(): string {
    return this.#ownership.owner;
  }

  get groupId(): string {
    return this.#groupId;
  }

  /** Partitions owned right now, by topic (with prefix). */
  get assignment(): Readonly<Record<string, number[]>> {
    return this.#assignment;
  }

  get actorsInMemory(): number {
    return this.#dispatcher.size;
  }

  async start(): Promise<void> {
    if (this.#phase !== 'created') throw new ProcessorFailedError('A runtime starts once; create a new one to start again.');
    this.#phase = 'running';
    const { kafka, topology } = this.#deps;
    this.#ownership.start();
    for (const stage of topology.stages) {
      await stage.init?.({ clock: this.#clock, logger: this.#logger.child({ processor: stage.name }), metrics: this.metrics.forProcessor(stage.name) });
    }
    await this.#checkTopics();
    this.#producer = kafka.producer({ idempotent: true, maxInFlightRequests: this.options.producerMaxInFlight, allowAutoTopicCreation: false });
    await this.#producer.connect();
    const topologyName = topology.name;
    this.#flusher = new Flusher({
      sender: this.#producer,
      sink: this.#sink,
      retry: this.options.retry,
      logger: this.#logger,
      maxProduceBytes: this.options.maxProduceBytes,
      hooks: {
        onCycle: (stats) => {
          this.metrics.flushSeconds.observe({ topology: topologyName }, stats.ms / 1_000);
          if (stats.staleViews > 0) this.metrics.staleWrites.inc({ topology: topologyName, target: 'view' }, stats.staleViews);
          if (stats.staleStates > 0) this.metrics.staleWrites.inc({ topology: topologyName, target: 'state' }, stats.staleStates);
        },
        onRetry: () => this.metrics.flushRetries.inc({ topology: topologyName }),
      },
    });
    const consumer = kafka.consumer({
      groupId: this.#groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.REBALANCING, () => {
      this.#rebalancing = true;
      this.#releaseHeld(false);
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.#releaseHeld(true);
      this.#onAssignment(event.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.#logger.error({ err: errorMessage(event.payload.error), restart: event.payload.restart }, 'consumer crashed');
      // A consumer that will not restart never learns its next assignment: give every partition
      // (and its lease) up, so that the group's other workers can take them over.
      if (!event.payload.restart) {
        this.#crashed = errorMessage(event.payload.error);
        for (const session of [...this.#sessions.values()]) this.#sessions.revoke(session);
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: topology.inputs.map((input) => `${this.#prefix}${input.topic}`), fromBeginning: this.options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    this.#ticker = setInterval(() => this.#tick(), this.options.timerPollMs);
    this.#ticker.unref();
  }

  /**
   * Every input needs its dead-letter twin and every declared output must exist: a missing topic
   * would otherwise hold a partition in endless produce retries.
   */
  async #checkTopics(): Promise<void> {
    const admin = this.#deps.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const needed = [
        ...this.#deps.topology.inputs.flatMap((input) => [input.topic, deadLetterTopicOf(input.topic)]),
        ...(this.#deps.topology.outputs ?? []),
      ].map((topic) => `${this.#prefix}${topic}`);
      const missing = needed.filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        throw new TopologyInvalidError(`Topology ${this.#deps.topology.name} needs topics that do not exist: ${missing.join(', ')}. Create them (hycal stack, provisionTopics) before starting.`);
      }
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Graceful stop: no new records are taken, in-flight records get until `drainTimeoutMs` to become
   * durable, the durable prefix is committed, then the group is left and connections closed.
   */
  async stop(): Promise<void> {
    if (this.#phase !== 'running') return;
    this.#phase = 'stopping';
    this.#drainDeadline = Date.now() + this.options.drainTimeoutMs;
    if (this.#ticker !== null) clearInterval(this.#ticker);
    const hardStop = sleep(this.options.drainTimeoutMs + 5_000);
    await this.#drainHeld();
    await Promise.race([this.#consumer?.disconnect(), hardStop]);
    for (const session of this.#sessions.values()) {
      session.controller.abort();
      this.#sessions.dropParked(session);
    }
    this.#dispatcher.dropQueued(() => true);
    await Promise.race([this.#flusher?.close(), sleep(1_000)]);
    await Promise.race([this.#sessions.releaseQuiet(), sleep(3_000)]);
    this.#ownership.stop();
    await Promise.race([this.#producer?.disconnect(), sleep(2_000)]);
    for (const stage of this.#deps.topology.stages) {
      try {
        await stage.close?.();
      } catch (error) {
        this.#logger.warn({ err: errorMessage(error), processor: stage.name }, 'processor close failed');
      }
    }
    this.#phase = 'stopped';
  }

  /**
   * Liveness and readiness for /healthz and /readyz: live unless the consumer crashed for good or
   * the runtime stopped; ready while running in the group (joined, not rebalancing).
   */
  health(): { name: string; live: boolean; ready: boolean; reason?: string } {
    const name = `runtime ${this.#deps.topology.name}`;
    if (this.#crashed !== null) return { name, live: false, ready: false, reason: `the consumer crashed and does not restart: ${this.#crashed}` };
    if (this.#phase === 'stopped') return { name, live: false, ready: false, reason: 'stopped' };
    if (this.#phase !== 'running') return { name, live: true, ready: false, reason: this.#phase };
    if (!this.#joined) return { name, live: true, ready: false, reason: 'joining the consumer group' };
    if (this.#rebalancing) return { name, live: true, ready: false, reason: 'rebalancing' };
    return { name, live: true, ready: true };
  }

  async metricsText(): Promise<string> {
    this.#updateGauges();
    return this.metrics.text();
  }

  #requireFlusher(): Flusher {
    if (this.#flusher === null) throw new WorkAbandonedError('The runtime is not started.');
    return this.#flusher;
  }

  async #encode(topic: keyof TopicValues, value: unknown): Promise<Buffer> {
    const codec = this.#deps.codec;
    if (codec === undefined) throw new ProcessorFailedError(`Emitting to ${topic} needs the Avro codec; pass codec to the runtime.`);
    return codec.encode(topic, value as never);
  }

  #decoderFor(inputIndex: number): ValueDecoder {
    const input = this.#deps.topology.inputs[inputIndex];
    if (input?.decode !== undefined) return input.decode;
    return async (bytes, topic) => {
      const codec = this.#deps.codec;
      if (codec === undefined) throw new ProcessorFailedError(`Decoding ${topic} needs the Avro codec; pass codec to the runtime or a decode function.`);
      return codec.decode(topic as keyof TopicValues, bytes);
    };
  }

  /** The lease was not renewed in time: stop the partition here and wait for the lease again. */
  #onLeaseLost(bucket: string): void {
    this.metrics.leasesLost.inc({ topology: this.#deps.topology.name });
    const session = this.#sessions.byBucket(bucket);
    if (session === undefined || session.controller.signal.aborted) return;
    const track = this.#tracks.get(session);
    if (track !== undefined) {
      this.#restartPartition(track);
      return;
    }
    this.#sessions.revoke(session);
    this.#sessions.open(session.topic, session.partition);
  }

  #onAssignment(assignment: Record<string, number[]>): void {
    this.#assignment = assignment;
    this.#rebalancing = false;
    this.#joined = true;
    this.metrics.rebalances.inc({ topology: this.#deps.topology.name });
    const owned = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}|${p}`)));
    for (const session of [...this.#sessions.values()]) {
      if (owned.has(session.tag)) continue;
      this.#sessions.revoke(session);
    }
    // Every partition still owned is refetched from its committed offset; actors whose work was
    // abandoned were marked stale already, the others skip what they applied.
    for (const tag of owned) {
      const [topic, partition] = splitTag(tag);
      this.#sessions.open(topic, partition);
    }
    this.#logger.info({ assignment }, 'partitions assigned');
  }

  /** The partition's progress across batches (records may outlive the batch that fetched them). */
  #track(session: PartitionSession): Track {
    let track = this.#tracks.get(session);
    if (track === undefined) {
      track = { session, progress: new PartitionProgress(), committed: -1, inHandler: false, watching: false, paused: false };
      this.#tracks.set(session, track);
    }
    return track;
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const heartbeat = (): Promise<void> => payload.heartbeat();
    const resolveOffset = (offset: string): void => payload.resolveOffset(offset);
    const isRunning = (): boolean => payload.isRunning();
    const isStale = (): boolean => payload.isStale();
    const commitOffsetsIfNecessary = (offsets: Parameters<EachBatchPayload['commitOffsetsIfNecessary']>[0]): Promise<void> => payload.commitOffsetsIfNecessary(offsets);
    const session = this.#sessions.open(batch.topic, batch.partition);
    this.metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    if (this.#phase !== 'running') {
      // Stopping: nothing new is taken (pausing keeps kafkajs from fetching the batch in a loop).
      payload.pause();
      return;
    }
    if (session.controller.signal.aborted || batch.messages.length === 0) return;

    const track = this.#track(session);
    const { progress } = track;
    const completion = new BatchCompletion(batch.messages.length);
    const items: RecordItem[] = [];
    let lastOffset = -1;
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      lastOffset = offset;
      progress.add(offset);
      items.push(new BatchRecord(session, message, progress, offset, completion));
    }
    if (session.owned) {
      for (const item of items) this.#dispatcher.enqueue(item.key, item);
    } else {
      for (const item of items) session.parked.push(item);
    }

    const commit = async (): Promise<void> => {
      const safe = progress.safeOffset;
      if (safe === null || safe <= track.committed) return;
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(safe) }] }] });
      track.committed = Math.max(track.committed, safe);
    };
    const tickMs = Math.min(250, this.options.commitIntervalMs, this.options.batchHoldMs);
    const started = Date.now();
    let lastCommit = started;
    track.inHandler = true;
    try {
      for (;;) {
        const done = await Promise.race([completion.whenDone().then(() => true), sleep(tickMs).then(() => false)]);
        if (done) break;
        if (this.#phase !== 'running' && Date.now() >= this.#drainDeadline) {
          this.#abandon(session);
          break;
        }
        if (this.#phase === 'running' && (!isRunning() || isStale() || session.controller.signal.aborted)) {
          this.#abandon(session);
          break;
        }
        await heartbeat();
        if (Date.now() - lastCommit >= this.options.commitIntervalMs) {
          lastCommit = Date.now();
          await commit();
        }
        // A slow key must not hold the next fetch of every partition (kafkajs fetches from a broker
        // again only after every batch of its last fetch was handled): after batchHoldMs the
        // unfinished records stay with their actors (their keys' later records queue behind them)
        // and the handler returns; commits still stop at the first unfinished record.
        if (this.#phase === 'running' && Date.now() - started >= this.options.batchHoldMs) break;
      }
    } catch (error) {
      // A rebalance (or a broker failure) while records are in flight: drop what has not started,
      // give started records a bounded time to become durable, commit only the durable prefix.
      track.inHandler = false;
      this.#abandon(session);
      this.#drainDeadline = Math.max(this.#drainDeadline, Date.now() + this.options.drainTimeoutMs);
      await Promise.race([completion.whenDone(), sleep(this.options.drainTimeoutMs)]);
      await commit().catch(() => undefined);
      this.#resolveDurable(progress, resolveOffset);
      throw error;
    }
    // Normally everything is durable or still owned by an actor here; after a drain deadline,
    // started records get what is left of the bound.
    if (this.#phase !== 'running') await Promise.race([completion.whenDone(), sleep(Math.max(0, this.#drainDeadline - Date.now()))]);
    try {
      await commit();
    } finally {
      track.inHandler = false;
      if (this.#phase === 'running' && !session.controller.signal.aborted && progress.abandoned === 0) {
        // Every record of the batch is done or owned by its actor: kafkajs may fetch what follows.
        resolveOffset(String(lastOffset));
        if (progress.pending >= this.options.maxPendingPerPartition) {
          track.paused = true;
          payload.pause();
        }
        if (progress.pending > 0) this.#watch(track);
      } else {
        // Stopping, revoked, or a record was given up (abandoned): fetch again from the durable prefix.
        this.#resolveDurable(progress, resolveOffset);
        if (this.#phase === 'running' && progress.abandoned > 0) this.#restartPartition(track);
      }
    }
  }

  /**
   * Commits the durable prefix of a partition whose records outlive their batch, while no handler
   * of that partition runs; resumes it once it is back under `maxPendingPerPartition`.
   */
  #watch(track: Track): void {
    if (track.watching) return;
    track.watching = true;
    void (async () => {
      try {
        for (;;) {
          const { progress, session } = track;
          const idle = await Promise.race([progress.whenIdle().then(() => true), sleep(this.options.commitIntervalMs).then(() => false)]);
          if (this.#tracks.get(session) !== track || session.controller.signal.aborted || this.#phase !== 'running') return;
          if (!track.inHandler) await this.#commitTrack(track);
          if (track.paused && progress.pending < Math.max(1, Math.floor(this.options.maxPendingPerPartition / 2))) {
            track.paused = false;
            this.#consumer?.resume([{ topic: session.topic, partitions: [session.partition] }]);
          }
          if (progress.abandoned > 0 && !track.inHandler) {
            this.#restartPartition(track);
            return;
          }
          if (idle) {
            if (progress.safeOffset === null || progress.safeOffset <= track.committed) return;
            await sleep(Math.min(250, this.options.commitIntervalMs));
          }
        }
      } finally {
        track.watching = false;
      }
    })();
  }

  async #commitTrack(track: Track): Promise<void> {
    const safe = track.progress.safeOffset;
    if (safe === null || safe <= track.committed || this.#consumer === null) return;
    try {
      await this.#consumer.commitOffsets([{ topic: track.session.topic, partition: track.session.partition, offset: String(safe) }]);
      track.committed = Math.max(track.committed, safe);
    } catch (error) {
      // A rebalance in progress: the new generation starts from the last commit.
      this.#logger.debug({ err: errorMessage(error), tag: track.session.tag }, 'commit of a partition outside its batch failed');
    }
  }

  /**
   * A record of the partition was given up while later ones went on (an unexpected failure): stop
   * everything of the partition, and fetch it again from the durable prefix once nothing of it
   * runs (actors reload their state and the replay guard skips what was applied).
   */
  #restartPartition(track: Track): void {
    const { session } = track;
    if (this.#sessions.get(session.tag) !== session) return;
    this.#logger.warn({ topic: session.topic, partition: session.partition, offset: track.progress.safeOffset }, 'a record was given up; the partition is fetched again from its durable prefix');
    this.#sessions.revoke(session);
    this.#sessions.open(session.topic, session.partition);
    const safe = track.progress.safeOffset;
    try {
      if (safe !== null) this.#consumer?.seek({ topic: session.topic, partition: session.partition, offset: String(safe) });
      if (track.paused) this.#consumer?.resume([{ topic: session.topic, partitions: [session.partition] }]);
    } catch (error) {
      // The consumer is stopping or rejoining: the next generation starts from the committed prefix.
      this.#logger.warn({ err: errorMessage(error), tag: session.tag }, 'could not seek back to the durable prefix');
    }
  }

  /**
   * A rebalance: kafkajs rejoins at once (no handler runs for records that outlived their batch),
   * so such work is given up like a revoked partition — queued records dropped, back-offs aborted,
   * actors reloaded before their next item — and every partition starts the new generation with a
   * fresh progress from its committed durable prefix (the replay guard skips what was applied).
   */
  #releaseHeld(joined: boolean): void {
    for (const session of [...this.#sessions.values()]) {
      const track = this.#tracks.get(session);
      if (track === undefined) continue;
      // REBALANCING: only work no handler looks after (handlers drain their own batch first).
      if (!joined && (track.inHandler || track.progress.pending === 0)) continue;
      this.#tracks.delete(session);
      if (track.paused) this.#consumer?.resume([{ topic: session.topic, partitions: [session.partition] }]);
      if (track.progress.pending > 0) this.#sessions.revoke(session);
    }
  }

  /** Stop: records outliving their batch get until the drain deadline, then the durable prefix is committed. */
  async #drainHeld(): Promise<void> {
    const tracks = [...this.#sessions.values()].map((s) => this.#tracks.get(s)).filter((t): t is Track => t !== undefined && t.progress.pending > 0);
    if (tracks.length === 0) return;
    await Promise.race([Promise.all(tracks.map((t) => t.progress.whenIdle())), sleep(Math.max(0, this.#drainDeadline - Date.now()))]);
    for (const track of tracks) {
      this.#abandon(track.session);
      await this.#commitTrack(track);
    }
  }

  /** Lets kafkajs fetch after the durable prefix only: abandoned records are fetched again. */
  #resolveDurable(progress: PartitionProgress, resolveOffset: (offset: string) => void): void {
    const safe = progress.safeOffset;
    if (safe !== null && safe > 0) resolveOffset(String(safe - 1));
  }

  #abandon(session: PartitionSession): void {
    this.#sessions.dropParked(session);
    const dropped = this.#dispatcher.dropQueued((item) => item.tag === session.tag);
    if (dropped > 0) this.metrics.records.inc({ topology: this.#deps.topology.name, outcome: 'abandoned' }, dropped);
    this.#dispatcher.invalidate((actor) => actor.home === session.tag);
  }

  #tick(): void {
    if (this.#phase !== 'running') return;
    const now = this.#clock.now();
    if (!this.#rebalancing) {
      for (const session of this.#sessions.values()) {
        if (!session.indexLoaded || session.controller.signal.aborted) continue;
        for (const [key, due] of session.index) {
          if (due > now || session.timerPending.has(key)) continue;
          session.timerPending.add(key);
          const item: TimerItem = { kind: 'timer', tag: session.tag, session, abandon: () => session.timerPending.delete(key) };
          this.#dispatcher.enqueue(key, item);
        }
      }
    }
    if (Date.now() - this.#lastPassivation >= Math.min(1_000, Math.max(100, this.options.passivationIdleMs))) {
      this.#lastPassivation = Date.now();
      this.#dispatcher.passivate();
    }
    this.#updateGauges();
  }

  #updateGauges(): void {
    const topology = this.#deps.topology.name;
    this.metrics.inflightActors.set({ topology }, this.#dispatcher.running);
    this.metrics.actorsInMemory.set({ topology }, this.#dispatcher.size);
    this.metrics.leasesHeld.set({ topology }, this.#ownership.held.length);
  }
}
