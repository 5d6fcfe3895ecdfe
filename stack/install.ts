import { execFile } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PrerequisiteMissingError, retry } from '../common/index.js';
import { StackCacheCorruptError, StackInstallError } from './errors.js';
import {
  FERRETDB_BUILD,
  FERRETDB_MODULE,
  FERRETDB_PATCHES,
  FERRETDB_VERSION,
  KAFKA_VERSION,
  REGISTRY_DISTRIBUTIONS,
  type RegistryDistribution,
  type StackLayout,
} from './layout.js';
import { runCommand, which } from './process.js';
import type { Progress } from './progress.js';

const execFileAsync = promisify(execFile);

const INSTALL_HINTS: Readonly<Record<string, string>> = {
  java: 'Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)',
  mvn: 'Apache Maven (Debian: apt-get install maven)',
  go: 'Go 1.22 or newer (https://go.dev/doc/install; Debian: apt-get install golang)',
  tar: 'tar (Debian: apt-get install tar)',
};

/** Fails at once, naming every missing tool and how to install it. */
export async function checkPrerequisites(tools: readonly string[] = ['java', 'mvn', 'go', 'tar']): Promise<void> {
  const missing: string[] = [];
  for (const tool of tools) if ((await which(tool)) === undefined) missing.push(tool);
  if (missing.length > 0) {
    throw new PrerequisiteMissingError(
      `The local stack needs ${missing.join(', ')}, not found on PATH. Install: ${missing
        .map((tool) => INSTALL_HINTS[tool] ?? tool)
        .join('; ')}. Or run with Docker (docker compose), or point KAFKA_BROKERS, SCHEMA_REGISTRY_URL and MONGODB_URI at an existing stack.`,
    );
  }
}

/** A jar is a zip: a healthy one ends with an end-of-central-directory record. */
function isIntactZip(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size < 22) return false;
    const tailLength = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLength);
    readSync(fd, tail, 0, tailLength, size - tailLength);
    return tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) !== -1;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function mavenLine(progress: Progress): (line: string) => void {
  return (line) => {
    const match = /Download(?:ing|ed) from \S+: \S+\/([^/\s]+)/.exec(line);
    if (match?.[1] !== undefined) progress.detail(match[1]);
  };
}

/**
 * Resolves Kafka's broker jars and their dependencies with Maven into ~/.m2 and caches the
 * classpath. A damaged jar in the cache is removed and fetched again.
 */
export async function installKafka(layout: StackLayout, progress: Progress): Promise<string> {
  const classpathFile = join(layout.cacheDir, `kafka-${KAFKA_VERSION}.classpath`);
  const readClasspath = (): string[] | undefined => {
    if (!existsSync(classpathFile)) return undefined;
    const jars = readFileSync(classpathFile, 'utf8').trim().split(':').filter((jar) => jar !== '');
    return jars.length > 0 ? jars : undefined;
  };
  let jars = readClasspath();
  const damaged = (jars ?? []).filter((jar) => !existsSync(jar) || !isIntactZip(jar));
  if (jars !== undefined && damaged.length === 0) return jars.join(':');
  for (const jar of damaged) {
    if (existsSync(jar)) {
      progress.note(`cache: ${jar} is damaged; removing it and fetching it again`);
      rmSync(jar, { force: true });
    }
  }
  mkdirSync(layout.cacheDir, { recursive: true });
  try {
    await runCommand(
      'mvn',
      ['-B', '-f', join(layout.root, 'stack', 'kafka', 'pom.xml'), `-Dkafka.version=${KAFKA_VERSION}`,
        'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`],
      { onLine: mavenLine(progress) },
    );
  } catch (error) {
    throw new StackInstallError(
      `Maven could not resolve Kafka ${KAFKA_VERSION} from Maven Central: ${tailOf(error)}. Check network access to Maven Central and ~/.m2/settings.xml.`,
      { cause: error },
    );
  }
  jars = readClasspath();
  const stillDamaged = (jars ?? []).filter((jar) => !isIntactZip(jar));
  if (jars === undefined || stillDamaged.length > 0) {
    throw new StackCacheCorruptError(
      `Kafka's classpath is unusable (${stillDamaged.slice(0, 3).join(', ')}). Delete those files under ~/.m2/repository and run again.`,
    );
  }
  return jars.join(':');
}

function tailOf(error: unknown): string {
  const output = (error as { output?: string }).output ?? (error as Error).message;
  return output.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
}

/** The Java major version of an executable, or undefined when it does not run. */
async function javaMajor(java: string): Promise<number | undefined> {
  try {
    const { stderr, stdout } = await execFileAsync(java, ['-version'], { timeout: 10_000 });
    const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr + stdout);
    if (match === null) return undefined;
    const major = Number(match[1]);
    return major === 1 ? Number(match[2]) : major;
  } catch {
    return undefined;
  }
}

