import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each integration test file starts its own redis-server on a free port; two cores in CI.
    maxWorkers: 2,
    reporters: ['default', new SummaryReporter()],
  },
});
