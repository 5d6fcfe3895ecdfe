import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../common/index.js';
import { stackTarget } from '../../../app/index.js';
import { stackDown, stackUp, StackUnreachableError } from '../../../stack/index.js';
import { testStack } from '../../support/stack.js';

const scratch = mkdtempSync(join(tmpdir(), 'hycal-modes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function externalEnv(): Record<string, string> {
  const stack = testStack();
  return {
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    MONGODB_URI: stack.mongodbUri,
    PATH: process.env['PATH'] ?? '',
  };
}

describe('hycal stack – which stack it uses', () => {
  it('stack – with KAFKA_BROKERS, SCHEMA_REGISTRY_URL and MONGODB_URI set it checks that stack and starts nothing', async () => {
    const result = await stackUp({ ...stackTarget(externalEnv(), scratch), provision: false });
    expect(result.mode).toBe('external');
    expect(result.parts.map((part) => part.name).sort()).toEqual(['kafka', 'mongodb', 'registry']);
    expect(result.parts.every((part) => part.result.startsWith('reachable'))).toBe(true);
    expect(await stackDown(stackTarget(externalEnv(), scratch))).toEqual([
      'external stack (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, MONGODB_URI): nothing to stop',
    ]);
  });

  it('stack – an existing stack that does not answer is named part by part', async () => {
    const env = { ...externalEnv(), SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9/apis/ccompat/v7' };
    await expect(stackUp({ ...stackTarget(env, scratch), provision: false })).rejects.toBeInstanceOf(StackUnreachableError);
    await expect(stackUp({ ...stackTarget(env, scratch), provision: false })).rejects.toThrow(/registry: /);
  });

  it('stack – setting only some of the three variables is a configuration error naming the missing ones', async () => {
    const env = { KAFKA_BROKERS: '127.0.0.1:1', PATH: process.env['PATH'] ?? '' };
    await expect((async () => stackUp({ ...stackTarget(env, scratch) }))()).rejects.toBeInstanceOf(ConfigError);
    await expect((async () => stackUp({ ...stackTarget(env, scratch) }))()).rejects.toThrow(/SCHEMA_REGISTRY_URL, MONGODB_URI not/);
  });

  it('stack – when a Docker engine answers it runs docker compose with the project file', async () => {
    // A stand-in `docker` client whose engine "answers" and which records what it is asked.
    const bin = join(scratch, 'bin');
    const calls = join(scratch, 'docker-calls.txt');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "$@" >> ${calls}\nexit 0\n`);
    chmodSync(join(bin, 'docker'), 0o755);
    const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: process.env['HOME'] ?? '' };
    const original = process.env['PATH'];
    process.env['PATH'] = env.PATH;
    try {
      const result = await stackUp({ ...stackTarget(env, scratch), provision: false });
      expect(result.mode).toBe('docker');
      expect(result.connections.KAFKA_BROKERS).toBe('127.0.0.1:19092');
    } finally {
      process.env['PATH'] = original;
    }
    const recorded = readFileSync(calls, 'utf8');
    expect(recorded).toMatch(/^info /m);
    expect(recorded).toContain(`compose -f ${join(scratch, 'docker-compose.yml')} --project-name hybrid-calendar up -d --wait`);
  });
});
