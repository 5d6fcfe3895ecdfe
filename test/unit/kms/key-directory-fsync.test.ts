import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type * as fsPromises from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * Every step the key store takes on the file system, in order: which path was linked or renamed,
 * and which opened path was fsynced (a directory fsync is what makes a new name survive a crash).
 */
const steps: string[] = [];

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fsPromises>();
  const name = (path: unknown): string => basename(String(path));
  return {
    ...actual,
    open: async (...args: Parameters<typeof actual.open>) => {
      const handle = await actual.open(...args);
      const path = name(args[0]);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        steps.push(`fsync ${path}`);
        await sync();
      };
      return handle;
    },
    link: async (from: string, to: string) => {
      await actual.link(from, to);
      steps.push(`link ${name(to)}`);
    },
    rename: async (from: string, to: string) => {
      await actual.rename(from, to);
      steps.push(`rename ${name(to)}`);
    },
  };
});

const { FileTenantKeyStore } = await import('../../../kms/index.js');

describe('kms key directory durability', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'hycal-kms-fsync-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    steps.length = 0;
  });

  it('kms – a new tenant key is fsynced, linked into place, and then the key directory itself is fsynced', async () => {
    const dir = join(root, 'create');
    const store = new FileTenantKeyStore(dir);
    await store.createIfAbsent({ tenantId: 'tenant-a', kekId: 'kek-1', wrapped: randomBytes(80), createdAt: 1, destroyedAt: null });
    const linked = steps.findIndex((step) => step.startsWith('link '));
    expect(linked).toBeGreaterThan(0);
    expect(steps[linked - 1]).toMatch(/^fsync .*\.tmp$/);
    expect(steps.slice(linked + 1)).toContain(`fsync ${basename(dir)}`);
  });

  it('kms – a tombstone (shred) and a re-wrap replace the file by rename, then fsync the key directory', async () => {
    const dir = join(root, 'replace');
    const store = new FileTenantKeyStore(dir);
    const wrapped = randomBytes(80);
    await store.createIfAbsent({ tenantId: 'tenant-b', kekId: 'kek-1', wrapped, createdAt: 1, destroyedAt: null });
    for (const change of [() => store.rewrap('tenant-b', wrapped, randomBytes(80)), () => store.destroy('tenant-b', 2)]) {
      steps.length = 0;
      await change();
      const renamed = steps.findIndex((step) => step.startsWith('rename '));
      expect(renamed).toBeGreaterThan(0);
      expect(steps[renamed - 1]).toMatch(/^fsync .*\.tmp$/);
      expect(steps.slice(renamed + 1)).toEqual([`fsync ${basename(dir)}`]);
    }
  });
});
