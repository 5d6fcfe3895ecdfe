import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import { systemClock, type Clock } from '../common/index.js';
import { silentLogger, type Logger } from '../common/index.js';
import type { TopicCodec } from '../schemas/index.js';
import { deadLetterTopicOf } from '../schemas/index.js';
import { Dispatcher } from './actors.js';
import { splitTag } from './batch.js';
import { BatchHandler } from './batch-handler.js';
import { avroRecordCodec } from './codec.js';
import { RecordLimits, readTopicLimits } from './record-limits.js';
import { ClockSkewMonitor, helloServerTime, type ServerTime } from './clock-skew.js';
import { ProcessorFailedError, TopologyInvalidError } from './errors.js';
import { KeyExecutor } from './executor.js';
import { retryThenDeadLetter } from './failure-policy.js';
import { Flusher } from './flusher.js';
import { FlusherSlot } from './flusher-slot.js';
import { RuntimeMetrics } from './metrics.js';
import { compileRuntimeOptions, type RuntimeOptions, type RuntimeOptionsInput } from './options.js';
import { PartitionLeases, UnfencedOwnership, type PartitionOwnership } from './ownership.js';
import { PartitionSessions } from './sessions.js';
import { MongoSink } from './sink.js';
import { errorMessage } from './supervision.js';
import type { Topology } from './topology.js';
import { timerItem, type ActorMemory, type RuntimeItem } from './work.js';
import { createKeyPartitioner } from './partitioner.js';
import { graceBound } from './abort.js';

const FLUSH_PHASES = ['produce', 'views', 'states', 'index'] as const;

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
  /** MongoDB's wall time, for the clock skew check of partition leases (default `hello`'s localTime). */
  readonly serverTime?: ServerTime;
  /** Worker instance id in partition leases (default host/pid/random). */
  readonly instanceId?: string;
  readonly logger?: Logger;
  readonly metrics?: RuntimeMetrics;
}

