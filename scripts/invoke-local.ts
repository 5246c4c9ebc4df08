/**
 * `npm run invoke -- <function> [--path events/x.json] [--emulators]`
 *
 * Runs `serverless invoke local` for one function with its sample event (events/<function>.json by default).
 * With --emulators it first starts the local emulators, points the AWS SDK at them and creates the bucket named
 * by BUCKET_NAME (default kinesis-lambda-kit-local), so no AWS account is needed; the objects written stay on
 * disk under .local/s3/<bucket>/ (s3rver's folder) and are listed at the end. Without it, the function talks
 * to whatever your AWS credentials and AWS_ENDPOINT_URL_* variables point at. Either way the run ends with one
 * line on what happened to the event's records, and exits 1 when none was processed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { s3Client } from '../shared/aws/clients';
import { startEmulators } from '../test/support/emulators';
import { createBucket, listKeys } from '../test/support/s3';
import { functionNames, repoRoot } from './lib/functions';
import { invokeSummary, lastJsonDocument } from './lib/invoke-summary';
import { setUpKinesisToDynamoDb } from './lib/kinesis-to-dynamodb-local';
import { setUpKinesisToOpenSearch } from './lib/kinesis-to-opensearch-local';
import { setUpKinesisToSns } from './lib/kinesis-to-sns-local';
import { setUpShardAutoscaler } from './lib/shard-autoscaler-local';

const USAGE = 'npm run invoke -- <function> [--path <event.json>] [--emulators]';
function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { path: { type: 'string' }, emulators: { type: 'boolean', default: false } },
  });
} catch (error) {
  // Node's message names the option ("Unknown option '--x'. ..."); its first sentence is the point.
  fail(`${(error as Error).message.split('. ')[0]} (usage: ${USAGE})`);
}
const { values, positionals } = parsed;
const [name, ...extra] = positionals;
if (!name) fail(`Which function? Usage: ${USAGE}; functions: ${functionNames().join(', ')}`);
if (!functionNames().includes(name)) {
  fail(`Unknown function "${name}"; one of: ${functionNames().join(', ')}`);
}
if (extra.length > 0) fail(`Unexpected argument "${extra[0]}" (usage: ${USAGE})`);
const eventPath = values.path ?? `events/${name}.json`;
if (!existsSync(eventPath)) fail(`No event at ${eventPath}`);

const env: NodeJS.ProcessEnv = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
// s3rver keeps what the run writes here (the folder `npm start` uses), after the run too.
const s3Directory = join(repoRoot, '.local', 's3');
const bucket = values.emulators ? (env.BUCKET_NAME ||= 'kinesis-lambda-kit-local') : undefined;
if (bucket) rmSync(join(s3Directory, bucket), { recursive: true, force: true }); // the previous run's objects
const emulators = values.emulators ? await startEmulators({ s3Directory }) : undefined;
if (emulators) {
  Object.assign(process.env, emulators.env);
  Object.assign(env, emulators.env);
  try {
    await createBucket(s3Client(), bucket!);
  } catch (error) {
    await emulators.stop();
    fail(`Cannot create bucket "${bucket}" (BUCKET_NAME) on s3rver: ${(error as Error).message}`);
  }
}
// The autoscaler's stream, alarms and traffic (scripts/lib/shard-autoscaler-local.ts).
const autoscaler =
  emulators && name === 'shard-autoscaler' ? await setUpShardAutoscaler(emulators, eventPath) : undefined;
Object.assign(env, autoscaler?.env);
// kinesis-to-dynamodb's table, with the bucket above for dead letters (scripts/lib/kinesis-to-dynamodb-local.ts).
const dynamodbTable =
  emulators && name === 'kinesis-to-dynamodb' ? await setUpKinesisToDynamoDb(bucket!) : undefined;
Object.assign(env, dynamodbTable?.env);
// kinesis-to-opensearch: the OpenSearch fake the emulators start, the bucket above for dead letters.
const opensearch =
  emulators && name === 'kinesis-to-opensearch' ? setUpKinesisToOpenSearch(emulators, bucket!) : undefined;
Object.assign(env, opensearch?.env);
// kinesis-to-sns: a topic on fauxqs with a queue subscribed, the bucket above for dead letters.
const sns = emulators && name === 'kinesis-to-sns' ? await setUpKinesisToSns(bucket!) : undefined;
Object.assign(env, sns?.env);

const child = spawn('npx', ['serverless', 'invoke', 'local', '--function', name, '--path', eventPath], {
  cwd: repoRoot,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
// Shown as it comes, and kept for the closing summary (the handler's result is the last JSON document).
let output = '';
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  output += chunk.toString('utf8');
});
let code = await new Promise<number>((resolve) => child.on('close', (status) => resolve(status ?? 1)));
await autoscaler?.stop();
await dynamodbTable?.stop();
await opensearch?.stop();
await sns?.stop();
const summary = invokeSummary(name, JSON.parse(readFileSync(eventPath, 'utf8')), lastJsonDocument(output));
const keys = bucket ? await listKeys(s3Client(), bucket) : [];
if (keys.length > 0) {
  const onDisk = `${relative(process.cwd(), join(s3Directory, bucket!))}/<key>._S3rver_object`;
  console.log(`\n${keys.length} object(s) in s3://${bucket}, kept on disk as ${onDisk}:`);
  for (const key of keys) console.log(`  ${key}`);
}
if (summary) {
  console.log(`\n${summary.text}`);
  if (summary.allFailed && code === 0) code = 1;
}
await emulators?.stop();
process.exit(code);
