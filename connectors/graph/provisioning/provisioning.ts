import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../common/index.js';
import { HcError } from '../../../common/index.js';
import {
  CLOUD_ENDPOINTS,
  assertCloudAccepted,
  type AppRegistration,
  type CloudName,
  type DeploymentMode,
  type GraphAccess,
  type GraphConnections,
} from '../../../graph/index.js';
import { ConsentDeniedError, UnknownDomainError } from '../errors.js';
import type { StateSigner } from './state.js';
import type { ProvisioningStore, TenantDocument } from './store.js';

export interface ProvisioningDeps {
  readonly store: ProvisioningStore;
  readonly connections: GraphConnections;
  readonly signer: StateSigner;
  readonly clock: Clock;
  /** The service's multi-tenant app registration (client id and credential). */
  readonly app: AppRegistration;
  readonly mode: DeploymentMode;
  /** Where the identity platform sends the administrator back (registered on the app). */
  readonly consentRedirectUri: string;
  /** Explicit authority host override (simulator); default the cloud's documented login host. */
  readonly authorityHost?: string;
}

export type TestMailboxResult =
  | { readonly ok: true; readonly mailboxId: string }
  | { readonly ok: false; readonly code: string; readonly reason: string };

/**
 * Tenant provisioning (library API; the admin pages put a UI on it): the admin consent round trip
 * with a signed state, the cloud policy, domain routing from `GET /domains`, several tenants per
 * organisation, and the test-mailbox check.
 */
export class Provisioning {
  readonly #d: ProvisioningDeps;

  constructor(deps: ProvisioningDeps) {
    this.#d = deps;
  }

