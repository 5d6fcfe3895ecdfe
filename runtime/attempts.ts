import type { Logger } from '../common/index.js';
import { Effects } from './context.js';
import type { FailureTracker, RecordFailurePolicy } from './failure-policy.js';
import type { OutboundMessage } from './flusher.js';
import type { RuntimeMetrics } from './metrics.js';
import { errorCode, safeErrorText } from './supervision.js';

/** How an item's attempts ended: its effects (messages encoded), or the failure it was given up for. */
export type Attempt = { ok: true; effects: Effects; messages: OutboundMessage[] } | { ok: false; error: unknown; attempts: number; stage: string };

/** One attempt of an item: runs the stage chain into `effects`, returns the last stage's name. */
export type AttemptRun = (effects: Effects) => string | Promise<string>;

export interface AttemptsDeps {
  readonly failurePolicy: RecordFailurePolicy;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  /** The first stage's name: blamed for a failure no stage claimed. */
  readonly firstStage: string;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Runs an item's attempts under the topology's failure policy (failure-policy.ts) until one
 * succeeds or the policy gives the item up. The first attempt starts synchronously, and a
 * synchronous success with no encode pending (the common case) returns without a promise.
 */
export class Attempts {
  readonly #deps: AttemptsDeps;

  constructor(deps: AttemptsDeps) {
    this.#deps = deps;
  }

  run(key: string, signal: AbortSignal, kind: 'record' | 'timer', run: AttemptRun): Attempt | Promise<Attempt> {
    const effects = new Effects();
    let first: string | Promise<string>;
    try {
      first = run(effects);
    } catch (error) {
      return this.#retrying(key, signal, kind, run, { effects, first: null, error });
    }
    if (first instanceof Promise || effects.pendingEncodes !== 0) return this.#retrying(key, signal, kind, run, { effects, first, error: null });
    return { ok: true, effects, messages: effects.messages as OutboundMessage[] };
  }

  async #retrying(key: string, signal: AbortSignal, kind: 'record' | 'timer', run: AttemptRun, started: { effects: Effects; first: string | Promise<string> | null; error: unknown }): Promise<Attempt> {
    let tracker: FailureTracker | null = null;
    for (let attempt = 1; ; attempt += 1) {
      const effects = attempt === 1 ? started.effects : new Effects();
      let stage = this.#deps.firstStage;
      try {
        if (attempt === 1 && started.first === null) throw started.error;
        stage = await (attempt === 1 ? (started.first as string | Promise<string>) : run(effects));
        const messages = effects.pendingEncodes === 0 ? (effects.messages as OutboundMessage[]) : await effects.resolveMessages();
        return { ok: true, effects, messages };
      } catch (error) {
        // Settle the other encodes of the failed attempt (no unhandled rejections).
        await effects.settle();
        const failedStage = (error as { hcStage?: unknown } | null)?.hcStage;
        if (typeof failedStage === 'string') stage = failedStage;
        tracker ??= this.#deps.failurePolicy.start();
        const decision = tracker.decide({ error, attempt, stage, key, item: kind });
        this.#deps.metrics.retries.inc({ processor: stage, kind: decision.kind });
        if (decision.action === 'dead-letter') return { ok: false, error, attempts: attempt, stage };
        this.#deps.logger.debug({ err: safeErrorText(error), code: errorCode(error), key, attempt, waiting: decision.waiting }, 'transient processor failure; retrying');
        await this.#deps.sleep(decision.delayMs, signal);
      }
    }
  }
}
