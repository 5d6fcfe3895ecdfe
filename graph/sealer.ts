import type { SealContext } from '../kms/index.js';

/** What the connector needs of the keyring: seal and open small secrets with the tenant's key. */
export interface Sealer {
  seal(ctx: SealContext, plaintext: Uint8Array): Promise<Buffer>;
  unseal(ctx: SealContext, sealed: Uint8Array): Promise<Buffer>;
}

/** Seal context of a connector secret (token cache, clientState, app credential) of one tenant. */
export function secretContext(tenantId: string, recordKey: string, purpose: string): SealContext {
  return { tenantId, recordKey, purpose: `connector.${purpose}` };
}
