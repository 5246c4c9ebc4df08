/**
 * Runs the Serverless Framework CLI (osls) from tests: offline, telemetry off, and with its own esbuild work
 * folder per run so CLI tests in parallel workers never share build output.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/lib/functions';
import { type ProcessResult, runProcess } from './process';

export type CliResult = ProcessResult;

export async function runServerless(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 180_000,
): Promise<CliResult> {
  const workFolder = `.esbuild-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const result = await runProcess(join(repoRoot, 'node_modules/.bin/serverless'), args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      SLS_ESBUILD_WORK_FOLDER: workFolder,
      ...env,
    },
    timeoutMs,
  });
  rmSync(join(repoRoot, workFolder), { recursive: true, force: true });
  return result;
}

/** The JSON document `serverless invoke local` prints last (the handler's result). */
export function lastJson(output: string): unknown {
  const start = output.lastIndexOf('\n{');
  const text = start >= 0 ? output.slice(start + 1) : output.slice(output.indexOf('{'));
  return JSON.parse(text);
}
