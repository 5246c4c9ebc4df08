/**
 * The README's local commands for the shard autoscaler:
 *   `DRY_RUN=true npx serverless invoke local --function shard-autoscaler --path events/shard-autoscaler.json`:
 *     the sample SNS-wrapped alarm, the environment serverless.yml resolves offline (streams, prefix; the stack's
 *     topics empty), a private kinesalite behind the scaling proxy (the sample's stream name is fixed, so it stays
 *     out of the shared emulator) and the CloudWatch fake;
 *   `npm run invoke -- shard-autoscaler --emulators [--path ...]`: the same with the stream, alarms and traffic
 *     set up by the script (scripts/lib/shard-autoscaler-local.ts), not a dry run.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import kinesalite from 'kinesalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alarmName } from '../../../functions/shard-autoscaler/alarms';
import { resolvePolicy } from '../../../functions/shard-autoscaler/policy';
import { repoRoot } from '../../../scripts/lib/functions';
import { runProcess } from '../../support/process';
import { lastJson, runServerless } from '../../support/serverless-cli';
import { type AutoscalerWorld, startAutoscalerWorld } from '../../support/shard-autoscaler-world';

// serverless.yml's defaults for stage dev: the names in events/shard-autoscaler.json.
const PREFIX = 'kinesis-lambda-kit-dev-autoscale-';
const STREAM = 'kinesis-lambda-kit-dev-autoscaled';
const MIB = 1024 * 1024;
const server = kinesalite({ createStreamMs: 0, updateStreamMs: 0, deleteStreamMs: 0 });
let world: AutoscalerWorld;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  world = await startAutoscalerWorld({ kinesisEndpoint: `http://127.0.0.1:${port}` });
  await world.createStream(STREAM, 2);
  // As serverless.yml configures the stream (maxShards 16), with the alarms the stack would have after a
  // first scaling to 2 shards.
  await world.installAlarms(resolvePolicy({ streamName: STREAM, maxShards: 16 }), 2, PREFIX);
  world.cloudwatch.setState(alarmName(PREFIX, STREAM, 'up'), 'ALARM');
  world.feedTraffic(STREAM, { bytesPerSecond: 3 * MIB, recordsPerSecond: 1500 });
});

afterAll(async () => {
  await world.stop();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('serverless invoke local: shard-autoscaler', () => {
  it('decides on the sample alarm in DRY_RUN, changing nothing', async () => {
    const result = await runServerless(
      ['invoke', 'local', '--function', 'shard-autoscaler', '--path', 'events/shard-autoscaler.json'],
      {
        ...world.env,
        DRY_RUN: 'true',
        // As the README runs it: neither is set, so serverless.yml's defaults (the stack's topics) apply.
        NOTIFICATION_TOPIC_ARN: undefined,
        ALARM_ACTIONS: undefined,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout + result.stderr).toMatch(
      /ALARM_ACTIONS, NOTIFICATION_TOPIC_ARN, REARM_SCHEDULE_ROLE_ARN empty for invoke local/,
    );
    const output = lastJson(result.stdout) as { dryRun: boolean; outcomes: Array<Record<string, unknown>> };
    expect(output.dryRun).toBe(true);
    expect(output.outcomes).toHaveLength(1);
    expect(output.outcomes[0]).toMatchObject({
      outcome: 'dry-run',
      streamName: STREAM,
      direction: 'up',
      from: 2,
      to: 4,
      detail: expect.stringMatching(
        /^would scale up 2 -> 4: peak load 3 shard\(s\) of write bytes = 150 % of 2 shard\(s\); 6 at the target 50 %; at most 2x current$/,
      ),
    });
    expect(world.kinesis.updates).toEqual([]);
    expect(world.cloudwatch.count('PutMetricAlarm')).toBe(2); // the two installAlarms above, none since
    expect(world.cloudwatch.count('SetAlarmState')).toBe(0);
  });
});

/** `npm run invoke -- shard-autoscaler --emulators [...args]` (the script npm runs), its own emulators. */
async function invokeOnEmulators(args: string[], env: NodeJS.ProcessEnv = {}) {
  const workFolder = `.esbuild-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const result = await runProcess(
    join(repoRoot, 'node_modules/.bin/tsx'),
    ['scripts/invoke-local.ts', 'shard-autoscaler', '--emulators', ...args],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        // What the README's shell has: none of the test run's endpoints or autoscaler settings.
        ...Object.fromEntries(
          Object.keys(process.env)
            .filter((key) => key.startsWith('AWS_ENDPOINT_URL') || key === 'DRY_RUN')
            .map((key) => [key, undefined]),
        ),
        ALARM_ACTIONS: undefined,
        NOTIFICATION_TOPIC_ARN: undefined,
        AUTOSCALED_STREAMS: undefined,
        ALARM_NAME_PREFIX: undefined,
        SLS_ESBUILD_WORK_FOLDER: workFolder,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
        ...env,
      },
      timeoutMs: 180_000,
    },
  );
  rmSync(join(repoRoot, workFolder), { recursive: true, force: true });
  // The handler's result is the last JSON document; the script may print its own lines after it.
  const end = result.stdout.lastIndexOf('\n}');
  return { ...result, output: lastJson(end >= 0 ? result.stdout.slice(0, end + 2) : result.stdout) };
}

describe('npm run invoke -- shard-autoscaler --emulators', () => {
  it('creates the stream and alarms the SNS sample names, and scales it up: 2 -> 4, notified', async () => {
    const result = await invokeOnEmulators([]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const output = result.output as { dryRun: boolean; outcomes: Array<Record<string, unknown>> };
    expect(output.dryRun).toBe(false);
    expect(output.outcomes).toEqual([
      expect.objectContaining({
        outcome: 'scaled',
        streamName: STREAM,
        direction: 'up',
        from: 2,
        to: 4,
        apiCalls: expect.objectContaining({ UpdateShardCount: 1, Publish: 1 }),
      }),
    ]);
    expect(result.stderr).toMatch(/UpdateShardCount 2 -> 4; kinesis-lambda-kit-dev-autoscaled has 4 shards/);
  });

  it('scales down on the EventBridge sample: 4 -> 2', async () => {
    const result = await invokeOnEmulators(['--path', 'events/shard-autoscaler-eventbridge.json']);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const output = result.output as { outcomes: Array<Record<string, unknown>> };
    expect(output.outcomes).toEqual([
      expect.objectContaining({ outcome: 'scaled', direction: 'down', from: 4, to: 2 }),
    ]);
  });
});
