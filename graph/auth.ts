import {
  ConfidentialClientApplication,
  CryptoProvider,
  type Configuration,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { systemClock, type Clock } from '../common/index.js';
import { classifyAuthError } from './classify.js';
import { CLOUD_ENDPOINTS, defaultScope, type CloudName } from './clouds.js';
import { parseRetryAfter } from './retry.js';
import type { MongoTokenCacheStore } from './token-cache.js';
import type { HttpsTransport } from './transport.js';

/** The app's credential in a tenant: a client secret or a certificate (PEM key + SHA-256 thumbprint). */
export type AppCredential =
  | { readonly kind: 'secret'; readonly clientSecret: string }
  | { readonly kind: 'certificate'; readonly privateKeyPem: string; readonly thumbprintSha256: string; readonly x5c?: string };

export interface AppRegistration {
  readonly clientId: string;
  readonly credential: AppCredential;
}

/**
 * Where tokens come from. Defaults are the cloud's documented hosts; `authorityHost`,
 * `knownAuthorities` and `authorityMetadata` replace them only when given explicitly (a test
 * simulator, a sovereign proxy). `authorityMetadata` may hold `{tenant}` placeholders.
 */
export interface AuthorityOverrides {
  readonly authorityHost?: string;
  readonly knownAuthorities?: readonly string[];
  readonly authorityMetadata?: string;
}

export interface AccessToken {
  readonly token: string;
  readonly expiresOn: number;
}

/** Gets a bearer token for Graph in one tenant (app-only) or for one connected user (delegated). */
export interface TokenSource {
  readonly mode: 'application' | 'delegated';
  getToken(forceRefresh: boolean): Promise<AccessToken>;
}

/** msal-node's network module over the connector's HTTPS transport (its CA and timeouts). */
export class MsalNetwork implements INetworkModule {
  readonly #transport: HttpsTransport;
  /** The clock Retry-After dates of the identity platform are read against. */
  readonly clock: Clock;

  constructor(transport: HttpsTransport, clock: Clock = systemClock) {
    this.#transport = transport;
    this.clock = clock;
  }

  async sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>('GET', url, options);
  }

  async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>('POST', url, options);
  }

  async #send<T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    const res = await this.#transport.send({ method, url, headers: options?.headers ?? {}, ...(options?.body === undefined ? {} : { body: options.body }) });
    const text = res.body.toString('utf8');
    let body: unknown = {};
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      body = { error: 'invalid_response', error_description: `non-JSON answer, status ${res.status}` };
    }
    return { headers: { ...res.headers }, body: body as T, status: res.status };
  }
}

/** One client's view of the token endpoint's refusals (429, 5xx): when the last came and the wait it named. */
class RefusalWatch implements INetworkModule {
  #last: { at: number; retryAfterMs: number | undefined } | undefined;

  constructor(readonly network: MsalNetwork) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.network.sendGetRequestAsync<T>(url, options);
  }

  async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    const res = await this.network.sendPostRequestAsync<T>(url, options);
    if (res.status === 429 || res.status >= 500) {
      const now = this.network.clock.now();
      this.#last = { at: now, retryAfterMs: parseRetryAfter(res.headers['retry-after'], now) };
    }
    return res;
  }

  /** The wait named by a refusal answered at or after `since`, if it named one. */
  retryAfterSince(since: number): number | undefined {
    return this.#last !== undefined && this.#last.at >= since ? this.#last.retryAfterMs : undefined;
  }
}

/** msal-common's key prefix of its memory of refused token requests (THROTTLING_PREFIX). */
const MSAL_THROTTLING_PREFIX = 'throttling.';

/**
 * msal-node's client without its memory of refused token requests. msal keeps a 429 or 5xx of the
 * token endpoint (ThrottlingUtils) until the answer's Retry-After, else for 60 s, and fails every
 * request of the same shape from that memory without asking again: after an identity outage of a
 * few seconds every mailbox stayed blind for up to a minute more. The governor paces token retries
 * instead (jittered back-off, never sooner than a Retry-After the identity platform named, which
 * the typed error carries as `details.retryAfterMs`).
 */
class TokenClient extends ConfidentialClientApplication {
  readonly #watch: RefusalWatch;

  constructor(config: Configuration, watch: RefusalWatch) {
    super({ ...config, system: { ...config.system, networkClient: watch } });
    this.#watch = watch;
  }

  /** Runs one token operation without msal's memory of earlier refusals; failures come back typed. */
  async acquire<T>(mode: 'application' | 'delegated', operation: () => Promise<T>): Promise<T> {
    const since = this.#watch.network.clock.now();
    this.#forgetRefusals();
    try {
      return await operation();
    } catch (error) {
      this.#forgetRefusals();
      throw classifyAuthError(error, mode, this.#watch.retryAfterSince(since));
    }
  }

  #forgetRefusals(): void {
    for (const key of this.storage.getKeys()) if (key.startsWith(MSAL_THROTTLING_PREFIX)) this.storage.removeItem(key);
  }
}

function authority(cloud: CloudName, tenantId: string, overrides: AuthorityOverrides): string {
  const host = overrides.authorityHost ?? CLOUD_ENDPOINTS[cloud].loginHost;
  return `${host.replace(/\/$/, '')}/${tenantId}`;
}

