import { ManualClock, type Clock } from '../../common/index.js';
import { silentLogger, type Logger } from '../../common/index.js';
import type { TopicValues } from '../../schemas/index.js';
import type { InputRecord, Processor, ProcessorContext, ProcessorMetrics, TimerFired } from '../contract.js';
import { validateDocument } from '../documents.js';

/**
 * LEGACY, to be removed: the hand-made one-processor context that the obtp, ooo, materialize and
 * connector mailbox unit tests were written against before TopologyTestDriver (driver.ts) existed.
 * It does not run the real executor; new tests use TopologyTestDriver, and these move onto it.
 */
export interface RecordedEffects {
  readonly emitted: { topic: string; key: string; value: unknown }[];
  readonly emittedRaw: { topic: string; key: string | null; value: Buffer | null; headers?: Readonly<Record<string, string>> }[];
  readonly forwarded: unknown[];
  readonly views: Map<string, { v: number; doc: Record<string, unknown> | null }>;
  readonly timers: Map<string, { at: number; payload: Record<string, unknown> }>;
  readonly counters: Map<string, number>;
}

export class ProcessorTestDriver<V, S> {
  readonly clock: ManualClock;
  readonly effects: RecordedEffects = { emitted: [], emittedRaw: [], forwarded: [], views: new Map(), timers: new Map(), counters: new Map() };
  readonly #processor: Processor<V, S>;
  readonly #key: string;
  readonly #logger: Logger;
  #state: S | undefined;
  #offset = 0;
  #scheduled = 0;

  constructor(processor: Processor<V, S>, options: { key: string; clock?: ManualClock; state?: S; logger?: Logger }) {
    this.#processor = processor;
    this.#key = options.key;
    this.clock = options.clock ?? new ManualClock();
    this.#state = options.state;
    this.#logger = options.logger ?? silentLogger;
  }

  get state(): S | undefined {
    return this.#state;
  }

  async init(): Promise<void> {
    await this.#processor.init?.({ clock: this.clock, logger: this.#logger, metrics: this.#metrics() });
  }

  /** Processes one record; the state changes only if `process` succeeds (as in the runtime). */
  async process(value: V, record: Partial<Omit<InputRecord<V>, 'value'>> = {}): Promise<void> {
    const input: InputRecord<V> = {
      topic: record.topic ?? 'test.v1',
      partition: record.partition ?? 0,
      offset: record.offset ?? String(this.#offset++),
      key: this.#key,
      value,
      raw: record.raw ?? null,
      headers: record.headers ?? {},
      timestamp: record.timestamp ?? this.clock.now(),
    };
    await this.#run((ctx) => this.#processor.process(input, ctx));
  }

  /** Moves the clock and fires the timers due by then, earliest first. */
  async advance(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    for (;;) {
      const due = [...this.effects.timers].filter(([, t]) => t.at <= until).sort(([a, x], [b, y]) => x.at - y.at || (a < b ? -1 : 1))[0];
      if (due === undefined) break;
      const [id, timer] = due;
      this.effects.timers.delete(id);
      if (timer.at > this.clock.now()) this.clock.set(timer.at);
      const fired: TimerFired = { id, key: this.#key, dueAt: timer.at, payload: timer.payload };
      await this.#run((ctx) => this.#processor.onTimer?.(fired, ctx));
    }
    this.clock.set(until);
  }

  async #run(body: (ctx: ProcessorContext<S>) => Promise<void> | void): Promise<void> {
    let next = this.#state;
    let written = false;
    const effects = this.effects;
    const clock: Clock = this.clock;
    const ctx: ProcessorContext<S> = {
      key: this.#key,
      clock,
      logger: this.#logger,
      metrics: this.#metrics(),
      state: {
        get: () => (written ? next : this.#state),
        set: (value) => {
          validateDocument(value);
          next = value;
          written = true;
        },
        delete: () => {
          next = undefined;
          written = true;
        },
      },
      views: {
        upsert: (collection, id, version, document) => {
          validateDocument(document);
          const key = `${collection}/${id}`;
          const seen = effects.views.get(key);
          if (seen === undefined || seen.v < version) effects.views.set(key, { v: version, doc: document });
        },
        remove: (collection, id, version) => {
          const key = `${collection}/${id}`;
          const seen = effects.views.get(key);
          if (seen === undefined || seen.v < version) effects.views.set(key, { v: version, doc: null });
        },
      },
      emit: <T extends keyof TopicValues>(topic: T, key: string, value: TopicValues[T]) => {
        effects.emitted.push({ topic, key, value });
      },
      emitRaw: (topic, key, value, headers) => {
        effects.emittedRaw.push(headers === undefined ? { topic, key, value } : { topic, key, value, headers });
      },
      forward: (value) => {
        effects.forwarded.push(value);
      },
      schedule: (at, payload, id) => {
        const timerId = id ?? `${at}#${this.#scheduled++}`;
        effects.timers.set(timerId, { at, payload });
        return timerId;
      },
      cancel: (id) => {
        effects.timers.delete(id);
      },
    };
    await body(ctx);
    if (written) this.#state = next;
  }

  #metrics(): ProcessorMetrics {
    return {
      increment: (name, _labels, by = 1) => {
        this.effects.counters.set(name, (this.effects.counters.get(name) ?? 0) + by);
      },
      observe: () => undefined,
    };
  }
}
