import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCE_DIRS = ['api', 'app', 'cli', 'common', 'config', 'connectors', 'demo', 'gateway', 'graph', 'kms', 'ops', 'processors', 'replay', 'runtime', 'schemas', 'sim', 'stack'];

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('error codes', () => {
  it('errors – every HC_ERR code used in the sources is documented, and every documented code is used', () => {
    const used = new Set<string>();
    for (const file of SOURCE_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir)))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/['"`](HC_ERR_[A-Z0-9_]+)['"`]/g)) used.add(match[1]!);
    }
    const documented = new Set(
      [...readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8').matchAll(/^\| (HC_ERR_[A-Z0-9_]+) \|/gm)].map((m) => m[1]!),
    );
    expect([...used].filter((code) => !documented.has(code)).sort()).toEqual([]);
    expect([...documented].filter((code) => !used.has(code)).sort()).toEqual([]);
  });
});
