/**
 * A stream, its alarms and its traffic for the shard autoscaler's tests and demo: kinesalite behind the
 * scaling proxy (UpdateShardCount, DescribeLimits, on-demand), the CloudWatch fake, the Lambda fake (consumers'
 * reserved concurrency), and alarm events in both
 * trigger shapes (SNS-wrapped alarm notification, EventBridge "CloudWatch Alarm State Change").
 *
 * @example
 * ```ts
 * const world = await startAutoscalerWorld({ kinesisEndpoint: process.env.AWS_ENDPOINT_URL_KINESIS! });
 * Object.assign(process.env, world.env);
 * await world.createStream('orders', 2);
 * await world.installAlarms(policy, 2, 'klk-');
 * world.feedTraffic('orders', { bytesPerSecond: 3 * 1024 * 1024, minutes: 10 });
 * ```
 */
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { buildAlarms, type Direction } from '../../functions/shard-autoscaler/alarms';
import type { ScalingPolicy } from '../../functions/shard-autoscaler/policy';
import { type CloudWatchFake, startCloudWatchFake } from './cloudwatch-fake';
import { type KinesisScalingProxy, startKinesisScalingProxy } from './kinesis-scaling-proxy';
import { type LambdaFake, startLambdaFake } from './lambda-fake';
import { type SchedulerFake, startSchedulerFake } from './scheduler-fake';

export interface Traffic {
  bytesPerSecond: number;
  recordsPerSecond?: number;
  throttledRecordsPerSecond?: number;
  iteratorAgeMs?: number;
  /** Minutes of history ending now (default 90). */
  minutes?: number;
}

export interface AutoscalerWorld {
  cloudwatch: CloudWatchFake;
  kinesis: KinesisScalingProxy;
  /** Consumer functions (PutFunctionConcurrency); add them with `lambda.addFunction(name)`. */
  lambda: LambdaFake;
  /** One-time re-arm schedules (CreateSchedule), with REARM_SCHEDULE_ROLE_ARN set. */
  scheduler: SchedulerFake;
  /**
   * AWS_ENDPOINT_URL_KINESIS (the proxy), AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL_LAMBDA and
   * AWS_ENDPOINT_URL_SCHEDULER (the fakes).
   */
  env: Record<string, string>;
  createStream(name: string, shards: number, options?: { onDemand?: boolean }): Promise<void>;
  /** The alarms as the stack would create them (through PutMetricAlarm, so the fake validates the math). */
  installAlarms(
    policy: ScalingPolicy,
    shards: number,
    prefix: string,
    alarmActions?: string[],
  ): Promise<void>;
  /** Per-minute datapoints of steady traffic over the last `minutes`. */
  feedTraffic(streamName: string, traffic: Traffic, now?: number): void;
  stop(): Promise<void>;
}

export async function startAutoscalerWorld(options: { kinesisEndpoint: string }): Promise<AutoscalerWorld> {
  const [cloudwatch, kinesis, lambda, scheduler] = await Promise.all([
    startCloudWatchFake(),
    startKinesisScalingProxy({ upstream: options.kinesisEndpoint }),
    startLambdaFake(),
    startSchedulerFake(),
  ]);
  const kinesisAdmin = new KinesisClient({
    endpoint: kinesis.endpoint,
    requestHandler: new NodeHttpHandler(),
    region: process.env.AWS_REGION ?? 'us-east-1',
  });
  const cloudwatchAdmin = new CloudWatchClient({
    endpoint: cloudwatch.endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
  });
  return {
    cloudwatch,
    kinesis,
    lambda,
    scheduler,
    env: {
      AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_ENDPOINT_URL_SCHEDULER: scheduler.endpoint,
    },
    async createStream(name, shards, streamOptions = {}) {
      await kinesisAdmin.send(
        new CreateStreamCommand(
          streamOptions.onDemand
            ? { StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }
            : { StreamName: name, ShardCount: shards },
        ),
      );
      // kinesalite creates streams asynchronously even with createStreamMs 0.
      for (let attempt = 0; attempt < 100; attempt++) {
        const summary = await kinesisAdmin.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`Stream ${name} did not become ACTIVE`);
    },
    async installAlarms(policy, shards, prefix, alarmActions = []) {
      const alarms = buildAlarms({ policy, shards, prefix, alarmActions });
      for (const direction of ['up', 'down'] as Direction[]) {
        await cloudwatchAdmin.send(new PutMetricAlarmCommand(alarms[direction]));
      }
    },
    feedTraffic(streamName, traffic, now = Date.now()) {
      const minutes = traffic.minutes ?? 90;
      const first = Math.floor(now / 60_000) * 60_000 - minutes * 60_000;
      const at = (i: number) => first + i * 60_000;
      const series = (value: number) =>
        Array.from({ length: minutes }, (_, i) => ({ timestamp: at(i), value }));
      cloudwatch.putDatapoints(streamName, 'IncomingBytes', series(traffic.bytesPerSecond * 60));
      cloudwatch.putDatapoints(streamName, 'IncomingRecords', series((traffic.recordsPerSecond ?? 0) * 60));
      if (traffic.throttledRecordsPerSecond) {
        cloudwatch.putDatapoints(
          streamName,
          'WriteProvisionedThroughputExceeded',
          series(traffic.throttledRecordsPerSecond * 60),
        );
      }
      if (traffic.iteratorAgeMs !== undefined) {
        cloudwatch.putDatapoints(
          streamName,
          'GetRecords.IteratorAgeMilliseconds',
          series(traffic.iteratorAgeMs),
        );
      }
    },
    async stop() {
      kinesisAdmin.destroy();
      cloudwatchAdmin.destroy();
      await Promise.all([cloudwatch.stop(), kinesis.stop(), lambda.stop(), scheduler.stop()]);
    },
  };
}

const cloudWatchTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

/** An alarm's ALARM notification as SNS delivers it to Lambda. */
export function snsAlarmEvent(
  alarmName: string,
  stateChangeTime: number,
  messageId = `msg-${stateChangeTime}`,
) {
  const topicArn = 'arn:aws:sns:us-east-1:000000000000:autoscaler-alarms';
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:sub`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: topicArn,
          Subject: `ALARM: "${alarmName}" in US East (N. Virginia)`.slice(0, 100),
          Message: JSON.stringify({
            AlarmName: alarmName,
            AWSAccountId: '000000000000',
            NewStateValue: 'ALARM',
            NewStateReason: 'Threshold Crossed (test)',
            StateChangeTime: cloudWatchTime(stateChangeTime),
            Region: 'US East (N. Virginia)',
            AlarmArn: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${alarmName}`,
            OldStateValue: 'OK',
          }),
          Timestamp: new Date(stateChangeTime + 300).toISOString(),
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/example.pem',
          UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** The same transition as EventBridge delivers it. */
export function eventBridgeAlarmEvent(
  alarmName: string,
  stateChangeTime: number,
  id = `evt-${stateChangeTime}`,
) {
  return {
    version: '0',
    id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '000000000000',
    time: new Date(stateChangeTime).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [`arn:aws:cloudwatch:us-east-1:000000000000:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: {
        value: 'ALARM',
        reason: 'Threshold Crossed (test)',
        timestamp: cloudWatchTime(stateChangeTime),
      },
      previousState: { value: 'OK', reason: 'test', timestamp: cloudWatchTime(stateChangeTime - 600_000) },
      configuration: { metrics: [] },
    },
  };
}