type Phase = 'created' | 'running' | 'stopping' | 'stopped';

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
  readonly #effects = new FlusherSlot();
  readonly #batches: BatchHandler;
  #phase: Phase = 'created';
  #rebalancing = false;
  /** An assignment was received at least once. */
  #joined = false;
  /** The consumer crashed and will not restart. */
  #crashed: string | null = null;
  #ticker: NodeJS.Timeout | null = null;
  #lastPassivation = 0;
  #assignment: Record<string, number[]> = {};
  readonly #ownership: PartitionOwnership;
  readonly #skew: ClockSkewMonitor | null;
  readonly #limits: RecordLimits;

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
    this.#sink = new MongoSink(deps.db, { mode: this.options.mongoWriteMode, bulkMaxOps: this.options.bulkMaxOps, bulkInFlight: this.options.bulkInFlight });
    const topology = deps.topology.name;
    this.#dispatcher = new Dispatcher<ActorMemory, RuntimeItem>({
      maxConcurrent: this.options.maxConcurrentKeys,
      maxActors: this.options.maxActors,
      passivationIdleMs: this.options.passivationIdleMs,
      now: () => this.#clock.now(),
      execute: (actor, item) => executor.execute(actor, item),
      onPassivate: (count) => this.metrics.passivated.inc({ topology }, count),
      sliceMs: this.options.dispatchSliceMs,
      onYield: () => this.metrics.dispatchYields.inc({ topology }),
    });
    const codec = avroRecordCodec(deps.codec);
    this.#limits = new RecordLimits(this.options.maxRecordBytes);
    const executor = new KeyExecutor({
      recordLimits: this.#limits,
      topology: deps.topology,
      options: this.options,
      store: this.#sink,
      effects: this.#effects,
      actors: this.#dispatcher,
      codec,
      failurePolicy: deps.topology.failurePolicy ?? retryThenDeadLetter(this.options.retry),
      clock: this.#clock,
      logger: this.#logger,
      metrics: this.metrics,
      prefix: this.#prefix,
    });
    this.#executor = executor;
    const ownership = this.options.ownership;
    const leaseMs = ownership.leaseMs ?? this.options.sessionTimeoutMs;
    this.#skew = ownership.leases
      ? new ClockSkewMonitor({ serverTime: deps.serverTime ?? helloServerTime(deps.db), clock: deps.leaseClock ?? systemClock, maxSkewMs: ownership.maxClockSkewMs ?? Math.max(1, Math.floor(leaseMs / 8)) })
      : null;
    this.#ownership = ownership.leases
      ? new PartitionLeases({
        db: deps.db,
        collection: `rt_${topology}_leases`,
        clock: deps.leaseClock ?? systemClock,
        ...(this.#skew === null ? {} : { skew: this.#skew }),
        timing: { leaseMs, pollMs: ownership.pollMs, handoffWarnMs: ownership.handoffWarnMs },
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
      effects: this.#effects,
      codec,
      logger: this.#logger,
      metrics: this.metrics,
    });
    this.#batches = new BatchHandler({ topologyName: topology, options: this.options, sessions: this.#sessions, dispatcher: this.#dispatcher, effects: this.#effects, logger: this.#logger, metrics: this.metrics });
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
    this.#producer = kafka.producer({ idempotent: true, maxInFlightRequests: this.options.producerMaxInFlight, allowAutoTopicCreation: false, createPartitioner: createKeyPartitioner });
    await this.#producer.connect();
    const topologyName = topology.name;
    this.#effects.attach(new Flusher({
      sender: this.#producer,
      sink: this.#sink,
      retry: this.options.retry,
      logger: this.#logger,
      maxProduceBytes: this.options.maxProduceBytes,
      maxAhead: this.options.maxUnwrittenItems,
      recordLimit: (topic) => this.#limits.limitFor(topic),
      hooks: {
        onCycle: (stats) => {
          this.metrics.flushSeconds.observe({ topology: topologyName }, stats.ms / 1_000);
          for (const phase of FLUSH_PHASES) this.metrics.flushPhaseSeconds.observe({ topology: topologyName, phase }, stats.phases[phase] / 1_000);
          if (stats.staleViews > 0) this.metrics.staleWrites.inc({ topology: topologyName, target: 'view' }, stats.staleViews);
          if (stats.staleStates > 0) this.metrics.staleWrites.inc({ topology: topologyName, target: 'state' }, stats.staleStates);
        },
        onRetry: () => this.metrics.flushRetries.inc({ topology: topologyName }),
      },
    }));
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
    this.#batches.attach(consumer);
    consumer.on(consumer.events.REBALANCING, () => {
      this.#rebalancing = true;
      this.#batches.releaseHeld(false);
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.#batches.releaseHeld(true);
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
      eachBatch: this.#batches.handle,
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
      // Records written to them are checked against each one's own max.message.bytes.
      const written = [...this.#deps.topology.inputs.map((input) => deadLetterTopicOf(input.topic)), ...(this.#deps.topology.outputs ?? [])].map((topic) => `${this.#prefix}${topic}`);
      for (const [topic, bytes] of await readTopicLimits(admin, written)) this.#limits.setTopicLimit(topic, bytes);
      if (Object.keys(this.#limits.lowered).length > 0) this.#logger.info({ limits: this.#limits.lowered }, 'record size limits lowered to topics\' max.message.bytes');
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
    this.#batches.stopping(Date.now() + this.options.drainTimeoutMs);
    if (this.#ticker !== null) clearInterval(this.#ticker);
    const hardStop = graceBound(this.options.drainTimeoutMs + 5_000);
    await this.#batches.drainHeld();
    await Promise.race([this.#consumer?.disconnect(), hardStop]);
    for (const session of this.#sessions.values()) {
      session.controller.abort();
      this.#sessions.dropParked(session);
    }
    this.#dispatcher.dropQueued(() => true);
    // Leases are released only once the flusher finished: a cycle still writing belongs to this
    // owner, and a new owner must not start before it landed. Otherwise they expire after leaseMs.
    const flushed = await Promise.race([this.#effects.close().then(() => true), graceBound(5_000).then(() => false)]);
    if (flushed) await Promise.race([this.#sessions.releaseQuiet(), graceBound(3_000)]);
    else this.#logger.warn('effects were still being written at stop; partition leases are left to expire');
    this.#ownership.stop();
    await Promise.race([this.#producer?.disconnect(), graceBound(2_000)]);
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
    if (this.#skew?.exceeded === true) {
      const offset = Math.round(this.#skew.last?.offsetMs ?? 0);
      return { name, live: true, ready: false, reason: `this host's clock is ${Math.abs(offset)} ms ${offset > 0 ? 'behind' : 'ahead of'} MongoDB's, beyond the ${this.#skew.maxSkewMs} ms bound: partition leases are given up until it is synchronised` };
    }
    return { name, live: true, ready: true };
  }

  async metricsText(): Promise<string> {
    this.#updateGauges();
    return this.metrics.text();
  }

  /** The lease was not renewed in time: stop the partition here and wait for the lease again. */
  #onLeaseLost(bucket: string): void {
    this.metrics.leasesLost.inc({ topology: this.#deps.topology.name });
    const session = this.#sessions.byBucket(bucket);
    if (session === undefined || session.controller.signal.aborted) return;
    if (this.#batches.restartIfTracked(session)) return;
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

  #tick(): void {
    if (this.#phase !== 'running') return;
    const now = this.#clock.now();
    if (!this.#rebalancing) {
      for (const session of this.#sessions.values()) {
        if (!session.timers.loaded || session.controller.signal.aborted) continue;
        for (const key of session.timers.takeDue(now)) this.#dispatcher.enqueue(key, timerItem(session, key));
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
    const skew = this.#skew?.last;
    if (skew != null) this.metrics.clockSkewSeconds.set({ topology }, skew.offsetMs / 1_000);
  }
}
