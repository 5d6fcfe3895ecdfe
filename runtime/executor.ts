import type { KafkaMessage } from 'kafkajs';
import type { Clock } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { deadLetterTopicOf } from '../schemas/index.js';
import type { TopicValues } from '../schemas/index.js';
import { abortableSleep } from './abort.js';
import type { Actor, Dispatcher, WorkItem } from './actors.js';
import type { InputRecord, Processor, ProcessorContext, ProcessorMetrics, TimerFired } from './contract.js';
import { fieldName, fromFieldName, validateDocument } from './documents.js';
import { ProcessorFailedError, WorkAbandonedError } from './errors.js';
import type { Flusher, FlushItem, OutboundMessage, TimerIndexChange } from './flusher.js';
import type { RuntimeMetrics } from './metrics.js';
import type { RuntimeOptions } from './options.js';
import type { GuardedUpsert, MongoSink } from './sink.js';
import { backoffDelay, classifyFailure, errorCode, errorMessage, waitsForRecovery } from './supervision.js';
import type { Topology, ValueDecoder } from './topology.js';

/** A timer as stored in its key's state document. */
export interface StoredTimer {
  readonly id: string;
  readonly stage: string;
  readonly due: number;
  readonly p: Record<string, unknown>;
}

/**
 * A key's state document `{_id: key, v, o, s, t}`: `v` counts state changes (the version guard),
 * `o` the last applied offset per input partition (records at or below it are already applied and
 * are skipped on redelivery), `s` the state of each stage, `t` the key's timers. State and timers
 * live in one document, so a timer's removal and the state its firing produced land atomically.
 */
export interface KeyDocument {
  v: number;
  o: Record<string, number>;
  s: Record<string, unknown>;
  t: Record<string, StoredTimer>;
}

export interface ActorMemory {
  doc: KeyDocument;
  /** Settles when the latest submitted effects are durable (or failed). */
  tail: Promise<void>;
}

/** One assigned partition while this worker owns it. */
export interface PartitionSession {
  readonly tag: string;
  /** Topic name as in Kafka (with prefix). */
  readonly topic: string;
  /** Topic name without prefix (as in the topology). */
  readonly logicalTopic: string;
  readonly partition: number;
  readonly inputIndex: number;
  readonly decode: ValueDecoder;
  readonly controller: AbortController;
  /** Timer index of this partition: key → earliest due time (what the bucket document says, or ahead of it). */
  index: Map<string, number>;
  indexLoaded: boolean;
  readonly timerPending: Set<string>;
  /** Lease bucket (`<topic>|<partition>`, the topic as in Kafka). */
  readonly bucket: string;
  /** The lease is held: items may run. Before that, fetched records wait in `parked`. */
  owned: boolean;
  parked: RecordItem[];
  /** Items of this partition inside the executor right now. */
  active: number;
  /** Resolved when `active` drops to 0. */
  quietWaiters: (() => void)[];
  /** False once the partition's lease is lost: effects not yet written are dropped. */
  readonly fence: () => boolean;
}

/** FNV-1a of the key, modulo the shard count. */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** Resolves when no item of the partition runs any more (their effects are submitted by then). */
export function whenQuiet(session: PartitionSession): Promise<void> {
  if (session.active === 0) return Promise.resolve();
  return new Promise((resolve) => session.quietWaiters.push(resolve));
}

interface ItemBase extends WorkItem {
  readonly session: PartitionSession;
}

export interface RecordItem extends ItemBase {
  readonly kind: 'record';
  readonly message: KafkaMessage;
  readonly key: string;
  /** Effects durable (or dead-lettered): the offset may be committed. */
  complete(): void;
}

export interface TimerItem extends ItemBase {
  readonly kind: 'timer';
}

export type RuntimeItem = RecordItem | TimerItem;

export interface ExecutorDeps {
  readonly topology: Topology;
  readonly options: RuntimeOptions;
  readonly sink: MongoSink;
  readonly flusher: Flusher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
  readonly prefix: string;
  readonly encode: (topic: keyof TopicValues, value: unknown) => Promise<Buffer>;
  readonly dispatcher: () => Dispatcher<ActorMemory, RuntimeItem>;
  readonly random?: () => number;
}

const DELETED = Symbol('deleted');
type StateWrite = unknown;

