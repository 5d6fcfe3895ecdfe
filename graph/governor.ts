import type { Context, Middleware, MiddlewareOptions } from '@microsoft/microsoft-graph-client';
import type { Clock } from '../common/index.js';
import { HcError } from '../common/index.js';
import type { TokenSource } from './auth.js';
import type { MailboxGates } from './gate.js';
import { backoffMs, isRetryableStatus, namedWaitMs, parseRetryAfter, type BackoffPolicy } from './retry.js';
import type { HttpsTransport, TransportResponse } from './transport.js';

/** Sleeps for a delay; injected so tests move a manual clock instead of waiting. */
export type Sleep = (ms: number) => Promise<void>;

/** Every attempt of one request, 429s that named their wait included: a bound on a server answering `Retry-After: 0.001` forever. */
const MAX_ATTEMPTS_THROTTLED = 50;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the governor reports (metrics); every callback optional. */
export interface AccessObserver {
  request?(status: number, method: string): void;
  throttled?(status: number, waitMs: number, retryAfterGiven: boolean): void;
  tokenRefreshed?(): void;
}

export interface GovernorPolicy {
  /**
   * Attempts per request, the first included. A 429 that names its wait (`Retry-After`) is not a
   * failed attempt: Graph said when to come back, so only `maxWaitMs` bounds those.
   */
  readonly maxAttempts: number;
  /** Give up once the waits of one request would exceed this (ms). */
  readonly maxWaitMs: number;
  readonly backoff: BackoffPolicy;
}

/**
 * Per-request options: which mailbox the request counts against, whether it may be repeated after
 * a 5xx, and (out) the typed failure the governor raised, so the caller gets it back unwrapped.
 */
export class RequestScope implements MiddlewareOptions {
  failure: HcError | undefined;
  attempts = 0;
  waitedMs = 0;
  /** Set when the governor gave up on a 429: how long Graph asked the mailbox to wait (ms). */
  retryAfterMs: number | undefined;

  constructor(readonly mailboxKey: string, readonly idempotent: boolean) {}
}

export interface GovernorDeps {
  readonly transport: HttpsTransport;
  readonly tokens: TokenSource;
  readonly gates: MailboxGates;
  /** Prefix of gate keys (the app id): Outlook's limits are per app and mailbox. */
  readonly gateScope: string;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: () => number;
  readonly policy: GovernorPolicy;
  readonly observer?: AccessObserver;
}

/**
 * The Graph client's whole middleware chain, as one handler: bearer token (refreshed once on 401),
 * at most N concurrent requests per mailbox, `Retry-After` honoured exactly (fractional seconds and
 * HTTP dates), 5xx and network failures retried with jittered back-off, then the HTTPS transport.
 * The final response (success or error) is handed to the SDK, which raises `GraphError` for
 * non-2xx; typed errors raised here travel back through `RequestScope.failure`.
 */
export class GraphGovernor implements Middleware {
  readonly #d: GovernorDeps;

  constructor(deps: GovernorDeps) {
    this.#d = deps;
  }

