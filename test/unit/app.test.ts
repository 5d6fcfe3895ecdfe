import { describe, expect, it } from 'vitest';
import { createAppContext, defineMeetingsTopology, lazyAppContext, stackTarget } from '../../app/index.js';
import { ConfigError } from '../../common/index.js';

describe('app – the composition root', () => {
  it('app – reads the configuration once per process and hands each part its section', () => {
    const context = lazyAppContext({ env: { HYCAL_LOG_LEVEL: 'warn', HYCAL_TOPIC_PREFIX: 'p.', HYCAL_KMS_DEFAULT_PROVIDER: 'remote' } });
    expect(context()).toBe(context());
    expect(context().config.stack.topicPrefix).toBe('p.');
    expect(context().config.kms.defaultProvider).toBe('remote');
    expect(context().logger('x').level).toBe('warn');
  });

  it('app – a bad configuration fails when a command first needs it, naming the key', () => {
    const context = lazyAppContext({ env: { HYCAL_OPS_PORT: 'many' } });
    expect(() => context()).toThrow(/ops\.port \(HYCAL_OPS_PORT\)/);
    expect(() => createAppContext({ env: {} })).not.toThrow();
  });

  it('app – the stack target is the local stack, or the existing one when all three variables are set', () => {
    expect(stackTarget({}).external).toBeUndefined();
    expect(stackTarget({ HYCAL_KAFKA_PORT: '29092' }).options.kafkaPort).toBe(29092);
    const external = { KAFKA_BROKERS: 'k:9092', SCHEMA_REGISTRY_URL: 'http://r:8081/apis/ccompat/v7', MONGODB_URI: 'mongodb://m:27017/' };
    expect(stackTarget(external).external).toEqual(external);
    expect(() => stackTarget({ KAFKA_BROKERS: 'k:9092' })).toThrow(ConfigError);
  });

  it('app – topologies are assembled here from the processors\' factories', () => {
    const topology = defineMeetingsTopology({
      parse: { name: 'parse', stateful: false, process: () => undefined },
      keyring: { lease: () => Promise.reject(new Error('not used')) },
    });
    expect(topology.stages.map((stage) => stage.name)).toEqual(['parse', 'encrypt']);
  });
});
