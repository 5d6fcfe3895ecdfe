import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StackStartError } from './errors.js';
import { runCommand } from './process.js';
import type { Progress } from './progress.js';

const execFileAsync = promisify(execFile);

/** True when a Docker engine answers (not merely a docker client on PATH). */
export async function dockerEngineAvailable(): Promise<boolean> {
  try {
    await execFileAsync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

function composeArgs(root: string, ...rest: string[]): string[] {
  return ['compose', '-f', join(root, 'docker-compose.yml'), '--project-name', 'hybrid-calendar', ...rest];
}

export async function dockerUp(root: string, progress: Progress): Promise<void> {
  try {
    await runCommand('docker', composeArgs(root, 'up', '-d', '--wait'), { onLine: (line) => progress.detail(line) });
  } catch (error) {
    throw new StackStartError(`docker compose up failed: ${(error as Error).message}. See \`docker compose logs\`.`, {
      cause: error,
    });
  }
}

export async function dockerDown(root: string, purge: boolean): Promise<void> {
  await runCommand('docker', composeArgs(root, 'down', ...(purge ? ['--volumes'] : [])));
}

export async function dockerPs(root: string): Promise<string> {
  return runCommand('docker', composeArgs(root, 'ps'));
}
