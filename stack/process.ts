import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, execFile, type SpawnOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface RunningProcess {
  readonly pid: number;
  readonly port: number;
  readonly startedAt: string;
  /** A string that must appear in /proc/<pid>/cmdline, so a recycled pid is not taken for ours. */
  readonly marker: string;
}

export function readPidFile(path: string): RunningProcess | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunningProcess;
  } catch {
    return undefined;
  }
}

export function writePidFile(path: string, info: RunningProcess): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(info)}\n`);
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) still answers kill 0.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/** True when the process is alive and is the one we started (checked by its command line). */
export function isOurs(info: RunningProcess): boolean {
  if (!isAlive(info.pid)) return false;
  try {
    return readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').includes(info.marker);
  } catch {
    return true;
  }
}

/** Resolves true when nothing listens on 127.0.0.1:port. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.once('listening', () => server.close(() => resolve(true)));
    server.listen(port, '127.0.0.1');
  });
}

/** Names the process listening on a port, when `ss` can tell. */
export async function portHolder(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('ss', ['-Hltnp', `sport = :${port}`], { timeout: 3_000 });
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(stdout);
    return match === null ? undefined : `${match[1]} (pid ${match[2]})`;
  } catch {
    return undefined;
  }
}

export interface DetachedStart {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly logPath: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts a long-running server detached from this process, its output appended to a log file. */
export function startDetached(start: DetachedStart): number {
  mkdirSync(dirname(start.logPath), { recursive: true });
  const fd = openSync(start.logPath, 'a');
  try {
    const options: SpawnOptions = {
      cwd: start.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: start.env ?? process.env,
    };
    const child = spawn(start.command, [...start.args], options);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not spawn ${start.command}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM the process group, then SIGKILL after `graceMs`; resolves when it is gone. */
export async function stopProcess(pid: number, graceMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isAlive(pid)) return 'not-running';
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  signal('SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i += 1) await sleep(100);
  return 'killed';
}

export function tailFile(path: string, lines: number): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '').slice(-lines);
}

/** Runs a command to completion, streaming its output lines to `onLine`; rejects on non-zero exit. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output += text;
      if (output.length > 200_000) output = output.slice(-100_000);
      if (options.onLine !== undefined) for (const line of text.split('\n')) if (line.trim() !== '') options.onLine(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(output);
      else reject(Object.assign(new Error(`${command} ${args.join(' ')} exited with ${code}`), { output }));
    });
  });
}

/** Finds an executable on PATH. */
export async function which(command: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('sh', ['-c', `command -v ${command}`], { timeout: 3_000 });
    const path = stdout.trim();
    return path === '' ? undefined : path;
  } catch {
    return undefined;
  }
}
