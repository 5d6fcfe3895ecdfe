import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackPortBusyError, StackStartError } from './errors.js';
import { kafkaHealth, mongoHealth, registryHealth, type Health } from './health.js';
import { installFerretDb, installKafka, installRegistry } from './install.js';
import {
  FERRETDB_VERSION,
  KAFKA_VERSION,
  localConnections,
  logFile,
  pidFile,
  type PartName,
  type StackLayout,
} from './layout.js';
import {
  isOurs,
  isPortFree,
  portHolder,
  readPidFile,
  removePidFile,
  runCommand,
  startDetached,
  stopProcess,
  tailFile,
  writePidFile,
  type RunningProcess,
} from './process.js';
import type { Progress } from './progress.js';

interface PartDriver {
  readonly name: PartName;
  readonly title: string;
  readonly port: (layout: StackLayout) => number;
  readonly marker: string;
  /** Downloads/builds what is missing (cached) and returns the command that runs the part. */
  prepare(layout: StackLayout, progress: Progress): Promise<{ command: string; args: string[]; cwd: string }>;
  health(layout: StackLayout): Promise<Health>;
  readonly stopGraceMs: number;
}

function kafkaProperties(layout: StackLayout): string {
  const { kafkaPort, kafkaControllerPort } = layout.options;
  return [
    '# Written by hycal stack up: single-node KRaft broker+controller on loopback.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${kafkaControllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${kafkaPort},CONTROLLER://127.0.0.1:${kafkaControllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${layout.kafkaDataDir}`,
    'num.partitions=1',
    // One broker: internal topics must not ask for more replicas than exist (kafkajs #1752).
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=12',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.check.interval.ms=60000',
    '',
  ].join('\n');
}

const LOG4J_PROPERTIES = [
  'log4j.rootLogger=INFO, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.request.logger=WARN',
  'log4j.logger.state.change.logger=WARN',
  'log4j.logger.org.apache.kafka.clients=WARN',
  '',
].join('\n');

const kafka: PartDriver = {
  name: 'kafka',
  title: `Apache Kafka ${KAFKA_VERSION} (KRaft)`,
  port: (layout) => layout.options.kafkaPort,
  marker: 'kafka.Kafka',
  stopGraceMs: 30_000,
  async prepare(layout, progress) {
    const classpath = await installKafka(layout, progress);
    const configDir = join(layout.stateDir, 'kafka');
    mkdirSync(layout.kafkaDataDir, { recursive: true });
    const properties = join(configDir, 'server.properties');
    const log4j = join(configDir, 'log4j.properties');
    writeFileSync(properties, kafkaProperties(layout));
    writeFileSync(log4j, LOG4J_PROPERTIES);
    const log4jFlag = `-Dlog4j.configuration=file:${log4j}`;
    if (!existsSync(join(layout.kafkaDataDir, 'meta.properties'))) {
      progress.detail('formatting KRaft storage');
      const clusterId = (await runCommand('java', ['-cp', classpath, log4jFlag, 'kafka.tools.StorageTool', 'random-uuid']))
        .trim()
        .split('\n')
        .pop()!
        .trim();
      await runCommand('java', ['-cp', classpath, log4jFlag, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties]);
    }
    return {
      command: 'java',
      args: ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-Djava.awt.headless=true', log4jFlag, '-cp', classpath, 'kafka.Kafka', properties],
      cwd: configDir,
    };
  },
  health: (layout) => kafkaHealth(localConnections(layout.options).KAFKA_BROKERS),
};

