import { setImmediate as nextTurn } from 'node:timers/promises';
import { ManualClock } from '../../common/index.js';
import { silentLogger, type Logger } from '../../common/index.js';
import type { TopicValues } from '../../schemas/index.js';
import { Dispatcher } from '../actors.js';
import type { RecordCodec } from '../codec.js';
import { TopologyInvalidError } from '../errors.js';
import { KeyExecutor } from '../executor.js';
import { retryThenDeadLetter } from '../failure-policy.js';
import type { FlushItem } from '../flusher.js';
import { RuntimeMetrics } from '../metrics.js';
import { compileRuntimeOptions, type RuntimeOptionsInput } from '../options.js';
import { DueTimers } from '../timers.js';
import type { Topology, ValueDecoder } from '../topology.js';
import { timerItem, type ActorMemory, type KeyDocument, type PartitionSession, type RecordItem, type RuntimeItem, type StoredTimer } from '../work.js';
import { MemoryWorld, testMessage, type TestOutput } from './memory.js';

/** A codec for the driver: encodes emits and decodes what `pipeRaw` pipes and what was written. */
export interface TestCodec {
  encode(topic: keyof TopicValues, value: unknown): Promise<Buffer>;
  decode(topic: string, bytes: Buffer): Promise<unknown>;
}

export interface TopologyTestDriverOptions {
  readonly clock?: ManualClock;
  /** Runtime options (retry policy, maxRecordBytes...). */
  readonly options?: RuntimeOptionsInput;
  /** Default: values pass through in memory (emits are read back as emitted). */
  readonly codec?: TestCodec;
  readonly logger?: Logger;
  readonly partitions?: number;
  readonly random?: () => number;
  /** Called at each retry back-off (after the clock moved by `ms`): lets a test change the world between attempts. */
  readonly onBackoff?: (ms: number) => Promise<void> | void;
  /** Refuses an effect write (returns the error the broker or store would raise), for failure tests. */
  readonly refuseWrite?: (item: FlushItem) => unknown;
}

export interface PipeOptions {
  /** The record's bytes (what a dead letter carries); default an empty buffer. */
  readonly raw?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timestamp?: number;
  readonly partition?: number;
}

/**
 * Runs a topology's real executor in memory with a manual clock, like Kafka Streams'
 * TopologyTestDriver: pipe input records, advance time (durable timers fire in due order, retry
 * back-offs move the clock instead of waiting), and read what the topology wrote — outputs, dead
 * letters, views, per-key state, timers, failed timers, processor counters. Supervision, the
 * failure policy, dead letters, the replay guard and the stage chain are the runtime's own; only
 * Kafka and MongoDB are replaced by memory.
 */
export class TopologyTestDriver {
  readonly clock: ManualClock;
  readonly metrics = new RuntimeMetrics();
  readonly #topology: Topology;
  readonly #world: MemoryWorld;
  readonly #executor: KeyExecutor;
  readonly #dispatcher: Dispatcher<ActorMemory, RuntimeItem>;
  readonly #sessions = new Map<string, PartitionSession>();
  readonly #codec: RecordCodec;
  readonly #pipedValues = new WeakMap<Buffer, unknown>();
  readonly #encoded = new Map<string, unknown>();
  readonly #offsets = new Map<string, number>();
  readonly #partitions: number;
  readonly #logger: Logger;
  #initialized = false;

