import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Clock } from '../common/index.js';
import { ServiceUnavailableError, SignInError } from './errors.js';
import type { ApiOptions } from './options.js';

/** A sign-in waiting for its callback: kept server-side under `signin:<state>`. */
export interface PendingSignIn {
  readonly purpose: 'admin' | 'user' | 'connect';
  readonly nonce: string;
  readonly verifier: string;
  readonly returnTo: string;
  readonly expiresAt: number;
  /** The browser that started it (the pending-cookie value's hash), so a stolen state is useless elsewhere. */
  readonly browser: string;
}

export interface IdTokenClaims {
  readonly tenantId: string;
  readonly userId: string;
  readonly username: string;
  readonly name: string;
}

export interface TokenSet {
  readonly claims: IdTokenClaims;
  readonly refreshToken: string | null;
  readonly scopes: readonly string[];
}

interface Metadata {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly issuer: string;
}

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

function httpsCall(url: string, ca: string | undefined, form?: URLSearchParams): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const body = form?.toString();
    const req = request(url, {
      method: form === undefined ? 'GET' : 'POST',
      ...(ca === undefined ? {} : { ca }),
      timeout: 10_000,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), accept: 'application/json' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * OpenID Connect client for the Microsoft identity platform: authorization code + PKCE (S256),
 * state and nonce, id_token verified against the platform's JWKS (signature, issuer of the
 * token's tenant, audience, lifetime, nonce).
 */
export class OidcClient {
  readonly #options: ApiOptions['oidc'];
  readonly #clock: Clock;
  #metadata: Metadata | undefined;
  #jwks: ReturnType<typeof createLocalJWKSet> | undefined;

  constructor(options: ApiOptions['oidc'], clock: Clock) {
    this.#options = options;
    this.#clock = clock;
  }

  async #getJson(url: string, form?: URLSearchParams): Promise<{ status: number; json: Record<string, unknown> }> {
    let answer: HttpAnswer;
    try {
      answer = await httpsCall(url, this.#options.caPem, form);
    } catch (error) {
      throw new ServiceUnavailableError('The Microsoft identity platform cannot be reached; try signing in again in a minute.', { cause: error });
    }
    try {
      return { status: answer.status, json: JSON.parse(answer.body) as Record<string, unknown> };
    } catch (error) {
      throw new ServiceUnavailableError('The Microsoft identity platform answered something that is not JSON; try again later.', { cause: error });
    }
  }

  async #meta(): Promise<Metadata> {
    if (this.#metadata !== undefined) return this.#metadata;
    const base = this.#options.authorityUrl.replace(/\/$/, '');
    const { status, json } = await this.#getJson(`${base}/${encodeURIComponent(this.#options.tenant)}/v2.0/.well-known/openid-configuration`);
    const fields = ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'issuer'] as const;
    if (status !== 200 || fields.some((f) => typeof json[f] !== 'string')) throw new ServiceUnavailableError('The identity platform\'s OpenID metadata is unavailable; try again later.');
    // Multi-tenant metadata may carry a `{tenantid}` placeholder in its endpoints: use the configured segment there.
    const segment = encodeURIComponent(this.#options.tenant);
    const fill = (url: unknown) => String(url).replace('{tenantid}', segment);
    this.#metadata = { authorization_endpoint: fill(json['authorization_endpoint']), token_endpoint: fill(json['token_endpoint']), jwks_uri: fill(json['jwks_uri']), issuer: String(json['issuer']) };
    return this.#metadata;
  }

  async authorizeUrl(input: { redirectUri: string; scopes: readonly string[]; state: string; nonce: string; challenge: string; loginHint?: string }): Promise<string> {
    const meta = await this.#meta();
    const url = new URL(meta.authorization_endpoint);
    const params: Record<string, string> = {
      client_id: this.#options.clientId, response_type: 'code', response_mode: 'query', redirect_uri: input.redirectUri,
      scope: ['openid', 'profile', ...input.scopes].join(' '), state: input.state, nonce: input.nonce,
      code_challenge: input.challenge, code_challenge_method: 'S256',
    };
    if (input.loginHint !== undefined) params['login_hint'] = input.loginHint;
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }

  /** Redeems the code with the PKCE verifier and verifies the id_token (nonce included). */
  async redeem(input: { code: string; verifier: string; redirectUri: string; nonce: string; scopes: readonly string[] }): Promise<TokenSet> {
    const meta = await this.#meta();
    const form = new URLSearchParams({
      client_id: this.#options.clientId, client_secret: this.#options.clientSecret, grant_type: 'authorization_code',
      code: input.code, redirect_uri: input.redirectUri, code_verifier: input.verifier, scope: ['openid', 'profile', ...input.scopes].join(' '),
    });
    const { status, json } = await this.#getJson(meta.token_endpoint, form);
    if (status !== 200 || typeof json['id_token'] !== 'string') {
      const code = typeof json['error'] === 'string' ? json['error'] : 'unknown';
      throw new SignInError(`Microsoft 365 did not complete the sign-in (${code}); start again.`);
    }
    const claims = await this.#verifyIdToken(json['id_token'], input.nonce);
    const refreshToken = typeof json['refresh_token'] === 'string' ? json['refresh_token'] : null;
    const scopes = typeof json['scope'] === 'string' ? json['scope'].split(' ').filter((s) => s !== '') : [];
    return { claims, refreshToken, scopes };
  }

  async #keys(refresh: boolean): Promise<ReturnType<typeof createLocalJWKSet>> {
    if (this.#jwks !== undefined && !refresh) return this.#jwks;
    const meta = await this.#meta();
    const { status, json } = await this.#getJson(meta.jwks_uri);
    if (status !== 200 || !Array.isArray(json['keys'])) throw new ServiceUnavailableError('The identity platform\'s signing keys are unavailable; try again later.');
    this.#jwks = createLocalJWKSet(json as unknown as JSONWebKeySet);
    return this.#jwks;
  }

  async #verifyIdToken(idToken: string, nonce: string): Promise<IdTokenClaims> {
    const verifyWith = async (keys: ReturnType<typeof createLocalJWKSet>) => jwtVerify(idToken, keys, {
      algorithms: ['RS256'], audience: this.#options.clientId, currentDate: new Date(this.#clock.now()), clockTolerance: 300,
    });
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await verifyWith(await this.#keys(false)).catch(async (error: unknown) => {
        if ((error as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY') return verifyWith(await this.#keys(true));
        throw error;
      }));
    } catch (error) {
      throw new SignInError('The sign-in answer did not verify (signature, audience or lifetime); start again.', { cause: error });
    }
    const tid = typeof payload['tid'] === 'string' ? payload['tid'] : '';
    const meta = await this.#meta();
    const expectedIssuer = meta.issuer.replace('{tenantid}', tid);
    if (tid === '' || payload['iss'] !== expectedIssuer) throw new SignInError('The sign-in answer came from an unexpected issuer; start again.');
    if (payload['nonce'] !== nonce) throw new SignInError('The sign-in answer does not belong to this sign-in (nonce mismatch); start again.');
    const oid = typeof payload['oid'] === 'string' ? payload['oid'] : '';
    if (oid === '') throw new SignInError('The sign-in answer names no user; start again.');
    const username = typeof payload['preferred_username'] === 'string' ? payload['preferred_username'] : oid;
    return { tenantId: tid, userId: oid, username, name: typeof payload['name'] === 'string' ? payload['name'] : username };
  }
}