export interface JavaRuntime {
  readonly path: string;
  readonly major: number;
}

/** Every Java on this machine: JAVA_HOME, PATH, and /usr/lib/jvm/*, newest first. */
export async function findJavas(): Promise<JavaRuntime[]> {
  const candidates = new Set<string>();
  const home = process.env['JAVA_HOME'];
  if (home !== undefined && home !== '') candidates.add(join(home, 'bin', 'java'));
  const onPath = await which('java');
  if (onPath !== undefined) candidates.add(onPath);
  try {
    for (const entry of readdirSync('/usr/lib/jvm')) candidates.add(join('/usr/lib/jvm', entry, 'bin', 'java'));
  } catch {
    // no system JVM folder
  }
  const found: JavaRuntime[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const major = await javaMajor(path);
    if (major !== undefined && !found.some((java) => java.major === major)) found.push({ path, major });
  }
  return found.sort((a, b) => b.major - a.major);
}

export interface RegistryInstall {
  readonly distribution: RegistryDistribution;
  readonly java: JavaRuntime;
  readonly home: string;
}

/** Picks the newest Apicurio Registry 3.x this machine's Java can run, downloads and unpacks it. */
export async function installRegistry(layout: StackLayout, progress: Progress): Promise<RegistryInstall> {
  const javas = await findJavas();
  const choice = REGISTRY_DISTRIBUTIONS.flatMap((distribution) => {
    const java = javas.find((candidate) => candidate.major >= distribution.minJava);
    return java === undefined ? [] : [{ distribution, java }];
  })[0];
  if (choice === undefined) {
    throw new PrerequisiteMissingError(
      `Apicurio Registry 3.x needs Java 17 or newer; found ${javas.map((java) => `Java ${java.major}`).join(', ') || 'none'}. ${INSTALL_HINTS['java']}.`,
    );
  }
  const { distribution } = choice;
  const home = join(layout.cacheDir, `apicurio-registry-${distribution.version}`);
  const marker = join(home, '.complete');
  if (existsSync(marker) && existsSync(join(home, distribution.launcher))) return { ...choice, home };

  const archive = join(
    layout.m2Repository,
    'io', 'apicurio', 'apicurio-registry-app', distribution.version,
    `apicurio-registry-app-${distribution.version}-all.tar.gz`,
  );
  // A damaged archive in the Maven cache is removed and downloaded once more; a failed download is not retried.
  const unpack = async (): Promise<RegistryInstall> => {
    if (!existsSync(archive)) {
      try {
        await runCommand(
          'mvn',
          ['-B', 'dependency:get', `-Dartifact=io.apicurio:apicurio-registry-app:${distribution.version}:tar.gz:all`, '-Dtransitive=false'],
          { onLine: mavenLine(progress) },
        );
      } catch (error) {
        throw new StackInstallError(
          `Maven could not download Apicurio Registry ${distribution.version}: ${tailOf(error)}.`,
          { cause: error },
        );
      }
    }
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { recursive: true });
    progress.detail(`unpacking Apicurio Registry ${distribution.version}`);
    try {
      await runCommand('tar', ['xzf', archive, '-C', home]);
      // 3.1.5–3.2.x put the fast-jar under quarkus-app/; lift it to the top.
      if (!existsSync(join(home, distribution.launcher)) && existsSync(join(home, 'quarkus-app', distribution.launcher))) {
        cpSync(join(home, 'quarkus-app'), home, { recursive: true });
      }
      if (!existsSync(join(home, distribution.launcher))) throw new Error(`${distribution.launcher} missing from the archive`);
      writeFileSync(marker, `${new Date().toISOString()}\n`);
      return { ...choice, home };
    } catch (error) {
      rmSync(home, { recursive: true, force: true });
      throw new StackCacheCorruptError(
        `The Apicurio Registry archive ${archive} is damaged even after a fresh download (${(error as Error).message}). Delete ${join(archive, '..')} and run again.`,
        { cause: error },
      );
    }
  };
  return retry(unpack, {
    attempts: 2,
    delayMs: () => 0,
    retryIf: (error) => error instanceof StackCacheCorruptError,
    onRetry: () => {
      progress.note(`cache: ${archive} is damaged; removing it and downloading it again`);
      rmSync(archive, { force: true });
    },
  });
}