/** What one invocation (a record through the chain, or one timer) did. */
class Effects {
  /** In emit order; Avro values are still being encoded (promises), raw ones are ready. */
  readonly messages: (OutboundMessage | Promise<OutboundMessage>)[] = [];
  pendingEncodes = 0;
  readonly views: GuardedUpsert[] = [];
  readonly state = new Map<string, StateWrite>();
  readonly timers: { stage: string; id: string; due: number | null; p: Record<string, unknown> }[] = [];
  scheduled = 0;

  async resolveMessages(): Promise<OutboundMessage[]> {
    if (this.pendingEncodes === 0) return this.messages as OutboundMessage[];
    return Promise.all(this.messages.map((m) => (m instanceof Promise ? m : Promise.resolve(m))));
  }

  /** Settles the encodes of a failed attempt (no unhandled rejections). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.messages.filter((m): m is Promise<OutboundMessage> => m instanceof Promise));
  }
}

function headerStrings(headers: KafkaMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

function headerBuffers(headers: KafkaMessage['headers']): Record<string, string | Buffer> {
  const out: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first;
  }
  return out;
}

function minDue(timers: Record<string, StoredTimer>): number | null {
  let min: number | null = null;
  for (const timer of Object.values(timers)) if (min === null || timer.due < min) min = timer.due;
  return min;
}

/**
 * Runs one work item for an actor: loads its state on activation, skips records already applied,
 * decodes, runs the stage chain under supervision (transient failures retried with back-off, then
 * dead-lettered; permanent failures dead-lettered at once), and hands the effects to the flusher.
 * The actor goes on with its next item while the effects are written (its in-memory state is
 * authoritative while it lives); the record completes when its effects are durable.
 */
export class KeyExecutor {
  readonly #deps: ExecutorDeps;
  readonly #stateCollection: string;
  readonly #timerCollection: string;
  readonly #stateful: boolean;
  readonly #stageIndex: Map<string, number>;
  /** Labelled metric children, resolved once (a label lookup per record is measurable). */
  readonly #hot: {
    processed: { inc(): void };
    skipped: { inc(): void };
    latency: { observe(value: number): void };
    stage: Map<string, { observe(value: number): void }>;
  };

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
    this.#stateCollection = `rt_${deps.topology.name}_state`;
    this.#timerCollection = `rt_${deps.topology.name}_timers`;
    this.#stateful = deps.topology.stages.some((stage) => stage.stateful !== false);
    this.#stageIndex = new Map(deps.topology.stages.map((stage, index) => [stage.name, index]));
    const topology = deps.topology.name;
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
    return this.#timerCollection;
  }

  /**
   * The timer index document of a key: `<topic>|<partition>|<shard>`. A partition's index is spread
   * over `timerIndexShards` documents by a hash of the key, because FerretDB 1.x rewrites a whole
   * document on every update and slows down super-linearly with its size (a $set on a document of
   * 1,000 fields: 12 ms, 10,000: 469 ms, 40,000: 5.3 s).
   */
  bucketId(session: Pick<PartitionSession, 'logicalTopic' | 'partition'>, key: string): string {
    return `${session.logicalTopic}|${session.partition}|${shardOf(key, this.#deps.options.timerIndexShards)}`;
  }

  /** Loads a partition's timer index, every shard (retrying while the store is unavailable). */
  async loadIndex(session: PartitionSession): Promise<void> {
    const shards = this.#deps.options.timerIndexShards;
    const index = new Map<string, number>();
    for (let first = 0; first < shards; first += 8) {
      const ids = Array.from({ length: Math.min(8, shards - first) }, (_, i) => `${session.logicalTopic}|${session.partition}|${first + i}`);
      const docs = await Promise.all(ids.map((id) => this.#retryIo(session.controller.signal, () =>
        this.#deps.sink.findById<{ t?: Record<string, number> }>(this.#timerCollection, id),
      )));
      for (const doc of docs) for (const [field, due] of Object.entries(doc?.t ?? {})) index.set(fromFieldName(field), due);
    }
    session.index = index;
    session.indexLoaded = true;
  }

  execute = async (actor: Actor<ActorMemory, RuntimeItem>, item: RuntimeItem): Promise<void> => {
    const session = item.session;
    const signal = session.controller.signal;
    if (signal.aborted) {
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
        this.#deps.logger.error({ err: errorMessage(error), key: actor.key }, 'unexpected runtime failure; the item is abandoned and will be redelivered');
      }
      actor.stale = true;
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

  async #ensureLoaded(actor: Actor<ActorMemory, RuntimeItem>, signal: AbortSignal): Promise<void> {
    if (actor.state !== null && !actor.stale) return;
    if (actor.state !== null) await actor.state.tail;
    if (!this.#stateful) {
      actor.state = { doc: { v: 0, o: {}, s: {}, t: {} }, tail: Promise.resolve() };
      actor.stale = false;
      return;
    }
    const stored = await this.#retryIo(signal, () => this.#deps.sink.findById<KeyDocument & { _id: string }>(this.#stateCollection, actor.key));
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
        if (attempt === 1 || attempt % 20 === 0) this.#deps.logger.warn({ err: errorMessage(error), attempt }, 'store unavailable; retrying');
        await abortableSleep(backoffDelay(this.#deps.options.retry, attempt, this.#deps.random), signal);
      }
    }
  }

  async #runRecord(actor: Actor<ActorMemory, RuntimeItem>, item: RecordItem): Promise<void> {
    const { session, message } = item;
    const memory = actor.state as ActorMemory;
    const offset = Number(message.offset);
    const progressKey = `${session.inputIndex}-${session.partition}`;
    if ((memory.doc.o[progressKey] ?? -1) >= offset) {
      this.#hot.skipped.inc();
      item.complete();
      return;
    }
    let value: unknown;
    try {
      const decoded = message.value === null ? null : session.decode(message.value, session.logicalTopic);
      value = decoded instanceof Promise ? await decoded : decoded;
    } catch (error) {
      this.#deadLetter(actor, item, error, 1, 'decode');
      return;
    }
    const record: InputRecord<unknown> = {
      topic: session.logicalTopic,
      partition: session.partition,
      offset: message.offset,
      key: item.key,
      value,
      raw: message.value,
      headers: headerStrings(message.headers),
      timestamp: Number(message.timestamp),
    };
    const outcome = await this.#supervise(actor, session.controller.signal, (effects) => this.#runStage(0, record, actor, memory, effects));
    if (!outcome.ok) {
      this.#deadLetter(actor, item, outcome.error, outcome.attempts, outcome.stage);
      return;
    }
    this.#hot.processed.inc();
    const flush = this.#apply(actor, memory, session, outcome.effects, outcome.messages, { progressKey, offset });
    this.#submit(actor, memory, flush, () => {
      this.#hot.latency.observe(Math.max(0, this.#deps.clock.now() - record.timestamp) / 1_000);
      item.complete();
    }, () => item.abandon());
  }

  async #runTimers(actor: Actor<ActorMemory, RuntimeItem>, item: TimerItem): Promise<void> {
    const { session } = item;
    session.timerPending.delete(actor.key);
    const memory = actor.state as ActorMemory;
    const topology = this.#deps.topology.name;
    const now = this.#deps.clock.now();
    const due = Object.entries(memory.doc.t)
      .filter(([, timer]) => timer.due <= now)
      .sort(([, a], [, b]) => a.due - b.due || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (due.length === 0) {
      // The index was ahead of the state (a crash between the two writes): correct it.
      const flush = this.#apply(actor, memory, session, new Effects(), [], null);
      this.#submit(actor, memory, flush, () => undefined, () => undefined);
      return;
    }
    for (const [field, timer] of due) {
      if (memory.doc.t[field]?.due !== timer.due) continue;
      const stageIndex = this.#stageIndex.get(timer.stage);
      const fired: TimerFired = { id: timer.id, key: actor.key, dueAt: timer.due, payload: timer.p };
      const outcome = stageIndex === undefined
        ? { ok: false as const, error: new ProcessorFailedError(`No stage named ${timer.stage} for timer ${timer.id}.`), attempts: 1, stage: timer.stage }
        : await this.#supervise(actor, session.controller.signal, async (effects) => {
          const stage = this.#deps.topology.stages[stageIndex] as Processor<unknown, unknown>;
          const forwards: unknown[] = [];
          const ctx = this.#context(stageIndex, actor, memory, effects, forwards);
          const started = performance.now();
          await stage.onTimer?.(fired, ctx);
          this.#deps.metrics.processSeconds.observe({ processor: stage.name }, (performance.now() - started) / 1_000);
          await this.#forwardAll(stageIndex, forwards, this.#timerRecord(session, actor.key, timer), actor, memory, effects);
          return stage.name;
        });
      // The timer is consumed whatever happened: a timer whose handler fails permanently is logged
      // and counted, never fired again in a loop.
      delete memory.doc.t[field];
      if (!outcome.ok) {
        this.#deps.logger.error({ err: errorMessage(outcome.error), timer: timer.id, stage: timer.stage }, 'timer handler failed permanently; the timer is dropped');
        this.#deps.metrics.deadLetters.inc({ topic: 'timer', processor: timer.stage, code: errorCode(outcome.error) });
      }
      const effects = outcome.ok ? outcome.effects : new Effects();
      const flush = this.#apply(actor, memory, session, effects, outcome.ok ? outcome.messages : [], null, true);
      this.#deps.metrics.timersFired.inc({ topology });
      this.#deps.metrics.timerLagSeconds.observe({ topology }, Math.max(0, this.#deps.clock.now() - timer.due) / 1_000);
      this.#submit(actor, memory, flush, () => undefined, () => undefined);
    }
  }

  #timerRecord(session: PartitionSession, key: string, timer: StoredTimer): InputRecord<unknown> {
    return {
      topic: session.logicalTopic,
      partition: session.partition,
      offset: `timer:${timer.id}`,
      key,
      value: timer.p,
      raw: null,
      headers: {},
      timestamp: timer.due,
    };
  }

  async #runStage(index: number, record: InputRecord<unknown>, actor: Actor<ActorMemory, RuntimeItem>, memory: ActorMemory, effects: Effects): Promise<string> {
    const stage = this.#deps.topology.stages[index] as Processor<unknown, unknown>;
    const forwards: unknown[] = [];
    const ctx = this.#context(index, actor, memory, effects, forwards);
    const started = performance.now();
    try {
      const pending = stage.process(record, ctx);
      if (pending instanceof Promise) await pending;
    } catch (error) {
      throw Object.assign(error instanceof Error ? error : new ProcessorFailedError(String(error)), { hcStage: stage.name });
    } finally {
      this.#hot.stage.get(stage.name)?.observe((performance.now() - started) / 1_000);
    }
    if (forwards.length > 0) await this.#forwardAll(index, forwards, record, actor, memory, effects);
    return stage.name;
  }

  async #forwardAll(index: number, forwards: readonly unknown[], record: InputRecord<unknown>, actor: Actor<ActorMemory, RuntimeItem>, memory: ActorMemory, effects: Effects): Promise<void> {
    for (const value of forwards) {
      await this.#runStage(index + 1, { ...record, value }, actor, memory, effects);
    }
  }

  async #supervise(
    actor: Actor<ActorMemory, RuntimeItem>,
    signal: AbortSignal,
    run: (effects: Effects) => Promise<string>,
  ): Promise<{ ok: true; effects: Effects; messages: OutboundMessage[] } | { ok: false; error: unknown; attempts: number; stage: string }> {
    const { maxAttempts, unavailableMaxWaitMs } = this.#deps.options.retry;
    // Failures that say a dependency is unavailable wait for it (bounded by time, not attempts);
    // other transient failures use the attempt budget.
    let budgetUsed = 0;
    let waitedMs = 0;
    let waits = 0;
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
        const kind = classifyFailure(error);
        this.#deps.metrics.retries.inc({ processor: stage, kind });
        if (kind === 'permanent') return { ok: false, error, attempts: attempt, stage };
        let delay: number;
        const waiting = unavailableMaxWaitMs > 0 && waitsForRecovery(error);
        if (waiting) {
          waits += 1;
          delay = backoffDelay(this.#deps.options.retry, waits, this.#deps.random);
          if (waitedMs + delay > unavailableMaxWaitMs) return { ok: false, error, attempts: attempt, stage };
          waitedMs += delay;
        } else {
          budgetUsed += 1;
          if (budgetUsed >= maxAttempts) return { ok: false, error, attempts: attempt, stage };
          delay = backoffDelay(this.#deps.options.retry, budgetUsed, this.#deps.random);
        }
        this.#deps.logger.debug({ err: errorMessage(error), key: actor.key, attempt, waiting, waitedMs }, 'transient processor failure; retrying');
        await abortableSleep(delay, signal);
      }
    }
  }

  readonly #metricsByStage = new Map<string, ProcessorMetrics>();

  #stageMetrics(stage: string): ProcessorMetrics {
    let metrics = this.#metricsByStage.get(stage);
    if (metrics === undefined) {
      metrics = this.#deps.metrics.forProcessor(stage);
      this.#metricsByStage.set(stage, metrics);
    }
    return metrics;
  }

  #context(index: number, actor: Actor<ActorMemory, RuntimeItem>, memory: ActorMemory, effects: Effects, forwards: unknown[]): ProcessorContext<unknown> {
    const stage = this.#deps.topology.stages[index] as Processor<unknown, unknown>;
    return new StageContext(this.#deps, stage, index === this.#deps.topology.stages.length - 1, actor.key, memory, effects, forwards, this.#stageMetrics(stage.name));
  }

  /** Applies effects to the actor's memory and builds what the flusher writes. */
  #apply(
    actor: Actor<ActorMemory, RuntimeItem>,
    memory: ActorMemory,
    session: PartitionSession,
    effects: Effects,
    messages: readonly OutboundMessage[],
    progress: { progressKey: string; offset: number } | null,
    forceState = false,
  ): FlushItem {
    const doc = memory.doc;
    let changed = forceState;
    for (const [stage, value] of effects.state) {
      if (value === DELETED) delete doc.s[stage];
      else doc.s[stage] = value;
      changed = true;
    }
    for (const timer of effects.timers) {
      const field = fieldName(`${timer.stage}/${timer.id}`);
      if (timer.due === null) delete doc.t[field];
      else doc.t[field] = { id: timer.id, stage: timer.stage, due: timer.due, p: timer.p };
      changed = true;
    }
    let state: GuardedUpsert | null = null;
    if (changed && this.#stateful) {
      if (progress !== null) doc.o[progress.progressKey] = progress.offset;
      doc.v += 1;
      state = { collection: this.#stateCollection, id: actor.key, v: doc.v, doc: { o: { ...doc.o }, s: { ...doc.s }, t: { ...doc.t } } };
    }
    const timerIndex: TimerIndexChange[] = [];
    const indexed = session.index.get(actor.key) ?? null;
    const earliest = minDue(doc.t);
    if (this.#stateful && indexed !== earliest) {
      timerIndex.push({ collection: this.#timerCollection, bucket: this.bucketId(session, actor.key), field: fieldName(actor.key), before: indexed, after: earliest });
      if (earliest === null) session.index.delete(actor.key);
      else session.index.set(actor.key, earliest);
    }
    return { messages, views: effects.views, state, timerIndex, fence: session.fence };
  }

  #submit(actor: Actor<ActorMemory, RuntimeItem>, memory: ActorMemory, flush: FlushItem, onDurable: () => void, onFailed: () => void): void {
    actor.inflight += 1;
    const durable = this.#deps.flusher.submit(flush);
    memory.tail = durable.then(() => undefined, () => undefined);
    durable.then(onDurable, (error: unknown) => {
      // Not written (shutdown, revocation): the in-memory state is ahead of the store.
      actor.stale = true;
      if (!(error instanceof WorkAbandonedError)) this.#deps.logger.warn({ err: errorMessage(error) }, 'effects were not written');
      onFailed();
    }).finally(() => this.#deps.dispatcher().settled(actor));
  }

  #deadLetter(actor: Actor<ActorMemory, RuntimeItem>, item: RecordItem, error: unknown, attempts: number, stage: string): void {
    const { session, message } = item;
    const code = errorCode(error);
    const headers: Record<string, string | Buffer> = {
      ...headerBuffers(message.headers),
      'hc-error-code': code,
      'hc-error-message': errorMessage(error),
      'hc-attempts': String(attempts),
      'hc-processor': stage,
      'hc-source-topic': session.logicalTopic,
      'hc-source-partition': String(session.partition),
      'hc-source-offset': message.offset,
      'hc-failed-at': String(this.#deps.clock.now()),
    };
    this.#deps.logger.warn({ code, stage, topic: session.logicalTopic, partition: session.partition, offset: message.offset, attempts }, 'record dead-lettered');
    const memory = actor.state as ActorMemory;
    const flush: FlushItem = {
      messages: [{ topic: `${this.#deps.prefix}${deadLetterTopicOf(session.logicalTopic)}`, key: message.key, value: message.value, headers }],
      views: [],
      state: null,
      timerIndex: [],
      fence: session.fence,
    };
    this.#submit(actor, memory, flush, () => {
      this.#deps.metrics.deadLetters.inc({ topic: session.logicalTopic, processor: stage, code });
      this.#deps.metrics.records.inc({ topology: this.#deps.topology.name, outcome: 'dead_lettered' });
      item.complete();
    }, () => item.abandon());
  }
}

