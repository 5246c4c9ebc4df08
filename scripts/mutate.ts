/**
 * Mutation testing of the pure core: `npm run mutate -- [module...] [--concurrency N] [--incremental] [--report]`.
 *
 *   npm run mutate                          every module below, one Stryker run per group (long: an hour or more)
 *   npm run mutate kpl                      one group
 *   npm run mutate shared/kpl/decode.ts     one file of a group
 *   npm run mutate -- shared/logformats/syslog.ts --incremental
 *                                           again, reusing the last report's results where Stryker can (below)
 *   npm run mutate -- --report [group | file]  no run: the table from the newest report holding each file
 *
 * Stryker (mutation/stryker.config.json) with its vitest runner over the unit tests only
 * (mutation/vitest.config.ts: no emulators), on Node 22 (Stryker 10 needs it; scripts/lib/node22.ts). Reports:
 * .local/mutation/<label>/index.html and mutation.json. The closing table gives, per file, Stryker's score and the
 * score without the mutants listed as equivalent in mutation/equivalent-mutants.json (each with its reason);
 * a listed mutant that no longer survives, or no longer exists, is reported so the list stays true.
 * Exit 1 when a file scores under 90% once its listed equivalents are set aside.
 *
 * `--incremental` hands the label's last mutation.json to Stryker's incremental mode: a mutant killed last time is
 * not run again when neither its code nor the test that killed it changed; every other mutant (survivors, and any
 * whose code or killing test changed) runs again. The table is the whole file's, as a full run's.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { findNode22, withNodeFirstOnPath } from './lib/node22';
import { repoRoot } from './lib/functions';
import {
  type Equivalent,
  type FileScore,
  runsFor,
  scoreFiles,
  staleEquivalents,
  TARGET_SCORE,
} from './lib/mutation';

interface Args {
  targets: string[];
  concurrency: number;
  incremental: boolean;
  report: boolean;
}

/**
 * The command line. `npm run mutate x --incremental` hands the flags to npm, not to this script (npm keeps an
 * unknown `--flag[=value]` as npm_config_flag in the environment), so they are read from there too: the commands
 * work with or without `--` before the flags.
 */
function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Args {
  const targets: string[] = [];
  let concurrency = 2;
  let incremental = env.npm_config_incremental === 'true';
  let report = env.npm_config_report === 'true';
  if (env.npm_config_concurrency !== undefined) argv = ['--concurrency', env.npm_config_concurrency, ...argv];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--incremental') incremental = true;
    else if (arg === '--report') report = true;
    else if (arg === '--concurrency') {
      concurrency = Number(argv[++i]);
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new Error('--concurrency takes a whole number >= 1');
    } else targets.push(arg);
  }
  return { targets, concurrency, incremental, report };
}

const readEquivalents = (): Equivalent[] =>
  JSON.parse(readFileSync(join(repoRoot, 'mutation/equivalent-mutants.json'), 'utf8'));

/**
 * `--report`: each file's figures from the newest report under .local/mutation that holds it, without running
 * Stryker; a file whose source changed since that report is named (its figures may no longer hold).
 */
function fromReports(files: string[]): { scores: FileScore[]; stale: Equivalent[]; missing: number } {
  const root = join(repoRoot, '.local/mutation');
  const reports = (existsSync(root) ? readdirSync(root) : [])
    .map((label) => join(root, label, 'mutation.json'))
    .filter((path) => existsSync(path))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    .map((path) => JSON.parse(readFileSync(path, 'utf8')));
  const equivalents = readEquivalents();
  const scores: FileScore[] = [];
  const stale: Equivalent[] = [];
  let missing = 0;
  for (const file of files) {
    const report = reports.find((r) => r.files[file]);
    if (!report) {
      console.log(`${file}: no report yet`);
      missing++;
      continue;
    }
    const one = { ...report, files: { [file]: report.files[file] } };
    if (report.files[file].source !== readFileSync(join(repoRoot, file), 'utf8'))
      console.log(`${file}: changed since its last report`);
    scores.push(...scoreFiles(one, equivalents));
    stale.push(...staleEquivalents(one, equivalents));
  }
  return { scores, stale, missing };
}

