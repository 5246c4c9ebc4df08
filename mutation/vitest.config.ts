/**
 * Vitest for mutation runs (`npm run mutate`): unit tests only, no emulators (no global setup), so that Stryker's
 * dry run and each mutant's run start in seconds. Stryker's vitest runner narrows it further to the test files
 * that import the mutated module (`related` mode).
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/unit/**/*.test.ts'],
    // Spawn Node or build bundles: slow, and they exercise no pure-core line that a unit test does not.
    exclude: ['test/unit/node22.test.ts', 'test/unit/readme-environment.test.ts'],
    setupFiles: ['mutation/setup-env.ts'],
    testTimeout: 30_000,
    reporters: ['dot'],
  },
});
