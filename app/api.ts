import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Db } from 'mongodb';
import type { Producer } from 'kafkajs';
import { ConfigError, freePort } from '../common/index.js';
import { MongoSettingsStore, MongoStateStore, MongoViewsReader, buildApi, type ApiDeps, type ApiOptionsInput, type OrgSettings, type SettingsStore } from '../api/index.js';
import {
  KafkaNotificationSink, MailboxCommands, Provisioning, ProvisioningStore, StateSigner, connectorOptionsSchema, type ConnectorOptions, type ConnectorOptionsInput,
} from '../connectors/graph/index.js';
import { CLOUD_ENDPOINTS, GraphConnections, MongoTokenCacheStore, type AppRegistration } from '../graph/index.js';
import type { Keyring } from '../kms/index.js';
import { setWritebackSettings } from '../processors/writeback/index.js';
import type { HealthSource } from '../ops/index.js';
import { ConnectorGraphResolver, GraphCalendarActions } from './api-actions.js';
import { ConnectorProvisioningService, ConnectorUserConnections } from './api-provisioning.js';
import type { AppContext } from './context.js';
import { buildCodec, buildKafka } from './wiring.js';

/** The parts of the process the API role shares (one MongoDB client, one keyring, one /readyz). */
export interface ApiRoleParts {
  readonly db: Db;
  readonly keyring: Keyring;
  /** The connector's options (its app registration and Graph access options are the API's too). */
  readonly connector: ConnectorOptionsInput;
  readonly sources: HealthSource[];
  /** The process's Graph connections (shared with the connector and write-back; then left open on stop). */
  readonly connections?: GraphConnections;
}

export interface RunningApi {
  readonly url: string;
  stop(): Promise<void>;
}

/** The service's app registration from the connector's options (HYCAL_CONNECTOR_CLIENT_ID / _SECRET). */
export function appRegistrationOf(options: ConnectorOptions): AppRegistration {
  const clientId = options.app.clientId;
  const credential = options.app.certificate !== undefined
    ? { kind: 'certificate' as const, ...options.app.certificate }
    : options.app.clientSecret !== undefined ? { kind: 'secret' as const, clientSecret: options.app.clientSecret } : undefined;
  if (clientId === undefined || credential === undefined) {
    throw new ConfigError('The API needs the service app registration: HYCAL_CONNECTOR_CLIENT_ID and HYCAL_CONNECTOR_CLIENT_SECRET (or a certificate).');
  }
  return { clientId, credential };
}

function cookieSecretOf(context: AppContext): string {
  const c = context.config.api;
  const secret = c.cookieSecret ?? (c.cookieSecretFile === undefined ? undefined : readFileSync(c.cookieSecretFile, 'utf8').trim());
  if (secret === undefined || secret.length < 32) {
    throw new ConfigError('The API needs a cookie secret of at least 32 characters: set HYCAL_API_COOKIE_SECRET or HYCAL_API_COOKIE_SECRET_FILE.');
  }
  return secret;
}

/**
 * `hycal serve --role api`: the HTTP API and pages on the MongoDB views, the connector's
 * provisioning (tenants, admin consent, test mailbox, status view, mailbox commands) and the shared
 * Graph access library for calendar actions, each mailbox in its own authorization mode.
 */
