import type { Clock } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { abortableSleep } from './abort.js';
import type { Actor } from './actors.js';
import type { RecordEncoder } from './codec.js';
import { applyEffects, Effects, StageContext, type ContextDeps } from './context.js';
import type { InputRecord, Processor, ProcessorMetrics, TimerFired } from './contract.js';
import { DeadLetterWriter } from './dead-letters.js';
import { EffectRefusedError, ProcessorFailedError, WorkAbandonedError } from './errors.js';
import type { FailureTracker, RecordFailurePolicy } from './failure-policy.js';
import type { FlushItem, OutboundMessage } from './flusher.js';
import type { RuntimeMetrics } from './metrics.js';
import type { RuntimeOptions } from './options.js';
import { backoffDelay, classifyFailure, errorCode, safeErrorText } from './supervision.js';
import { failedTimerDocument, TimerIndexStore, type IndexReader } from './timers.js';
import type { Topology } from './topology.js';
import { RecordLimits } from './record-limits.js';
import { headerStrings, withStage, type ActorMemory, type KeyDocument, type PartitionSession, type RecordItem, type RuntimeItem, type StoredTimer, type TimerItem } from './work.js';

/** Where effects go: the flusher (group commit to Kafka and MongoDB), or the test driver's memory. */
export interface EffectWriter {
  /** Resolves when the item is durable; rejects with WorkAbandonedError (fenced, stopping) or EffectRefusedError. */
  submit(item: FlushItem): Promise<void>;
}

/** Told when an actor's submitted effects settled (durable or failed). */
export interface ActorSettlement {
  settled(actor: Actor<ActorMemory, RuntimeItem>): void;
}

