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
    exclude: [
      // Spawn Node or read the repository: slow, and they pin no pure-core output that other unit tests do not.
      'test/unit/node22.test.ts',
      'test/unit/readme-environment.test.ts',
      // Wall-clock bounds: instrumented code runs several times slower, and they pin speed, not output.
      'test/unit/logformats/linear-time.test.ts',
      'test/unit/logformats/syslog-linear-time.test.ts',
    ],
    setupFiles: ['mutation/setup-env.ts'],
    testTimeout: 30_000,
    reporters: ['dot'],
  },
});
