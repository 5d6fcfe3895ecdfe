import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configKeys, configKeysMarkdown, generatedBlock, loadConfig } from '../../config/index.js';
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

  it('config – every key has a description and the runtime ownership keys are among them', () => {
    const keys = configKeys();
    expect(keys.filter((k) => k.description === '').map((k) => k.key)).toEqual([]);
    expect(keys.map((k) => k.key)).toEqual(expect.arrayContaining(['runtime.ownership.leases', 'runtime.ownership.leaseMs', 'kms.remote.url', 'localStack.cacheDir']));
  });
});
