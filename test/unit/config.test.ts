import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configKeys, configKeysMarkdown, ENVIRONMENT, generatedBlock, loadConfig } from '../../config/index.js';
import { ConfigError } from '../../common/index.js';

describe('config', () => {
  it('config – applies defaults and freezes the result', () => {
    const config = loadConfig({});
    expect(config.stack.kafkaBrokers).toBe('127.0.0.1:19092');
    expect(Object.isFrozen(config.stack)).toBe(true);
  });

  it('config – environment variables override defaults', () => {
    const config = loadConfig({ MONGODB_URI: 'mongodb://db.example:27017/', KAFKA_BROKERS: 'k1:9092,k2:9092' });
    expect(config.stack.mongodbUri).toBe('mongodb://db.example:27017/');
    expect(config.stack.kafkaBrokers).toBe('k1:9092,k2:9092');
  });

  it('config – a bad value fails at start naming the key, its variable and the reason', () => {
    let caught: unknown;
    try {
      loadConfig({ MONGODB_URI: 'postgres://nope' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe('HC_ERR_CONFIG_INVALID');
    expect((caught as ConfigError).message).toMatch(/stack\.mongodbUri \(MONGODB_URI\): must start with mongodb:\/\//);
  });
});

describe('config – local stack', () => {
  it('config – a stack port outside 1024..65535 fails naming its variable', () => {
    expect(() => loadConfig({ HYCAL_KAFKA_PORT: '80' })).toThrow(/localStack\.kafkaPort \(HYCAL_KAFKA_PORT\): Too small/);
  });
});

describe('config – kms', () => {
  it('config – the KMS section is part of the one schema, with its variables', () => {
    const config = loadConfig({ HYCAL_KMS_DEFAULT_PROVIDER: 'remote', HYCAL_KMS_TENANT_PROVIDERS: 't1=cloud' });
    expect(config.kms.defaultProvider).toBe('remote');
    expect(config.kms.tenantProviders).toEqual({ t1: 'cloud' });
    expect(() => loadConfig({ HYCAL_KMS_DEFAULT_PROVIDER: 'plaintext' })).toThrow(/kms\.defaultProvider/);
  });

  // Moved from test/unit/kms/master-key.test.ts: kms/ no longer reads the environment, the one
  // configuration does.
  it('config – KMS options from the environment are validated, naming the key', () => {
    expect(loadConfig({ HYCAL_KMS_TENANT_PROVIDERS: 'a=remote, b=cloud' }).kms.tenantProviders).toEqual({ a: 'remote', b: 'cloud' });
    expect(() => loadConfig({ HYCAL_KMS_TENANT_PROVIDERS: 'a=elsewhere' })).toThrow(ConfigError);
    expect(() => loadConfig({ HYCAL_KMS_REMOTE_URL: 'not a url' })).toThrow(/kms\.remote/);
    expect(() => loadConfig({}, { kms: { dataKeyMaxUses: 2 ** 33 } })).toThrow(/kms\.dataKeyMaxUses/);
  });

  it('config – the keys live in the service database unless HYCAL_KMS_DATABASE names another', () => {
    expect(loadConfig({}).kms.database).toBe('hycal');
    expect(loadConfig({ MONGODB_DATABASE: 'svc' }).kms.database).toBe('svc');
    expect(loadConfig({ MONGODB_DATABASE: 'svc', HYCAL_KMS_DATABASE: 'keys' }).kms.database).toBe('keys');
    // The service database given by overrides or a file carries the keys with it, unless kms.database is named.
    expect(loadConfig({}, { stack: { mongodbDatabase: 'svc' } }).kms.database).toBe('svc');
    expect(loadConfig({}, {}, { stack: { mongodbDatabase: 'svc' } }).kms.database).toBe('svc');
    expect(loadConfig({}, { stack: { mongodbDatabase: 'svc' }, kms: { database: 'keys' } }).kms.database).toBe('keys');
    expect(loadConfig({ HYCAL_KMS_PREVIOUS_MASTER_KEY_FILES: 'a.key, b.key' }).kms.previousMasterKeyFiles).toEqual(['a.key', 'b.key']);
  });
});

describe('config – runtime', () => {
  it('config – the runtime options are a section of the one schema, with defaults, and bad values name the key', () => {
    expect(loadConfig({}).runtime.maxConcurrentKeys).toBe(256);
    expect(() => loadConfig({}, { runtime: { maxConcurrentKeys: 0 } })).toThrow(/runtime\.maxConcurrentKeys/);
  });
});

describe('config – documentation', () => {
  it('config – docs/configuration.md lists every key of the schema exactly as `hycal config keys --markdown` generates it', () => {
    const document = readFileSync(fileURLToPath(new URL('../../docs/configuration.md', import.meta.url)), 'utf8');
    expect(generatedBlock(document)).toBe(configKeysMarkdown());
  });

  it('config – one table maps environment variables to keys: every variable names a key of the schema', () => {
    const keys = new Set(configKeys().map((k) => k.key));
    expect(ENVIRONMENT.filter((e) => !keys.has(e.key)).map((e) => e.variable)).toEqual([]);
    expect(configKeys().find((k) => k.key === 'kms.database')?.variable).toBe('HYCAL_KMS_DATABASE, MONGODB_DATABASE');
    // A description says what a key means; which variable sets it is said only in the table.
    expect(configKeys().filter((k) => /^[A-Z][A-Z0-9_]+: /.test(k.description)).map((k) => k.key)).toEqual([]);
  });

  it('config – every key has a description and the runtime ownership keys are among them', () => {
    const keys = configKeys();
    expect(keys.filter((k) => k.description === '').map((k) => k.key)).toEqual([]);
    expect(keys.map((k) => k.key)).toEqual(expect.arrayContaining(['runtime.ownership.leases', 'runtime.ownership.leaseMs', 'kms.remote.url', 'localStack.cacheDir']));
  });
});

describe('config – connector', () => {
  it('config – the HYCAL_CONNECTOR_* variables are keys of the one schema and reach the connector options', async () => {
    const { connectorOptionsFromConfig } = await import('../../app/index.js');
    const { connectorOptionsSchema } = await import('../../connectors/graph/index.js');
    const keys = configKeys().filter((k) => k.key.startsWith('connector.'));
    expect(keys.map((k) => k.variable)).toEqual(keys.map((k) => `HYCAL_CONNECTOR_${k.key.slice('connector.'.length).replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`));
    const config = loadConfig({
      HYCAL_CONNECTOR_CLIENT_ID: 'app-1', HYCAL_CONNECTOR_CLIENT_SECRET: 'secret-1', HYCAL_CONNECTOR_NOTIFICATION_URL: 'https://hooks.example.com/graph',
      HYCAL_CONNECTOR_WEBHOOK_PORT: '9443', HYCAL_CONNECTOR_DELTA_PAGE_SIZE: '100', HYCAL_CONNECTOR_MODE: 'government',
      HYCAL_CONNECTOR_KNOWN_AUTHORITIES: 'login.example, login2.example', HYCAL_CONNECTOR_GRAPH_BASE_URL: 'https://graph.example',
    });
    const options = connectorOptionsSchema.parse(connectorOptionsFromConfig(config.connector));
    expect(options.app).toEqual({ clientId: 'app-1', clientSecret: 'secret-1' });
    expect(options.webhook.port).toBe(9443);
    expect(options.mailboxes).toMatchObject({ notificationUrl: 'https://hooks.example.com/graph', deltaPageSize: 100, settingsPollMs: 300_000 });
    expect(options.deploymentMode).toBe('government');
    expect(options.access).toMatchObject({ knownAuthorities: ['login.example', 'login2.example'], graphBaseUrl: 'https://graph.example' });
  });

  it('config – an unset connector key has the connector library\'s own default (the two schemas never drift apart)', async () => {
    const { connectorOptionsFromConfig } = await import('../../app/index.js');
    const { connectorOptionsSchema } = await import('../../connectors/graph/index.js');
    const fromConfig = connectorOptionsSchema.parse(connectorOptionsFromConfig(loadConfig({}).connector));
    const library = connectorOptionsSchema.parse({});
    expect(fromConfig.webhook).toEqual(library.webhook);
    expect(fromConfig.mailboxes).toEqual(library.mailboxes);
    expect(fromConfig.deploymentMode).toBe(library.deploymentMode);
  });

  it('config – a bad connector value fails at start naming its variable', () => {
    expect(() => loadConfig({ HYCAL_CONNECTOR_NOTIFICATION_URL: 'http://plain.example/hook' })).toThrow(/connector\.notificationUrl \(HYCAL_CONNECTOR_NOTIFICATION_URL\)/);
  });
});