/**
 * Builds FerretDB from its Go module. `go install …/cmd/ferretdb@version` builds a binary that
 * refuses to start (its version file is generated by FerretDB's own build tooling), so the module
 * is fetched into Go's module cache (`go mod download`), copied, given its version file and built
 * with `go build`, after FERRETDB_PATCHES are applied (docs/decisions/0003). The binary is cached
 * per version and patch level.
 */
export async function installFerretDb(layout: StackLayout, progress: Progress): Promise<string> {
  const binary = join(layout.cacheDir, 'bin', `ferretdb-${FERRETDB_BUILD}`);
  if (existsSync(binary)) {
    try {
      const { stdout } = await execFileAsync(binary, ['--version'], { timeout: 10_000 });
      if (stdout.includes(FERRETDB_VERSION)) return binary;
    } catch {
      // fall through to rebuild
    }
    progress.note(`cache: ${binary} does not run; rebuilding it`);
    rmSync(binary, { force: true });
  }
  const source = join(layout.cacheDir, 'src', `ferretdb-${FERRETDB_BUILD}`);
  try {
    progress.detail(`go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION}`);
    const json = await runCommand('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
      env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on' },
      cwd: layout.cacheDir,
    });
    const moduleDir = (JSON.parse(json) as { Dir?: string }).Dir;
    if (moduleDir === undefined || !existsSync(moduleDir)) throw new Error('go mod download returned no directory');
    rmSync(source, { recursive: true, force: true });
    mkdirSync(join(source, '..'), { recursive: true });
    cpSync(moduleDir, source, { recursive: true });
    makeWritable(source);
    writeFileSync(join(source, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    for (const patch of FERRETDB_PATCHES) {
      const file = join(source, patch.file);
      const text = readFileSync(file, 'utf8');
      const found = text.split(patch.find).length - 1;
      if (found !== patch.count) throw new Error(`patch for ${patch.file} does not apply: "${patch.find}" found ${found} times, expected ${patch.count}`);
      writeFileSync(file, text.split(patch.find).join(patch.replace));
      progress.detail(`patched ${patch.file}`);
    }
    progress.detail('go build ./cmd/ferretdb (first time: about a minute)');
    mkdirSync(join(layout.cacheDir, 'bin'), { recursive: true });
    await runCommand('go', ['build', '-trimpath', '-o', binary, './cmd/ferretdb'], {
      cwd: source,
      onLine: (line) => progress.detail(line),
    });
  } catch (error) {
    rmSync(binary, { force: true });
    throw new StackInstallError(
      `Could not build FerretDB ${FERRETDB_VERSION} with Go: ${tailOf(error)}. Check that the Go module proxy is reachable (go env GOPROXY).`,
      { cause: error },
    );
  }
  return binary;
}

function makeWritable(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stat = statSync(path);
    chmodSync(path, stat.mode | 0o200);
    if (stat.isDirectory()) makeWritable(path);
  }
  chmodSync(dir, statSync(dir).mode | 0o200);
}
