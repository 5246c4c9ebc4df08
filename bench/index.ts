/**
 * `npm run bench`: runs every benchmark module and prints a summary of the targets each one checks.
 * A benchmark is not a test: a missed target is reported, and the exit code stays 0 unless BENCH_STRICT=1.
 * Run one with `npm run bench -- <name>` (e.g. `npm run bench -- kpl`).
 */
import type { BenchResult } from './harness';

// Benchmarks measure work, not logging: contenders that answer records ProcessingFailed would otherwise log each.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const suites: Record<string, () => Promise<{ run(): Promise<BenchResult> }>> = {
  // Each suite registers itself here (one line per bench/<name>.bench.ts).
  kpl: () => import('./kpl.bench'),
  firehose: () => import('./firehose.bench'),
};

const only = process.argv.slice(2);
const summary: Record<string, string> = {};
let missed = 0;
for (const [name, load] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const { targets } = await (await load()).run();
  for (const [target, met] of Object.entries(targets)) {
    summary[`${name}: ${target}`] = met ? 'met' : 'MISSED';
    if (!met) missed += 1;
  }
}
console.log('\nTargets');
console.table(summary);
if (missed > 0 && process.env.BENCH_STRICT === '1') process.exit(1);
