import { defineConfig } from 'vitest/config';

// `npm run test:reliability`: the long fault-injection scenarios (nightly; not part of `npm test`).
// Files run one at a time against the shared stack found by the global setup; scenarios that stop
// a server (broker, MongoDB, registry) start private servers of their own on other ports.
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    include: ['test/reliability/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 300_000,
  },
});
