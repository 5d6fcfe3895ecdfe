import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { availableBenchmarks } from '../../../bench/cli.js';

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench');

describe('bench registry', () => {
  it('bench – every module in bench/ that exports run() is a suite `npm run bench` runs', () => {
    const suites = readdirSync(BENCH_DIR)
      .filter((file) => file.endsWith('.ts') && !['cli.ts', 'report.ts'].includes(file))
      .filter((file) => /^export (async )?function run\(/m.test(readFileSync(join(BENCH_DIR, file), 'utf8')))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(suites.length).toBeGreaterThan(0);
    expect(availableBenchmarks()).toEqual(suites);
  });
});