/**
 * The context a stage sees for one invocation. A class (not closures) because one is built per
 * record and stage: prototype methods keep the per-record cost to one small object.
 */
class StageContext implements ProcessorContext<unknown> {
  readonly key: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ProcessorMetrics;
  readonly state: StageState;
  readonly views: StageViews;
  readonly #deps: ExecutorDeps;
  readonly #stage: Processor<unknown, unknown>;
  readonly #isLast: boolean;
  readonly #effects: Effects;
  readonly #forwards: unknown[];

  constructor(deps: ExecutorDeps, stage: Processor<unknown, unknown>, isLast: boolean, key: string, memory: ActorMemory, effects: Effects, forwards: unknown[], metrics: ProcessorMetrics) {
    this.#deps = deps;
    this.#stage = stage;
    this.#isLast = isLast;
    this.#effects = effects;
    this.#forwards = forwards;
    this.key = key;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.metrics = metrics;
    this.state = new StageState(stage.name, memory, effects);
    this.views = new StageViews(effects);
  }

  emit<T extends keyof TopicValues>(topic: T, key: string, value: TopicValues[T]): void {
    const prefix = this.#deps.prefix;
    const promise = this.#deps.encode(topic, value).then((bytes): OutboundMessage => ({ topic: `${prefix}${topic}`, key, value: bytes }));
    promise.catch(() => undefined);
    this.#effects.messages.push(promise);
    this.#effects.pendingEncodes += 1;
  }

