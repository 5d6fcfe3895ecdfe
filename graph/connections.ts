import { createHash } from 'node:crypto';
import type { Clock } from '../common/index.js';
import { AppTokenSource, DelegatedTokenSource, MsalNetwork, type AppRegistration, type AuthorityOverrides } from './auth.js';
import { CLOUD_ENDPOINTS, type CloudName } from './clouds.js';
import { MailboxGates } from './gate.js';
import { realSleep, type AccessObserver, type Sleep } from './governor.js';
import { GraphAccess } from './graph.js';
import type { MongoTokenCacheStore } from './token-cache.js';
import { HttpsTransport } from './transport.js';
import type { GraphAccessOptions } from './options.js';

export interface GraphConnectionsDeps {
  readonly options: GraphAccessOptions;
  readonly clock: Clock;
  /** Sealed msal caches of connected users (delegated mode). */
  readonly tokenCache?: MongoTokenCacheStore;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly observer?: AccessObserver;
}

export interface TenantRef {
  readonly tenantId: string;
  readonly cloud: CloudName;
}

/**
 * The access module's entry point: Graph for a tenant (app-only) or a connected user (delegated),
 * sharing one HTTPS transport, one set of per-mailbox gates and one token cache store. Clients are
 * kept per tenant and per user (bounded) so msal's in-memory token cache is reused.
 */
export class GraphConnections {
  readonly #d: GraphConnectionsDeps;
  readonly #transport: HttpsTransport;
  readonly #network: MsalNetwork;
  readonly #gates: MailboxGates;
  readonly #clients = new Map<string, GraphAccess>();
  readonly #maxClients: number;

  constructor(deps: GraphConnectionsDeps) {
    this.#d = deps;
    const o = deps.options;
    this.#transport = new HttpsTransport({ timeoutMs: o.timeoutMs, maxSockets: o.maxSocketsPerHost, ...(o.caPem === undefined ? {} : { ca: o.caPem }) });
    this.#network = new MsalNetwork(this.#transport, deps.clock);
    this.#gates = new MailboxGates(o.maxConcurrentPerMailbox);
    this.#maxClients = o.maxCachedClients;
  }

  get gates(): MailboxGates {
    return this.#gates;
  }

  #overrides(): AuthorityOverrides {
    const o = this.#d.options;
    return {
      ...(o.authorityHost === undefined ? {} : { authorityHost: o.authorityHost }),
      ...(o.knownAuthorities === undefined ? {} : { knownAuthorities: o.knownAuthorities }),
      ...(o.authorityMetadata === undefined ? {} : { authorityMetadata: o.authorityMetadata }),
    };
  }

  #graphBase(cloud: CloudName): string {
    return this.#d.options.graphBaseUrl ?? CLOUD_ENDPOINTS[cloud].graphHost;
  }

  #remember(key: string, make: () => GraphAccess): GraphAccess {
    const existing = this.#clients.get(key);
    if (existing !== undefined) {
      this.#clients.delete(key);
      this.#clients.set(key, existing);
      return existing;
    }
    const made = make();
    this.#clients.set(key, made);
    if (this.#clients.size > this.#maxClients) {
      const oldest = this.#clients.keys().next().value;
      if (oldest !== undefined) this.#clients.delete(oldest);
    }
    return made;
  }

  #access(tokens: AppTokenSource | DelegatedTokenSource, registration: AppRegistration, cloud: CloudName): GraphAccess {
    const o = this.#d.options;
    return new GraphAccess({
      transport: this.#transport, tokens, gates: this.#gates, gateScope: registration.clientId, clock: this.#d.clock,
      sleep: this.#d.sleep ?? realSleep, random: this.#d.random ?? Math.random,
      policy: { maxAttempts: o.maxAttempts, maxWaitMs: o.maxWaitMs, backoff: { initialMs: o.backoffInitialMs, maxMs: o.backoffMaxMs } },
      graphBaseUrl: this.#graphBase(cloud),
      ...(this.#d.observer === undefined ? {} : { observer: this.#d.observer }),
    });
  }

  /** App-only Graph for a tenant (client credentials). */
  forTenant(tenant: TenantRef, registration: AppRegistration): GraphAccess {
    return this.#remember(`app|${registration.clientId}|${tenant.tenantId}|${fingerprint(registration)}`, () =>
      this.#access(new AppTokenSource(registration, tenant.cloud, tenant.tenantId, this.#overrides(), this.#network), registration, tenant.cloud));
  }

  /** The delegated token source of one connected user (sign-in and silent tokens). */
  userTokens(tenant: TenantRef, registration: AppRegistration, partition: string): DelegatedTokenSource {
    const cache = this.#d.tokenCache;
    if (cache === undefined) throw new TypeError('GraphConnections: delegated mode needs a tokenCache store.');
    return new DelegatedTokenSource(registration, tenant.cloud, tenant.tenantId, partition, this.#overrides(), this.#network, cache);
  }

  /** Delegated Graph for one connected user (its msal cache is read from and written to MongoDB). */
  forUser(tenant: TenantRef, registration: AppRegistration, partition: string): GraphAccess {
    return this.#remember(`user|${registration.clientId}|${partition}|${fingerprint(registration)}`, () =>
      this.#access(this.userTokens(tenant, registration, partition), registration, tenant.cloud));
  }

  /** Drops a cached client (credentials changed, user disconnected). */
  forget(prefix: string): void {
    for (const key of [...this.#clients.keys()]) if (key.includes(prefix)) this.#clients.delete(key);
  }

  close(): void {
    this.#clients.clear();
    this.#transport.close();
  }
}

/** Distinguishes clients built from different credentials (a rotated secret gets a new client). */
function fingerprint(registration: AppRegistration): string {
  const c = registration.credential;
  const material = c.kind === 'secret' ? c.clientSecret : `${c.thumbprintSha256}:${c.privateKeyPem}`;
  return createHash('sha256').update(material).digest('base64url').slice(0, 16);
}