  async execute(context: Context): Promise<void> {
    const scope = context.middlewareControl?.getMiddlewareOptions(RequestScope) as RequestScope | undefined;
    const request = context.request as unknown as string | { url: string };
    const url = typeof request === 'string' ? request : request.url;
    const method = (context.options?.method ?? 'GET').toUpperCase();
    const headers = plainHeaders(context.options?.headers);
    const rawBody = context.options?.body as unknown;
    const body = typeof rawBody === 'string' ? rawBody : undefined;
    const key = `${this.#d.gateScope}|${scope?.mailboxKey ?? mailboxKeyOf(url)}`;
    const idempotent = scope?.idempotent ?? method !== 'POST';
    const { policy } = this.#d;
    let forceRefresh = false;
    let refreshed = false;
    let waited = 0;
    // Attempts that count against maxAttempts: a 429 with Retry-After gives one back.
    let counted = 0;
    for (let attempt = 1; ; attempt += 1) {
      counted += 1;
      if (scope !== undefined) scope.attempts = attempt;
      let res: TransportResponse;
      const release = await this.#admit(key, attempt > 1);
      try {
        const token = await this.#d.tokens.getToken(forceRefresh);
        res = await this.#d.transport.send({ method, url, headers: { ...headers, authorization: `Bearer ${token.token}` }, ...(body === undefined ? {} : { body }) });
      } catch (error) {
        release();
        const retryable = error instanceof HcError && error.retryable && error.code !== 'HC_ERR_GRAPH_TOKEN_EXPIRED';
        if (retryable && counted < policy.maxAttempts) {
          // A refused token request that named its wait (Retry-After of the identity platform) waits no less.
          const delay = Math.max(backoffMs(attempt, policy.backoff, this.#d.random), namedWaitMs(error));
          if (waited + delay <= policy.maxWaitMs) {
            waited += delay;
            await this.#d.sleep(delay);
            continue;
          }
        }
        if (scope !== undefined && error instanceof HcError) scope.failure = error;
        throw error;
      }
      release();
      this.#d.observer?.request?.(res.status, method);
      if (res.status === 429) this.#d.gates.throttled(key);
      else if (res.status < 400) this.#d.gates.succeeded(key);
      if (res.status === 401 && !refreshed) {
        refreshed = true;
        forceRefresh = true;
        this.#d.observer?.tokenRefreshed?.();
        continue;
      }
      forceRefresh = false;
      const retryAfter = parseRetryAfter(res.headers['retry-after'], this.#d.clock.now());
      const mayRetry = isRetryableStatus(res.status) && (res.status === 429 || idempotent || (res.status === 503 && retryAfter !== undefined));
      if (res.status === 429 && retryAfter !== undefined && retryAfter > 0) counted -= 1;
      const delay = retryAfter ?? backoffMs(counted, policy.backoff, this.#d.random);
      // A 429 pauses the whole mailbox for its wait, retried here or not: the caller's next request
      // (or the retry it schedules) must not arrive before Graph said it may.
      if (res.status === 429) this.#d.gates.pause(key, this.#d.clock.now() + delay);
      if (mayRetry && counted < policy.maxAttempts && attempt < MAX_ATTEMPTS_THROTTLED && waited + delay <= policy.maxWaitMs) {
        waited += delay;
        if (scope !== undefined) scope.waitedMs = waited;
        this.#d.observer?.throttled?.(res.status, delay, retryAfter !== undefined);
        await this.#d.sleep(delay);
        continue;
      }
      if (res.status === 429 && scope !== undefined) scope.retryAfterMs = delay;
      context.response = toResponse(res);
      return;
    }
  }

  /**
   * A slot of the mailbox's gate, outside any pause: the pause is checked again once the slot is
   * held, since a 429 may have arrived while this request queued at the gate.
   */
  async #admit(key: string, retry: boolean): Promise<() => void> {
    for (;;) {
      for (let paused = this.#d.gates.pausedFor(key, this.#d.clock.now()); paused > 0; paused = this.#d.gates.pausedFor(key, this.#d.clock.now())) {
        await this.#d.sleep(paused);
      }
      const release = await this.#d.gates.acquire(key, retry);
      if (this.#d.gates.pausedFor(key, this.#d.clock.now()) === 0) return release;
      release();
    }
  }
}

function plainHeaders(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (input === undefined || input === null) return out;
  if (typeof (input as Headers).forEach === 'function' && !(input instanceof Array)) {
    (input as Headers).forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
    return out;
  }
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    if (typeof value === 'string') out[name.toLowerCase()] = value;
  }
  return out;
}

/** The mailbox a URL addresses (`/users/{id}/...`), else the whole tenant. */
export function mailboxKeyOf(url: string): string {
  const match = /\/users\/([^/?]+)/i.exec(url);
  return match?.[1] === undefined ? '_tenant' : decodeURIComponent(match[1]).toLowerCase();
}

const NULL_BODY = new Set([101, 204, 205, 304]);

function toResponse(res: TransportResponse): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    try {
      headers.set(name, value);
    } catch {
      // a header value fetch's Headers refuses: not one Graph's callers need
    }
  }
  return new Response(NULL_BODY.has(res.status) ? null : new Uint8Array(res.body), { status: res.status, headers });
}
