import { createHash, timingSafeEqual } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Clock } from '../../../common/index.js';

/**
 * Where a subscription's notifications go and how to check them: `{_id: subscriptionId, tenantId,
 * mailboxId, clientStateHash}`, written by the mailbox actor (a runtime view), read by the webhook
 * by `_id` only. The clientState itself is never stored in the clear (the actor keeps it sealed);
 * the receiver compares SHA-256 digests in constant time.
 */
export const SUBSCRIPTIONS_VIEW = 'connector_subscriptions';

export interface SubscriptionRoute {
  readonly tenantId: string;
  readonly mailboxId: string;
  /** base64 SHA-256 of the clientState. */
  readonly clientStateHash: string;
}

export function clientStateHash(clientState: string): string {
  return createHash('sha256').update(clientState, 'utf8').digest('base64');
}

/** Constant-time check of a received clientState against the stored digest. */
export function clientStateMatches(received: unknown, storedHash: string): boolean {
  if (typeof received !== 'string' || received.length === 0 || received.length > 512) return false;
  const given = createHash('sha256').update(received, 'utf8').digest();
  const expected = Buffer.from(storedHash, 'base64');
  return expected.length === given.length && timingSafeEqual(given, expected);
}

export interface SubscriptionLookup {
  route(subscriptionId: string): Promise<SubscriptionRoute | undefined>;
}

/** Lookups by `_id` with a small TTL cache (renewals do not change a route; recreations get a new id). */
export class MongoSubscriptionLookup implements SubscriptionLookup {
  readonly #collection: Collection<{ _id: string; v?: number } & Partial<SubscriptionRoute>>;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #cache = new Map<string, { route: SubscriptionRoute | undefined; until: number }>();

  constructor(db: Db, clock: Clock, options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.#collection = db.collection(SUBSCRIPTIONS_VIEW);
    this.#clock = clock;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#max = options.maxEntries ?? 100_000;
  }

  async route(subscriptionId: string): Promise<SubscriptionRoute | undefined> {
    const now = this.#clock.now();
    const hit = this.#cache.get(subscriptionId);
    if (hit !== undefined && hit.until > now) return hit.route;
    const doc = await this.#collection.findOne({ _id: subscriptionId });
    const route = doc?.tenantId !== undefined && doc.mailboxId !== undefined && doc.clientStateHash !== undefined
      ? { tenantId: doc.tenantId, mailboxId: doc.mailboxId, clientStateHash: doc.clientStateHash }
      : undefined;
    // Unknown ids are cached briefly too: a flood of forged ids must not become a flood of reads.
    this.#cache.set(subscriptionId, { route, until: now + (route === undefined ? Math.min(this.#ttlMs, 5_000) : this.#ttlMs) });
    if (this.#cache.size > this.#max) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return route;
  }
}
