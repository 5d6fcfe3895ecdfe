import type { RichNotificationSource } from '../notifications/index.js';
import { renderEvent } from './serialize.js';
import type { SimStore } from './store.js';

/**
 * The resource half of rich notifications: an event of the store as Graph renders it, reduced to
 * the subscription's `$select` (decrypted content carries only the selected properties, without
 * `id` or `@odata.etag` unless selected — as subscribers observe it).
 */
export function storeResourceRenderer(store: SimStore): RichNotificationSource['render'] {
  return (tenantId, mailboxId, eventId, select) => {
    const mbx = store.findMailbox(tenantId, mailboxId);
    if (mbx === undefined) return undefined;
    let full: Record<string, unknown>;
    try {
      full = renderEvent(store.getView(mbx, eventId), { select: new Set(select) });
    } catch {
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const name of select) if (name in full) out[name] = full[name];
    if (full['singleValueExtendedProperties'] !== undefined) out['singleValueExtendedProperties'] = full['singleValueExtendedProperties'];
    return out;
  };
}
