import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../common/index.js';
import { ForbiddenError, InvalidInputError, TokenExpiredError, UnauthenticatedError } from './errors.js';
import type { ApiStateStore } from './ports.js';

export type PrincipalKind = 'user' | 'device' | 'gateway' | 'admin';

/** Who a service token (or a session) speaks for: one organisation and one principal in it. */
export interface Principal {
  readonly orgId: string;
  readonly kind: PrincipalKind;
  /** Tenant of a user or device principal; null for gateways and administrators (whole org). */
  readonly tenantId: string | null;
  /** userId, deviceId or gatewayId; the admin's user id for administrators. */
  readonly subject: string;
  /** Token id (never the secret) or `session`, for logs. */
  readonly via: string;
}

interface StoredToken {
  readonly orgId: string;
  readonly kind: PrincipalKind;
  readonly tenantId: string | null;
  readonly subject: string;
  /** SHA-256 of the whole token, hex. */
  readonly hash: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

const TOKEN_RE = /^hct_([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;
const ID_RE = /^[A-Za-z0-9_-]{16}$/;
const MAX_TTL_MS = 400 * 86_400_000;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A token verified lately, under the SHA-256 of the whole token (never the token itself). */
interface Verified {
  readonly principal: Principal;
  readonly expiresAt: number;
  readonly cachedUntil: number;
}

export interface TokenServiceOptions {
  /**
   * How long a verified token is trusted without reading its record again (0: read on every
   * request). A revocation through this process applies at once; one made by another API
   * process applies here within this time.
   */
  readonly cacheMs?: number;
  /** Most verified tokens held (least recently verified dropped first). */
  readonly cacheMaxEntries?: number;
}

/**
 * Service-issued bearer tokens `hct_<id>.<secret>`: stored only as a SHA-256 hash under
 * `token:<id>` (an `_id` read), compared in constant time, expiring, revocable. A verified token
 * is remembered for `cacheMs` by its hash, so a client's requests do not each read the store.
 */
export class TokenService {
  readonly #state: ApiStateStore;
  readonly #clock: Clock;
  readonly #cacheMs: number;
  readonly #cacheMax: number;
  readonly #verified = new Map<string, Verified>();

  constructor(state: ApiStateStore, clock: Clock, options: TokenServiceOptions = {}) {
    this.#state = state;
    this.#clock = clock;
    this.#cacheMs = options.cacheMs ?? 0;
    this.#cacheMax = options.cacheMaxEntries ?? 10_000;
  }

  async issue(input: { orgId: string; kind: PrincipalKind; tenantId: string | null; subject: string; ttlMs: number }): Promise<{ token: string; tokenId: string; expiresAt: number }> {
    if (!(input.ttlMs > 0 && input.ttlMs <= MAX_TTL_MS)) throw new InvalidInputError(`A token lives between 1 ms and ${MAX_TTL_MS / 86_400_000} days.`);
    if ((input.kind === 'user' || input.kind === 'device') && input.tenantId === null) throw new InvalidInputError('User and device tokens need a tenantId.');
    const tokenId = randomBytes(12).toString('base64url');
    const token = `hct_${tokenId}.${randomBytes(32).toString('base64url')}`;
    const now = this.#clock.now();
    const stored: StoredToken = {
      orgId: input.orgId, kind: input.kind, tenantId: input.tenantId, subject: input.subject,
      hash: sha256(token).toString('hex'), createdAt: now, expiresAt: now + input.ttlMs, revokedAt: null,
    };
    await this.#state.put(`token:${tokenId}`, stored);
    return { token, tokenId, expiresAt: stored.expiresAt };
  }

  /** The principal of a bearer token; forged, unknown and revoked tokens are all "unauthenticated". */
  async verify(token: string): Promise<Principal> {
    const match = TOKEN_RE.exec(token);
    if (match === null) throw new UnauthenticatedError();
    const tokenId = match[1]!;
    const presented = sha256(token);
    const now = this.#clock.now();
    const hash = presented.toString('hex');
    const known = this.#verified.get(hash);
    if (known !== undefined && now < known.cachedUntil) {
      if (known.expiresAt <= now) throw new TokenExpiredError();
      return known.principal;
    }
    if (known !== undefined) this.#verified.delete(hash);
    const stored = await this.#state.get<StoredToken>(`token:${tokenId}`);
    // Compare against a dummy hash when the id is unknown, so timing does not tell ids apart.
    const expected = stored === undefined ? Buffer.alloc(32) : Buffer.from(stored.hash, 'hex');
    const equal = expected.length === presented.length && timingSafeEqual(expected, presented);
    if (stored === undefined || !equal || stored.revokedAt !== null) throw new UnauthenticatedError();
    if (stored.expiresAt <= this.#clock.now()) throw new TokenExpiredError();
    const principal: Principal = { orgId: stored.orgId, kind: stored.kind, tenantId: stored.tenantId, subject: stored.subject, via: tokenId };
    if (this.#cacheMs > 0) {
      this.#verified.set(hash, { principal, expiresAt: stored.expiresAt, cachedUntil: this.#clock.now() + this.#cacheMs });
      while (this.#verified.size > this.#cacheMax) this.#verified.delete(this.#verified.keys().next().value!);
    }
    return principal;
  }

  /** Revokes a token of the organisation; another organisation's token id is refused. */
  async revoke(orgId: string, tokenId: string): Promise<void> {
    if (!ID_RE.test(tokenId)) throw new InvalidInputError('A token id is 16 characters of [A-Za-z0-9_-].');
    const stored = await this.#state.get<StoredToken>(`token:${tokenId}`);
    if (stored === undefined || stored.orgId !== orgId) throw new ForbiddenError('No token with this id in your organisation.');
    if (stored.revokedAt === null) await this.#state.put(`token:${tokenId}`, { ...stored, revokedAt: this.#clock.now() });
    this.#verified.delete(stored.hash);
  }
}

/** Constant-time equality of two strings (CSRF tokens, OAuth state). */
export function safeEqual(a: string, b: string): boolean {
  const x = sha256(a);
  const y = sha256(b);
  return timingSafeEqual(x, y) && a.length === b.length;
}
