import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  SignJWT, calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, importX509, jwtVerify,
  type CryptoKey, type JWK,
} from 'jose';
import type { Clock } from '../clock.js';
import { CLOUD_HOSTS, GRAPH_APP_ID } from '../clouds.js';
import { SimGraphError, type CloudName } from '../model.js';
import type { SimStore, TenantState } from '../store/index.js';
import { ADMIN_ONLY_DELEGATED, Directory, type AppRegistration } from './directory.js';

/** Who is calling Graph, from a verified access token. */
export interface Caller {
  readonly tenantId: string;
  readonly appId: string;
  /** Signed-in user's object id (delegated tokens only). */
  readonly userId?: string;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly cloud: CloudName;
}

/** Where one cloud's listener is reachable. */
export interface CloudEndpoint {
  readonly cloud: CloudName;
  /** Local HTTPS base, e.g. https://localhost:8443 (no trailing slash). */
  readonly baseUrl: string;
}

export interface IdpResponse {
  status: number;
  headers: Record<string, string>;
  body?: string | Record<string, unknown>;
}

const DAY = 86_400_000;
export const REFRESH_INACTIVITY_MS = 90 * DAY;
const ACCESS_TOKEN_SECONDS = 3599;
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function b64(value: string): string {
  return Buffer.from(value).toString('base64url');
}

