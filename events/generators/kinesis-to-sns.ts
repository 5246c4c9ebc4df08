/**
 * Sample event for kinesis-to-sns: application log records as a KPL producer sends them (one aggregate of six
 * records and two plain records), matched by functions/kinesis-to-sns/rules.json: two errors from the same
 * production host (they collapse into one alert), one error from staging (no match), a slow checkout, an admin
 * login from outside 10.0.0.0/8, an admin login from inside it (no match) and routine INFO lines (no match).
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { aggregate } from '../../shared/kpl';
import { sampleRecords } from './stream-record';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/app-logs';
const SHARD = 'shardId-000000000000';
const ARRIVAL = 1_763_776_800; // 2025-11-22T02:00:00Z, fixed so the sample is reproducible

const record = sampleRecords({
  streamArn: STREAM_ARN,
  shardId: SHARD,
  arrival: ARRIVAL,
  fraction: 0.125,
  functionName: 'kinesis-to-sns',
});

const log = (fields: Record<string, unknown>) =>
  JSON.stringify({ time: '2025-11-22T01:59:58Z', env: 'prod-eu', ...fields });

export const sampleLogRecords = [
  log({ level: 'INFO', host: 'web-1', service: 'catalog', message: 'GET /products 200' }),
  log({ level: 'ERROR', host: 'web-2', service: 'checkout', message: 'payment gateway timeout' }),
  log({ level: 'ERROR', host: 'web-2', service: 'checkout', message: 'payment gateway timeout' }),
  log({ level: 'ERROR', env: 'staging', host: 'stg-1', service: 'checkout', message: 'test failure' }),
  log({ level: 'INFO', host: 'web-3', service: 'checkout', latencyMs: 3150, message: 'POST /checkout 200' }),
  log({ level: 'INFO', event: 'login', user: { name: 'ada', role: 'Admin' }, sourceIp: '203.0.113.9' }),
  log({ level: 'INFO', event: 'login', user: { name: 'bob', role: 'admin' }, sourceIp: '10.1.2.3' }),
  log({ level: 'INFO', host: 'web-1', service: 'catalog', message: 'GET /health 200' }),
];

export function kinesisToSnsEvents(): Record<string, KinesisStreamEvent> {
  const [blob] = aggregate(
    sampleLogRecords.slice(1, 7).map((data, i) => ({ data, partitionKey: `host-${i % 3}` })),
  );
  return {
    'kinesis-to-sns': {
      Records: [
        record('49658520563826370318512419245617917437484032022312157186', 'host-0', sampleLogRecords[0]!, 0),
        record('49658520563826370318512419245619126363303646651486863362', blob!.partitionKey, blob!.data, 1),
        record('49658520563826370318512419245620335289123261280661569538', 'host-1', sampleLogRecords[7]!, 2),
      ],
    },
  };
}
