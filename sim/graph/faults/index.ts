import { randomUUID } from 'node:crypto';
import { SimGraphError } from '../model.js';
import { RETRY_AFTER_STYLES, RetryAfterFormat, type RetryAfterStyle } from '../throttle/retry-after.js';

export interface NotificationFaults {
  dropRate?: number;
  duplicateRate?: number;
  reorder?: boolean;
  outage?: boolean;
  extraLatencyMs?: number;
}

/** Switchable faults; everything off by default. */
export interface FaultSettings {
  /** The next `count` Graph calls fail with `status` (default 503) and an optional Retry-After. */
  serverErrors?: { count: number; status?: 500 | 502 | 503 | 504; retryAfterSeconds?: number };
  /**
   * A throttling storm: the next `count` Graph calls answer 429 TooManyRequests with Retry-After
   * (`retryAfterSeconds`, default 1), whatever the throttle window says; taken before `serverErrors`.
   */
  throttleStorm?: { count: number; retryAfterSeconds?: number };
  /** Added latency on every Graph and token call. */
  latencyMs?: number;
  /** Every access token is answered as expired (401 InvalidAuthenticationToken). */
  expiredTokens?: boolean;
  /** Passed to the notification hub. */
  notifications?: NotificationFaults;
  /** How every Retry-After (429 and 5xx) is written: `integral` (default), `fractional` (`2.128`) or `mixed`. */
  retryAfter?: RetryAfterStyle;
  /**
   * Loses the server-side sync state of every delta round so far (as Exchange does when a token
   * ages out or the mailbox moves): each next/delta link issued before answers 410 syncStateNotFound.
   */
  expireSyncState?: boolean;
  /**
   * An outage of Graph and the identity platform until switched off (`outage: false`): every Graph
   * call and every identity call (token, OpenID configuration, keys, authorize, consent) answers
   * `503` — Graph's `serviceNotAvailable`, the identity platform's `temporarily_unavailable`
   * (AADSTS90033), with a Retry-After only when `retryAfterSeconds` is given — or, with
   * `mode: 'reset'`, has its connection reset before any answer. The `/_sim/` admin endpoints stay up.
   */
  outage?: false | OutageSettings;
}

export interface OutageSettings {
  mode?: OutageMode;
  retryAfterSeconds?: number;
}

export const OUTAGE_MODES = ['unavailable', 'reset'] as const;
export type OutageMode = (typeof OUTAGE_MODES)[number];

/** What a call gets during an outage: a 503 of its kind, or its connection reset. */
export type OutageAnswer =
  | { readonly kind: 'reset' }
  | { readonly kind: 'answer'; readonly status: 503; readonly headers: Record<string, string>; readonly body: unknown };

const MESSAGES: Record<number, [string, string]> = {
  500: ['generalException', 'An unspecified error has occurred.'],
  502: ['BadGateway', 'The server, while acting as a gateway, received an invalid response.'],
  503: ['serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.'],
  504: ['GatewayTimeout', 'The server, while acting as a proxy, did not receive a timely response.'],
};

export class Faults {
  #burst = 0;
  #burstStatus: 500 | 502 | 503 | 504 = 503;
  #retryAfter: number | undefined;
  #storm = 0;
  #stormRetryAfter = 1;
  #outage: { mode: OutageMode; retryAfterSeconds: number | undefined } | undefined;
  latencyMs = 0;
  expiredTokens = false;
  /** Generation of delta sync state; links of an older generation are gone (410). */
  syncEpoch = 0;
  /** Shared with the throttles, so one switch changes every Retry-After. */
  readonly retryAfter: RetryAfterFormat;

  constructor(retryAfter: RetryAfterFormat = new RetryAfterFormat()) {
    this.retryAfter = retryAfter;
  }

