export { createMailboxProcessor } from './processor.js';
export { MailboxWork, STATUS_VIEW } from './worker.js';
export type { GraphResolver, MailboxActorDeps, MailboxActorOptions } from './worker.js';
export { INITIAL_STATE, retryDelayMs, renewAt, syncWindow, utcDay, SUBSCRIPTION_LIFETIME_MS } from './state.js';
export type { MailboxState, MailboxStatus, KnownEvent } from './state.js';
export { ProvisionedGraphResolver } from './resolver.js';
export type { ProvisionedGraphResolverDeps } from './resolver.js';
