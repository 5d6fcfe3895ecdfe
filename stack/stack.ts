import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createSchemaRegistry, provisionTopics, registerTopicSchemas } from '../schemas/index.js';
import { dockerDown, dockerEngineAvailable, dockerPs, dockerUp } from './docker.js';
import { StackUnreachableError } from './errors.js';
import { stackHealth, type Health } from './health.js';
import { checkPrerequisites } from './install.js';
import { localConnections, stackLayout, type ConnectionStrings, type PartName, type StackLayout } from './layout.js';
import { downPart, PART_DRIVERS, partStatus, upPart, type PartStatus } from './local.js';
import type { LocalStackOptions } from './options.js';
import { silentProgress, type Progress } from './progress.js';

export type StackMode = 'external' | 'docker' | 'local';

/**
 * Which stack a command works on, from validated configuration (the composition root, app/, makes
 * it): the local stack's options, or an existing stack's connection strings.
 */
export interface StackTarget {
  readonly options: LocalStackOptions;
  /** An existing stack to use instead of running one. */
  readonly external?: ConnectionStrings | undefined;
  /** Checkout root holding stack/ and .stack/ (default: this checkout). */
  readonly root?: string | undefined;
}

async function decideMode(target: StackTarget): Promise<StackMode> {
  const { options } = target;
  if (target.external !== undefined) return 'external';
  if (options.mode === 'local') return 'local';
  if (options.mode === 'docker') return 'docker';
  return (await dockerEngineAvailable()) ? 'docker' : 'local';
}

function writeEnvFile(layout: StackLayout, mode: StackMode, connections: ConnectionStrings): void {
  mkdirSync(layout.stateDir, { recursive: true });
  const lines = Object.entries(connections).map(([key, value]) => `${key}=${value}`);
  writeFileSync(join(layout.stateDir, 'env'), `# hycal stack (${mode}); source it or export these\n${lines.join('\n')}\n`);
  writeFileSync(join(layout.stateDir, 'stack.json'), `${JSON.stringify({ mode, connections }, null, 2)}\n`);
}

export interface StackUpResult {
  readonly mode: StackMode;
  readonly connections: ConnectionStrings;
  readonly parts: readonly { name: string; result: string }[];
  readonly topics?: { created: number; existing: number; schemas: number };
}

/** Creates the topics of the declarative list and registers their value schemas (idempotent). */
export async function provisionStack(
  connections: ConnectionStrings,
  options: { prefix?: string } = {},
): Promise<{ created: number; existing: number; schemas: number }> {
  const admin = new Kafka({
    clientId: 'hycal-provision',
    brokers: connections.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8 },
  }).admin();
  await admin.connect();
  try {
    const topics = await provisionTopics(admin, options);
    const schemas = await registerTopicSchemas(createSchemaRegistry(connections.SCHEMA_REGISTRY_URL), options);
    return { created: topics.created.length, existing: topics.existing.length, schemas: schemas.size };
  } finally {
    await admin.disconnect();
  }
}

export async function stackUp(
  options: StackTarget & { progress?: Progress; provision?: boolean },
): Promise<StackUpResult> {
  const progress = options.progress ?? silentProgress;
  const stackOptions = options.options;
  const layout = stackLayout(stackOptions, options.root);
  const mode = await decideMode(options);
  let connections: ConnectionStrings;
  const parts: { name: string; result: string }[] = [];

  if (mode === 'external') {
    connections = options.external!;
    progress.step('checking the existing stack named by KAFKA_BROKERS, SCHEMA_REGISTRY_URL, MONGODB_URI');
    const health = await stackHealth(connections);
    const down = Object.entries(health).filter(([, h]) => !h.ok) as [string, Extract<Health, { ok: false }>][];
    if (down.length > 0) {
      throw new StackUnreachableError(
        `The existing stack does not answer: ${down.map(([name, h]) => `${name}: ${h.reason}`).join('; ')}. Check the variables or unset them to let hycal run a local stack.`,
      );
    }
    for (const [name, h] of Object.entries(health)) parts.push({ name, result: h.ok ? `reachable (${h.detail})` : '' });
  } else if (mode === 'docker') {
    connections = localConnections(stackOptions);
    progress.step('docker compose up (Kafka, schema registry, mongo)');
    await dockerUp(layout.root, progress);
    parts.push({ name: 'docker', result: 'compose services healthy' });
  } else {
    connections = localConnections(stackOptions);
    progress.step('checking prerequisites (java, mvn, go, tar)');
    await checkPrerequisites();
    for (const driver of PART_DRIVERS) {
      progress.step(driver.title);
      parts.push({ name: driver.name, result: await upPart(layout, driver, progress) });
    }
  }
  writeEnvFile(layout, mode, connections);
  let topics: StackUpResult['topics'];
  if (options.provision !== false) {
    progress.step('creating topics and registering schemas');
    topics = await provisionStack(connections);
  }
  progress.done();
  return topics === undefined ? { mode, connections, parts } : { mode, connections, parts, topics };
}

