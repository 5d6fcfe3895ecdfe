import type { Db } from 'mongodb';
import { HcError } from '../common/index.js';
import type {
  AdminIdentity, ConsentOutcome, MailboxState, MailboxStatus, MailboxStatusSnapshot, ProvisioningService, RoomWarning, TenantSummary, TestMailboxResult, UserConnections,
} from '../api/index.js';
import { STATUS_VIEW, type MailboxCommands, type Provisioning, type ProvisioningStore, type StateSigner, type TenantDocument } from '../connectors/graph/index.js';
import type { AppRegistration, CloudName, GraphConnections, MongoTokenCacheStore } from '../graph/index.js';

/** What an administrator should do next, per refusal of the test mailbox. */
const NEXT_STEP: Readonly<Record<string, string>> = {
  HC_ERR_GRAPH_CONSENT_MISSING: 'Run "Set up Microsoft 365" again with a Global Administrator and accept every requested permission.',
  HC_ERR_GRAPH_ACCESS_POLICY: "Add the mailbox to the group of the tenant's application access policy (New-ApplicationAccessPolicy), or test a mailbox inside it.",
  HC_ERR_GRAPH_MAILBOX_NOT_FOUND: 'Check the address; it must be a user or room mailbox of this tenant.',
  HC_ERR_GRAPH_NOT_EXCHANGE_ONLINE: 'Choose a licensed mailbox hosted in Exchange Online (not on-premises, not a guest).',
  HC_ERR_GRAPH_CREDENTIALS_INVALID: "Check the service's app credential (client secret or certificate) and that it has not expired.",
  HC_ERR_GRAPH_REAUTH_REQUIRED: 'Grant admin consent again from "Set up Microsoft 365".',
  HC_ERR_GRAPH_CLOUD_REFUSED: "This tenant's cloud is not accepted by this deployment's mode; use a deployment for that cloud.",
};

const MAILBOX_STATE: Readonly<Record<string, MailboxState>> = {
  NOT_ACTIVATED: 'not-activated', PENDING: 'pending', ACTIVATED: 'activated', ERROR: 'error', NEEDS_REAUTHORIZATION: 'error', FAILED: 'error',
};

export interface ConnectorProvisioningDeps {
  readonly provisioning: Provisioning;
  readonly store: ProvisioningStore;
  readonly signer: StateSigner;
  /** The service database (the connector's mailbox status view). */
  readonly db: Db;
  /** Administrators (sign-in names) of `orgId`; an organisation of one deployment. */
  readonly admins: readonly string[];
  readonly orgId: string;
  readonly cloud: CloudName;
  /** Mailbox commands (a successful test mailbox activates it). */
  readonly commands?: MailboxCommands;
}

function summary(tenant: TenantDocument): TenantSummary {
  const state = tenant.status === 'refused' ? 'refused-cloud' : tenant.status;
  const reason = tenant.status === 'authorised' ? null
    : tenant.reason ?? (tenant.status === 'refused' ? "The tenant's cloud is not accepted by this deployment." : 'Consent was withdrawn or expired; run "Set up Microsoft 365" again.');
  return { tenantId: tenant._id, displayName: tenant.defaultDomain ?? tenant.domains[0] ?? tenant._id, state, reason, domains: tenant.domains };
}

/**
 * The connector's library API (Provisioning, ProvisioningStore, the mailbox status view, mailbox
 * commands) behind the API's `ProvisioningService` port. The API binds consent to the browser with
 * its own state; the connector's signed state is made here, once the API has checked the browser's.
 */
export class ConnectorProvisioningService implements ProvisioningService {
  readonly #d: ConnectorProvisioningDeps;

  constructor(deps: ConnectorProvisioningDeps) {
    this.#d = deps;
  }

