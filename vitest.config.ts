import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup-env.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Counts for CI's closing line come from the JSON report.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.local/vitest-report.json' }]]
      : ['default'],
  },
});