export async function stackDown(options: StackTarget & { purge?: boolean }): Promise<string[]> {
  const stackOptions = options.options;
  const layout = stackLayout(stackOptions, options.root);
  const mode = await decideMode(options);
  if (mode === 'external') return ['external stack (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, MONGODB_URI): nothing to stop'];
  if (mode === 'docker') {
    await dockerDown(layout.root, options.purge === true);
    return ['docker compose down'];
  }
  const lines: string[] = [];
  for (const driver of [...PART_DRIVERS].reverse()) lines.push(`${driver.name}: ${await downPart(layout, driver)}`);
  if (options.purge === true) {
    rmSync(join(layout.stateDir, 'kafka'), { recursive: true, force: true });
    rmSync(layout.mongoDataDir, { recursive: true, force: true });
    lines.push(`data removed from ${layout.stateDir}`);
  }
  return lines;
}

export interface StackStatusReport {
  readonly mode: StackMode;
  readonly connections: ConnectionStrings;
  readonly parts: readonly PartStatus[];
  readonly healthy: boolean;
  readonly docker?: string;
}

export async function stackStatus(options: StackTarget): Promise<StackStatusReport> {
  const stackOptions = options.options;
  const layout = stackLayout(stackOptions, options.root);
  const mode = await decideMode(options);
  if (mode === 'local') {
    const parts = await Promise.all(PART_DRIVERS.map((driver) => partStatus(layout, driver)));
    return { mode, connections: localConnections(stackOptions), parts, healthy: parts.every((p) => p.state === 'running') };
  }
  const connections = mode === 'external' ? options.external! : localConnections(stackOptions);
  const health = await stackHealth(connections);
  const parts: PartStatus[] = (Object.entries(health) as [PartName, Health][]).map(([name, h]) => ({
    name,
    title: name,
    port: 0,
    state: h.ok ? 'running' : 'down',
    detail: h.ok ? h.detail : h.reason,
    logPath: mode === 'docker' ? `docker compose logs ${name}` : '(external)',
    lastLogLines: [],
  }));
  const report = { mode, connections, parts, healthy: parts.every((p) => p.state === 'running') };
  return mode === 'docker' ? { ...report, docker: await dockerPs(layout.root).catch((e: Error) => e.message) } : report;
}

function localPart(part: PartName, options: StackTarget): { layout: StackLayout; driver: (typeof PART_DRIVERS)[number] } {
  return { layout: stackLayout(options.options, options.root), driver: PART_DRIVERS.find((d) => d.name === part)! };
}

/**
 * Starts one part of the local stack of `options.root` unless it runs, and waits until it answers
 * (the reliability suite starts private servers this way, in a temporary root on other ports).
 */
export async function startLocalPart(part: PartName, options: StackTarget & { progress?: Progress }): Promise<string> {
  const { layout, driver } = localPart(part, options);
  return upPart(layout, driver, options.progress ?? silentProgress);
}

/** Stops one part of the local stack (SIGTERM, then SIGKILL after its grace period); its data stays. */
export async function stopLocalPart(part: PartName, options: StackTarget): Promise<string> {
  const { layout, driver } = localPart(part, options);
  return downPart(layout, driver);
}

/** Stops and starts one part of the local stack (tests use it to restart the broker mid-run). */
export async function restartLocalPart(part: PartName, options: StackTarget): Promise<void> {
  await stopLocalPart(part, options);
  await startLocalPart(part, options);
}
