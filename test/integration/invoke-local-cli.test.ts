/**
 * Local runs from the command line: `serverless invoke local` and `npm run invoke` (scripts/invoke-local.ts).
 * A bad setting ends the run at once with one line naming the variable the user set; `npm run invoke` says what
 * became of the event's records and, with --emulators, where the objects are on disk.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/functions';

const quiet = { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' };
// A run that does not exit by itself is killed here; `hung` tells that apart from an exit code.
const KILL_AFTER_MS = 100_000;
const TEST_TIMEOUT_MS = 120_000;

interface Run {
  code: number | null;
  hung: boolean;
  stdout: string;
  stderr: string;
  output: string;
}

/** A command from the repo root, offline, with its own esbuild work folder. */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const workFolder = `.esbuild-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const child = spawn(join(repoRoot, 'node_modules/.bin', command), args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...quiet,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      SLS_ESBUILD_WORK_FOLDER: workFolder,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, KILL_AFTER_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
  clearTimeout(timer);
  rmSync(join(repoRoot, workFolder), { recursive: true, force: true });
  return { code, hung, stdout, stderr, output: stdout + stderr };
}

const npmRunInvoke = (args: string[], env?: NodeJS.ProcessEnv) =>
  run('tsx', ['scripts/invoke-local.ts', ...args], env);

/** The lines a user sees, without Node's own warnings about its version. */
const lines = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.trim() !== '' && !/NodeVersionSupportWarning|node >=22/.test(line));

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Each run is mostly waiting on child processes: run them side by side.
describe.concurrent('a bad setting in a local run', { timeout: TEST_TIMEOUT_MS }, () => {
  it('serverless invoke local: one line naming CWL_OVERFLOW, exit 1 at once', async () => {
    const result = await run(
      'serverless',
      [
        'invoke',
        'local',
        '--function',
        'firehose-cloudwatch-logs-processor',
        '--path',
        'events/firehose-cloudwatch-logs-processor.json',
      ],
      { CWL_OVERFLOW: 'bogus' },
    );
    const output = result.output;
    expect(result.hung, output).toBe(false);
    expect(result.code, output).toBe(1);
    expect(lines(output).filter((line) => line.includes('configuration'))).toEqual([
      'Invalid configuration: CWL_OVERFLOW must be one of reingest, processing-failed (got "bogus")',
    ]);
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toMatch(/(?<!CWL_)OVERFLOW must/);
  });

  it('npm run invoke: one line naming INPUT_FORMAT, exit 1 at once', async () => {
    const result = await npmRunInvoke(['kinesis-to-s3'], { INPUT_FORMAT: 'xml', BUCKET_NAME: 'any-bucket' });
    expect(result.hung, result.output).toBe(false);
    expect(result.code, result.output).toBe(1);
    expect(lines(result.output).filter((line) => line.includes('configuration'))).toEqual([
      'Invalid configuration: INPUT_FORMAT must be one of json, text, binary (got "xml")',
    ]);
    expect(result.output).not.toMatch(/^\s+at /m);
  });
});

describe.concurrent('npm run invoke', { timeout: TEST_TIMEOUT_MS }, () => {
  it('ends a run whose records all failed with a one-line summary, exit 1', async () => {
    // S3 refuses connections: every PutObject fails, so every record is handed back.
    const result = await npmRunInvoke(['kinesis-to-s3'], {
      BUCKET_NAME: 'unreachable-bucket',
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await closedPort()}`,
      AWS_MAX_ATTEMPTS: '1',
    });
    expect(result.code, result.output).toBe(1);
    expect(lines(result.stdout).at(-1)).toBe(
      'kinesis-to-s3: all 3 records failed, none processed; Lambda would retry the whole batch (the ERROR lines above say why)',
    );
  });

  it('--emulators: lists the objects and leaves them on disk', async () => {
    const bucket = `invoke-cli-${process.pid}`;
    const folder = join(repoRoot, '.local', 's3', bucket);
    try {
      const result = await npmRunInvoke(['kinesis-to-s3', '--emulators'], {
        BUCKET_NAME: bucket,
        KEY_PREFIX: 'cli',
      });
      expect(result.code, result.output).toBe(0);
      const out = lines(result.stdout);
      expect(out.at(-1)).toBe('kinesis-to-s3: all 3 records processed, no batchItemFailures');
      const listed = out.findIndex((line) => line.startsWith(`1 object(s) in s3://${bucket}`));
      expect(listed, result.stdout).toBeGreaterThan(0);
      expect(out[listed]).toBe(
        `1 object(s) in s3://${bucket}, kept on disk as .local/s3/${bucket}/<key>._S3rver_object:`,
      );
      const key = out[listed + 1]!.trim();
      expect(key).toMatch(/^cli\/2025\/11\/22\/02\/orders-shardId-000000000000-\d+-\d+_2\.ndjson\.gz$/);
      expect(existsSync(join(folder, `${key}._S3rver_object`))).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('says in one line that a function or an option is unknown', async () => {
    const [fn, option] = await Promise.all([
      npmRunInvoke(['kinesis-to-nowhere']),
      npmRunInvoke(['kinesis-to-s3', '--emulator']),
    ]);
    expect(fn.code).toBe(2);
    expect(lines(fn.output)).toEqual([
      expect.stringMatching(/^Unknown function "kinesis-to-nowhere"; one of: .*kinesis-to-s3/),
    ]);
    expect(option.code).toBe(2);
    expect(lines(option.output)).toEqual([
      "Unknown option '--emulator' (usage: npm run invoke -- <function> [--path <event.json>] [--emulators])",
    ]);
  });
});
