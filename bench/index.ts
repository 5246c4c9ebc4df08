/**
 * `npm run bench`: runs every benchmark module and prints a summary of the targets each one checks.
 * A benchmark is not a test: a missed target is reported, and the exit code stays 0 unless BENCH_STRICT=1.
 * Run one with `npm run bench -- <name>` (e.g. `npm run bench -- kpl`).
 *
 * Each suite runs in a process of its own. Ratios compare contenders measured in the same process, but how fast an
 * allocation-heavy contender (a floor that makes a Buffer per record) runs depends on the heap the process has
 * grown so far: after the KPL suite, the Firehose floor ran up to 25% faster than in a process of its own. A
 * Lambda function's heap is shaped by its own invocations only, so each suite gets a fresh process.
 *
 * That process runs on Node 22, the runtime Lambda runs the kit on (nodejs22.x): the pinned one from tools/node22
 * (installed on first use) or $NODE22 (scripts/lib/node22.ts). Where there is none, the suites run on the Node
 * running this script, with a note. The Node that measured is printed above every table.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findNode22 } from '../scripts/lib/node22';
import type { BenchResult } from './harness';

// Benchmarks measure work, not logging: contenders that answer records ProcessingFailed would otherwise log each.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const suites: Record<string, () => Promise<{ run(): Promise<BenchResult> }>> = {
  // Each suite registers itself here (one line per bench/<name>.bench.ts).
  kpl: () => import('./kpl.bench'),
  firehose: () => import('./firehose.bench'),
  syslog: () => import('./syslog.bench'),
  sns: () => import('./sns.bench'),
  dynamodb: () => import('./dynamodb.bench'),
  'kinesis-to-s3': () => import('./kinesis-to-s3.bench'),
  opensearch: () => import('./opensearch.bench'),
};

/** The line a child process ends its output with: its targets, for the parent's summary. */
const RESULT_PREFIX = 'BENCH_TARGETS ';

const CHILD = process.env.BENCH_CHILD;
if (CHILD) {
  // A child runs one suite and hands its targets back on its last line.
  const { targets } = await (await suites[CHILD]!()).run();
  console.log(`${RESULT_PREFIX}${JSON.stringify(targets)}`);
} else {
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !(name in suites));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark ${unknown.join(', ')}; there are: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  const node22 = findNode22({ install: true });
  const runtime = node22.ok
    ? { path: node22.node.path, version: node22.node.version }
    : { path: process.execPath, version: process.version };
  if (!node22.ok) {
    console.error(`No Node 22 (${node22.reason}): measuring on ${process.version}, not Lambda's nodejs22.x.`);
  }
  console.log(`Measuring on Node ${runtime.version} (${runtime.path})`);
  const summary: Record<string, string> = {};
  let missed = 0;
  for (const name of Object.keys(suites)) {
    if (only.length > 0 && !only.includes(name)) continue;
    const child = spawnSync(runtime.path, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_CHILD: name },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 << 20,
    });
    const lines = child.stdout.trimEnd().split('\n');
    const last = lines.at(-1) ?? '';
    if (child.status !== 0 || !last.startsWith(RESULT_PREFIX)) {
      process.stdout.write(child.stdout);
      console.error(`Benchmark ${name} failed (exit ${child.status})`);
      process.exit(1);
    }
    process.stdout.write(`${lines.slice(0, -1).join('\n')}\n`);
    const targets = JSON.parse(last.slice(RESULT_PREFIX.length)) as BenchResult['targets'];
    for (const [target, met] of Object.entries(targets)) {
      summary[`${name}: ${target}`] = met ? 'met' : 'MISSED';
      if (!met) missed += 1;
    }
  }
  console.log(`\nTargets (Node ${runtime.version})`);
  console.table(summary);
  if (missed > 0 && process.env.BENCH_STRICT === '1') process.exit(1);
}