  /** The admin consent URL for an organisation adding a tenant of `cloud` (refused clouds throw here). */
  adminConsentUrl(orgId: string, cloud: CloudName): string {
    assertCloudAccepted(cloud, this.#d.mode);
    const host = this.#d.authorityHost ?? CLOUD_ENDPOINTS[cloud].loginHost;
    const url = new URL(`${host.replace(/\/$/, '')}/organizations/adminconsent`);
    url.searchParams.set('client_id', this.#d.app.clientId);
    url.searchParams.set('redirect_uri', this.#d.consentRedirectUri);
    url.searchParams.set('state', this.#d.signer.sign({ purpose: 'admin-consent', orgId, cloud }));
    return url.toString();
  }

  /**
   * Handles the consent callback's query. The state is verified first (a tampered state is refused
   * even when the rest says success); `error` becomes `ConsentDeniedError` quoting only the code;
   * success records the tenant and reads its domains.
   */
  async completeAdminConsent(query: Readonly<Record<string, string | undefined>>): Promise<TenantDocument> {
    const state = this.#d.signer.verify(query['state'], 'admin-consent');
    const error = query['error'];
    if (error !== undefined) {
      const aadsts = /AADSTS(\d+)/.exec(query['error_description'] ?? '')?.[1];
      throw new ConsentDeniedError(`Admin consent was not granted (${error}${aadsts === undefined ? '' : `, AADSTS${aadsts}`}). Start again and accept the requested permissions.`, {
        details: { error, ...(aadsts === undefined ? {} : { aadsts: Number(aadsts) }) },
      });
    }
    const tenantId = query['tenant'];
    if (tenantId === undefined || !/^[0-9a-f-]{36}$/i.test(tenantId) || query['admin_consent']?.toLowerCase() !== 'true') {
      throw new ConsentDeniedError('The consent callback did not confirm admin consent for a tenant; start again from the admin page.');
    }
    const cloud = state.cloud as CloudName;
    assertCloudAccepted(cloud, this.#d.mode);
    const existing = await this.#d.store.tenant(tenantId);
    const saved = await this.#d.store.saveTenant({
      _id: tenantId, orgId: state.orgId, cloud, status: 'authorised', clientId: this.#d.app.clientId,
      domains: existing?.domains ?? [], consentedAt: this.#d.clock.now(),
      ...(existing?.credential === undefined ? {} : { credential: existing.credential }),
    });
    await this.refreshDomains(tenantId);
    return (await this.#d.store.tenant(tenantId)) ?? saved;
  }

  /** Reads the tenant's verified domains (`GET /domains`) and routes them to the tenant. */
  async refreshDomains(tenantId: string): Promise<readonly string[]> {
    const tenant = await this.#d.store.requireTenant(tenantId);
    const domains = (await (await this.graph(tenant)).listDomains()).filter((d) => d.isVerified && d.id !== '');
    const ids = domains.map((d) => d.id).sort();
    await this.#d.store.setDomains(tenantId, tenant.orgId, ids);
    const { defaultDomain: _old, ...rest } = tenant;
    const defaultDomain = domains.find((d) => d.isDefault)?.id;
    await this.#d.store.saveTenant({ ...rest, domains: ids, ...(defaultDomain === undefined ? {} : { defaultDomain }) });
    return ids;
  }

  /** The tenant (of this organisation) that owns an address's domain. */
  async routeAddress(orgId: string, address: string): Promise<string> {
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    const route = await this.#d.store.domainRoute(domain);
    if (route === undefined || route.orgId !== orgId) {
      throw new UnknownDomainError('No tenant of this organisation owns the address\'s domain; refresh the tenants\' domains or add the tenant that owns it.', { details: { orgId } });
    }
    return route.tenantId;
  }

  /**
   * The test-mailbox check: creates an event in the mailbox and deletes it again. Reports success
   * or the precise reason (consent missing, outside the access policy, not found, not on Exchange
   * Online, credentials refused...), never a generic failure.
   */
  async testMailbox(tenantId: string, address: string): Promise<TestMailboxResult> {
    const tenant = await this.#d.store.requireTenant(tenantId);
    try {
      const graph = await this.graph(tenant);
      const user = await graph.getUser(address);
      const now = this.#d.clock.now();
      const start = new Date(now + 24 * 3_600_000).toISOString().slice(0, 19);
      const end = new Date(now + 24 * 3_600_000 + 15 * 60_000).toISOString().slice(0, 19);
      const created = await graph.createEvent(user.id, {
        subject: 'Hybrid Calendar connection test (deleted automatically)',
        start: { dateTime: start, timeZone: 'UTC' }, end: { dateTime: end, timeZone: 'UTC' },
        showAs: 'free', isReminderOn: false, responseRequested: false,
      }, randomUUID());
      await graph.deleteEvent(user.id, created.id);
      return { ok: true, mailboxId: user.id };
    } catch (error) {
      if (error instanceof HcError) return { ok: false, code: error.code, reason: error.message };
      throw error;
    }
  }

  /** App-only Graph for a provisioned tenant (its own credential, else the service's). */
  async graph(tenant: TenantDocument): Promise<GraphAccess> {
    const credential = (await this.#d.store.openCredential(tenant)) ?? this.#d.app.credential;
    return this.#d.connections.forTenant({ tenantId: tenant._id, cloud: tenant.cloud }, { clientId: tenant.clientId, credential });
  }
}

/**
 * The cloud a tenant lives in, from its OpenID configuration (`msgraph_host`,
 * `tenant_region_sub_scope`), for checking what an administrator declared.
 */
export function cloudFromOpenIdConfiguration(config: { msgraph_host?: unknown; tenant_region_sub_scope?: unknown }): CloudName | undefined {
  const host = typeof config.msgraph_host === 'string' ? config.msgraph_host.toLowerCase() : '';
  const sub = typeof config.tenant_region_sub_scope === 'string' ? config.tenant_region_sub_scope.toUpperCase() : '';
  if (host === 'graph.microsoft.com') return sub === 'GCC' ? 'gcc' : 'worldwide';
  if (host === 'graph.microsoft.us') return sub === 'DOD' ? 'dod' : 'gccHigh';
  if (host === 'dod-graph.microsoft.us') return 'dod';
  if (host === 'microsoftgraph.chinacloudapi.cn') return 'china';
  if (host === 'graph.microsoft.de') return 'germany';
  return undefined;
}
