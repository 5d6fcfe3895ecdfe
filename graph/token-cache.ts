import { Binary, type Collection, type Db } from 'mongodb';
import type { Clock } from '../common/index.js';
import { secretContext, type Sealer } from './sealer.js';

/**
 * msal-node's token cache for one partition (one connected user: `tenantId/mailboxId`), persisted
 * in MongoDB, sealed with the tenant's key. Documents are read and written by `_id` only. MSAL calls
 * `beforeCacheAccess` before each token operation and `afterCacheAccess` after it; the cache is
 * written only when MSAL says it changed (a refresh rotated the refresh token, a new grant).
 *
 * Structurally an msal `ICachePlugin` (kept free of msal's types so it can be unit-tested alone).
 */
export interface TokenCacheContextLike {
  readonly cacheHasChanged: boolean;
  readonly tokenCache: { serialize(): string; deserialize(cache: string): void };
}

export interface TokenCacheDocument {
  _id: string;
  tenantId: string;
  sealed: Binary;
  updatedAt: number;
}

export const TOKEN_CACHE_COLLECTION = 'connector_token_cache';

export class MongoTokenCacheStore {
  readonly #collection: Collection<TokenCacheDocument>;
  readonly #sealer: Sealer;
  readonly #clock: Clock;

  constructor(db: Db, sealer: Sealer, clock: Clock) {
    this.#collection = db.collection<TokenCacheDocument>(TOKEN_CACHE_COLLECTION);
    this.#sealer = sealer;
    this.#clock = clock;
  }

  async load(tenantId: string, partition: string): Promise<string | undefined> {
    const doc = await this.#collection.findOne({ _id: partition });
    if (doc === null) return undefined;
    const plain = await this.#sealer.unseal(secretContext(tenantId, partition, 'token-cache'), doc.sealed.buffer);
    return plain.toString('utf8');
  }

  async save(tenantId: string, partition: string, serialized: string): Promise<void> {
    const sealed = await this.#sealer.seal(secretContext(tenantId, partition, 'token-cache'), Buffer.from(serialized, 'utf8'));
    await this.#collection.replaceOne(
      { _id: partition },
      { tenantId, sealed: new Binary(sealed), updatedAt: this.#clock.now() },
      { upsert: true },
    );
  }

  async remove(partition: string): Promise<void> {
    await this.#collection.deleteOne({ _id: partition });
  }

  /** The msal cache plugin for one partition. */
  plugin(tenantId: string, partition: string): {
    beforeCacheAccess(ctx: TokenCacheContextLike): Promise<void>;
    afterCacheAccess(ctx: TokenCacheContextLike): Promise<void>;
  } {
    return {
      beforeCacheAccess: async (ctx) => {
        const serialized = await this.load(tenantId, partition);
        if (serialized !== undefined) ctx.tokenCache.deserialize(serialized);
      },
      afterCacheAccess: async (ctx) => {
        if (ctx.cacheHasChanged) await this.save(tenantId, partition, ctx.tokenCache.serialize());
      },
    };
  }
}
