/**
 * Retry rules for Graph: `Retry-After` is honoured exactly (delta seconds, fractional too, or an
 * HTTP date); without it, exponential back-off with full jitter. Pure functions of their inputs.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  const seconds = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (seconds !== null) {
    // Decimal arithmetic on the digits: 65536.092 s is 65,536,092 ms, not one more (binary floats).
    const fraction = seconds[2] ?? '';
    const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
    return Number(seconds[1]) * 1000 + millis + (/[1-9]/.test(fraction.slice(3)) ? 1 : 0);
  }
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** The wait a typed Graph or identity failure carries (`details.retryAfterMs`, the Retry-After it named), else 0. */
export function namedWaitMs(error: { readonly details: Readonly<Record<string, unknown>> }): number {
  const wait = error.details['retryAfterMs'];
  return typeof wait === 'number' && Number.isFinite(wait) ? Math.max(0, wait) : 0;
}

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Delay before retry `attempt` (1-based), with full jitter in [delay/2, delay]. */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Whether a status is worth retrying at all (the caller also checks the method's idempotency). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504 || status === 509;
}
