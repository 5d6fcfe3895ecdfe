import { X509Certificate, createHash } from 'node:crypto';
import { SimGraphError } from '../model.js';

export interface AppRegistrationInput {
  appId: string;
  displayName?: string;
  homeTenantId: string;
  /** Client secrets accepted for this app. */
  secrets?: string[];
  /** PEM certificates whose private keys sign client assertions. */
  certificates?: string[];
  redirectUris?: string[];
  /** Application permissions requested (roles), e.g. Calendars.ReadWrite. */
  applicationPermissions?: string[];
  /** Delegated permissions requested (scopes), e.g. Calendars.ReadWrite, User.Read. */
  delegatedPermissions?: string[];
}

export interface AppRegistration {
  readonly appId: string;
  readonly displayName: string;
  readonly homeTenantId: string;
  readonly secrets: readonly string[];
  readonly certificates: readonly { pem: string; sha1: string; sha256: string }[];
  readonly redirectUris: readonly string[];
  readonly applicationPermissions: readonly string[];
  readonly delegatedPermissions: readonly string[];
}

export interface Consent {
  roles: Set<string>;
  scopes: Set<string>;
}

export interface RefreshTokenState {
  appId: string;
  tenantId: string;
  userId: string;
  scopes: readonly string[];
  issuedMs: number;
  lastUsedMs: number;
}

export interface AuthCodeState {
  appId: string;
  tenantId: string;
  userId: string;
  scopes: readonly string[];
  redirectUri: string;
  codeChallenge: string | undefined;
  codeChallengeMethod: string;
  nonce: string | undefined;
  expiresMs: number;
  redeemed: boolean;
}

/** Users that need admin consent for their delegated scopes (not user-consentable). */
export const ADMIN_ONLY_DELEGATED = new Set(['domain.read.all', 'directory.read.all', 'user.read.all', 'directory.readwrite.all']);

const key = (tenantId: string, appId: string) => `${tenantId}|${appId}`;

/**
 * App registrations and what tenants granted them: admin consent (roles and delegated scopes),
 * user consent, application access policies, authorization codes and refresh tokens.
 */
export class Directory {
  readonly apps = new Map<string, AppRegistration>();
  readonly #adminConsent = new Map<string, Consent>();
  readonly #userConsent = new Map<string, Set<string>>();
  readonly #accessPolicies = new Map<string, Set<string>>();
  readonly #userConsentBlocked = new Set<string>();
  readonly #adminConsentDenied = new Set<string>();
  readonly codes = new Map<string, AuthCodeState>();
  readonly refreshTokens = new Map<string, RefreshTokenState>();

  registerApp(input: AppRegistrationInput): AppRegistration {
    const app: AppRegistration = {
      appId: input.appId,
      displayName: input.displayName ?? `app ${input.appId.slice(0, 8)}`,
      homeTenantId: input.homeTenantId,
      secrets: [...(input.secrets ?? [])],
      certificates: (input.certificates ?? []).map((pem) => {
        const der = new X509Certificate(pem).raw;
        return { pem, sha1: createHash('sha1').update(der).digest('base64url'), sha256: createHash('sha256').update(der).digest('base64url') };
      }),
      redirectUris: [...(input.redirectUris ?? [])],
      applicationPermissions: [...(input.applicationPermissions ?? [])],
      delegatedPermissions: [...(input.delegatedPermissions ?? [])],
    };
    this.apps.set(app.appId, app);
    return app;
  }

  requireApp(appId: string): AppRegistration {
    const app = this.apps.get(appId);
    if (app === undefined) throw new SimGraphError(400, 'unauthorized_client', `Application with identifier '${appId}' was not found in the directory.`);
    return app;
  }

  /** Admin consent: grants the app's requested (or the given) roles and delegated scopes in a tenant. */
  grantAdminConsent(tenantId: string, appId: string, grant?: { roles?: string[]; scopes?: string[] }): void {
    const app = this.apps.get(appId);
    const roles = grant?.roles ?? [...(app?.applicationPermissions ?? [])];
    const scopes = grant?.scopes ?? [...(app?.delegatedPermissions ?? [])];
    this.#adminConsent.set(key(tenantId, appId), { roles: new Set(roles), scopes: new Set(scopes.map((s) => s.toLowerCase())) });
  }

  grantUserConsent(tenantId: string, appId: string, userId: string, scopes: readonly string[]): void {
    const k = `${key(tenantId, appId)}|${userId}`;
    const set = this.#userConsent.get(k) ?? new Set<string>();
    for (const s of scopes) set.add(s.toLowerCase());
    this.#userConsent.set(k, set);
  }

  /** Removes every grant of the app in the tenant (service principal deleted / consent revoked). */
  revokeConsent(tenantId: string, appId: string): void {
    this.#adminConsent.delete(key(tenantId, appId));
    const prefix = `${key(tenantId, appId)}|`;
    for (const k of [...this.#userConsent.keys()]) if (k.startsWith(prefix)) this.#userConsent.delete(k);
  }

  adminConsent(tenantId: string, appId: string): Consent | undefined {
    return this.#adminConsent.get(key(tenantId, appId));
  }

  hasAnyConsent(tenantId: string, appId: string): boolean {
    if (this.#adminConsent.has(key(tenantId, appId))) return true;
    const prefix = `${key(tenantId, appId)}|`;
    for (const k of this.#userConsent.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }

  /** Delegated scopes (lower-case) granted to the app for this user. */
  grantedScopes(tenantId: string, appId: string, userId: string): Set<string> {
    const out = new Set(this.#adminConsent.get(key(tenantId, appId))?.scopes ?? []);
    for (const s of this.#userConsent.get(`${key(tenantId, appId)}|${userId}`) ?? []) out.add(s);
    return out;
  }

  setUserConsentAllowed(tenantId: string, allowed: boolean): void {
    if (allowed) this.#userConsentBlocked.delete(tenantId);
    else this.#userConsentBlocked.add(tenantId);
  }

  userConsentAllowed(tenantId: string): boolean {
    return !this.#userConsentBlocked.has(tenantId);
  }

  setAdminConsentDenied(tenantId: string, denied: boolean): void {
    if (denied) this.#adminConsentDenied.add(tenantId);
    else this.#adminConsentDenied.delete(tenantId);
  }

  adminConsentDenied(tenantId: string): boolean {
    return this.#adminConsentDenied.has(tenantId);
  }

  /** Application access policy (RestrictAccess): only these mailboxes; undefined removes the policy. */
  setAccessPolicy(tenantId: string, appId: string, mailboxIds: readonly string[] | undefined): void {
    if (mailboxIds === undefined) this.#accessPolicies.delete(key(tenantId, appId));
    else this.#accessPolicies.set(key(tenantId, appId), new Set(mailboxIds));
  }

  mailboxAllowed(tenantId: string, appId: string, mailboxId: string): boolean {
    const policy = this.#accessPolicies.get(key(tenantId, appId));
    return policy === undefined || policy.has(mailboxId);
  }
}
