import { defineConfig } from 'vitest/config';

// Unit tests run in parallel; integration tests share one real stack (random topic, group and
// database names per test), so they run file by file with generous time-outs.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
