import type { Clock } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { abortableSleep } from './abort.js';
import type { Actor } from './actors.js';
import type { RecordEncoder } from './codec.js';
import { applyEffects, Effects, persistHooks, type StateTarget } from './context.js';
import type { InputRecord, Processor, TimerFired } from './contract.js';
import { DeadLetterWriter } from './dead-letters.js';
import { EffectRefusedError, ProcessorFailedError, WorkAbandonedError } from './errors.js';
import type { RecordFailurePolicy } from './failure-policy.js';
import { Attempts, type Attempt } from './attempts.js';
import { StageChain } from './stages.js';
import type { EffectTicket, FlushItem, OutboundMessage } from './flusher.js';
import { CallbackTicket, RecordTicket, type TicketHost } from './tickets.js';
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
  /** The same without a promise (the flusher): the ticket is told once. */
  enqueue?(item: FlushItem, ticket: EffectTicket): void;
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

/** The item left the executor: wakes a handoff waiting for the partition to be quiet. */
function leave(session: PartitionSession): void {
  session.active -= 1;
  if (session.active === 0 && session.quietWaiters.length > 0) {
    const waiters = session.quietWaiters;
    session.quietWaiters = [];
    for (const wake of waiters) wake();
  }
}

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
  readonly #stateCollection: string;
  readonly #failedTimerCollection: string;
  readonly #timerIndex: TimerIndexStore;
  readonly #deadLetters: DeadLetterWriter;
  readonly #stateful: boolean;
  readonly #stageIndex: Map<string, number>;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #attempts: Attempts;
  /** What applyEffects needs to know of this topology (built once, not per record). */
  readonly #target: StateTarget;
  readonly #tickets: TicketHost<Actor_>;
  /** Labelled metric children, resolved once (a label lookup per record is measurable). */
  readonly #hot: {
    processed: { inc(): void };
    skipped: { inc(): void };
    latency: { observe(value: number): void };
  };
  readonly #chain: StageChain;

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
    const topology = deps.topology.name;
    const limits = deps.recordLimits ?? new RecordLimits(deps.options.maxRecordBytes);
    const recordLimit = (topic: string): number => limits.limitFor(topic);
    this.#chain = new StageChain(deps.topology, { topologyName: topology, prefix: deps.prefix, clock: deps.clock, logger: deps.logger, codec: deps.codec, recordLimit }, deps.metrics);
    this.#stateCollection = `rt_${topology}_state`;
    this.#failedTimerCollection = `rt_${topology}_failed_timers`;
    this.#timerIndex = new TimerIndexStore({ collection: `rt_${topology}_timers`, shards: deps.options.timerIndexShards, reader: deps.store });
    this.#deadLetters = new DeadLetterWriter({ prefix: deps.prefix, recordLimit });
    this.#stateful = deps.topology.stages.some((stage) => stage.stateful !== false);
    this.#stageIndex = new Map(deps.topology.stages.map((stage, index) => [stage.name, index]));
    this.#sleep = deps.sleep ?? abortableSleep;
    this.#target = { stateful: this.#stateful, stateCollection: this.#stateCollection, timerIndex: this.#timerIndex, persist: persistHooks(deps.topology.stages) };
    this.#tickets = {
      settled: (actor) => deps.actors.settled(actor),
      notWritten: (error) => {
        if (!(error instanceof WorkAbandonedError)) deps.logger.warn({ err: safeErrorText(error), code: errorCode(error) }, 'effects were not written');
      },
      recordDurable: (item, timestamp) => {
        this.#hot.latency.observe(Math.max(0, deps.clock.now() - timestamp) / 1_000);
        item.complete();
      },
      recordFailed: (actor, item, error) => {
        // The broker or the store refused the record's effects for good: only this record fails.
        if (error instanceof EffectRefusedError) this.#deadLetter(actor, item, error, 1, 'flush');
        else {
          item.session.givenUp = true;
          item.abandon();
        }
      },
    };
    this.#attempts = new Attempts({ failurePolicy: deps.failurePolicy, metrics: deps.metrics, logger: deps.logger, firstStage: deps.topology.stages[0]?.name ?? 'unknown', sleep: this.#sleep });
    this.#hot = {
      processed: deps.metrics.recordCounter({ topology, outcome: 'processed' }),
      skipped: deps.metrics.recordCounter({ topology, outcome: 'skipped' }),
      latency: deps.metrics.recordLatencySeconds.labels({ topology }),
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

  /** Loads a partition's timer index, every shard (retrying); none in a stateless topology. */
  async loadIndex(session: PartitionSession): Promise<void> {
    if (!this.#stateful) session.timers.load(new Map());
    else await this.#timerIndex.load(session, (io) => this.#retryIo(session.controller.signal, io));
  }

  /**
   * Runs one item; returns undefined when it finished synchronously (a loaded actor, a synchronous
   * decoder and processors, no retry: the common case costs no promise), else a promise. Never
   * rejects or throws: failures are handled here.
   */
  execute = (actor: Actor_, item: RuntimeItem): Promise<void> | undefined => {
    const session = item.session;
    // After a record of the partition was given up, later ones must not run before the restart:
    // on state reloaded without its effects, a later record of its key would be applied and
    // written, moving the key's replay guard past the given-up one, which the restart then skips
    // as applied: lost (found by the reliability suite's 100,000-change run under lease losses).
    if (session.controller.signal.aborted || session.givenUp) {
      item.abandon();
      return undefined;
    }
    session.active += 1;
    let running: Promise<void> | undefined;
    try {
      if (actor.state === null || actor.stale) running = this.#loadThenRun(actor, item);
      else running = item.kind === 'record' ? this.#runRecord(actor, item) : this.#runTimers(actor, item);
    } catch (error) {
      this.#failed(actor, item, error);
    }
    if (running === undefined) {
      leave(session);
      return undefined;
    }
    return running.then(
      () => leave(session),
      (error: unknown) => {
        this.#failed(actor, item, error);
        leave(session);
      },
    );
  };

  async #loadThenRun(actor: Actor_, item: RuntimeItem): Promise<void> {
    await this.#ensureLoaded(actor, item.session.controller.signal);
    if (item.kind === 'record') await this.#runRecord(actor, item);
    else await this.#runTimers(actor, item);
  }

  #failed(actor: Actor_, item: RuntimeItem, error: unknown): void {
    if (!(error instanceof WorkAbandonedError)) {
      this.#deps.logger.error({ err: safeErrorText(error), code: errorCode(error), key: actor.key }, 'unexpected runtime failure; the item is abandoned and will be redelivered');
    }
    actor.stale = true;
    item.session.givenUp = true;
    item.abandon();
  }

  async #ensureLoaded(actor: Actor_, signal: AbortSignal): Promise<void> {
    if (actor.state !== null && !actor.stale) return;
    // Effects still being written: the store is read once they settled.
    if (actor.state !== null) await actor.whenSettled();
    if (!this.#stateful) {
      actor.state = { doc: { v: 0, o: {}, s: {}, t: {} } };
      actor.stale = false;
      return;
    }
    const stored = await this.#retryIo(signal, () => this.#deps.store.findById<KeyDocument & { _id: string }>(this.#stateCollection, actor.key));
    actor.state = {
      doc: { v: stored?.v ?? 0, o: { ...(stored?.o ?? {}) }, s: { ...(stored?.s ?? {}) }, t: { ...(stored?.t ?? {}) } },
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

  #runRecord(actor: Actor_, item: RecordItem): Promise<void> | undefined {
    const { session, message } = item;
    const memory = actor.state as ActorMemory;
    const offset = Number(message.offset);
    const progressKey = `${session.inputIndex}-${session.partition}`;
    if ((memory.doc.o[progressKey] ?? -1) >= offset) {
      this.#hot.skipped.inc();
      item.complete();
      return undefined;
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
    // Decoding runs under supervision too (an unreachable registry waits like a KMS); inline, as a named arrow costs a defineProperty per record under tsx.
    const outcome = this.#attempts.run(actor.key, session.controller.signal, 'record', (effects: Effects): string | Promise<string> => {
      if (!decoded) {
        let value: unknown;
        try {
          value = session.decode(message.value as Buffer, session.logicalTopic);
        } catch (error) {
          throw withStage(error, 'decode');
        }
        if (value instanceof Promise) {
          return value.then((resolved: unknown) => {
            record.value = resolved;
            decoded = true;
            return this.#chain.runStage(0, record, actor.key, memory, effects);
          }, (error: unknown) => {
            throw withStage(error, 'decode');
          });
        }
        record.value = value;
        decoded = true;
      }
      return this.#chain.runStage(0, record, actor.key, memory, effects);
    });
    if (outcome instanceof Promise) return outcome.then((settled) => this.#recordDone(actor, memory, item, record.timestamp, progressKey, offset, settled));
    this.#recordDone(actor, memory, item, record.timestamp, progressKey, offset, outcome);
    return undefined;
  }

  #recordDone(actor: Actor_, memory: ActorMemory, item: RecordItem, timestamp: number, progressKey: string, offset: number, outcome: Attempt): void {
    const { session } = item;
    if (!outcome.ok) {
      this.#deadLetter(actor, item, outcome.error, outcome.attempts, outcome.stage);
      return;
    }
    this.#hot.processed.inc();
    const flush = this.#apply(actor, memory, session, outcome.effects, outcome.messages, { progressKey, offset });
    this.#submit(actor, flush, new RecordTicket(this.#tickets, actor, item, timestamp));
    item.processed?.();
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
        this.#submitWith(actor, this.#apply(actor, memory, session, new Effects(), [], null), () => undefined, () => undefined);
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
      : await this.#attempts.run(actor.key, session.controller.signal, 'timer', async (effects) => {
        const stage = this.#deps.topology.stages[stageIndex] as Processor<unknown, unknown>;
        const forwards: unknown[] = [];
        const started = performance.now();
        try {
          await stage.onTimer?.(fired, this.#chain.newContext(stageIndex, actor.key, memory, effects, forwards));
        } catch (error) {
          throw withStage(error, stage.name);
        }
        this.#deps.metrics.processSeconds.observe({ processor: stage.name }, (performance.now() - started) / 1_000);
        await this.#chain.forwardAll(stageIndex, forwards, this.#timerRecord(session, actor.key, timer), actor.key, memory, effects);
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
    this.#submitWith(actor, flush, () => {
      if (!outcome.ok) this.#deps.metrics.timersFailed.inc({ topology, processor: timer.stage, code: errorCode(outcome.error) });
    }, () => undefined);
    if (!outcome.ok) {
      this.#deps.logger.error({ code: errorCode(outcome.error), err: safeErrorText(outcome.error), timer: timer.id, stage: timer.stage, collection: this.#failedTimerCollection }, 'timer handler failed permanently; the timer was moved to the failed-timer collection');
    }
  }

  #timerRecord(session: PartitionSession, key: string, timer: StoredTimer): InputRecord<unknown> {
    return { topic: session.logicalTopic, partition: session.partition, offset: `timer:${timer.id}`, key, value: timer.p, raw: null, headers: {}, timestamp: timer.due };
  }

  /** Applies effects to the actor's memory and builds what the effect writer writes. */
  #apply(actor: Actor_, memory: ActorMemory, session: PartitionSession, effects: Effects, messages: readonly OutboundMessage[], progress: { progressKey: string; offset: number } | null, forceState = false): FlushItem {
    return applyEffects(this.#target, actor.key, memory, session, { effects, messages, progress, forceState });
  }

  #submit(actor: Actor_, flush: FlushItem, ticket: EffectTicket): void {
    actor.inflight += 1;
    const writer = this.#deps.effects;
    if (writer.enqueue !== undefined) writer.enqueue(flush, ticket);
    else writer.submit(flush).then(() => ticket.durable(), (error: unknown) => ticket.failed(error));
  }

  #submitWith(actor: Actor_, flush: FlushItem, onDurable: () => void, onFailed: (error: unknown) => void): void {
    this.#submit(actor, flush, new CallbackTicket(this.#tickets, actor, onDurable, onFailed));
  }

  #deadLetter(actor: Actor_, item: RecordItem, error: unknown, attempts: number, stage: string): void {
    const { session, message } = item;
    const code = errorCode(error);
    this.#deps.logger.warn({ code, stage, topic: session.logicalTopic, partition: session.partition, offset: message.offset, attempts }, 'record dead-lettered');
    const letter = this.#deadLetters.build(session, message, { error, attempts, stage }, this.#deps.clock.now());
    const flush: FlushItem = { messages: [letter], views: [], state: null, timerIndex: [], fence: session.fence };
    this.#submitWith(actor, flush, () => {
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
