import { StageContext, type ContextDeps, type Effects } from './context.js';
import type { InputRecord, Processor, ProcessorMetrics } from './contract.js';
import type { RuntimeMetrics } from './metrics.js';
import { isStateful, type Topology } from './topology.js';
import { withStage, type ActorMemory } from './work.js';

/**
 * A topology's stage chain for one key: runs a stage with its context and the stages it forwards
 * to, timing each (`hycal_runtime_process_seconds`). Synchronous while the stages are: a chain of
 * synchronous processors costs no promise.
 */
export class StageChain {
  readonly #stages: readonly Processor<unknown, unknown>[];
  readonly #context: ContextDeps;
  readonly #metrics: RuntimeMetrics;
  /** Labelled children, resolved once (a label lookup per record is measurable). */
  readonly #timings: Map<string, { observe(value: number): void }>;
  readonly #metricsByStage = new Map<string, ProcessorMetrics>();

  constructor(topology: Topology, context: ContextDeps, metrics: RuntimeMetrics) {
    this.#stages = topology.stages;
    // A stateless topology stores no state: its stages' state stays in memory and is not validated as a document.
    this.#context = { ...context, storesState: isStateful(topology) };
    this.#metrics = metrics;
    this.#timings = new Map(topology.stages.map((stage) => [stage.name, metrics.processSeconds.labels({ processor: stage.name })]));
  }

  /** Runs a stage (and the stages it forwards to); synchronous while they are. */
  runStage(index: number, record: InputRecord<unknown>, key: string, memory: ActorMemory, effects: Effects): string | Promise<string> {
    const stage = this.#stages[index] as Processor<unknown, unknown>;
    const forwards: unknown[] = [];
    const ctx = this.newContext(index, key, memory, effects, forwards);
    const timing = this.#timings.get(stage.name);
    const started = performance.now();
    let pending: void | Promise<void>;
    try {
      pending = stage.process(record, ctx);
    } catch (error) {
      timing?.observe((performance.now() - started) / 1_000);
      throw withStage(error, stage.name);
    }
    if (pending instanceof Promise) {
      return pending.then(() => {
        timing?.observe((performance.now() - started) / 1_000);
        return forwards.length > 0 ? this.forwardAll(index, forwards, record, key, memory, effects).then(() => stage.name) : stage.name;
      }, (error: unknown) => {
        timing?.observe((performance.now() - started) / 1_000);
        throw withStage(error, stage.name);
      });
    }
    timing?.observe((performance.now() - started) / 1_000);
    if (forwards.length > 0) return this.forwardAll(index, forwards, record, key, memory, effects).then(() => stage.name);
    return stage.name;
  }

  async forwardAll(index: number, forwards: readonly unknown[], record: InputRecord<unknown>, key: string, memory: ActorMemory, effects: Effects): Promise<void> {
    for (const value of forwards) await this.runStage(index + 1, { ...record, value }, key, memory, effects);
  }

  newContext(index: number, key: string, memory: ActorMemory, effects: Effects, forwards: unknown[]): StageContext {
    const stage = this.#stages[index] as Processor<unknown, unknown>;
    let metrics = this.#metricsByStage.get(stage.name);
    if (metrics === undefined) {
      metrics = this.#metrics.forProcessor(stage.name);
      this.#metricsByStage.set(stage.name, metrics);
    }
    return new StageContext(this.#context, stage, index === this.#stages.length - 1, key, memory, effects, forwards, metrics);
  }
}
