import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../../common/index.js';
import { ConsentStateInvalidError } from '../errors.js';

/**
 * The `state` of a consent or sign-in round trip: a small JSON payload, base64url, plus an
 * HMAC-SHA256 over it with the service's state key. Verification hashes both MACs and compares
 * the digests in constant time, then checks the purpose and the age (a replayed or stale state is
 * refused like a tampered one).
 */
export interface StatePayload {
  readonly purpose: 'admin-consent' | 'user-sign-in';
  readonly orgId: string;
  readonly cloud: string;
  /** For sign-in: the mailbox being connected. */
  readonly subject?: string;
  readonly nonce: string;
  readonly issuedAt: number;
}

export class StateSigner {
  readonly #key: Buffer;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;

  constructor(key: Uint8Array, clock: Clock, maxAgeMs = 30 * 60_000) {
    if (key.length < 32) throw new TypeError('StateSigner: the state key must hold at least 32 bytes.');
    this.#key = Buffer.from(key);
    this.#clock = clock;
    this.#maxAgeMs = maxAgeMs;
  }

  sign(payload: Omit<StatePayload, 'nonce' | 'issuedAt'>): string {
    const full: StatePayload = { ...payload, nonce: randomBytes(12).toString('base64url'), issuedAt: this.#clock.now() };
    const body = Buffer.from(JSON.stringify(full), 'utf8').toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  verify(state: string | undefined, purpose: StatePayload['purpose']): StatePayload {
    const refuse = (why: string): never => {
      throw new ConsentStateInvalidError(`The callback's state is not valid (${why}); start again from the admin page.`);
    };
    if (state === undefined || state.length === 0 || state.length > 2048) return refuse('missing or oversized');
    const dot = state.lastIndexOf('.');
    if (dot <= 0) return refuse('malformed');
    const body = state.slice(0, dot);
    const mac = state.slice(dot + 1);
    const expected = createHash('sha256').update(this.#mac(body)).digest();
    const given = createHash('sha256').update(mac).digest();
    if (!timingSafeEqual(expected, given)) return refuse('signature mismatch');
    let payload: StatePayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as StatePayload;
    } catch {
      return refuse('malformed payload');
    }
    if (payload.purpose !== purpose) return refuse('wrong purpose');
    const age = this.#clock.now() - payload.issuedAt;
    if (!(age >= -60_000 && age <= this.#maxAgeMs)) return refuse('expired');
    return payload;
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}