function main(): number {
  let args;
  let runs;
  try {
    args = parseArgs(process.argv.slice(2));
    runs = runsFor(args.targets);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (args.report) {
    const { scores, stale, missing } = fromReports(runs.flatMap((run) => run.files));
    return printTable(scores, stale) || missing > 0 ? 1 : 0;
  }
  const found = findNode22({ install: true });
  if (!found.ok) {
    console.error(`Stryker 10 needs Node 22: ${found.reason}.`);
    return found.kind === 'unsupported' ? 3 : 1;
  }
  const base = JSON.parse(readFileSync(join(repoRoot, 'mutation/stryker.config.json'), 'utf8'));
  const scores: FileScore[] = [];
  const stale: Equivalent[] = [];
  let failedRuns = 0;

  for (const run of runs) {
    const out = join('.local/mutation', run.label);
    mkdirSync(join(repoRoot, out), { recursive: true });
    const config = {
      ...base,
      mutate: run.files,
      concurrency: args.concurrency,
      tempDirName: join(out, 'sandbox'),
      htmlReporter: { fileName: join(out, 'index.html') },
      jsonReporter: { fileName: join(out, 'mutation.json') },
    };
    const last = join(repoRoot, out, 'mutation.json');
    const incrementalFile = join(out, 'incremental.json');
    const incremental = args.incremental && existsSync(last);
    if (args.incremental && !incremental) console.error(`No earlier report for ${run.label}: a full run.`);
    // A copy: Stryker rewrites its incremental file at the end, and a failed run must not lose the last report.
    if (incremental) {
      copyFileSync(last, join(repoRoot, incrementalFile));
      Object.assign(config, { incremental: true, incrementalFile });
    }
    const configPath = join(repoRoot, out, 'stryker.config.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    console.error(
      `\n== ${run.label}: ${run.files.join(', ')} (Node ${found.node.version}, concurrency ${args.concurrency})`,
    );
    const child = spawnSync(
      found.node.path,
      [join(repoRoot, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run', configPath],
      { cwd: repoRoot, stdio: 'inherit', env: withNodeFirstOnPath(found.node) },
    );
    const reportPath = join(repoRoot, out, 'mutation.json');
    if (child.status !== 0 || !existsSync(reportPath)) {
      console.error(`Stryker failed on ${run.label} (exit ${child.status ?? child.signal}).`);
      failedRuns++;
      continue;
    }
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    // Read after the run: the list may be edited while a long run goes on.
    const equivalents = readEquivalents();
    scores.push(...scoreFiles(report, equivalents));
    stale.push(...staleEquivalents(report, equivalents));
    console.error(`Report: ${join(out, 'index.html')}`);
  }

  return printTable(scores, stale) || failedRuns > 0 ? 1 : 0;
}

/** The closing table, the open mutants of a file under target, and stale equivalents; true when one is under. */
function printTable(scores: FileScore[], stale: Equivalent[]): boolean {
  console.log(
    '\n| module | mutants | killed | survived | no coverage | score | equivalent | score without them |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const s of scores) {
    console.log(
      `| ${s.file} | ${s.mutants} | ${s.killed} | ${s.survived} | ${s.noCoverage} | ${s.score.toFixed(1)}% | ${s.equivalent} | ${s.adjusted.toFixed(1)}% |`,
    );
  }
  for (const s of scores.filter((s) => s.adjusted < TARGET_SCORE)) {
    console.log(`\n${s.file} is under ${TARGET_SCORE}%; not detected:`);
    for (const m of s.open)
      console.log(
        `  line ${m.line} ${m.mutator} -> ${JSON.stringify(m.replacement).slice(0, 100)} (${m.status})`,
      );
  }
  for (const e of stale) {
    console.log(
      `\nStale entry in mutation/equivalent-mutants.json (no such surviving mutant): ${e.file}:${e.line} ${e.mutator}`,
    );
  }
  return scores.some((s) => s.adjusted < TARGET_SCORE);
}

process.exit(main());