  set(settings: FaultSettings): void {
    const outage = settings.outage === undefined || settings.outage === false ? settings.outage : checkedOutage(settings.outage);
    if (settings.retryAfter !== undefined) {
      if (!RETRY_AFTER_STYLES.includes(settings.retryAfter)) throw new SimGraphError(400, 'BadRequest', `retryAfter must be one of ${RETRY_AFTER_STYLES.join(', ')}.`);
      this.retryAfter.style = settings.retryAfter;
    }
    if (settings.serverErrors !== undefined) {
      this.#burst = settings.serverErrors.count;
      this.#burstStatus = settings.serverErrors.status ?? 503;
      this.#retryAfter = settings.serverErrors.retryAfterSeconds;
    }
    if (settings.throttleStorm !== undefined) {
      this.#storm = settings.throttleStorm.count;
      this.#stormRetryAfter = settings.throttleStorm.retryAfterSeconds ?? 1;
    }
    if (settings.latencyMs !== undefined) this.latencyMs = settings.latencyMs;
    if (settings.expiredTokens !== undefined) this.expiredTokens = settings.expiredTokens;
    if (settings.expireSyncState === true) this.syncEpoch += 1;
    if (outage !== undefined) this.#outage = outage === false ? undefined : outage;
  }

  clear(): void {
    this.#outage = undefined;
    this.#burst = 0;
    this.#storm = 0;
    this.latencyMs = 0;
    this.expiredTokens = false;
  }

  get pendingServerErrors(): number {
    return this.#burst;
  }

  get pendingThrottles(): number {
    return this.#storm;
  }

  get outage(): OutageMode | undefined {
    return this.#outage?.mode;
  }

  /** During an outage, how a Graph or identity call fails; undefined when there is none. */
  outageAnswer(service: 'graph' | 'identity', now: number): OutageAnswer | undefined {
    const outage = this.#outage;
    if (outage === undefined) return undefined;
    if (outage.mode === 'reset') return { kind: 'reset' };
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
    if (outage.retryAfterSeconds !== undefined) headers['Retry-After'] = this.retryAfter.format(outage.retryAfterSeconds);
    const timestamp = new Date(now).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
    const body = service === 'graph'
      ? { error: { code: 'serviceNotAvailable', message: 'The service is temporarily unavailable. Please retry later.', innerError: { date: new Date(now).toISOString().replace(/\.\d{3}Z$/, '') } } }
      : {
        error: 'temporarily_unavailable',
        error_description: `AADSTS90033: A transient error has occurred. Please try again. Timestamp: ${timestamp}`,
        error_codes: [90033], timestamp, trace_id: randomUUID(), correlation_id: randomUUID(),
      };
    return { kind: 'answer', status: 503, headers, body };
  }

  /** Throws the next 429 of a throttling storm, else the next 5xx of a burst, if any. */
  takeServerError(): void {
    if (this.#storm > 0) {
      this.#storm -= 1;
      throw new SimGraphError(429, 'TooManyRequests', 'Please retry again later.', { 'Retry-After': this.retryAfter.format(this.#stormRetryAfter) });
    }
    if (this.#burst <= 0) return;
    this.#burst -= 1;
    const [code, message] = MESSAGES[this.#burstStatus] ?? ['serviceNotAvailable', 'Service unavailable.'];
    throw new SimGraphError(this.#burstStatus, code, message, this.#retryAfter === undefined ? {} : { 'Retry-After': this.retryAfter.format(this.#retryAfter) });
  }
}

function checkedOutage(settings: OutageSettings): { mode: OutageMode; retryAfterSeconds: number | undefined } {
  const mode = settings.mode ?? 'unavailable';
  if (!OUTAGE_MODES.includes(mode)) throw new SimGraphError(400, 'BadRequest', `outage.mode must be one of ${OUTAGE_MODES.join(', ')}.`);
  const wait = settings.retryAfterSeconds;
  if (wait !== undefined && !(Number.isFinite(wait) && wait >= 0)) throw new SimGraphError(400, 'BadRequest', 'outage.retryAfterSeconds must be a number of seconds, 0 or more.');
  return { mode, retryAfterSeconds: wait };
}
