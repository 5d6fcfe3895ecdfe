import { Binary, type Collection, type Db } from 'mongodb';
import type { Clock } from '../../../common/index.js';
import type { AppCredential, CloudName } from '../../../graph/index.js';
import { secretContext, type Sealer } from '../../../graph/index.js';
import { NotProvisionedError } from '../errors.js';

/**
 * Tenants, their credentials, domain routes and organisations in MongoDB. Every read is by `_id`
 * (the embedded FerretDB pushes down nothing else): an organisation document lists its tenant
 * ids; a domain document names its tenant. Credentials are sealed with the tenant's key.
 */
export type TenantStatus = 'authorised' | 'needs-reauthorisation' | 'refused';

export interface TenantDocument {
  _id: string;
  orgId: string;
  cloud: CloudName;
  status: TenantStatus;
  reason?: string;
  clientId: string;
  /** Sealed JSON of the app credential (secret or certificate), when the tenant has its own. */
  credential?: Binary;
  domains: string[];
  defaultDomain?: string;
  consentedAt: number;
  updatedAt: number;
}

export interface OrgDocument {
  _id: string;
  tenantIds: string[];
  updatedAt: number;
}

export interface DomainDocument {
  _id: string;
  tenantId: string;
  orgId: string;
}

/**
 * A mailbox whose user connected their own calendar ("connect your calendar": delegated, the msal
 * cache sealed under `partition`), `_id` tenantId/mailboxId. Tenants with admin consent need none.
 */
export interface ConnectionDocument {
  _id: string;
  tenantId: string;
  mailboxId: string;
  cloud: CloudName;
  /** Partition of the user's sealed msal token cache. */
  partition: string;
  /** The app registration the user signed in to. */
  clientId: string;
  connectedAt: number;
  updatedAt: number;
}

export class ProvisioningStore {
  readonly #tenants: Collection<TenantDocument>;
  readonly #connections: Collection<ConnectionDocument>;
  readonly #orgs: Collection<OrgDocument>;
  readonly #domains: Collection<DomainDocument>;
  readonly #sealer: Sealer;
  readonly #clock: Clock;

  constructor(db: Db, sealer: Sealer, clock: Clock) {
    this.#tenants = db.collection<TenantDocument>('connector_tenants');
    this.#orgs = db.collection<OrgDocument>('connector_orgs');
    this.#domains = db.collection<DomainDocument>('connector_domains');
    this.#connections = db.collection<ConnectionDocument>('connector_connections');
    this.#sealer = sealer;
    this.#clock = clock;
  }

  async tenant(tenantId: string): Promise<TenantDocument | undefined> {
    return (await this.#tenants.findOne({ _id: tenantId })) ?? undefined;
  }

  async requireTenant(tenantId: string): Promise<TenantDocument> {
    const tenant = await this.tenant(tenantId);
    if (tenant === undefined) throw new NotProvisionedError('This tenant is not provisioned; an administrator must grant admin consent first.', { details: { tenantId } });
    return tenant;
  }

  async saveTenant(doc: Omit<TenantDocument, 'updatedAt'>): Promise<TenantDocument> {
    const full: TenantDocument = { ...doc, updatedAt: this.#clock.now() };
    const { _id, ...rest } = full;
    await this.#tenants.replaceOne({ _id }, rest, { upsert: true });
    const org = await this.#orgs.findOne({ _id: doc.orgId });
    const tenantIds = [...new Set([...(org?.tenantIds ?? []), doc._id])].sort();
    await this.#orgs.replaceOne({ _id: doc.orgId }, { tenantIds, updatedAt: this.#clock.now() }, { upsert: true });
    return full;
  }

  async setStatus(tenantId: string, status: TenantStatus, reason?: string): Promise<void> {
    const tenant = await this.requireTenant(tenantId);
    const { reason: _old, ...rest } = tenant;
    await this.saveTenant({ ...rest, status, ...(reason === undefined ? {} : { reason }) });
  }

  async orgTenants(orgId: string): Promise<string[]> {
    return (await this.#orgs.findOne({ _id: orgId }))?.tenantIds ?? [];
  }

  async sealCredential(tenantId: string, credential: AppCredential): Promise<Binary> {
    return new Binary(await this.#sealer.seal(secretContext(tenantId, tenantId, 'app-credential'), Buffer.from(JSON.stringify(credential), 'utf8')));
  }

  async openCredential(tenant: TenantDocument): Promise<AppCredential | undefined> {
    if (tenant.credential === undefined) return undefined;
    const plain = await this.#sealer.unseal(secretContext(tenant._id, tenant._id, 'app-credential'), tenant.credential.buffer);
    return JSON.parse(plain.toString('utf8')) as AppCredential;
  }

  /** Replaces the tenant's domain routes (domains it lost are dropped, unless another tenant took them). */
  async setDomains(tenantId: string, orgId: string, domains: readonly string[]): Promise<void> {
    const tenant = await this.requireTenant(tenantId);
    for (const old of tenant.domains) {
      if (domains.includes(old)) continue;
      const route = await this.#domains.findOne({ _id: old });
      if (route?.tenantId === tenantId) await this.#domains.deleteOne({ _id: old });
    }
    for (const domain of domains) await this.#domains.replaceOne({ _id: domain }, { tenantId, orgId }, { upsert: true });
  }

  async domainRoute(domain: string): Promise<DomainDocument | undefined> {
    return (await this.#domains.findOne({ _id: domain.toLowerCase() })) ?? undefined;
  }

  /** Records a user's "connect your calendar" (after a successful sign-in). */
  async saveConnection(doc: Omit<ConnectionDocument, '_id' | 'updatedAt'>): Promise<ConnectionDocument> {
    const _id = `${doc.tenantId}/${doc.mailboxId}`;
    const full: ConnectionDocument = { _id, ...doc, updatedAt: this.#clock.now() };
    const { _id: _ignored, ...rest } = full;
    await this.#connections.replaceOne({ _id }, rest, { upsert: true });
    return full;
  }

  async connection(tenantId: string, mailboxId: string): Promise<ConnectionDocument | undefined> {
    return (await this.#connections.findOne({ _id: `${tenantId}/${mailboxId}` })) ?? undefined;
  }

  /** The user disconnected (or the mailbox was deprovisioned). */
  async removeConnection(tenantId: string, mailboxId: string): Promise<void> {
    await this.#connections.deleteOne({ _id: `${tenantId}/${mailboxId}` });
  }
}
