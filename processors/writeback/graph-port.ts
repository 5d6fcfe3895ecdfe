import type { GraphEvent } from '../../graph/index.js';

/**
 * The Graph calls write-back makes (implemented by `GraphAccess` from graph/, shared with the
 * connector's read path: auth, throttling, `Retry-After`, typed errors live there once).
 */
export interface WritebackGraph {
  getEventWithProperty(mailboxId: string, eventId: string, select: readonly string[], propertyId: string): Promise<{ event: GraphEvent; etag: string; property: string | null }>;
  patchEventIfMatch(mailboxId: string, eventId: string, etag: string, patch: Record<string, unknown>): Promise<GraphEvent>;
  getMailboxSettings(mailboxId: string): Promise<Record<string, unknown>>;
  getUser(mailboxIdOrUpn: string): Promise<{ id: string; userPrincipalName?: string; mail?: string }>;
}

/** Graph for a tenant (the composition root resolves the tenant's app registration and cloud). */
export interface WritebackGraphSource {
  graphFor(tenantId: string): Promise<WritebackGraph>;
}

/**
 * Our marker on the event: a single-value extended property (named, in the public strings
 * property set) whose value says which block we wrote. Graph's id format: `String {guid} Name X`.
 */
export const MARKER_PROPERTY_ID = 'String {00020329-0000-0000-C000-000000000046} Name HybridCalendarJoinBlock';