  async orgOfTenant(tenantId: string): Promise<string | undefined> {
    return (await this.#d.store.tenant(tenantId))?.orgId;
  }

  async adminOrgOf(identity: AdminIdentity): Promise<string | undefined> {
    if (!this.#d.admins.some((a) => a.toLowerCase() === identity.username.toLowerCase())) return undefined;
    const tenant = await this.#d.store.tenant(identity.tenantId);
    return tenant === undefined || tenant.orgId === this.#d.orgId ? this.#d.orgId : undefined;
  }

  adminConsentUrl(orgId: string, input: { state: string; redirectUri: string }): Promise<string> {
    const url = new URL(this.#d.provisioning.adminConsentUrl(orgId, this.#d.cloud));
    url.searchParams.set('state', input.state);
    url.searchParams.set('redirect_uri', input.redirectUri);
    return Promise.resolve(url.toString());
  }

  async completeAdminConsent(orgId: string, callback: { tenant: string | null; adminConsent: string | null; error: string | null; errorDescription: string | null }): Promise<ConsentOutcome> {
    const query: Record<string, string | undefined> = {
      state: this.#d.signer.sign({ purpose: 'admin-consent', orgId, cloud: this.#d.cloud }),
      ...(callback.tenant === null ? {} : { tenant: callback.tenant }),
      ...(callback.adminConsent === null ? {} : { admin_consent: callback.adminConsent }),
      ...(callback.error === null ? {} : { error: callback.error }),
      ...(callback.errorDescription === null ? {} : { error_description: callback.errorDescription }),
    };
    try {
      return { ok: true, tenant: summary(await this.#d.provisioning.completeAdminConsent(query)) };
    } catch (error) {
      if (!(error instanceof HcError)) throw error;
      return { ok: false, reason: error.message, nextStep: NEXT_STEP[error.code] ?? 'Start the setup again with a Global Administrator account of the tenant.' };
    }
  }

  async testMailbox(orgId: string, tenantId: string, address: string): Promise<TestMailboxResult> {
    if ((await this.orgOfTenant(tenantId)) !== orgId) {
      return { ok: false, code: 'HC_ERR_GRAPH_NOT_PROVISIONED', reason: 'This tenant is not set up for your organisation.', nextStep: 'Run "Set up Microsoft 365" for the tenant first.' };
    }
    const result = await this.#d.provisioning.testMailbox(tenantId, address);
    if (!result.ok) return { ok: false, code: result.code, reason: result.reason, nextStep: NEXT_STEP[result.code] ?? 'Retry in a few minutes; if it persists, look up the reason code in the documentation.' };
    await this.#d.commands?.send(tenantId, result.mailboxId, 'ACTIVATE');
    return { ok: true, detail: 'An event was created in the mailbox and deleted again; the mailbox is being activated.' };
  }

  async tenants(orgId: string): Promise<readonly TenantSummary[]> {
    const ids = await this.#d.store.orgTenants(orgId);
    const docs = await Promise.all(ids.map((id) => this.#d.store.tenant(id)));
    return docs.filter((t): t is TenantDocument => t !== undefined).map(summary);
  }

  async mailboxStatuses(orgId: string): Promise<MailboxStatusSnapshot> {
    const tenantIds = await this.#d.store.orgTenants(orgId);
    if (tenantIds.length === 0) return { version: 'empty', rows: [] };
    const docs = await this.#d.db.collection(STATUS_VIEW).find({ tenantId: { $in: tenantIds } }).toArray();
    let versionSum = 0;
    const rows: MailboxStatus[] = [];
    for (const doc of docs) {
      if (doc['deleted'] === true) continue;
      versionSum += typeof doc['v'] === 'number' ? doc['v'] : 0;
      const mailboxId = String(doc['mailboxId']);
      rows.push({
        mailboxId, tenantId: String(doc['tenantId']), displayName: mailboxId, address: '', kind: 'user',
        state: MAILBOX_STATE[String(doc['status'])] ?? 'error',
        reason: typeof doc['message'] === 'string' ? doc['message'] : typeof doc['reason'] === 'string' ? doc['reason'] : null,
        nextRetryAt: typeof doc['nextRetryAt'] === 'number' ? doc['nextRetryAt'] : null,
      });
    }
    return { version: `${rows.length}:${versionSum}`, rows };
  }

  roomWarnings(_orgId: string): Promise<readonly RoomWarning[]> {
    // Exchange's room processing settings (DeleteSubject, DeleteComments...) are not readable through Graph.
    return Promise.resolve([]);
  }
}

export interface ConnectorUserConnectionsDeps {
  readonly store: ProvisioningStore;
  readonly connections: GraphConnections;
  readonly registration: AppRegistration;
  readonly tokenCache: MongoTokenCacheStore;
  readonly db: Db;
  readonly commands?: MailboxCommands;
}

/** "Connect your calendar": the delegated grant sealed in the token cache (`tenantId/userId`), then the mailbox activated. */
export class ConnectorUserConnections implements UserConnections {
  readonly #d: ConnectorUserConnectionsDeps;

  constructor(deps: ConnectorUserConnectionsDeps) {
    this.#d = deps;
  }

  async connect(input: { tenantId: string; userId: string; refreshToken: string; scopes: readonly string[] }): Promise<void> {
    const partition = `${input.tenantId}/${input.userId}`;
    const cloud = (await this.#d.store.tenant(input.tenantId))?.cloud ?? 'worldwide';
    this.#d.connections.forget(partition);
    await this.#d.connections.userTokens({ tenantId: input.tenantId, cloud }, this.#d.registration, partition).importRefreshToken(input.refreshToken);
    await this.#d.commands?.send(input.tenantId, input.userId, 'ACTIVATE');
  }

  async disconnect(tenantId: string, userId: string): Promise<void> {
    const partition = `${tenantId}/${userId}`;
    await this.#d.tokenCache.remove(partition);
    this.#d.connections.forget(partition);
    await this.#d.commands?.send(tenantId, userId, 'DEACTIVATE');
  }

  async state(tenantId: string, userId: string): Promise<{ state: MailboxState | 'not-connected'; reason: string | null; nextRetryAt: number | null }> {
    if ((await this.#d.tokenCache.load(tenantId, `${tenantId}/${userId}`)) === undefined) return { state: 'not-connected', reason: null, nextRetryAt: null };
    const doc = await this.#d.db.collection(STATUS_VIEW).findOne({ _id: `${tenantId}/${userId}` as never });
    if (doc === null || doc['deleted'] === true) return { state: 'pending', reason: null, nextRetryAt: null };
    return {
      state: MAILBOX_STATE[String(doc['status'])] ?? 'error',
      reason: typeof doc['message'] === 'string' ? doc['message'] : null,
      nextRetryAt: typeof doc['nextRetryAt'] === 'number' ? doc['nextRetryAt'] : null,
    };
  }
}
