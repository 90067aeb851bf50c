import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each integration test file starts its own redis-server on a free port; two cores in CI.
    maxWorkers: 2,
  },
});
