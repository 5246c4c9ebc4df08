/**
 * `serverless invoke local --function shard-autoscaler --path events/shard-autoscaler.json` with DRY_RUN=true:
 * the sample SNS-wrapped alarm, the environment serverless.yml resolves (streams, prefix), a private kinesalite
 * behind the scaling proxy (the sample's stream name is fixed, so it stays out of the shared emulator) and the
 * CloudWatch fake.
 */
import type { AddressInfo } from 'node:net';
import kinesalite from 'kinesalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alarmName } from '../../../functions/shard-autoscaler/alarms';
import { resolvePolicy } from '../../../functions/shard-autoscaler/policy';
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
        NOTIFICATION_TOPIC_ARN: '',
        ALARM_ACTIONS: '',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);
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
