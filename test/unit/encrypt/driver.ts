import type { Logger } from '../../../common/logger.js';
import { silentLogger } from '../../../common/logger.js';
import { isRetryable } from '../../../common/errors.js';
import { defineTopology, type FailureTracker, type InputRecord, type Processor } from '../../../runtime/index.js';
import { TopologyTestDriver } from '../../../runtime/testing/index.js';
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
 * One record through one processor on the runtime's TopologyTestDriver (the real executor in
 * memory), for the KMS integration tests: a failure policy of this test retries retryable
 * failures up to `maxAttempts` (with `beforeRetry` in between) and dead-letters the rest.
 */
export class MiniDriver {
  readonly emitted: Emitted[] = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly #logger: Logger;

  constructor(logger: Logger = silentLogger) {
    this.#logger = logger;
  }

  async deliver<V>(
    processor: Processor<V, never>,
    record: InputRecord<V>,
    options: { maxAttempts?: number; beforeRetry?: (attempt: number, error: unknown) => Promise<void> | void } = {},
  ): Promise<{ attempts: number; error?: unknown }> {
    const maxAttempts = options.maxAttempts ?? 3;
    const failures: unknown[] = [];
    let given: unknown;
    const tracker: FailureTracker = {
      decide: ({ error, attempt }) => {
        failures.push(error);
        if (isRetryable(error) && attempt < maxAttempts) return { action: 'retry', delayMs: 0, kind: 'transient', waiting: false };
        given = error;
        return { action: 'dead-letter', kind: isRetryable(error) ? 'transient' : 'permanent' };
      },
    };
    const topology = defineTopology({ name: 'mini', inputs: [{ topic: record.topic }], stages: [processor], failurePolicy: { start: () => tracker } });
    const driver = new TopologyTestDriver(topology, {
      logger: this.#logger,
      onBackoff: () => options.beforeRetry?.(failures.length, failures[failures.length - 1]),
    });
    await driver.pipeInput(record.topic, record.key, record.value, { ...(record.raw === null ? {} : { raw: record.raw }), timestamp: record.timestamp });
    for (const output of driver.allOutputs) {
      if (output.topic.endsWith('.dlq.v1')) {
        this.deadLetters.push({ topic: output.topic, key: output.key ?? '', raw: output.bytes, headers: { ...output.headers } });
      } else {
        this.emitted.push({ topic: output.topic as keyof TopicValues, key: output.key ?? '', value: output.value });
      }
    }
    const dead = given !== undefined;
    return dead ? { attempts: failures.length, error: given } : { attempts: failures.length + 1 };
  }
}

export function inputRecord<V>(topic: string, key: string, value: V, raw: Buffer | null = null, offset = 0): InputRecord<V> {
  return { topic, partition: 0, offset: String(offset), key, value, raw, headers: {}, timestamp: Date.UTC(2026, 0, 5) };
}
