export { Provisioning, cloudFromOpenIdConfiguration } from './provisioning.js';
export type { ProvisioningDeps, TestMailboxResult } from './provisioning.js';
export { ProvisioningStore } from './store.js';
export type { TenantDocument, TenantStatus, OrgDocument, DomainDocument, ConnectionDocument } from './store.js';
export { StateSigner } from './state.js';
export type { StatePayload } from './state.js';
