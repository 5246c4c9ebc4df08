/**
 * Sample event for kinesis-to-dynamodb: device readings as a KPL producer sends them (two aggregates and one plain
 * record), with the values DynamoDB must keep exactly: floats, a 20-digit counter, nested objects and lists, an
 * empty string.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { aggregate } from '../../shared/kpl';
import { sampleRecords } from './stream-record';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/device-readings';
const SHARD = 'shardId-000000000000';
const ARRIVAL = 1_763_776_800; // 2025-11-22T02:00:00Z, fixed so the sample is reproducible

// Written as text (not JSON.stringify) so the sample carries numbers a JavaScript number cannot hold.
const reading = (device: number, ts: number, temperature: string, counter: string, note = '') =>
  `{"deviceId":"d-${device}","ts":${ts},"temperature":${temperature},"counter":${counter},` +
  `"site":{"id":"berlin-1","floor":${device % 3},"tags":["hvac","zone-${device % 2}"]},"note":"${note}"}`;

const record = sampleRecords({
  streamArn: STREAM_ARN,
  shardId: SHARD,
  arrival: ARRIVAL,
  fraction: 0.125,
  functionName: 'kinesis-to-dynamodb',
});

export function kinesisToDynamoDbEvents(): Record<string, KinesisStreamEvent> {
  const t = 1_763_776_790_000;
  const [first] = aggregate([
    { data: reading(1, t, '21.5', '12345678901234567890'), partitionKey: 'd-1' },
    { data: reading(2, t, '19.25', '12345678901234567891', 'door open'), partitionKey: 'd-2' },
    { data: reading(3, t, '-3.125', '98765432109876543210.5'), partitionKey: 'd-3' },
  ]);
  const [second] = aggregate([
    { data: reading(1, t + 1000, '21.75', '12345678901234567892'), partitionKey: 'd-1' },
    {
      data: reading(2, t + 1000, '0.1000000000000000055511151231257827', '12345678901234567893'),
      partitionKey: 'd-2',
    },
  ]);
  return {
    'kinesis-to-dynamodb': {
      Records: [
        record(
          '49658520563826370318512419245617917437484032022312157186',
          first!.partitionKey,
          first!.data,
          0,
        ),
        record(
          '49658520563826370318512419245619126363303646651486863362',
          'd-4',
          reading(4, t, '22', '7'),
          1,
        ),
        record(
          '49658520563826370318512419245620335289123261280661569538',
          second!.partitionKey,
          second!.data,
          2,
        ),
      ],
    },
  };
}