function msalConfig(registration: AppRegistration, cloud: CloudName, tenantId: string, overrides: AuthorityOverrides): Configuration {
  const credential = registration.credential;
  return {
    auth: {
      clientId: registration.clientId,
      authority: authority(cloud, tenantId, overrides),
      ...(overrides.knownAuthorities === undefined ? {} : { knownAuthorities: [...overrides.knownAuthorities] }),
      ...(overrides.authorityMetadata === undefined ? {} : { authorityMetadata: overrides.authorityMetadata }),
      ...(credential.kind === 'secret'
        ? { clientSecret: credential.clientSecret }
        : { clientCertificate: { thumbprintSha256: credential.thumbprintSha256, privateKey: credential.privateKeyPem, ...(credential.x5c === undefined ? {} : { x5c: credential.x5c }) } }),
    },
    system: {},
  };
}

/**
 * Client-credentials tokens for one tenant (enterprise mode, admin consent). Tokens are served
 * from msal's in-memory cache until shortly before expiry; an app-only token holds no refresh
 * token, so nothing needs persisting.
 */
export class AppTokenSource implements TokenSource {
  readonly mode = 'application' as const;
  readonly #app: TokenClient;
  readonly #scope: string;

  constructor(registration: AppRegistration, cloud: CloudName, tenantId: string, overrides: AuthorityOverrides, network: MsalNetwork) {
    this.#app = new TokenClient(msalConfig(registration, cloud, tenantId, overrides), new RefusalWatch(network));
    this.#scope = defaultScope(cloud);
  }

  async getToken(forceRefresh: boolean): Promise<AccessToken> {
    return this.#app.acquire('application', async () => {
      const result = await this.#app.acquireTokenByClientCredential({ scopes: [this.#scope], skipCache: forceRefresh });
      if (result === null) throw Object.assign(new Error('no token'), { errorCode: 'no_tokens_found' });
      return { token: result.accessToken, expiresOn: result.expiresOn?.getTime() ?? 0 };
    });
  }
}

/** Delegated scopes of "connect your calendar" (short names are valid in every cloud). */
export const DELEGATED_SCOPES: readonly string[] = Object.freeze(['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'offline_access', 'User.Read']);

export interface PendingSignIn {
  readonly url: string;
  /** Keep server-side (sealed) until the callback; never send it to the browser. */
  readonly codeVerifier: string;
}

/**
 * Delegated tokens for one connected user (authorization code + PKCE, `offline_access`). The msal
 * cache of the user lives sealed in MongoDB (`MongoTokenCacheStore`); msal refreshes silently and
 * rotates the refresh token, and the plugin writes the cache only when it changed. A refused refresh
 * (revoked, expired, password changed) becomes `GraphReauthorizationRequiredError`.
 */
export class DelegatedTokenSource implements TokenSource {
  readonly mode = 'delegated' as const;
  readonly #app: TokenClient;
  readonly #scopes: string[];

  constructor(
    registration: AppRegistration,
    cloud: CloudName,
    tenantId: string,
    partition: string,
    overrides: AuthorityOverrides,
    network: MsalNetwork,
    cache: MongoTokenCacheStore,
  ) {
    const config = msalConfig(registration, cloud, tenantId, overrides);
    this.#app = new TokenClient({ ...config, cache: { cachePlugin: cache.plugin(tenantId, partition) } }, new RefusalWatch(network));
    this.#scopes = DELEGATED_SCOPES.filter((scope) => scope !== 'offline_access');
  }

  /** Builds the sign-in URL (PKCE S256) for the "connect your calendar" page. */
  async beginSignIn(redirectUri: string, state: string, loginHint?: string): Promise<PendingSignIn> {
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const url = await this.#app.getAuthCodeUrl({
      scopes: [...DELEGATED_SCOPES], redirectUri, state, codeChallenge: challenge, codeChallengeMethod: 'S256',
      ...(loginHint === undefined ? {} : { loginHint }),
    });
    return { url, codeVerifier: verifier };
  }

  /** Redeems the callback's code; the token cache (with the refresh token) is written sealed. Returns the user's home account id. */
  async completeSignIn(code: string, redirectUri: string, codeVerifier: string): Promise<{ homeAccountId: string; userObjectId: string }> {
    return this.#app.acquire('delegated', async () => {
      const result = await this.#app.acquireTokenByCode({ code, redirectUri, codeVerifier, scopes: [...DELEGATED_SCOPES] });
      const account = result.account;
      if (account === null) throw Object.assign(new Error('no account'), { errorCode: 'no_account_found' });
      return { homeAccountId: account.homeAccountId, userObjectId: account.localAccountId };
    });
  }

  /**
   * Takes over a refresh token redeemed elsewhere (the API's own "connect your calendar" sign-in):
   * msal redeems it once and keeps the rotated one in the sealed cache. Returns the user's object id.
   */
  async importRefreshToken(refreshToken: string): Promise<{ userObjectId: string }> {
    return this.#app.acquire('delegated', async () => {
      const result = await this.#app.acquireTokenByRefreshToken({ refreshToken, scopes: this.#scopes });
      const account = result?.account ?? null;
      if (account === null) throw Object.assign(new Error('no account'), { errorCode: 'no_account_found' });
      return { userObjectId: account.localAccountId };
    });
  }

  async getToken(forceRefresh: boolean): Promise<AccessToken> {
    return this.#app.acquire('delegated', async () => {
      const accounts = await this.#app.getTokenCache().getAllAccounts();
      const account = accounts[0];
      if (account === undefined) throw Object.assign(new Error('no account'), { errorCode: 'no_account_found' });
      const result = await this.#app.acquireTokenSilent({ account, scopes: this.#scopes, forceRefresh });
      return { token: result.accessToken, expiresOn: result.expiresOn?.getTime() ?? 0 };
    });
  }
}
