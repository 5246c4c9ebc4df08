/**
 * The sample event for kinesis-to-opensearch: application log lines as JSON, KPL-aggregated as a producer with
 * the KPL sends them (two aggregates and one plain record), shaped as Lambda delivers them.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { aggregate } from '../../shared/kpl';
import { sampleRecords } from './stream-record';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/app-logs';
const SHARD = 'shardId-000000000001';
const ARRIVAL = 1_764_547_200; // 2025-12-01T00:00:00Z, fixed so the sample is reproducible

const log = (i: number, level: string, message: string) =>
  JSON.stringify({
    '@timestamp': new Date((ARRIVAL - 2) * 1000 + i * 250).toISOString(),
    level,
    service: i % 2 === 0 ? 'checkout' : 'payments',
    message,
    requestId: `req-${(7_000 + i).toString(16)}`,
    latencyMs: 12 + ((i * 37) % 180),
  });

const record = sampleRecords({
  streamArn: STREAM_ARN,
  shardId: SHARD,
  arrival: ARRIVAL,
  fraction: 0.5,
  functionName: 'kinesis-to-opensearch',
});

export function opensearchEvents(): Record<string, KinesisStreamEvent> {
  const messages = ['order placed', 'card authorised', 'stock reserved', 'receipt sent', 'order shipped'];
  const [first] = aggregate(
    messages.map((message, i) => ({ data: log(i, 'INFO', message), partitionKey: `req-${i}` })),
  );
  const [second] = aggregate([
    { data: log(5, 'WARN', 'payment retried'), partitionKey: 'req-5' },
    { data: log(6, 'ERROR', 'payment declined'), partitionKey: 'req-6' },
  ]);
  return {
    'kinesis-to-opensearch': {
      Records: [
        record(
          '49659000000000000000000000000000000000000000000000000018',
          first!.partitionKey,
          first!.data,
          0,
        ),
        record(
          '49659000000000000000000000000000000000000000000000000034',
          'req-7',
          log(7, 'INFO', 'health check'),
          1,
        ),
        record(
          '49659000000000000000000000000000000000000000000000000050',
          second!.partitionKey,
          second!.data,
          2,
        ),
      ],
    },
  };
}
