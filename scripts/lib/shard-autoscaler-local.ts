/**
 * What `npm run invoke -- shard-autoscaler --emulators` needs besides the emulators: the stream and the alarm that
 * the event names, as a deployed stack would have them. kinesalite has the stream, behind the scaling proxy
 * (UpdateShardCount, DescribeLimits); the CloudWatch fake has both alarms (the event's in ALARM) and 90 minutes of
 * traffic that calls for the event's direction; the Lambda fake answers consumers' PutFunctionConcurrency; fauxqs
 * has a notification topic. The run is not a dry run unless DRY_RUN=true: the proxy scales, the alarms are
 * rewritten, the notification is published, and `stop()` says what happened.
 */
import { readFileSync } from 'node:fs';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { alarmName } from '../../functions/shard-autoscaler/alarms';
import { parseStreamList, resolvePolicy } from '../../functions/shard-autoscaler/policy';
import { parseTrigger } from '../../functions/shard-autoscaler/trigger';
import type { Emulators } from '../../test/support/emulators';
import { startAutoscalerWorld } from '../../test/support/shard-autoscaler-world';

/** serverless.yml's ALARM_NAME_PREFIX for stage dev (`${self:service}-${sls:stage}-autoscale-`), the events' names. */
const DEFAULT_PREFIX = 'kinesis-lambda-kit-dev-autoscale-';
const MIB = 1024 * 1024;

export interface LocalSetup {
  /** For the function's process: endpoints of the proxy and the fakes, the notification topic, no alarm actions. */
  env: Record<string, string>;
  /** Prints what the function did to the stream and its alarms, then stops the proxy and the fakes. */
  stop(): Promise<void>;
}

export async function setUpShardAutoscaler(emulators: Emulators, eventPath: string): Promise<LocalSetup> {
  const prefix = process.env.ALARM_NAME_PREFIX || DEFAULT_PREFIX;
  const [delivery] = parseTrigger(JSON.parse(readFileSync(eventPath, 'utf8')), prefix);
  if (delivery?.kind !== 'alarm') {
    throw new Error(
      `${eventPath}: no autoscaler alarm with the prefix ${prefix} (${delivery?.reason ?? 'no delivery'}); set ALARM_NAME_PREFIX to the event's`,
    );
  }
  const { streamName, direction } = delivery;
  const configured = process.env.AUTOSCALED_STREAMS
    ? parseStreamList(process.env.AUTOSCALED_STREAMS).find((policy) => policy.streamName === streamName)
    : undefined;
  const policy = configured ?? resolvePolicy({ streamName });
  // Up: 2 shards offered 3 MiB/s (150 %). Down: 4 shards offered 0.2 MiB/s for the last hour (5 %).
  const shards = direction === 'up' ? 2 : 4;
  const bytesPerSecond = direction === 'up' ? 3 * MIB : 0.2 * MIB;

  const world = await startAutoscalerWorld({ kinesisEndpoint: emulators.endpoints.kinesis });
  try {
    await world.createStream(streamName, shards);
    await world.installAlarms(policy, shards, prefix);
    world.cloudwatch.setState(alarmName(prefix, streamName, direction), 'ALARM');
    world.feedTraffic(streamName, { bytesPerSecond, recordsPerSecond: bytesPerSecond / 2048 });
    const sns = new SNSClient({ endpoint: emulators.endpoints.sns, region: emulators.env.AWS_REGION });
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${prefix}notifications` }));
    sns.destroy();
    console.error(
      `shard-autoscaler on emulators: stream ${streamName} (${shards} shards, ${bytesPerSecond / MIB} MiB/s offered), ` +
        `${alarmName(prefix, streamName, direction)} in ALARM, notifications to ${TopicArn}`,
    );
    return {
      env: { ...world.env, ALARM_ACTIONS: '', NOTIFICATION_TOPIC_ARN: TopicArn! },
      async stop() {
        const updates = world.kinesis.updates.map(
          (update) => `${shards} -> ${update.target}${update.error ? ` refused (${update.error})` : ''}`,
        );
        console.error(
          `shard-autoscaler on emulators: UpdateShardCount ${updates.length === 0 ? 'not called' : updates.join(', ')}; ` +
            `${streamName} has ${world.kinesis.shardCount(streamName) ?? shards} shards`,
        );
        await world.stop();
      },
    };
  } catch (error) {
    await world.stop();
    throw error;
  }
}