function aadDate(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** The identity platform's OAuth error body (AADSTS code, trace and correlation ids). */
export function aadError(status: number, error: string, code: number, description: string, now: number, suberror?: string): IdpResponse {
  const trace = randomUUID();
  const correlation = randomUUID();
  const body: Record<string, unknown> = {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${aadDate(now)}`,
    error_codes: [code],
    timestamp: aadDate(now),
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
  if (suberror !== undefined) body['suberror'] = suberror;
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache' }, body };
}

class AadFailure extends Error {
  constructor(readonly response: IdpResponse) {
    super('aad failure');
  }
}

/**
 * Microsoft identity platform (v2.0 endpoints): OpenID configuration, JWKS, token endpoint
 * (client credentials with secret or certificate, authorization code + PKCE, refresh tokens with
 * rotation and 90-day inactivity expiry), authorize and admin-consent; signs access tokens that the
 * Graph side verifies.
 */
export class IdentityPlatform {
  readonly directory: Directory;
  readonly #store: SimStore;
  readonly #clock: Clock;
  readonly #privateKey: CryptoKey;
  readonly #publicKey: CryptoKey;
  readonly #jwk: JWK;
  readonly #kid: string;
  /** Fault: every access token is reported expired. */
  expiredTokens = false;
  /**
   * Lifetime of the access tokens issued from now on (s). msal-node renews a token 5 minutes before
   * it expires, so a lifetime just above 300 s makes clients ask for tokens every few seconds.
   */
  accessTokenSeconds = ACCESS_TOKEN_SECONDS;
  /** Which thumbprint header the last client assertion named its certificate by (fidelity checks). */
  lastAssertionThumbprint: 'x5t#S256' | 'x5t' | undefined;

  private constructor(store: SimStore, clock: Clock, directory: Directory, keys: { privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK; kid: string }) {
    this.#store = store;
    this.#clock = clock;
    this.directory = directory;
    this.#privateKey = keys.privateKey;
    this.#publicKey = keys.publicKey;
    this.#jwk = keys.jwk;
    this.#kid = keys.kid;
  }

  static async create(store: SimStore, clock: Clock, directory = new Directory()): Promise<IdentityPlatform> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new IdentityPlatform(store, clock, directory, { privateKey, publicKey, jwk: { ...jwk, kid, use: 'sig', alg: 'RS256' }, kid });
  }

  /** Resolves a tenant path segment (GUID or verified domain) within a cloud. */
  resolveTenant(segment: string, cloud: CloudName): TenantState | undefined {
    const direct = this.#store.tenant(segment);
    const found = direct ?? [...this.#store.tenants.values()].find((t) => t.domains.some((d) => d.id.toLowerCase() === segment.toLowerCase()));
    if (found === undefined || !sameCloudGroup(found.cloud, cloud)) return undefined;
    return found;
  }

  openIdConfiguration(base: string, tenantSegment: string, cloud: CloudName): Record<string, unknown> {
    const tenant = this.resolveTenant(tenantSegment, cloud);
    const tid = tenant?.id ?? '{tenantid}';
    return {
      token_endpoint: `${base}/${tid}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/${tid}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/${tid}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${CLOUD_HOSTS[cloud].graphHost}/oidc/userinfo`,
      authorization_endpoint: `${base}/${tid}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/${tid}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/${tid}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
      kerberos_endpoint: `${base}/${tid}/kerberos`,
      tenant_region_scope: tenant === undefined ? null : 'NA',
      cloud_instance_name: new URL(CLOUD_HOSTS[cloud].loginHost).hostname.replace(/^login\./, ''),
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: new URL(CLOUD_HOSTS[cloud].graphHost).hostname,
      rbac_url: 'https://pas.windows.net',
    };
  }

  /** authorityMetadata for MSAL (`{tenant}` is replaced by MSAL with the authority's tenant). */
  msalAuthorityMetadata(base: string): string {
    return JSON.stringify({
      token_endpoint: `${base}/{tenant}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/{tenant}/oauth2/v2.0/authorize`,
      issuer: `${base}/{tenant}/v2.0`,
      jwks_uri: `${base}/{tenant}/discovery/v2.0/keys`,
      end_session_endpoint: `${base}/{tenant}/oauth2/v2.0/logout`,
    });
  }

  jwks(): { keys: JWK[] } {
    return { keys: [{ kty: this.#jwk.kty, use: 'sig', kid: this.#kid, n: this.#jwk.n, e: this.#jwk.e, alg: 'RS256' } as JWK] };
  }

  // ---- Token endpoint -------------------------------------------------------------------------

  async token(endpoint: CloudEndpoint, tenantSegment: string, form: URLSearchParams, authorization: string | undefined): Promise<IdpResponse> {
    try {
      return await this.#token(endpoint, tenantSegment, form, authorization);
    } catch (error) {
      if (error instanceof AadFailure) return error.response;
      throw error;
    }
  }

  #fail(status: number, error: string, code: number, description: string, suberror?: string): never {
    throw new AadFailure(aadError(status, error, code, description, this.#clock.now(), suberror));
  }

  async #token(endpoint: CloudEndpoint, tenantSegment: string, form: URLSearchParams, authorization: string | undefined): Promise<IdpResponse> {
    const grantType = form.get('grant_type') ?? '';
    let clientId = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? undefined;
    if (authorization?.startsWith('Basic ') === true) {
      const [id, pass] = Buffer.from(authorization.slice(6), 'base64').toString().split(':');
      clientId = decodeURIComponent(id ?? '');
      secret = decodeURIComponent(pass ?? '');
    }
    if (!['client_credentials', 'authorization_code', 'refresh_token'].includes(grantType)) {
      this.#fail(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
    }
    if (clientId === '') this.#fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    const lowered = tenantSegment.toLowerCase();
    if (grantType === 'client_credentials' && (lowered === 'common' || lowered === 'consumers' || lowered === 'organizations')) {
      this.#fail(400, 'invalid_request', 9001023, "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.");
    }
    const app = this.directory.apps.get(clientId);
    let tenant = this.resolveTenant(tenantSegment, endpoint.cloud);
    if (tenant === undefined && !['common', 'organizations'].includes(lowered)) {
      this.#fail(400, 'invalid_request', 90002, `Tenant '${tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    if (app === undefined) {
      this.#fail(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenantSegment}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`);
    }
    await this.#authenticateClient(app, endpoint, form, secret);

    if (grantType === 'client_credentials') {
      if (tenant === undefined) this.#fail(400, 'invalid_request', 90002, `Tenant '${tenantSegment}' not found.`);
      const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
      const scope = scopes[0] ?? '';
      if (scopes.length !== 1 || !scope.endsWith('/.default')) {
        this.#fail(400, 'invalid_scope', 1002012, `The provided value for scope ${scopes.join(' ')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
      }
      this.#checkResource(scope.slice(0, -'/.default'.length), endpoint, tenant.id);
      const consent = this.directory.adminConsent(tenant.id, app.appId);
      if (consent === undefined) {
        this.#fail(400, 'unauthorized_client', 700016, `Application with identifier '${app.appId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`);
      }
      const accessToken = await this.#accessToken(endpoint.cloud, tenant.id, app, { roles: [...consent.roles] });
      return ok({ token_type: 'Bearer', expires_in: this.accessTokenSeconds, ext_expires_in: this.accessTokenSeconds, access_token: accessToken });
    }

    if (grantType === 'authorization_code') {
      const codeValue = form.get('code') ?? '';
      const code = this.directory.codes.get(codeValue);
      const now = this.#clock.now();
      if (code === undefined || code.appId !== app.appId) this.#fail(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
      if (code.redeemed) this.#fail(400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.');
      if (code.expiresMs < now) this.#fail(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.');
      if ((form.get('redirect_uri') ?? '') !== code.redirectUri) this.#fail(400, 'invalid_grant', 50148, 'The redirect_uri specified in the token request does not match the redirect_uri used in the authorization request.');
      if (code.codeChallenge !== undefined) {
        const verifier = form.get('code_verifier') ?? '';
        const computed = code.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
        if (verifier === '' || computed !== code.codeChallenge) this.#fail(400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.');
      }
      code.redeemed = true;
      tenant = this.#store.tenant(code.tenantId);
      if (tenant === undefined) this.#fail(400, 'invalid_request', 90002, `Tenant '${code.tenantId}' not found.`);
      this.#checkDelegatedConsent(tenant.id, app, code.userId, code.scopes);
      return ok(await this.#userTokens(endpoint, tenant.id, app, code.userId, code.scopes, form, code.nonce));
    }

    // refresh_token
    const rtValue = form.get('refresh_token') ?? '';
    const rt = this.directory.refreshTokens.get(rtValue);
    const now = this.#clock.now();
    if (rt === undefined || rt.appId !== app.appId) this.#fail(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    if (now - rt.lastUsedMs > REFRESH_INACTIVITY_MS) {
      this.#fail(400, 'invalid_grant', 700082, `The refresh token has expired due to inactivity. The token was issued on ${new Date(rt.issuedMs).toISOString()} and was inactive for 90.00:00:00.`);
    }
    const requested = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
    const resourceScopes = requested.length === 0 ? rt.scopes : requested;
    this.#checkDelegatedConsent(rt.tenantId, app, rt.userId, resourceScopes);
    rt.lastUsedMs = now;
    return ok(await this.#userTokens(endpoint, rt.tenantId, app, rt.userId, resourceScopes, form, undefined));
  }

  async #authenticateClient(app: AppRegistration, endpoint: CloudEndpoint, form: URLSearchParams, secret: string | undefined): Promise<void> {
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE) this.#fail(400, 'invalid_request', 50027, 'Invalid client_assertion_type.');
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(assertion);
      } catch {
        this.#fail(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
      }
      // x5t#S256 names the certificate by its SHA-256 thumbprint, x5t by its SHA-1 one; each matches only its own kind.
      const sha256 = header['x5t#S256'] as string | undefined;
      const thumb = sha256 ?? header.x5t;
      const cert = app.certificates.find((c) => (sha256 !== undefined ? c.sha256 === sha256 : c.sha1 === thumb));
      this.lastAssertionThumbprint = sha256 !== undefined ? 'x5t#S256' : 'x5t';
      if (cert === undefined) this.#fail(401, 'invalid_client', 700027, `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumb ?? ''}']`);
      const alg = header.alg === 'PS256' ? 'PS256' : 'RS256';
      try {
        const key = await importX509(cert.pem, alg);
        const { payload } = await jwtVerify(assertion, key, { algorithms: [alg], issuer: app.appId, subject: app.appId, clockTolerance: 300 });
        const aud = typeof payload.aud === 'string' ? payload.aud : '';
        if (!aud.endsWith('/oauth2/v2.0/token') && !aud.startsWith(endpoint.baseUrl)) this.#fail(401, 'invalid_client', 700024, 'Client assertion audience claim does not match Realm issuer.');
      } catch (error) {
        if (error instanceof AadFailure) throw error;
        this.#fail(401, 'invalid_client', 700027, `Client assertion failed signature validation. (${(error as Error).message})`);
      }
      return;
    }
    if (secret === undefined || secret === '') this.#fail(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    if (!app.secrets.includes(secret)) this.#fail(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.');
  }

  #checkResource(resource: string, endpoint: CloudEndpoint, tenantId: string): void {
    const accepted = [CLOUD_HOSTS[endpoint.cloud].graphHost, GRAPH_APP_ID, endpoint.baseUrl].map((r) => r.replace(/\/$/, '').toLowerCase());
    if (!accepted.includes(resource.replace(/\/$/, '').toLowerCase())) {
      this.#fail(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
    }
  }

  /** Graph scope names without resource prefix; `.default` expands to the app's delegated permissions. */
  graphScopes(app: AppRegistration, scopes: readonly string[]): string[] {
    const out: string[] = [];
    for (const raw of scopes) {
      if (OIDC_SCOPES.has(raw.toLowerCase())) continue;
      const short = raw.replace(/^https:\/\/[^/]+\//, '').replace(/^00000003-0000-0000-c000-000000000000\//i, '');
      if (short === '.default') out.push(...app.delegatedPermissions);
      else out.push(short);
    }
    return [...new Set(out)];
  }

  #checkDelegatedConsent(tenantId: string, app: AppRegistration, userId: string, scopes: readonly string[]): void {
    const granted = this.directory.grantedScopes(tenantId, app.appId, userId);
    const missing = this.graphScopes(app, scopes).filter((s) => !granted.has(s.toLowerCase()));
    if (missing.length > 0) {
      this.#fail(400, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${app.appId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`, 'consent_required');
    }
  }

  async #userTokens(endpoint: CloudEndpoint, tenantId: string, app: AppRegistration, userId: string, scopes: readonly string[], form: URLSearchParams, nonce: string | undefined): Promise<Record<string, unknown>> {
    const now = this.#clock.now();
    const graphScopes = this.graphScopes(app, scopes);
    const granted = this.directory.grantedScopes(tenantId, app.appId, userId);
    const effective = graphScopes.filter((s) => granted.has(s.toLowerCase()));
    const mbx = this.#store.findMailbox(tenantId, userId);
    const accessToken = await this.#accessToken(endpoint.cloud, tenantId, app, { scopes: effective, userId, upn: mbx?.userPrincipalName, name: mbx?.displayName });
    const lowered = scopes.map((s) => s.toLowerCase());
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: [...effective, ...lowered.filter((s) => OIDC_SCOPES.has(s) && s !== 'offline_access')].join(' '),
      expires_in: this.accessTokenSeconds,
      ext_expires_in: this.accessTokenSeconds,
      access_token: accessToken,
    };
    if (lowered.includes('offline_access') || form.get('grant_type') === 'refresh_token') {
      const rt = `1.${randomBytes(48).toString('base64url')}`;
      this.directory.refreshTokens.set(rt, { appId: app.appId, tenantId, userId, scopes: [...scopes], issuedMs: now, lastUsedMs: now });
      body['refresh_token'] = rt;
      body['refresh_token_expires_in'] = Math.floor(REFRESH_INACTIVITY_MS / 1000);
    }
    if (lowered.includes('openid') || form.get('grant_type') === 'refresh_token') {
      const claims: Record<string, unknown> = {
        aud: app.appId, iss: `${endpoint.baseUrl}/${tenantId}/v2.0`, sub: b64(`${userId}|${app.appId}`).slice(0, 43), oid: userId, tid: tenantId,
        preferred_username: mbx?.userPrincipalName ?? userId, name: mbx?.displayName ?? userId, ver: '2.0', uti: randomBytes(16).toString('base64url'),
      };
      if (nonce !== undefined) claims['nonce'] = nonce;
      body['id_token'] = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: this.#kid, typ: 'JWT' })
        .setIssuedAt(Math.floor(now / 1000)).setNotBefore(Math.floor(now / 1000)).setExpirationTime(Math.floor(now / 1000) + 3600).sign(this.#privateKey);
    }
    if (form.get('client_info') === '1') body['client_info'] = b64(JSON.stringify({ uid: userId, utid: tenantId }));
    return body;
  }

  async #accessToken(cloud: CloudName, tenantId: string, app: AppRegistration, grant: { roles?: string[]; scopes?: string[]; userId?: string; upn?: string | undefined; name?: string | undefined }): Promise<string> {
    const now = Math.floor(this.#clock.now() / 1000);
    const claims: Record<string, unknown> = {
      aud: CLOUD_HOSTS[cloud].graphHost,
      iss: `https://sts.windows.net/${tenantId}/`,
      app_displayname: app.displayName,
      appid: app.appId,
      appidacr: '1',
      idp: `https://sts.windows.net/${tenantId}/`,
      idtyp: grant.userId === undefined ? 'app' : 'user',
      oid: grant.userId ?? b64(`sp|${tenantId}|${app.appId}`).slice(0, 36),
      sub: grant.userId ?? b64(`sp|${tenantId}|${app.appId}`).slice(0, 36),
      tid: tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
      xms_cloud: cloud,
    };
    if (grant.roles !== undefined) claims['roles'] = grant.roles;
    if (grant.scopes !== undefined) claims['scp'] = grant.scopes.join(' ');
    if (grant.upn !== undefined) claims['upn'] = grant.upn;
    if (grant.name !== undefined) claims['name'] = grant.name;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: this.#kid, typ: 'JWT' })
      .setIssuedAt(now).setNotBefore(now).setExpirationTime(now + this.accessTokenSeconds).sign(this.#privateKey);
  }

  /**
   * A validation token of rich change notifications: a JWT signed with the platform's key (in
   * `jwks()`), `aud` = the subscribing app, `iss` = the tenant's v1 issuer, `appid`/`azp` = the
   * Graph change-tracking app, valid one hour.
   */
  async signValidationToken(tenantId: string, appId: string, changeTrackingAppId: string): Promise<string> {
    const now = Math.floor(this.#clock.now() / 1000);
    const claims = {
      aud: appId, iss: `https://sts.windows.net/${tenantId}/`, appid: changeTrackingAppId, azp: changeTrackingAppId,
      appidacr: '2', idp: `https://sts.windows.net/${tenantId}/`, tid: tenantId, ver: '1.0',
      oid: b64(`sp|${tenantId}|${changeTrackingAppId}`).slice(0, 36), sub: b64(`sp|${tenantId}|${changeTrackingAppId}`).slice(0, 36),
    };
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: this.#kid, typ: 'JWT' })
      .setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 3600).sign(this.#privateKey);
  }

  // ---- Graph side -----------------------------------------------------------------------------

  /** Verifies a bearer token for a Graph call on a cloud's listener; 401 InvalidAuthenticationToken otherwise. */
  async verify(authorization: string | undefined, cloud: CloudName): Promise<Caller> {
    if (authorization === undefined || authorization === '') throw invalidToken('Access token is empty.');
    if (!/^Bearer\s+/i.test(authorization)) throw invalidToken('Access token validation failure.');
    const token = authorization.replace(/^Bearer\s+/i, '');
    if (token.split('.').length !== 3) throw invalidToken('IDX14100: JWT is not well formed, there are no dots (.).');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.#publicKey, {
        algorithms: ['RS256'], currentDate: new Date(this.#clock.now()), clockTolerance: 0,
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED' || code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw invalidToken('Lifetime validation failed, the token is expired.');
      throw invalidToken('Access token validation failure.');
    }
    if (this.expiredTokens) throw invalidToken('Lifetime validation failed, the token is expired.');
    const aud = payload['aud'];
    const accepted = [CLOUD_HOSTS[cloud].graphHost, `${CLOUD_HOSTS[cloud].graphHost}/`, GRAPH_APP_ID];
    if (typeof aud !== 'string' || !accepted.includes(aud)) throw invalidToken('Access token validation failure. Invalid audience.');
    const tenantId = typeof payload['tid'] === 'string' ? payload['tid'] : '';
    const tenant = this.#store.tenant(tenantId);
    if (tenant === undefined || !sameCloudGroup(tenant.cloud, cloud)) throw invalidToken('Access token validation failure. Invalid audience.');
    const appId = typeof payload['appid'] === 'string' ? payload['appid'] : '';
    if (!this.directory.hasAnyConsent(tenantId, appId)) {
      throw new SimGraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    }
    const scp = typeof payload['scp'] === 'string' ? payload['scp'].split(' ').filter((s) => s !== '') : [];
    const roles = Array.isArray(payload['roles']) ? payload['roles'].map(String) : [];
    const caller: Caller = payload['idtyp'] === 'user'
      ? { tenantId, appId, userId: String(payload['oid']), roles, scopes: scp, cloud }
      : { tenantId, appId, roles, scopes: scp, cloud };
    return caller;
  }

  // ---- Browser endpoints ----------------------------------------------------------------------

  /** GET /{tenant}/oauth2/v2.0/authorize: signs in `login_hint` (or asks for it) and redirects with a code. */
  authorize(endpoint: CloudEndpoint, tenantSegment: string, query: URLSearchParams): IdpResponse {
    const clientId = query.get('client_id') ?? '';
    const redirectUri = query.get('redirect_uri') ?? '';
    const app = this.directory.apps.get(clientId);
    if (app === undefined) return htmlPage(400, `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`);
    if (!app.redirectUris.includes(redirectUri)) return htmlPage(400, `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`);
    const state = query.get('state');
    const responseMode = query.get('response_mode') ?? 'query';
    const loginHint = query.get('login_hint');
    if (loginHint === null || loginHint === '') return signInPage(query);
    const lowered = tenantSegment.toLowerCase();
    const domain = loginHint.split('@')[1] ?? '';
    const tenant = ['common', 'organizations'].includes(lowered) ? this.resolveTenant(domain, endpoint.cloud) : this.resolveTenant(tenantSegment, endpoint.cloud);
    const redirect = (params: Record<string, string>) => redirectTo(redirectUri, responseMode, state === null ? params : { ...params, state });
    if (tenant === undefined) return redirect({ error: 'invalid_request', error_description: `AADSTS90002: Tenant '${tenantSegment}' not found.` });
    const user = this.#store.findMailbox(tenant.id, loginHint);
    if (user?.kind !== 'user') return redirect({ error: 'invalid_request', error_description: `AADSTS50034: The user account ${loginHint} does not exist in the ${tenant.id} directory.` });
    const scopes = (query.get('scope') ?? '').split(' ').filter((s) => s !== '');
    const wanted = this.graphScopes(app, scopes);
    const granted = this.directory.grantedScopes(tenant.id, app.appId, user.id);
    const missing = wanted.filter((s) => !granted.has(s.toLowerCase()));
    if (missing.length > 0) {
      if (missing.some((s) => ADMIN_ONLY_DELEGATED.has(s.toLowerCase()))) {
        return redirect({ error: 'consent_required', error_description: `AADSTS90094: The grant requires admin permission.` });
      }
      if (!this.directory.userConsentAllowed(tenant.id)) {
        return redirect({ error: 'consent_required', error_description: `AADSTS65001: The user or administrator has not consented to use the application with ID '${app.appId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.` });
      }
      this.directory.grantUserConsent(tenant.id, app.appId, user.id, missing);
    }
    const code = `1.${randomBytes(48).toString('base64url')}`;
    this.directory.codes.set(code, {
      appId: app.appId, tenantId: tenant.id, userId: user.id, scopes, redirectUri,
      codeChallenge: query.get('code_challenge') ?? undefined, codeChallengeMethod: query.get('code_challenge_method') ?? 'plain',
      nonce: query.get('nonce') ?? undefined, expiresMs: this.#clock.now() + 10 * 60_000, redeemed: false,
    });
    const params: Record<string, string> = { code };
    if (query.get('client_info') === '1') params['client_info'] = b64(JSON.stringify({ uid: user.id, utid: tenant.id }));
    return redirect(params);
  }

  /** GET /{tenant}/adminconsent: grants the app's requested permissions in the tenant. */
  adminConsent(endpoint: CloudEndpoint, tenantSegment: string, query: URLSearchParams): IdpResponse {
    const clientId = query.get('client_id') ?? '';
    const redirectUri = query.get('redirect_uri') ?? '';
    const app = this.directory.apps.get(clientId);
    if (app === undefined) return htmlPage(400, `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`);
    if (redirectUri !== '' && !app.redirectUris.includes(redirectUri)) return htmlPage(400, `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`);
    const target = redirectUri === '' ? app.redirectUris[0] ?? '' : redirectUri;
    const state = query.get('state');
    const lowered = tenantSegment.toLowerCase();
    const hint = query.get('login_hint') ?? query.get('tenant') ?? '';
    const tenant = ['common', 'organizations'].includes(lowered)
      ? this.resolveTenant(hint.includes('@') ? hint.split('@')[1] ?? '' : hint, endpoint.cloud)
      : this.resolveTenant(tenantSegment, endpoint.cloud);
    if (tenant === undefined) {
      if (['common', 'organizations'].includes(lowered)) return tenantPage(query);
      return redirectTo(target, 'query', { error: 'invalid_request', error_description: `AADSTS90002: Tenant '${tenantSegment}' not found.`, ...(state === null ? {} : { state }) });
    }
    if (this.directory.adminConsentDenied(tenant.id) || query.get('sim_decision') === 'cancel') {
      return redirectTo(target, 'query', { error: 'access_denied', error_description: 'AADSTS65004: The admin canceled the request', ...(state === null ? {} : { state }) });
    }
    this.directory.grantAdminConsent(tenant.id, app.appId);
    return redirectTo(target, 'query', { admin_consent: 'True', tenant: tenant.id, ...(state === null ? {} : { state }) });
  }
}

function ok(body: Record<string, unknown>): IdpResponse {
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache', pragma: 'no-cache' }, body };
}

function invalidToken(message: string): SimGraphError {
  return new SimGraphError(401, 'InvalidAuthenticationToken', message, {
    'WWW-Authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
  });
}

/** Worldwide and GCC share hosts and tokens; other clouds are separate. */
export function sameCloudGroup(a: CloudName, b: CloudName): boolean {
  const group = (c: CloudName) => (c === 'gcc' ? 'worldwide' : c);
  return group(a) === group(b);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function htmlPage(status: number, message: string): IdpResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<!doctype html><html><head><title>Sign in</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p>${escape(message)}</p></body></html>` };
}

function hiddenInputs(query: URLSearchParams, skip: string): string {
  return [...query.entries()].filter(([k]) => k !== skip).map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`).join('');
}

function signInPage(query: URLSearchParams): IdpResponse {
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<!doctype html><html><head><title>Sign in to your account</title></head><body><h1>Sign in</h1><form method="get">${hiddenInputs(query, 'login_hint')}<label>Email <input name="login_hint" type="email" autofocus></label><button type="submit">Next</button></form></body></html>` };
}

function tenantPage(query: URLSearchParams): IdpResponse {
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<!doctype html><html><head><title>Permissions requested</title></head><body><h1>Permissions requested</h1><form method="get">${hiddenInputs(query, 'login_hint')}<label>Administrator account <input name="login_hint" type="email" autofocus></label><button type="submit">Accept</button><button type="submit" name="sim_decision" value="cancel">Cancel</button></form></body></html>` };
}

function redirectTo(uri: string, mode: string, params: Record<string, string>): IdpResponse {
  const qs = new URLSearchParams(params).toString();
  if (mode === 'form_post') {
    const inputs = Object.entries(params).map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`).join('');
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="${escape(uri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form></body></html>` };
  }
  const sep = mode === 'fragment' ? '#' : uri.includes('?') ? '&' : '?';
  return { status: 302, headers: { location: `${uri}${sep}${qs}` } };
}