export async function startApiRole(context: AppContext, parts: ApiRoleParts): Promise<RunningApi> {
  const config = context.config.api;
  const clock = context.clock;
  const connector = connectorOptionsSchema.parse(parts.connector);
  const registration = appRegistrationOf(connector);
  const cookieSecret = cookieSecretOf(context);
  const port = config.port === 0 && config.publicBaseUrl === undefined ? await freePort(config.host) : config.port;
  const publicBaseUrl = (config.publicBaseUrl ?? `http://${config.host}:${port}`).replace(/\/$/, '');
  const { db, keyring } = parts;
  const tokenCache = new MongoTokenCacheStore(db, keyring, clock);
  const connections = parts.connections ?? new GraphConnections({ options: connector.access, clock, tokenCache });
  const closeConnections = (): void => {
    if (parts.connections === undefined) connections.close();
  };
  const store = new ProvisioningStore(db, keyring, clock);
  const signer = new StateSigner(createHmac('sha256', cookieSecret).update('hycal-consent-state').digest(), clock);
  const provisioning = new Provisioning({
    store, connections, signer, clock, app: registration, mode: connector.deploymentMode, consentRedirectUri: `${publicBaseUrl}/admin/setup/callback`,
    ...(connector.access.authorityHost === undefined ? {} : { authorityHost: connector.access.authorityHost }),
  });
  let producer: Producer | undefined;
  try {
    producer = buildKafka(context, 'hycal-api').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const commands = new MailboxCommands(new KafkaNotificationSink(producer, await buildCodec(context), `${context.config.stack.topicPrefix}graph.notifications.v1`), () => clock.now());
    const deps: ApiDeps = {
      views: new MongoViewsReader(db, { clock, cacheMs: config.viewCacheMs }),
      decryptor: keyring,
      provisioning: new ConnectorProvisioningService({ provisioning, store, signer, db, admins: config.admins, orgId: config.orgId, cloud: config.cloud, commands }),
      connections: new ConnectorUserConnections({ store, connections, registration, tokenCache, db, commands }),
      settings: new WritebackSettingsBridge(new MongoSettingsStore(db), db, (orgId) => store.orgTenants(orgId)),
      actions: new GraphCalendarActions(new ConnectorGraphResolver({ store, connections, registration, tokenCache })),
      state: new MongoStateStore(db),
    };
    const oidcCa = config.oidcCaFile === undefined ? connector.access.caPem : readFileSync(config.oidcCaFile, 'utf8');
    const options: ApiOptionsInput = {
      publicBaseUrl, cookieSecret,
      oidc: {
        authorityUrl: config.oidcAuthorityUrl ?? connector.access.authorityHost ?? CLOUD_ENDPOINTS[config.cloud].loginHost,
        tenant: config.oidcTenant,
        clientId: config.oidcClientId ?? registration.clientId,
        clientSecret: config.oidcClientSecret ?? connector.app.clientSecret ?? '',
        ...(oidcCa === undefined ? {} : { caPem: oidcCa }),
      },
      rateLimit: { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs },
      bodyLimitBytes: config.bodyLimitBytes,
      tokenCacheMs: config.tokenCacheMs,
      tenantCacheMs: config.tenantCacheMs,
    };
    if (options.oidc.clientSecret === '') throw new ConfigError('Sign-in needs a client secret: set HYCAL_API_OIDC_CLIENT_SECRET (the app registration uses a certificate).');
    const app = await buildApi(options, deps, { clock, logger: context.logger('api') });
    await app.listen({ host: config.host, port });
    let open = true;
    parts.sources.push({ health: () => ({ name: 'api', live: true, ready: open }) });
    const p = producer;
    return {
      url: publicBaseUrl,
      async stop() {
        open = false;
        await app.close();
        await p.disconnect();
        closeConnections();
      },
    };
  } catch (error) {
    await producer?.disconnect().catch(() => undefined);
    closeConnections();
    throw error;
  }
}

/**
 * The org settings page is also write-back's configuration: saving the org's keyword actions,
 * default language and join-block header/footer writes them to every tenant of the org in
 * `writeback_org_settings` (write-back reads it per tenant and never imports api/). Fields the
 * page does not own (meeting site, dial-in, fallback language) are left as they are.
 */
export class WritebackSettingsBridge implements SettingsStore {
  constructor(
    private readonly inner: SettingsStore,
    private readonly db: Db,
    private readonly tenantsOf: (orgId: string) => Promise<readonly string[]>,
  ) {}

  get(orgId: string): Promise<OrgSettings> {
    return this.inner.get(orgId);
  }

  async put(orgId: string, settings: OrgSettings): Promise<void> {
    await this.inner.put(orgId, settings);
    const { webexKeywordAction, meetKeywordAction, defaultLanguage, joinBlock } = settings;
    for (const tenantId of await this.tenantsOf(orgId)) {
      await setWritebackSettings(this.db, tenantId, { webexKeywordAction, meetKeywordAction, defaultLanguage, joinBlock });
    }
  }
}