const registry: PartDriver = {
  name: 'registry',
  title: 'Apicurio Registry 3.x (Confluent-compatible API)',
  port: (layout) => layout.options.registryPort,
  marker: 'apicurio',
  stopGraceMs: 15_000,
  async prepare(layout, progress) {
    const install = await installRegistry(layout, progress);
    progress.detail(`Apicurio Registry ${install.distribution.version} on Java ${install.java.major}`);
    return {
      command: install.java.path,
      args: [
        '-Xms128m',
        '-Xmx512m',
        `-Dquarkus.http.host=127.0.0.1`,
        `-Dquarkus.http.port=${layout.options.registryPort}`,
        // 3.3.x serves health and metrics on a separate management port (a build-time switch,
        // so it cannot be turned off here): keep it on loopback, on a port of our choosing.
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${layout.options.registryManagementPort}`,
        // Persist schemas beside Kafka's data: records in Kafka name schema ids that must survive restarts.
        `-Dapicurio.datasource.url=jdbc:h2:file:${join(layout.stateDir, 'registry', 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
        '-Dquarkus.log.level=WARN',
        '-Dquarkus.log.category."io.apicurio".level=INFO',
        // Marker for isOurs(); the archive path already contains "apicurio".
        '-jar',
        join(install.home, install.distribution.launcher),
      ],
      cwd: install.home,
    };
  },
  health: (layout) => registryHealth(localConnections(layout.options).SCHEMA_REGISTRY_URL),
};

/**
 * FerretDB's command line: SQLite in WAL mode (FerretDB's default) with `synchronous` as configured
 * (docs/decisions/0004-sqlite-synchronous-normal.md).
 */
export function ferretDbArgs(layout: Pick<StackLayout, 'options' | 'mongoDataDir'>): string[] {
  return [
    `--listen-addr=127.0.0.1:${layout.options.mongoPort}`,
    '--handler=sqlite',
    `--sqlite-url=file:${layout.mongoDataDir}/?_pragma=synchronous(${layout.options.mongoSynchronous})`,
    `--state-dir=${layout.mongoDataDir}`,
    '--telemetry=disable',
    '--log-level=error',
    '--debug-addr=-',
  ];
}

const mongodb: PartDriver = {
  name: 'mongodb',
  title: `FerretDB ${FERRETDB_VERSION} (MongoDB wire protocol, SQLite)`,
  port: (layout) => layout.options.mongoPort,
  marker: 'ferretdb',
  stopGraceMs: 10_000,
  async prepare(layout, progress) {
    const binary = await installFerretDb(layout, progress);
    mkdirSync(layout.mongoDataDir, { recursive: true });
    return {
      command: binary,
      args: ferretDbArgs(layout),
      cwd: layout.mongoDataDir,
    };
  },
  health: (layout) => mongoHealth(localConnections(layout.options).MONGODB_URI),
};

export const PART_DRIVERS: readonly PartDriver[] = [kafka, registry, mongodb];

export interface PartStatus {
  readonly name: PartName;
  readonly title: string;
  readonly port: number;
  readonly state: 'running' | 'unhealthy' | 'down' | 'crashed' | 'foreign';
  readonly pid?: number;
  readonly detail: string;
  readonly logPath: string;
  readonly lastLogLines: string[];
}

export async function partStatus(layout: StackLayout, driver: PartDriver): Promise<PartStatus> {
  const port = driver.port(layout);
  const logPath = logFile(layout, driver.name);
  const info = readPidFile(pidFile(layout, driver.name));
  const base = { name: driver.name, title: driver.title, port, logPath };
  if (info !== undefined && isOurs(info)) {
    const health = await driver.health(layout);
    return health.ok
      ? { ...base, state: 'running', pid: info.pid, detail: health.detail, lastLogLines: [] }
      : { ...base, state: 'unhealthy', pid: info.pid, detail: health.reason, lastLogLines: tailFile(logPath, 8) };
  }
  if (!(await isPortFree(port))) {
    const holder = await portHolder(port);
    return { ...base, state: 'foreign', detail: `port ${port} is taken by ${holder ?? 'another process'}`, lastLogLines: [] };
  }
  if (info !== undefined) {
    return {
      ...base,
      state: 'crashed',
      pid: info.pid,
      detail: `process ${info.pid} (started ${info.startedAt}) is gone`,
      lastLogLines: tailFile(logPath, 12),
    };
  }
  return { ...base, state: 'down', detail: 'not started', lastLogLines: [] };
}

async function waitHealthy(layout: StackLayout, driver: PartDriver, pid: number, progress: Progress): Promise<Health> {
  const deadline = Date.now() + layout.options.startTimeoutMs;
  let last: Health = { ok: false, reason: 'not checked yet' };
  while (Date.now() < deadline) {
    if (!isOurs({ pid, port: 0, startedAt: '', marker: driver.marker })) {
      throw new StackStartError(
        `${driver.title} exited while starting. Last lines of ${logFile(layout, driver.name)}:\n  ${tailFile(logFile(layout, driver.name), 15).join('\n  ')}`,
      );
    }
    last = await driver.health(layout);
    if (last.ok) return last;
    progress.detail(`waiting for ${driver.name}: ${last.reason}`);
    await sleep(1_000);
  }
  throw new StackStartError(
    `${driver.title} did not become healthy within ${layout.options.startTimeoutMs} ms (${last.ok ? '' : last.reason}). ` +
      `See ${logFile(layout, driver.name)}; raise HYCAL_STACK_START_TIMEOUT_MS on a slow machine.`,
  );
}

/** Starts one part unless it already runs; idempotent. */
export async function upPart(layout: StackLayout, driver: PartDriver, progress: Progress): Promise<string> {
  const status = await partStatus(layout, driver);
  if (status.state === 'running') return `already running (pid ${status.pid}, ${status.detail})`;
  if (status.state === 'unhealthy' && status.pid !== undefined) {
    const health = await waitHealthy(layout, driver, status.pid, progress);
    return `running (pid ${status.pid}, ${health.ok ? health.detail : ''})`;
  }
  if (status.state === 'foreign') {
    throw new StackPortBusyError(
      `${driver.title} cannot start: ${status.detail}. Stop that process, or choose another port ` +
        `(HYCAL_${driver.name === 'mongodb' ? 'MONGO' : driver.name.toUpperCase()}_PORT), or point the service at it ` +
        'with KAFKA_BROKERS / SCHEMA_REGISTRY_URL / MONGODB_URI if it is a stack you run yourself.',
    );
  }
  if (status.state === 'crashed') {
    progress.note(`${driver.name} was down: ${status.detail}; restarting it (its log: ${status.logPath})`);
  }
  if (driver.name === 'kafka' && !(await isPortFree(layout.options.kafkaControllerPort))) {
    const holder = await portHolder(layout.options.kafkaControllerPort);
    throw new StackPortBusyError(
      `Kafka's controller port ${layout.options.kafkaControllerPort} is taken by ${holder ?? 'another process'}. Stop it or set HYCAL_KAFKA_CONTROLLER_PORT.`,
    );
  }
  const launch = await driver.prepare(layout, progress);
  const logPath = logFile(layout, driver.name);
  const pid = startDetached({ ...launch, logPath });
  const info: RunningProcess = { pid, port: driver.port(layout), startedAt: new Date().toISOString(), marker: driver.marker };
  writePidFile(pidFile(layout, driver.name), info);
  const health = await waitHealthy(layout, driver, pid, progress);
  return `started (pid ${pid}, ${health.ok ? health.detail : ''})`;
}

export async function downPart(layout: StackLayout, driver: PartDriver): Promise<string> {
  const path = pidFile(layout, driver.name);
  const info = readPidFile(path);
  if (info === undefined) return 'not running';
  if (!isOurs(info)) {
    removePidFile(path);
    return `was not running (stale pid ${info.pid} removed)`;
  }
  const result = await stopProcess(info.pid, driver.stopGraceMs);
  removePidFile(path);
  return result === 'killed' ? `killed (pid ${info.pid} ignored SIGTERM for ${driver.stopGraceMs} ms)` : `stopped (pid ${info.pid})`;
}
