import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, copyFileSync, truncateSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PrerequisiteMissingError } from '../../../common/index.js';
import {
  checkPrerequisites,
  checkoutRoot,
  stackLayout,
  stackStatus,
  stackUp,
  StackPortBusyError,
} from '../../../stack/index.js';
import { stackTarget } from '../../../app/index.js';
import { installKafka } from '../../../stack/install.js';
import { silentProgress } from '../../../stack/progress.js';

/** A throw-away checkout root with the files the stack command reads (stack/kafka/pom.xml). */
function fakeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'hycal-stack-'));
  mkdirSync(join(root, 'stack', 'kafka'), { recursive: true });
  copyFileSync(join(checkoutRoot(), 'stack', 'kafka', 'pom.xml'), join(root, 'stack', 'kafka', 'pom.xml'));
  return root;
}

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0 });
    });
  });
}

const LOCAL_ONLY = { HYCAL_STACK_MODE: 'local', PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' };
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('hycal stack – bad input is reported with what happened and how to fix it', () => {
  it('stack – a missing prerequisite fails at once naming what to install', async () => {
    await expect(checkPrerequisites(['java', 'hycal-no-such-tool'])).rejects.toThrow(PrerequisiteMissingError);
    await expect(checkPrerequisites(['hycal-no-such-tool'])).rejects.toThrow(/hycal-no-such-tool, not found on PATH/);
    const original = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      await expect(checkPrerequisites()).rejects.toThrow(/java, mvn, go, tar, not found on PATH\. Install: Java 17/);
    } finally {
      process.env['PATH'] = original;
    }
  });

  it('stack – a busy port is named with the process holding it and the variable to change', async () => {
    const { server, port } = await listen();
    cleanups.push(() => server.close());
    const root = fakeRoot();
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const env = { ...LOCAL_ONLY, HYCAL_KAFKA_PORT: String(port), HYCAL_KAFKA_CONTROLLER_PORT: String(port + 1) };
    const failure = stackUp({ ...stackTarget(env, root), provision: false });
    await expect(failure).rejects.toBeInstanceOf(StackPortBusyError);
    await expect(stackUp({ ...stackTarget(env, root), provision: false })).rejects.toThrow(
      new RegExp(`port ${port} is taken by .*(node|pid ${process.pid}).*HYCAL_KAFKA_PORT`),
    );
  });

  it('stack – status tells which part is down, which crashed, and where the log is', async () => {
    const root = fakeRoot();
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const env = { ...LOCAL_ONLY, HYCAL_KAFKA_PORT: '29592', HYCAL_REGISTRY_PORT: '29581', HYCAL_MONGO_PORT: '29518' };
    const layout = stackLayout(stackTarget(env).options, root);
    mkdirSync(layout.runDir, { recursive: true });
    mkdirSync(layout.logsDir, { recursive: true });
    // A registry that died: its pid file names a process that is gone; its log says why.
    writeFileSync(join(layout.runDir, 'registry.json'), JSON.stringify({ pid: 2 ** 22 + 7, port: 29581, startedAt: 'then', marker: 'apicurio' }));
    writeFileSync(join(layout.logsDir, 'registry.log'), 'starting\njava.lang.OutOfMemoryError: Java heap space\n');
    const report = await stackStatus(stackTarget(env, root));
    expect(report.healthy).toBe(false);
    const byName = Object.fromEntries(report.parts.map((part) => [part.name, part]));
    expect(byName['kafka']).toMatchObject({ state: 'down', detail: 'not started' });
    expect(byName['registry']).toMatchObject({ state: 'crashed', logPath: join(layout.logsDir, 'registry.log') });
    expect(byName['registry']!.detail).toMatch(/process \d+ .* is gone/);
    expect(byName['registry']!.lastLogLines).toContain('java.lang.OutOfMemoryError: Java heap space');
  });

  it('stack – a damaged jar in the cache is removed and fetched again', async () => {
    const root = fakeRoot();
    const cacheDir = mkdtempSync(join(tmpdir(), 'hycal-cache-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    cleanups.push(() => rmSync(cacheDir, { recursive: true, force: true }));
    const env = { ...LOCAL_ONLY, HYCAL_CACHE_DIR: cacheDir };
    const layout = stackLayout(stackTarget(env).options, root);
    // Resolve once (cached in ~/.m2 on this machine), then damage a private copy of one jar and
    // point the cached classpath at it, as a truncated download would leave it.
    const classpath = (await installKafka(layout, silentProgress)).split(':');
    const victim = classpath.find((jar) => jar.includes('kafka-clients'))!;
    const damaged = join(cacheDir, 'damaged', 'kafka-clients.jar');
    mkdirSync(join(cacheDir, 'damaged'), { recursive: true });
    copyFileSync(victim, damaged);
    truncateSync(damaged, Math.floor(statSync(damaged).size / 2));
    const classpathFile = join(cacheDir, readdirClasspath(cacheDir));
    writeFileSync(classpathFile, classpath.map((jar) => (jar === victim ? damaged : jar)).join(':'));

    const repaired = (await installKafka(layout, silentProgress)).split(':');
    expect(existsSync(damaged)).toBe(false);
    expect(repaired).toContain(victim);
    expect(readFileSync(classpathFile, 'utf8')).not.toContain(damaged);
  }, 180_000);
});

function readdirClasspath(dir: string): string {
  const name = ['kafka-3.9.1.classpath'].find((file) => existsSync(join(dir, file)));
  if (name === undefined) throw new Error('no cached classpath written');
  return name;
}
