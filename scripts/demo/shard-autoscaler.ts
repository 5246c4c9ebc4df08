/**
 * `npm start` demo of the shard autoscaler, in DRY_RUN: two streams in kinesalite (behind the scaling proxy that
 * adds UpdateShardCount), their alarms and an hour of traffic in the in-process CloudWatch fake, then one alarm
 * delivered through SNS (scale-up) and one through EventBridge (scale-down). Prints each decision; nothing is
 * changed. `npm run simulate` shows the same decision code over days of traffic.
 */
import type { Context } from 'aws-lambda';
import { alarmName } from '../../functions/shard-autoscaler/alarms';
import { config } from '../../functions/shard-autoscaler/config';
import type { ShardAutoscalerResult } from '../../functions/shard-autoscaler/handler';
import { resolvePolicy } from '../../functions/shard-autoscaler/policy';
import { resetClients } from '../../shared/aws/clients';
import { lambdaContext } from '../../test/support/kinesis-events';
import {
  eventBridgeAlarmEvent,
  snsAlarmEvent,
  startAutoscalerWorld,
} from '../../test/support/shard-autoscaler-world';
import { table } from '../lib/table';
import type { Demo } from './context';

const MIB = 1024 * 1024;
const WIDTH = 100;

/** A long decision line split at spaces into lines of at most WIDTH columns, continuations indented. */
function wrap(text: string, width = WIDTH): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `  ${word}`;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line].join('\n');
}
const PREFIX = 'demo-autoscale-';

export const demo: Demo = async ({ emulators }) => {
  const world = await startAutoscalerWorld({ kinesisEndpoint: emulators.endpoints.kinesis });
  const saved = { ...process.env };
  const streams = [
    { name: 'demo-clicks', shards: 2, direction: 'up' as const, traffic: 3 * MIB, via: 'SNS' },
    { name: 'demo-audit', shards: 6, direction: 'down' as const, traffic: 0.3 * MIB, via: 'EventBridge' },
  ];
  try {
    Object.assign(process.env, world.env, {
      DRY_RUN: 'true',
      ALARM_NAME_PREFIX: PREFIX,
      AUTOSCALED_STREAMS: JSON.stringify(streams.map((s) => ({ streamName: s.name, maxShards: 16 }))),
    });
    resetClients();
    config.reset();
    const { handler } = await import('../../functions/shard-autoscaler/handler');
    const rows: Array<Record<string, string | number>> = [];
    for (const stream of streams) {
      await world.createStream(stream.name, stream.shards);
      await world.installAlarms(
        resolvePolicy({ streamName: stream.name, maxShards: 16 }),
        stream.shards,
        PREFIX,
      );
      world.feedTraffic(stream.name, {
        bytesPerSecond: stream.traffic,
        recordsPerSecond: stream.traffic / 2048,
      });
      const alarm = alarmName(PREFIX, stream.name, stream.direction);
      world.cloudwatch.setState(alarm, 'ALARM');
      const event =
        stream.via === 'SNS' ? snsAlarmEvent(alarm, Date.now()) : eventBridgeAlarmEvent(alarm, Date.now());
      const result = (await handler(
        event,
        lambdaContext('shard-autoscaler') as unknown as Context,
      )) as ShardAutoscalerResult;
      const outcome = result.outcomes[0]!;
      rows.push({
        stream: stream.name,
        trigger: `${stream.via}: scale-${stream.direction}`,
        'offered MiB/s': stream.traffic / MIB,
        shards: stream.shards,
        decision:
          outcome.to !== undefined
            ? `${outcome.from} -> ${outcome.to}`
            : String(outcome.hold ?? outcome.outcome),
        'API calls': Object.values(outcome.apiCalls).reduce((a, b) => a + b, 0),
      });
      console.log(wrap(`${stream.name}: ${outcome.detail}`));
    }
    console.log('\nshard-autoscaler decisions (DRY_RUN: nothing scaled, no alarm or tag written)');
    console.log(table(rows));
    const writes = world.kinesis.updates.length + world.cloudwatch.count('SetAlarmState');
    console.log(
      `UpdateShardCount calls: ${world.kinesis.updates.length}; alarm writes after setup: ${writes - world.kinesis.updates.length}.`,
    );
    console.log(
      'Days of traffic through the same decision code, next to the AWS sample policy: npm run simulate',
    );
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    resetClients();
    config.reset();
    await world.stop();
  }
};
