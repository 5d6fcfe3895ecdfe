import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Attempts in all, the first one included (at least 1). */
  readonly attempts: number;
  /** How long to wait after failed attempt `attempt` (1-based) before the next one, ms. */
  readonly delayMs: (attempt: number) => number;
  /** Whether a failure is worth another attempt (default: every failure is). */
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
  /** Told of each failure that is retried, before the wait (for a log line or a metric). */
  readonly onRetry?: (error: unknown, attempt: number) => void;
  /** Stops waiting: the pending wait rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Runs `fn` until it resolves, at most `attempts` times, waiting `delayMs(attempt)` between
 * attempts; the last failure (or one `retryIf` refuses) is thrown as it is. The one retry loop
 * of the project: infrastructure code (start-up, provisioning, lease release) uses it; the
 * runtime's record-failure policy has its own budget and durable waits.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.attempts));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || options.retryIf?.(error, attempt) === false) throw error;
      options.onRetry?.(error, attempt);
      await sleep(options.delayMs(attempt), undefined, options.signal === undefined ? undefined : { signal: options.signal });
    }
  }
}

/** `stepMs` after the first failure, twice that after the second..., at most `maxMs`. */
export function linearBackoff(stepMs: number, maxMs = Number.POSITIVE_INFINITY): (attempt: number) => number {
  return (attempt) => Math.min(stepMs * attempt, maxMs);
}
