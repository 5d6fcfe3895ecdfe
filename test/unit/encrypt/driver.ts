import type { Logger } from '../../../common/logger.js';
import { silentLogger } from '../../../common/logger.js';
import { ManualClock } from '../../../common/clock.js';
import { isHcError, isRetryable } from '../../../common/errors.js';
import type { InputRecord, Processor, ProcessorContext, ProcessorMetrics } from '../../../runtime/contract.js';
import type { TopicValues } from '../../../schemas/index.js';

export interface Emitted {
  readonly topic: keyof TopicValues;
  readonly key: string;
  readonly value: unknown;
}

export interface DeadLetter {
  readonly topic: string;
  readonly key: string;
  readonly raw: Buffer | null;
  readonly headers: Record<string, string>;
}

/**
 * A minimal in-test driver of the processor contract (the runtime is built elsewhere): effects of
 * a record are kept only if `process` resolves (as the runtime makes them durable before the
 * commit); retryable failures are retried up to `maxAttempts` (with `beforeRetry` in between);
 * permanent failures and exhausted retries become dead letters carrying the original bytes.
 */
export class MiniDriver {
  readonly clock = new ManualClock();
  readonly emitted: Emitted[] = [];
  readonly forwarded: unknown[] = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly counters = new Map<string, number>();
  readonly #logger: Logger;

  constructor(logger: Logger = silentLogger) {
    this.#logger = logger;
  }

  #metrics: ProcessorMetrics = {
    increment: (name, _labels, by = 1) => {
      this.counters.set(name, (this.counters.get(name) ?? 0) + by);
    },
    observe: () => undefined,
  };

  async deliver<V>(
    processor: Processor<V, never>,
    record: InputRecord<V>,
    options: { maxAttempts?: number; beforeRetry?: (attempt: number, error: unknown) => Promise<void> | void } = {},
  ): Promise<{ attempts: number; error?: unknown }> {
    const maxAttempts = options.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt += 1) {
      const emitted: Emitted[] = [];
      const forwarded: unknown[] = [];
      const ctx: ProcessorContext<never> = {
        key: record.key,
        clock: this.clock,
        logger: this.#logger,
        metrics: this.#metrics,
        state: { get: () => undefined, set: () => undefined, delete: () => undefined },
        views: { upsert: () => undefined, remove: () => undefined },
        emit: (topic, key, value) => {
          emitted.push({ topic, key, value });
        },
        forward: (value) => {
          forwarded.push(value);
        },
        emitRaw: () => undefined,
        schedule: (_at, _payload, id) => id ?? 'timer',
        cancel: () => undefined,
      };
      try {
        await processor.process(record, ctx);
        this.emitted.push(...emitted);
        this.forwarded.push(...forwarded);
        return { attempts: attempt };
      } catch (error) {
        if (isRetryable(error) && attempt < maxAttempts) {
          await options.beforeRetry?.(attempt, error);
          continue;
        }
        this.deadLetters.push({
          topic: `${record.topic}.dlq.v1`,
          key: record.key,
          raw: record.raw,
          headers: {
            'hc-error-code': isHcError(error) ? error.code : 'HC_ERR_UNKNOWN',
            'hc-error-message': error instanceof Error ? error.message : 'unknown',
            'hc-attempts': String(attempt),
          },
        });
        return { attempts: attempt, error };
      }
    }
  }
}

export function inputRecord<V>(topic: string, key: string, value: V, raw: Buffer | null = null, offset = 0): InputRecord<V> {
  return { topic, partition: 0, offset: String(offset), key, value, raw, headers: {}, timestamp: Date.UTC(2026, 0, 5) };
}
