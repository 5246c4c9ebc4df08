/**
 * `npm run invoke -- <function> [--path events/x.json] [--emulators]`
 *
 * Runs `serverless invoke local` for one function with its sample event (events/<function>.json by default).
 * With --emulators it first starts the local emulators, points the AWS SDK at them and creates the bucket named
 * by BUCKET_NAME (default kinesis-lambda-kit-local), so no AWS account is needed. Without it, the function talks
 * to whatever your AWS credentials and AWS_ENDPOINT_URL_* variables point at.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { s3Client } from '../shared/aws/clients';
import { startEmulators } from '../test/support/emulators';
import { createBucket } from '../test/support/s3';
import { functionNames, repoRoot } from './lib/functions';
import { setUpShardAutoscaler } from './lib/shard-autoscaler-local';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { path: { type: 'string' }, emulators: { type: 'boolean', default: false } },
});
const [name] = positionals;
if (!name || !functionNames().includes(name)) {
  console.error(
    `Usage: npm run invoke -- <function> [--path events/<function>.json] [--emulators]\nFunctions: ${functionNames().join(', ')}`,
  );
  process.exit(2);
}
const eventPath = values.path ?? `events/${name}.json`;
if (!existsSync(eventPath)) {
  console.error(`No event at ${eventPath}`);
  process.exit(2);
}

const env: NodeJS.ProcessEnv = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
const emulators = values.emulators ? await startEmulators() : undefined;
if (emulators) {
  Object.assign(process.env, emulators.env);
  Object.assign(env, emulators.env);
  env.BUCKET_NAME ??= 'kinesis-lambda-kit-local';
  await createBucket(s3Client(), env.BUCKET_NAME);
}
// The autoscaler's stream, alarms and traffic (scripts/lib/shard-autoscaler-local.ts).
const autoscaler =
  emulators && name === 'shard-autoscaler' ? await setUpShardAutoscaler(emulators, eventPath) : undefined;
Object.assign(env, autoscaler?.env);

const child = spawn('npx', ['serverless', 'invoke', 'local', '--function', name, '--path', eventPath], {
  cwd: repoRoot,
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
});
const code = await new Promise<number>((resolve) => child.on('close', (status) => resolve(status ?? 1)));
await autoscaler?.stop();
await emulators?.stop();
process.exit(code);
