import { defineConfig } from 'vitest/config';

// Unit tests run in parallel. Integration tests share one real stack (random topic, group and
// database names per test) and some restart its broker, so their files run one at a time, after
// the unit tests.
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'sim/graph/test/unit/**/*.test.ts'],
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [
            'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts',
            'sim/graph/test/integration/**/*.test.ts', 'sim/graph/test/e2e/**/*.test.ts',
          ],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
