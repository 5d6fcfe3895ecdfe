import type { ResourceChange } from '../model.js';
import type { HubState, Queued, SubscriptionRecord } from './hub-state.js';
import { encryptContent } from './rich.js';

/** The rich part of delivery: encrypted resource data on each item, validation tokens on each POST. */

/** Validation tokens are reused until 5 minutes before they expire (they live an hour). */
const TOKEN_REUSE_MS = 55 * 60_000;

/**
 * Adds `encryptedContent` to a created/updated notification of a rich subscription (the resource
 * as it is at the change); deleted items have no resource to carry. Returns whom the POST must
 * carry a validation token for.
 */
export function addResourceData(
  s: HubState, sub: SubscriptionRecord, change: ResourceChange, item: Record<string, unknown>,
): { tenantId: string; appId: string } | undefined {
  if (sub.rich === null || s.rich === undefined) return undefined;
  if (change.changeType !== 'deleted') {
    const resource = s.rich.render(change.tenantId, change.mailboxId, change.eventId, sub.rich.select);
    if (resource !== undefined) item['encryptedContent'] = encryptContent(sub.rich, resource);
  }
  return { tenantId: sub.tenantId, appId: sub.appId };
}

/** The POST body: `value`, plus `validationTokens` (one per app and tenant) when an item is rich. */
export async function postBody(s: HubState, batch: readonly Queued[]): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = { value: batch.map((q) => q.item) };
  if (s.rich === undefined) return body;
  const pairs = new Map<string, { tenantId: string; appId: string }>();
  for (const q of batch) if (q.validationFor !== undefined) pairs.set(`${q.validationFor.tenantId}|${q.validationFor.appId}`, q.validationFor);
  if (pairs.size === 0) return body;
  const now = s.clock.now();
  const tokens: string[] = [];
  for (const [key, pair] of pairs) {
    let cached = s.validationTokens.get(key);
    if (cached === undefined || cached.until <= now) {
      cached = { token: await s.rich.signValidationToken(pair.tenantId, pair.appId), until: now + TOKEN_REUSE_MS };
      s.validationTokens.set(key, cached);
    }
    tokens.push(cached.token);
  }
  body['validationTokens'] = tokens;
  return body;
}
