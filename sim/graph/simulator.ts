import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from './clock.js';
import { SimConfigError, SimListenError } from './errors.js';
import { SimAdmin } from './admin/index.js';
import { CLOUD_HOSTS, CLOUD_NAMES } from './clouds.js';
import { Faults } from './faults/index.js';
import { IdentityPlatform } from './identity/index.js';
import type { CloudName } from './model.js';
import { GRAPH_CHANGE_TRACKING_APP_ID, NotificationHub, type NotificationTimingsInput } from './notifications/index.js';
import { buildCloudApp } from './server/app.js';
import { GraphApi } from './server/graph-api.js';
import { SimStore, storeResourceRenderer } from './store/index.js';
import { Throttle, OUTLOOK_LIMITS, RetryAfterFormat, type RetryAfterStyle, type ThrottleLimits } from './throttle/index.js';
import { loadOrCreateTls } from './tls/index.js';

export interface GraphSimulatorOptions {
  clock?: Clock;
  /** Clouds to listen for (one HTTPS listener each); default all five. */
  clouds?: readonly CloudName[];
  /** Fixed ports per cloud (0 or absent = any free port). */
  ports?: Partial<Record<CloudName, number>>;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Where the CA and leaf certificate are cached (default ~/.cache/hybrid-calendar/sim-tls). */
  tlsDir?: string;
  throttle?: Partial<ThrottleLimits>;
  /** A pre-loaded store (e.g. filled by the scenario generator); a new empty one otherwise. */
  store?: SimStore;
  /** Notification hub tunables (Graph's numbers by default). */
  notifications?: NotificationTimingsInput;
  /** How Retry-After is written (default `integral`; `fractional` like `2.128`; `mixed` alternates). */
  retryAfter?: RetryAfterStyle;
}

export interface SimCloud {
  cloud: CloudName;
  /** Local Graph root (Graph client `baseUrl`, no version), e.g. https://localhost:8443 */
  graphBaseUrl: string;
  /** Local authority host; MSAL authority = `${authorityUrl}/${tenantId}`. */
  authorityUrl: string;
  /** For MSAL `knownAuthorities`. */
  knownAuthority: string;
  /** MSAL `authorityMetadata` JSON. */
  authorityMetadata: string;
  /** Hosts Microsoft documents for this cloud (what a real connector would use). */
  documentedGraphHost: string;
  documentedLoginHost: string;
}

export interface GraphSimulator {
  graphBaseUrl: string;
  authorityUrl: string;
  knownAuthority: string;
  authorityMetadata: string;
  caCertPem: string;
  caCertPath: string;
  clouds: Partial<Record<CloudName, SimCloud>>;
  admin: SimAdmin;
  store: SimStore;
  identity: IdentityPlatform;
  hub: NotificationHub;
  api: GraphApi;
  close(): Promise<void>;
}

/** Starts the Microsoft Graph + identity platform simulator over HTTPS, one listener per cloud. */
export async function startGraphSimulator(options: GraphSimulatorOptions = {}): Promise<GraphSimulator> {
  const clock = options.clock ?? systemClock;
  const store = options.store ?? new SimStore(clock);
  const tls = await loadOrCreateTls(options.tlsDir);
  const identity = await IdentityPlatform.create(store, clock);
  const retryAfter = new RetryAfterFormat(options.retryAfter);
  const throttle = new Throttle(clock, { ...OUTLOOK_LIMITS, ...options.throttle }, retryAfter);
  const faults = new Faults(retryAfter);
  const clouds = options.clouds ?? CLOUD_NAMES;
  const endpoints = new Map<CloudName, string>();
  const hubRef: { current: NotificationHub | undefined } = { current: undefined };
  const admin = new SimAdmin(identity, faults, throttle, hubRef, clock);
  const api = new GraphApi({ store, identity, clock, throttle, faults, hub: hubRef, callLog: admin.callLog });
  const apps: FastifyInstance[] = [];
  const result: Partial<Record<CloudName, SimCloud>> = {};
  try {
    for (const cloud of clouds) {
      const app = buildCloudApp({
        cloud, tls, api, identity, admin,
        endpoint: () => ({ cloud, baseUrl: endpoints.get(cloud) ?? '' }),
      });
      apps.push(app);
      const port = options.ports?.[cloud] ?? 0;
      try {
        await app.listen({ host: options.host ?? '127.0.0.1', port });
      } catch (error) {
        throw new SimListenError(`The simulator could not listen on port ${port} for cloud ${cloud}; choose another port (0 picks a free one).`, { cause: error });
      }
      const address = app.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : 0;
      const base = `https://localhost:${bound}`;
      endpoints.set(cloud, base);
      result[cloud] = {
        cloud, graphBaseUrl: base, authorityUrl: base, knownAuthority: `localhost:${bound}`,
        authorityMetadata: identity.msalAuthorityMetadata(base),
        documentedGraphHost: CLOUD_HOSTS[cloud].graphHost, documentedLoginHost: CLOUD_HOSTS[cloud].loginHost,
      };
    }
  } catch (error) {
    await Promise.all(apps.map((a) => a.close()));
    throw error;
  }
  const primary = result['worldwide'] ?? Object.values(result)[0];
  if (primary === undefined) {
    await Promise.all(apps.map((a) => a.close()));
    throw new SimConfigError('startGraphSimulator needs at least one cloud in options.clouds.');
  }
  const hub = new NotificationHub({
    clock,
    graphBaseUrl: primary.graphBaseUrl,
    resolveMailbox: (tenantId, idOrUpn) => store.findMailbox(tenantId, idOrUpn)?.id,
    caCertPem: tls.caCertPem,
    retryAfter,
    rich: {
      render: storeResourceRenderer(store),
      signValidationToken: (tenantId, appId) => identity.signValidationToken(tenantId, appId, GRAPH_CHANGE_TRACKING_APP_ID),
    },
    ...(options.notifications === undefined ? {} : { timings: options.notifications }),
  });
  hubRef.current = hub;
  const unsubscribe = store.onChange((change) => hub.publish(change));
  hub.start();
  return {
    graphBaseUrl: primary.graphBaseUrl,
    authorityUrl: primary.authorityUrl,
    knownAuthority: primary.knownAuthority,
    authorityMetadata: primary.authorityMetadata,
    caCertPem: tls.caCertPem,
    caCertPath: tls.caCertPath,
    clouds: result,
    admin, store, identity, hub, api,
    async close() {
      unsubscribe();
      await hub.stop();
      await Promise.all(apps.map((a) => a.close()));
    },
  };
}

