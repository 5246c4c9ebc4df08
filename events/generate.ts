/**
 * `npm run events`: regenerates the sample events that are built from code (KPL aggregates, gzipped CloudWatch
 * Logs payloads). Hand-written samples in events/ are left alone. Output is deterministic.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firehoseEvents } from './generators/firehose';
import { kinesisEvents } from './generators/kinesis';
import { kinesisToDynamoDbEvents } from './generators/kinesis-to-dynamodb';
import { kinesisToSnsEvents } from './generators/kinesis-to-sns';
import { opensearchEvents } from './generators/opensearch';
import { shardAutoscalerEvents } from './generators/shard-autoscaler';

const generators: Array<() => Record<string, unknown>> = [
  kinesisEvents,
  firehoseEvents,
  shardAutoscalerEvents,
  kinesisToDynamoDbEvents,
  opensearchEvents,
  kinesisToSnsEvents,
  // Each area adds its generator here.
];

const dir = new URL('.', import.meta.url).pathname;
for (const generate of generators) {
  for (const [name, event] of Object.entries(generate())) {
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(event, null, 2)}\n`);
    console.log(`events/${name}.json`);
  }
}
