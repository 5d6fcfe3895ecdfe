import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { testStack } from '../../support/stack.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Runs `hycal ...` as a separate process (as an operator would) against the test's database. */
export function runHycal(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'hycal.js'), ...args],
      { cwd: ROOT, env: { ...process.env, MONGODB_URI: testStack().mongodbUri, HYCAL_LOG_LEVEL: 'silent', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      },
    );
  });
}