export interface ExecutorDeps {
  readonly topology: Topology;
  readonly options: RuntimeOptions;
  readonly store: IndexReader;
  readonly effects: EffectWriter;
  readonly actors: ActorSettlement;
  readonly codec: RecordEncoder;
  readonly failurePolicy: RecordFailurePolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
  readonly prefix: string;
  readonly random?: () => number;
  /** Per-topic record limits (default: runtime.maxRecordBytes for every topic). */
  readonly recordLimits?: RecordLimits;
  /** Back-off sleeps (default real time); the test driver moves its manual clock instead. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

type Actor_ = Actor<ActorMemory, RuntimeItem>;
type Attempt = { ok: true; effects: Effects; messages: OutboundMessage[] } | { ok: false; error: unknown; attempts: number; stage: string };

/**
 * Runs one work item for an actor: loads its state on activation, skips records already applied,
 * decodes and runs the stage chain under the topology's failure policy (failure-policy.ts), and
 * hands the effects to the effect writer. The actor goes on with its next item while the effects
 * are written (its in-memory state is authoritative while it lives); the record completes when its
 * effects are durable. Stage contexts are in context.ts, the timer index in timers.ts, dead letters
 * in dead-letters.ts.
 */
export class KeyExecutor {
  readonly #deps: ExecutorDeps;
  readonly #context: ContextDeps;
  readonly #stateCollection: string;
  readonly #failedTimerCollection: string;
  readonly #timerIndex: TimerIndexStore;
  readonly #deadLetters: DeadLetterWriter;
  readonly #stateful: boolean;
  readonly #stageIndex: Map<string, number>;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Labelled metric children, resolved once (a label lookup per record is measurable). */
  readonly #hot: {
    processed: { inc(): void };
    skipped: { inc(): void };
    latency: { observe(value: number): void };
    stage: Map<string, { observe(value: number): void }>;
  };
  readonly #metricsByStage = new Map<string, ProcessorMetrics>();

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
    const topology = deps.topology.name;
    const limits = deps.recordLimits ?? new RecordLimits(deps.options.maxRecordBytes);
    const recordLimit = (topic: string): number => limits.limitFor(topic);
    this.#context = { topologyName: topology, prefix: deps.prefix, clock: deps.clock, logger: deps.logger, codec: deps.codec, recordLimit };
    this.#stateCollection = `rt_${topology}_state`;
    this.#failedTimerCollection = `rt_${topology}_failed_timers`;
    this.#timerIndex = new TimerIndexStore({ collection: `rt_${topology}_timers`, shards: deps.options.timerIndexShards, reader: deps.store });
    this.#deadLetters = new DeadLetterWriter({ prefix: deps.prefix, recordLimit });
    this.#stateful = deps.topology.stages.some((stage) => stage.stateful !== false);
    this.#stageIndex = new Map(deps.topology.stages.map((stage, index) => [stage.name, index]));
    this.#sleep = deps.sleep ?? abortableSleep;
    this.#hot = {
      processed: deps.metrics.records.labels({ topology, outcome: 'processed' }),
      skipped: deps.metrics.records.labels({ topology, outcome: 'skipped' }),
      latency: deps.metrics.recordLatencySeconds.labels({ topology }),
      stage: new Map(deps.topology.stages.map((stage) => [stage.name, deps.metrics.processSeconds.labels({ processor: stage.name })])),
    };
  }

  get stateCollection(): string {
    return this.#stateCollection;
  }

  get timerCollection(): string {
    return this.#timerIndex.collection;
  }

  get failedTimerCollection(): string {
    return this.#failedTimerCollection;
  }

  /** The timer index document of a key: `<topic>|<partition>|<shard>` (timers.ts). */
  bucketId(session: Pick<PartitionSession, 'logicalTopic' | 'partition'>, key: string): string {
    return this.#timerIndex.bucketId(session, key);
  }

  /** Loads a partition's timer index, every shard (retrying while the store is unavailable). */
  async loadIndex(session: PartitionSession): Promise<void> {
    await this.#timerIndex.load(session, (io) => this.#retryIo(session.controller.signal, io));
  }

  execute = async (actor: Actor_, item: RuntimeItem): Promise<void> => {
    const session = item.session;
    const signal = session.controller.signal;
    // After a record of the partition was given up, later ones must not run before the restart:
    // on state reloaded without its effects, a later record of its key would be applied and
    // written, moving the key's replay guard past the given-up one, which the restart then skips
    // as applied: lost (found by the reliability suite's 100,000-change run under lease losses).
    if (signal.aborted || session.givenUp) {
      item.abandon();
      return;
    }
    session.active += 1;
    try {
      if (actor.state === null || actor.stale) await this.#ensureLoaded(actor, signal);
      if (item.kind === 'record') await this.#runRecord(actor, item);
      else await this.#runTimers(actor, item);
    } catch (error) {
      if (!(error instanceof WorkAbandonedError)) {
        this.#deps.logger.error({ err: safeErrorText(error), code: errorCode(error), key: actor.key }, 'unexpected runtime failure; the item is abandoned and will be redelivered');
      }
      actor.stale = true;
      session.givenUp = true;
      item.abandon();
    } finally {
      session.active -= 1;
      if (session.active === 0 && session.quietWaiters.length > 0) {
        const waiters = session.quietWaiters;
        session.quietWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  };

  async #ensureLoaded(actor: Actor_, signal: AbortSignal): Promise<void> {
    if (actor.state !== null && !actor.stale) return;
    if (actor.state !== null) await actor.state.tail;
    if (!this.#stateful) {
      actor.state = { doc: { v: 0, o: {}, s: {}, t: {} }, tail: Promise.resolve() };
      actor.stale = false;
      return;
    }
    const stored = await this.#retryIo(signal, () => this.#deps.store.findById<KeyDocument & { _id: string }>(this.#stateCollection, actor.key));
    actor.state = {
      doc: { v: stored?.v ?? 0, o: { ...(stored?.o ?? {}) }, s: { ...(stored?.s ?? {}) }, t: { ...(stored?.t ?? {}) } },
      tail: Promise.resolve(),
    };
    actor.stale = false;
  }

  async #retryIo<T>(signal: AbortSignal, io: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await io();
      } catch (error) {
        if (classifyFailure(error) !== 'transient') throw error;
        if (attempt === 1 || attempt % 20 === 0) this.#deps.logger.warn({ err: safeErrorText(error), attempt }, 'store unavailable; retrying');
        await this.#sleep(backoffDelay(this.#deps.options.retry, attempt, this.#deps.random), signal);
      }
    }
  }

  async #runRecord(actor: Actor_, item: RecordItem): Promise<void> {
    const { session, message } = item;
    const memory = actor.state as ActorMemory;
    const offset = Number(message.offset);
    const progressKey = `${session.inputIndex}-${session.partition}`;
    if ((memory.doc.o[progressKey] ?? -1) >= offset) {
      this.#hot.skipped.inc();
      item.complete();
      return;
    }
    const record: { -readonly [K in keyof InputRecord<unknown>]: InputRecord<unknown>[K] } = {
      topic: session.logicalTopic,
      partition: session.partition,
      offset: message.offset,
      key: item.key,
      value: null,
      raw: message.value,
      headers: headerStrings(message.headers),
      timestamp: Number(message.timestamp),
    };
    let decoded = message.value === null;
    // Decoding runs under supervision too: a registry that cannot be reached waits like a KMS.
    const outcome = await this.#supervise(actor, session.controller.signal, 'record', async (effects) => {
      if (!decoded) {
        try {
          const value = session.decode(message.value as Buffer, session.logicalTopic);
          record.value = value instanceof Promise ? await value : value;
        } catch (error) {
          throw withStage(error, 'decode');
        }
        decoded = true;
      }
      return this.#runStage(0, record, actor, memory, effects);
    });
    if (!outcome.ok) {
      this.#deadLetter(actor, item, outcome.error, outcome.attempts, outcome.stage);
      return;
    }
    this.#hot.processed.inc();
    const flush = this.#apply(actor, memory, session, outcome.effects, outcome.messages, { progressKey, offset });
    this.#submit(actor, memory, flush, () => {
      this.#hot.latency.observe(Math.max(0, this.#deps.clock.now() - record.timestamp) / 1_000);
      item.complete();
    }, (error) => {
      // The broker or the store refused the record's effects for good: only this record fails.
      if (error instanceof EffectRefusedError) this.#deadLetter(actor, item, error, 1, 'flush');
      else {
        session.givenUp = true;
        item.abandon();
      }
    });    item.processed?.();
  }

  async #runTimers(actor: Actor_, item: TimerItem): Promise<void> {
    const { session } = item;
    session.timers.started(actor.key);
    try {
      const memory = actor.state as ActorMemory;
      const now = this.#deps.clock.now();
      const due = Object.entries(memory.doc.t)
        .filter(([, timer]) => timer.due <= now)
        .sort(([, a], [, b]) => a.due - b.due || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (due.length === 0) {
        // The index was ahead of the state (a crash between the two writes): correct it.
        this.#submit(actor, memory, this.#apply(actor, memory, session, new Effects(), [], null), () => undefined, () => undefined);
        return;
      }
      for (const [field, timer] of due) {
        if (memory.doc.t[field]?.due !== timer.due) continue;
        await this.#fireTimer(actor, memory, session, field, timer);
      }
    } finally {
      session.timers.release(actor.key);
    }
  }

  async #fireTimer(actor: Actor_, memory: ActorMemory, session: PartitionSession, field: string, timer: StoredTimer): Promise<void> {
    const topology = this.#deps.topology.name;
    const stageIndex = this.#stageIndex.get(timer.stage);
    const fired: TimerFired = { id: timer.id, key: actor.key, dueAt: timer.due, payload: timer.p };
    const outcome: Attempt = stageIndex === undefined
      ? { ok: false, error: new ProcessorFailedError(`No stage named ${timer.stage} for timer ${timer.id}.`), attempts: 1, stage: timer.stage }
      : await this.#supervise(actor, session.controller.signal, 'timer', async (effects) => {
        const stage = this.#deps.topology.stages[stageIndex] as Processor<unknown, unknown>;
        const forwards: unknown[] = [];
        const started = performance.now();
        try {
          await stage.onTimer?.(fired, this.#newContext(stageIndex, actor, memory, effects, forwards));
        } catch (error) {
          throw withStage(error, stage.name);
        }
        this.#deps.metrics.processSeconds.observe({ processor: stage.name }, (performance.now() - started) / 1_000);
        await this.#forwardAll(stageIndex, forwards, this.#timerRecord(session, actor.key, timer), actor, memory, effects);
        return stage.name;
      });
    // The timer is consumed whatever happened: a timer whose handler fails for good goes to the
    // failed-timer collection (with the state change, atomically enough: same cycle), never loops.
    delete memory.doc.t[field];
    const effects = outcome.ok ? outcome.effects : new Effects();
    if (!outcome.ok) effects.views.push(failedTimerDocument(this.#failedTimerCollection, actor.key, timer, outcome, this.#deps.clock.now()));
    const flush = this.#apply(actor, memory, session, effects, outcome.ok ? outcome.messages : [], null, true);
    this.#deps.metrics.timersFired.inc({ topology });
    this.#deps.metrics.timerLagSeconds.observe({ topology }, Math.max(0, this.#deps.clock.now() - timer.due) / 1_000);
    this.#submit(actor, memory, flush, () => {
      if (!outcome.ok) this.#deps.metrics.timersFailed.inc({ topology, processor: timer.stage, code: errorCode(outcome.error) });
    }, () => undefined);
    if (!outcome.ok) {
      this.#deps.logger.error({ code: errorCode(outcome.error), err: safeErrorText(outcome.error), timer: timer.id, stage: timer.stage, collection: this.#failedTimerCollection }, 'timer handler failed permanently; the timer was moved to the failed-timer collection');
    }
  }

  #timerRecord(session: PartitionSession, key: string, timer: StoredTimer): InputRecord<unknown> {
    return { topic: session.logicalTopic, partition: session.partition, offset: `timer:${timer.id}`, key, value: timer.p, raw: null, headers: {}, timestamp: timer.due };
  }

  async #runStage(index: number, record: InputRecord<unknown>, actor: Actor_, memory: ActorMemory, effects: Effects): Promise<string> {
    const stage = this.#deps.topology.stages[index] as Processor<unknown, unknown>;
    const forwards: unknown[] = [];
    const ctx = this.#newContext(index, actor, memory, effects, forwards);
    const started = performance.now();
    try {
      const pending = stage.process(record, ctx);
      if (pending instanceof Promise) await pending;
    } catch (error) {
      throw withStage(error, stage.name);
    } finally {
      this.#hot.stage.get(stage.name)?.observe((performance.now() - started) / 1_000);
    }
    if (forwards.length > 0) await this.#forwardAll(index, forwards, record, actor, memory, effects);
    return stage.name;
  }

  async #forwardAll(index: number, forwards: readonly unknown[], record: InputRecord<unknown>, actor: Actor_, memory: ActorMemory, effects: Effects): Promise<void> {
    for (const value of forwards) await this.#runStage(index + 1, { ...record, value }, actor, memory, effects);
  }

  /** Runs attempts until one succeeds or the failure policy gives the item up. */
  async #supervise(actor: Actor_, signal: AbortSignal, kind: 'record' | 'timer', run: (effects: Effects) => Promise<string>): Promise<Attempt> {
    let tracker: FailureTracker | null = null;
    for (let attempt = 1; ; attempt += 1) {
      const effects = new Effects();
      let stage = this.#deps.topology.stages[0]?.name ?? 'unknown';
      try {
        stage = await run(effects);
        const messages = effects.pendingEncodes === 0 ? (effects.messages as OutboundMessage[]) : await effects.resolveMessages();
        return { ok: true, effects, messages };
      } catch (error) {
        // Settle the other encodes of the failed attempt (no unhandled rejections).
        await effects.settle();
        const failedStage = (error as { hcStage?: unknown }).hcStage;
        if (typeof failedStage === 'string') stage = failedStage;
        tracker ??= this.#deps.failurePolicy.start();
        const decision = tracker.decide({ error, attempt, stage, key: actor.key, item: kind });
        this.#deps.metrics.retries.inc({ processor: stage, kind: decision.kind });
        if (decision.action === 'dead-letter') return { ok: false, error, attempts: attempt, stage };
        this.#deps.logger.debug({ err: safeErrorText(error), code: errorCode(error), key: actor.key, attempt, waiting: decision.waiting }, 'transient processor failure; retrying');
        await this.#sleep(decision.delayMs, signal);
      }
    }
  }

  #newContext(index: number, actor: Actor_, memory: ActorMemory, effects: Effects, forwards: unknown[]): StageContext {
    const stage = this.#deps.topology.stages[index] as Processor<unknown, unknown>;
    let metrics = this.#metricsByStage.get(stage.name);
    if (metrics === undefined) {
      metrics = this.#deps.metrics.forProcessor(stage.name);
      this.#metricsByStage.set(stage.name, metrics);
    }
    return new StageContext(this.#context, stage, index === this.#deps.topology.stages.length - 1, actor.key, memory, effects, forwards, metrics);
  }

  /** Applies effects to the actor's memory and builds what the effect writer writes. */
  #apply(actor: Actor_, memory: ActorMemory, session: PartitionSession, effects: Effects, messages: readonly OutboundMessage[], progress: { progressKey: string; offset: number } | null, forceState = false): FlushItem {
    const target = { stateful: this.#stateful, stateCollection: this.#stateCollection, timerIndex: this.#timerIndex };
    return applyEffects(target, actor.key, memory, session, { effects, messages, progress, forceState });
  }

  #submit(actor: Actor_, memory: ActorMemory, flush: FlushItem, onDurable: () => void, onFailed: (error: unknown) => void): void {
    actor.inflight += 1;
    const durable = this.#deps.effects.submit(flush);
    memory.tail = durable.then(() => undefined, () => undefined);
    durable.then(onDurable, (error: unknown) => {
      // Not written (shutdown, revocation, refused): the in-memory state is ahead of the store.
      actor.stale = true;
      if (!(error instanceof WorkAbandonedError)) this.#deps.logger.warn({ err: safeErrorText(error), code: errorCode(error) }, 'effects were not written');
      onFailed(error);
    }).finally(() => this.#deps.actors.settled(actor));
  }

  #deadLetter(actor: Actor_, item: RecordItem, error: unknown, attempts: number, stage: string): void {
    const { session, message } = item;
    const code = errorCode(error);
    this.#deps.logger.warn({ code, stage, topic: session.logicalTopic, partition: session.partition, offset: message.offset, attempts }, 'record dead-lettered');
    const letter = this.#deadLetters.build(session, message, { error, attempts, stage }, this.#deps.clock.now());
    const flush: FlushItem = { messages: [letter], views: [], state: null, timerIndex: [], fence: session.fence };
    this.#submit(actor, actor.state as ActorMemory, flush, () => {
      this.#deps.metrics.deadLetters.inc({ topic: session.logicalTopic, processor: stage, code });
      this.#deps.metrics.records.inc({ topology: this.#deps.topology.name, outcome: 'dead_lettered' });
      item.complete();
    }, (failure) => {
      if (failure instanceof EffectRefusedError) {
        // Even the dead letter was refused: counted and logged (codes only), the partition goes on.
        this.#deps.metrics.deadLetters.inc({ topic: session.logicalTopic, processor: stage, code: 'HC_ERR_RUNTIME_EFFECT_REFUSED' });
        this.#deps.logger.error({ code, topic: session.logicalTopic, partition: session.partition, offset: message.offset }, 'the dead letter itself was refused; the record is skipped');
        item.complete();
      } else {
        session.givenUp = true;
        item.abandon();
      }
    });
    item.processed?.();
  }
}
