import { backoffDelay, classifyFailure, waitsForRecovery, type BackoffPolicy, type FailureKind } from './supervision.js';

/**
 * What happens to a record (or timer) whose processing failed: retried after a delay (the offset
 * holds, the key waits) or given up (a record goes to `<topic>.dlq.v1`, a timer to the failed-timer
 * collection). Pluggable per topology, like Kafka Streams' processing/deserialization exception
 * handlers; `retryThenDeadLetter` is the default.
 */
export interface FailureContext {
  readonly error: unknown;
  /** 1 for the first failed attempt of this record or timer. */
  readonly attempt: number;
  /** The stage that failed (`decode` when the input value could not be decoded). */
  readonly stage: string;
  readonly key: string;
  readonly item: 'record' | 'timer';
}

export type FailureDecision =
  | { readonly action: 'retry'; readonly delayMs: number; readonly kind: FailureKind; readonly waiting: boolean }
  | { readonly action: 'dead-letter'; readonly kind: FailureKind };

/** The decisions about one record's (or timer's) attempts: one tracker per record or timer. */
export interface FailureTracker {
  decide(failure: FailureContext): FailureDecision;
}

export interface RecordFailurePolicy {
  start(): FailureTracker;
}

export interface RetryPolicyOptions extends BackoffPolicy {
  readonly maxAttempts: number;
  readonly unavailableMaxWaitMs: number;
}

/**
 * Transient failures are retried with back-off up to `maxAttempts`; failures that say a dependency
 * is unavailable (`waitsForRecovery`) wait with capped back-off for up to `unavailableMaxWaitMs`
 * without using up the attempts; permanent failures and exhausted budgets are dead-lettered.
 */
export function retryThenDeadLetter(options: RetryPolicyOptions, random?: () => number): RecordFailurePolicy {
  return { start: () => new RetryTracker(options, random) };
}

class RetryTracker implements FailureTracker {
  readonly #options: RetryPolicyOptions;
  readonly #random: (() => number) | undefined;
  #budgetUsed = 0;
  #waitedMs = 0;
  #waits = 0;

  constructor(options: RetryPolicyOptions, random: (() => number) | undefined) {
    this.#options = options;
    this.#random = random;
  }

  decide(failure: FailureContext): FailureDecision {
    const kind = classifyFailure(failure.error);
    if (kind === 'permanent') return { action: 'dead-letter', kind };
    const { unavailableMaxWaitMs, maxAttempts } = this.#options;
    if (unavailableMaxWaitMs > 0 && waitsForRecovery(failure.error)) {
      this.#waits += 1;
      const delayMs = backoffDelay(this.#options, this.#waits, this.#random);
      if (this.#waitedMs + delayMs > unavailableMaxWaitMs) return { action: 'dead-letter', kind };
      this.#waitedMs += delayMs;
      return { action: 'retry', delayMs, kind, waiting: true };
    }
    this.#budgetUsed += 1;
    if (this.#budgetUsed >= maxAttempts) return { action: 'dead-letter', kind };
    return { action: 'retry', delayMs: backoffDelay(this.#options, this.#budgetUsed, this.#random), kind, waiting: false };
  }
}
