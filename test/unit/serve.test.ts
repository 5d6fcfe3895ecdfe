import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppContext, DEFAULT_SERVE_ROLES, parseRoles } from '../../app/index.js';
import { readConfigFile } from '../../config/index.js';

describe('hycal serve', () => {
  it('serve – runs every wired role without --role, and only the named ones with it', () => {
    expect(parseRoles([])).toEqual(DEFAULT_SERVE_ROLES);
    expect(parseRoles(['processors'])).toEqual(['processors']);
    expect(parseRoles(['webhook,connector', 'webhook'])).toEqual(['webhook', 'connector']);
  });

  it('serve – an unknown role fails at start naming the role; the API is a role like the others and part of the default', () => {
    expect(() => parseRoles(['procesors'])).toThrow(/--role procesors: not a role/);
    expect(parseRoles(['api'])).toEqual(['api']);
    expect(DEFAULT_SERVE_ROLES).toContain('api');
  });

  it('serve – the configuration file sets keys, the environment wins over it, and a bad value names its key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hycal-serve-'));
    const file = join(dir, 'hycal.json');
    writeFileSync(file, JSON.stringify({ stack: { mongodbDatabase: 'fromfile', topicPrefix: 'file.' }, runtime: { maxConcurrentKeys: 32 } }));
    const context = createAppContext({ env: { HYCAL_TOPIC_PREFIX: 'env.' }, file: readConfigFile(file) });
    expect(context.config.stack.mongodbDatabase).toBe('fromfile');
    expect(context.config.stack.topicPrefix).toBe('env.');
    expect(context.config.runtime.maxConcurrentKeys).toBe(32);
    writeFileSync(file, JSON.stringify({ runtime: { maxConcurrentKeys: -1 } }));
    expect(() => createAppContext({ env: {}, file: readConfigFile(file) })).toThrow(/runtime\.maxConcurrentKeys/);
  });

  it('serve – a missing or malformed configuration file stops the start naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hycal-serve-'));
    expect(() => readConfigFile(join(dir, 'absent.json'))).toThrow(/absent\.json cannot be read/);
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    expect(() => readConfigFile(join(dir, 'bad.json'))).toThrow(/bad\.json is not valid JSON/);
    writeFileSync(join(dir, 'list.json'), '[]');
    expect(() => readConfigFile(join(dir, 'list.json'))).toThrow(/must hold a JSON object/);
  });
});
