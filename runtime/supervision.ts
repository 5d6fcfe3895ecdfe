import { isHcError } from '../common/index.js';

/**
 * Whether a failure is transient (retry with back-off, offset does not advance) or permanent
 * (dead-letter the record, the partition moves on). An HcError says so itself; MongoDB and kafkajs
 * errors are classified by their kind: network, server selection, pool, timeouts and kafkajs
 * `retriable` errors are transient.
 */
export type FailureKind = 'transient' | 'permanent';

const TRANSIENT_NAMES = /MongoNetwork|MongoServerSelection|MongoNotConnected|MongoPoolClosed|MongoTopologyClosed|Timeout|KafkaJSConnection|KafkaJSRequestTimeout|KafkaJSNumberOfRetriesExceeded|KafkaJSBrokerNotFound|KafkaJSLockTimeout|ECONNREFUSED|ECONNRESET|EPIPE/;
const TRANSIENT_MONGO_LABELS = ['RetryableWriteError', 'TransientTransactionError', 'ResetPool', 'PoolRequstedRetry'];

export function classifyFailure(error: unknown): FailureKind {
  for (let e: unknown = error, depth = 0; e !== null && e !== undefined && depth < 8; depth += 1) {
    if (isHcError(e)) return e.retryable ? 'transient' : 'permanent';
    const candidate = e as { name?: unknown; code?: unknown; retriable?: unknown; errorLabels?: unknown; hasErrorLabel?: unknown };
    if (typeof candidate.name === 'string' && TRANSIENT_NAMES.test(candidate.name)) return 'transient';
    if (typeof candidate.code === 'string' && TRANSIENT_NAMES.test(candidate.code)) return 'transient';
    if (candidate.retriable === true) return 'transient';
    if (candidate.errorLabels instanceof Set || Array.isArray(candidate.errorLabels)) {
      const labels = [...(candidate.errorLabels as Iterable<string>)];
      if (labels.some((label) => TRANSIENT_MONGO_LABELS.includes(label))) return 'transient';
    }
    e = (e as { cause?: unknown }).cause;
  }
  return 'permanent';
}

/**
 * Whether a failure says a dependency is unavailable (a KMS, a remote service being down): such
 * failures wait for the dependency with capped back-off instead of using up the attempt budget
 * (`retry.unavailableMaxWaitMs`). The first HcError of the cause chain decides: retryable and a
 * code ending in `_UNAVAILABLE`, or `details.waitForRecovery: true`.
 */
export function waitsForRecovery(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== null && e !== undefined && depth < 8; depth += 1) {
    if (isHcError(e)) return e.retryable && (e.code.endsWith('_UNAVAILABLE') || e.details['waitForRecovery'] === true);
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

/** Exponential back-off with full jitter from a seeded source (deterministic in tests). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** An error's code for a dead-letter header: the HcError code, else the error's name. */
export function errorCode(error: unknown): string {
  if (isHcError(error)) return error.code;
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'UNKNOWN';
}

/**
 * What may be written about an error in a dead letter, a log line or CLI output: the project's own
 * errors (HcError) say what to do without values; any other error (a library's, a processor's own
 * Error) may embed the value it failed on, so only its name (and code, if it has one) is kept.
 */
export function safeErrorText(error: unknown): string {
  if (isHcError(error)) return error.message.slice(0, 1_000);
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  const label = typeof name === 'string' && /^[A-Za-z0-9_$.-]{1,80}$/.test(name) ? name : typeof error;
  const suffix = typeof code === 'string' && /^[A-Za-z0-9_.-]{1,80}$/.test(code) ? ` (${code})` : typeof code === 'number' ? ` (${code})` : '';
  return `${label}${suffix}: message withheld (not a hybrid-calendar error; it may contain record values)`;
}

/** An error's message, for errors the runtime raised itself; use `safeErrorText` for anything else. */
export function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return (typeof message === 'string' ? message : String(error)).slice(0, 1_000);
}
