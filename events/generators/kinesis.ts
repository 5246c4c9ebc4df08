/** Sample events for the Kinesis stream consumers: plain JSON records and one KPL aggregate, as Lambda delivers them. */
import type { KinesisStreamEvent } from 'aws-lambda';
import { aggregate } from '../../shared/kpl';
import { sampleRecords } from './stream-record';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
const SHARD = 'shardId-000000000000';
const ARRIVAL = 1_763_776_800; // 2025-11-22T02:00:00Z, fixed so the sample is reproducible

const record = sampleRecords({
  streamArn: STREAM_ARN,
  shardId: SHARD,
  arrival: ARRIVAL,
  fraction: 0.125,
  functionName: 'kinesis-to-s3',
});

const order = (orderId: number, country: string, total: number) =>
  JSON.stringify({
    orderId,
    customer: { id: `c-${orderId % 7}`, country },
    total,
    currency: 'EUR',
    createdAt: '2025-11-22T01:59:58Z',
  });

export function kinesisEvents(): Record<string, KinesisStreamEvent> {
  const [blob] = aggregate([
    { data: order(1003, 'DE', 12.5), partitionKey: 'c-2' },
    { data: order(1004, 'FR', 80), partitionKey: 'c-3' },
    { data: order(1005, 'DE', 7.25), partitionKey: 'c-4' },
  ]);
  return {
    'kinesis-to-s3': {
      Records: [
        record('49658520563826370318512419245617917437484032022312157186', 'c-0', order(1001, 'DE', 42), 0),
        record(
          '49658520563826370318512419245619126363303646651486863362',
          'c-1',
          order(1002, 'NL', 19.99),
          1,
        ),
        record('49658520563826370318512419245620335289123261280661569538', blob!.partitionKey, blob!.data, 2),
      ],
    },
  };
}
