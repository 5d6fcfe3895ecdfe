import type { AppRegistration, GraphAccess, GraphConnections } from '../../../graph/index.js';
import { NotProvisionedError } from '../errors.js';
import type { ProvisioningStore } from '../provisioning/index.js';
import type { GraphResolver } from './worker.js';

export interface ProvisionedGraphResolverDeps {
  readonly store: ProvisioningStore;
  readonly connections: GraphConnections;
  /** The service's app registration (a tenant without its own credential uses it). */
  readonly registration: AppRegistration;
}

/**
 * Each mailbox's authorization mode, from provisioning state: application permissions for a tenant
 * whose administrator consented (`authorised`), else delegated for a user who connected their own
 * calendar (their sealed msal cache). Neither: `NotProvisionedError`, which the actor shows as the
 * mailbox's Error with a retry. Read on every call (by `_id`), so a consent or a connection made
 * later switches the mailbox's mode without a restart; Graph clients stay cached by the connections.
 */
export class ProvisionedGraphResolver implements GraphResolver {
  readonly #d: ProvisionedGraphResolverDeps;

  constructor(deps: ProvisionedGraphResolverDeps) {
    this.#d = deps;
  }

  async modeOf(tenantId: string, mailboxId: string): Promise<'application' | 'delegated' | undefined> {
    const tenant = await this.#d.store.tenant(tenantId);
    if (tenant?.status === 'authorised') return 'application';
    return (await this.#d.store.connection(tenantId, mailboxId)) === undefined ? undefined : 'delegated';
  }

  async graphFor(tenantId: string, mailboxId: string): Promise<GraphAccess> {
    const tenant = await this.#d.store.tenant(tenantId);
    if (tenant?.status === 'authorised') {
      const own = await this.#d.store.openCredential(tenant);
      return this.#d.connections.forTenant({ tenantId, cloud: tenant.cloud }, own === undefined ? this.#d.registration : { clientId: tenant.clientId, credential: own });
    }
    const connection = await this.#d.store.connection(tenantId, mailboxId);
    if (connection !== undefined) {
      const registration = connection.clientId === this.#d.registration.clientId ? this.#d.registration : { ...this.#d.registration, clientId: connection.clientId };
      return this.#d.connections.forUser({ tenantId, cloud: connection.cloud }, registration, connection.partition);
    }
    throw new NotProvisionedError(
      tenant === undefined
        ? 'Neither admin consent for this tenant nor a connected calendar for this mailbox; an administrator grants consent, or the user connects their calendar.'
        : `The tenant's admin consent is ${tenant.status} and the user has not connected their calendar; an administrator re-grants consent, or the user connects their calendar.`,
      { details: { tenantId } },
    );
  }
}