  emitRaw(topic: string, key: string | null, value: Buffer | null, headers?: Readonly<Record<string, string>>): void {
    const name = `${this.#deps.prefix}${topic}`;
    this.#effects.messages.push(headers === undefined ? { topic: name, key, value } : { topic: name, key, value, headers });
  }

  forward(value: unknown): void {
    if (this.#isLast) throw new ProcessorFailedError(`${this.#stage.name} is the last stage of ${this.#deps.topology.name}; there is no stage to forward to.`);
    this.#forwards.push(value);
  }

  schedule(at: number, payload: Record<string, unknown>, id?: string): string {
    const name = this.#stage.name;
    if (this.#stage.stateful === false) throw new ProcessorFailedError(`${name} schedules a timer but declares stateful: false; timers live in the key's state.`);
    if (!Number.isFinite(at)) throw new ProcessorFailedError(`${name} scheduled a timer at ${at}; give a UTC millisecond time.`);
    validateDocument(payload, `timer payload of ${name}`);
    const timerId = id ?? `${at}#${this.#effects.scheduled}`;
    this.#effects.scheduled += 1;
    this.#effects.timers.push({ stage: name, id: timerId, due: at, p: payload });
    return timerId;
  }

  cancel(id: string): void {
    this.#effects.timers.push({ stage: this.#stage.name, id, due: null, p: {} });
  }
}

class StageState {
  readonly #stage: string;
  readonly #memory: ActorMemory;
  readonly #effects: Effects;

  constructor(stage: string, memory: ActorMemory, effects: Effects) {
    this.#stage = stage;
    this.#memory = memory;
    this.#effects = effects;
  }

  get(): unknown {
    const written = this.#effects.state.get(this.#stage);
    if (written === DELETED) return undefined;
    return written !== undefined ? written : this.#memory.doc.s[this.#stage];
  }

  set(value: unknown): void {
    validateDocument(value, `state of ${this.#stage}`);
    this.#effects.state.set(this.#stage, value);
  }

  delete(): void {
    this.#effects.state.set(this.#stage, DELETED);
  }
}

class StageViews {
  readonly #effects: Effects;

  constructor(effects: Effects) {
    this.#effects = effects;
  }

  upsert(collection: string, id: string, version: number, document: Record<string, unknown>): void {
    if ('_id' in document || 'v' in document) throw new ProcessorFailedError(`A view document for ${collection} must not carry _id or v; the runtime sets them.`);
    validateDocument(document, `${collection}/${id}`);
    this.#effects.views.push({ collection, id, v: version, doc: document });
  }

  remove(collection: string, id: string, version: number): void {
    this.#effects.views.push({ collection, id, v: version, doc: null });
  }
}