  constructor(topology: Topology, options: TopologyTestDriverOptions = {}) {
    this.#topology = topology;
    this.clock = options.clock ?? new ManualClock();
    this.#logger = options.logger ?? silentLogger;
    this.#partitions = options.partitions ?? 1;
    const runtimeOptions = compileRuntimeOptions({ ...(options.options ?? {}), ownership: { leases: false } });
    this.#codec = this.#makeCodec(options.codec);
    this.#world = new MemoryWorld((topic, bytes) => this.#readBack(topic, bytes, options.codec), options.refuseWrite);
    this.#dispatcher = new Dispatcher<ActorMemory, RuntimeItem>({
      maxConcurrent: runtimeOptions.maxConcurrentKeys,
      maxActors: runtimeOptions.maxActors,
      passivationIdleMs: runtimeOptions.passivationIdleMs,
      now: () => this.clock.now(),
      execute: (actor, item) => executor.execute(actor, item),
    });
    const executor = new KeyExecutor({
      topology,
      options: runtimeOptions,
      store: this.#world,
      effects: this.#world,
      actors: this.#dispatcher,
      codec: this.#codec,
      failurePolicy: topology.failurePolicy ?? retryThenDeadLetter(runtimeOptions.retry, options.random),
      clock: this.clock,
      logger: this.#logger,
      metrics: this.metrics,
      prefix: '',
      ...(options.random === undefined ? {} : { random: options.random }),
      sleep: async (ms) => {
        this.clock.advance(ms);
        await options.onBackoff?.(ms);
      },
    });
    this.#executor = executor;
  }

  /** Pipes a record whose decoded value is `value` (the first stage sees it as is). */
  async pipeInput(topic: string, key: string, value: unknown, options: PipeOptions = {}): Promise<void> {
    const bytes = options.raw ?? Buffer.alloc(0);
    this.#pipedValues.set(bytes, value);
    await this.#pipe(topic, key, bytes, options, true);
  }

  /** Pipes a record's bytes, decoded by the topology's decoder (or the codec) as the runtime would. */
  async pipeRaw(topic: string, key: string, bytes: Buffer | null, options: Omit<PipeOptions, 'raw'> = {}): Promise<void> {
    await this.#pipe(topic, key, bytes, options, false);
  }

  /** Moves the clock by `ms`, firing every timer due on the way in due order (the clock at each due time). */
  async advanceTime(ms: number): Promise<void> {
    await this.#init();
    const until = this.clock.now() + ms;
    for (let rounds = 0; rounds < 100_000; rounds += 1) {
      const next = Math.min(...[...this.#sessions.values()].map((s) => s.timers.nextDue() ?? Number.POSITIVE_INFINITY));
      if (next > until) break;
      if (next > this.clock.now()) this.clock.set(next);
      for (const session of this.#sessions.values()) {
        for (const key of session.timers.takeDue(this.clock.now())) this.#dispatcher.enqueue(key, timerItem(session, key));
      }
      await this.#settle();
    }
    if (until > this.clock.now()) this.clock.set(until);
  }

  /** Records written to `topic`, in order. */
  outputs(topic: string): TestOutput[] {
    return this.#world.outputs.filter((output) => output.topic === topic);
  }

  /** Dead letters of an input topic (`<topic>.dlq.v1`). */
  deadLetters(topic: string): TestOutput[] {
    return this.outputs(`${topic}.dlq.v1`);
  }

  /** Everything written, in order (outputs and dead letters). */
  get allOutputs(): readonly TestOutput[] {
    return this.#world.outputs;
  }

  /**
   * Drops the actors idle for the passivation period (`passivationIdleMs`, by the manual clock;
   * 0: every idle actor), as the worker does: a key's next item loads its state from the store.
   */
  passivate(): number {
    return this.#dispatcher.passivate();
  }

  /** A stage's durable state for a key. */
  state<S>(key: string, stage: string): S | undefined {
    return (this.#stateDoc(key)?.s[stage] as S | undefined) ?? undefined;
  }

  /** A key's durable timers, earliest first. */
  timers(key: string): StoredTimer[] {
    return Object.values(this.#stateDoc(key)?.t ?? {}).sort((a, b) => a.due - b.due);
  }

  /** A view document as written (with `_id` and `v`), if any. */
  view(collection: string, id: string): Record<string, unknown> | undefined {
    return this.#world.collections.get(collection)?.get(id);
  }

  /** Timers whose handler failed for good (the failed-timer collection). */
  failedTimers(): Record<string, unknown>[] {
    return [...(this.#world.collections.get(this.#executor.failedTimerCollection)?.values() ?? [])];
  }

  /** A processor counter (`ctx.metrics.increment(name)`), summed over labels. */
  async counter(name: string): Promise<number> {
    const metric = this.metrics.registry.getSingleMetric(`hycal_processor_${name.replace(/[^A-Za-z0-9_]/g, '_')}`);
    if (metric === undefined) return 0;
    return (await metric.get()).values.reduce((sum, value) => sum + value.value, 0);
  }

  async close(): Promise<void> {
    for (const stage of this.#topology.stages) await stage.close?.();
  }

  #stateDoc(key: string): KeyDocument | undefined {
    return this.#world.collections.get(this.#executor.stateCollection)?.get(key) as KeyDocument | undefined;
  }

  async #init(): Promise<void> {
    if (this.#initialized) return;
    this.#initialized = true;
    for (const stage of this.#topology.stages) {
      await stage.init?.({ clock: this.clock, logger: this.#logger.child({ processor: stage.name }), metrics: this.metrics.forProcessor(stage.name) });
    }
  }

  async #pipe(topic: string, key: string, bytes: Buffer | null, options: Omit<PipeOptions, 'raw'>, piped: boolean): Promise<void> {
    await this.#init();
    const session = this.#session(topic, options.partition ?? 0, piped);
    const offset = this.#offsets.get(session.tag) ?? 0;
    this.#offsets.set(session.tag, offset + 1);
    const message = testMessage(key, bytes, offset, options.timestamp ?? this.clock.now(), options.headers ?? {});
    const item: RecordItem = { kind: 'record', tag: session.tag, session, message, key, complete: () => undefined, abandon: () => undefined };
    this.#dispatcher.enqueue(key, item);
    await this.#settle();
  }

  #session(topic: string, partition: number, piped: boolean): PartitionSession {
    const inputIndex = this.#topology.inputs.findIndex((input) => input.topic === topic);
    const input = this.#topology.inputs[inputIndex];
    if (input === undefined) throw new TopologyInvalidError(`${topic} is not an input of ${this.#topology.name}.`);
    if (partition < 0 || partition >= this.#partitions) throw new TopologyInvalidError(`Partition ${partition} of ${topic}: the driver has ${this.#partitions}.`);
    const tag = `${topic}|${partition}|${piped ? 'value' : 'bytes'}`;
    let session = this.#sessions.get(tag);
    if (session === undefined) {
      const decode: ValueDecoder = piped ? (bytes) => this.#pipedValues.get(bytes) : this.#codec.decoderFor(input);
      const timers = new DueTimers();
      timers.load(new Map());
      session = { tag, topic, logicalTopic: topic, partition, inputIndex, decode, controller: new AbortController(), timers, bucket: tag, owned: true, parked: [], active: 0, quietWaiters: [], fence: () => true, givenUp: false };
      this.#sessions.set(tag, session);
    }
    return session;
  }

  /** Waits until no actor runs, nothing is queued and every submitted effect settled. */
  async #settle(): Promise<void> {
    for (let i = 0; i < 1_000; i += 1) {
      await this.#dispatcher.whenIdle();
      await nextTurn();
      if (this.#dispatcher.running === 0) return;
    }
  }

  #makeCodec(codec: TestCodec | undefined): RecordCodec {
    let next = 0;
    return {
      encode: async (topic, value) => {
        if (codec !== undefined) return codec.encode(topic, value);
        next += 1;
        const token = `tt:${next}`;
        this.#encoded.set(token, value);
        return Buffer.from(token);
      },
      decoderFor: (input) => input.decode ?? (async (bytes, topic) => {
        if (codec === undefined) return this.#encoded.get(bytes.toString()) ?? bytes;
        return codec.decode(topic, bytes);
      }),
    };
  }

  #readBack(topic: string, bytes: Buffer | null, codec: TestCodec | undefined): unknown {
    if (bytes === null) return null;
    if (topic.endsWith('.dlq.v1')) return bytes;
    const token = bytes.toString();
    if (codec === undefined && this.#encoded.has(token)) return this.#encoded.get(token);
    return bytes;
  }
}
