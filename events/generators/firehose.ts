/**
 * Sample events for the Firehose transformation blueprints, as Firehose invokes the Lambda: base64 record data,
 * the CloudWatch Logs payloads gzip-compressed as CloudWatch Logs sends them, and Kinesis-sourced records with
 * `kinesisRecordMetadata` (one still KPL-aggregated). Deterministic: fixed ids, times and gzip (mtime 0).
 */
import { gzipSync } from 'node:zlib';
import type { FirehoseRecordMetadata, FirehoseTransformationEvent } from 'aws-lambda';
import { aggregate } from '../../shared/kpl';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const ARRIVAL = 1_763_776_800_000; // 2025-11-22T02:00:00Z, epoch ms as Firehose gives it
const deliveryStream = (name: string) => `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${name}`;

const base64 = (data: Uint8Array | string) => Buffer.from(data).toString('base64');

// Firehose record ids are opaque strings of this shape.
const recordId = (n: number) =>
  `49546986683135544286507457936321625675700192471156785154${String(n).padStart(4, '0')}000000000000`;

function event(
  name: string,
  records: { data: Uint8Array | string; kinesisRecordMetadata?: FirehoseRecordMetadata }[],
  sourceKinesisStreamArn?: string,
): FirehoseTransformationEvent {
  return {
    invocationId: `00540a87-5050-496a-84e4-e7d92bbaf5e2`,
    deliveryStreamArn: deliveryStream(name),
    ...(sourceKinesisStreamArn && { sourceKinesisStreamArn }),
    region: REGION,
    records: records.map((record, i) => ({
      recordId: recordId(i),
      approximateArrivalTimestamp: ARRIVAL + i * 250,
      data: base64(record.data),
      ...(record.kinesisRecordMetadata && { kinesisRecordMetadata: record.kinesisRecordMetadata }),
    })),
  };
}

function cloudWatchLogs(
  messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE',
  logEvents: { id: string; timestamp: number; message: string }[],
) {
  const payload =
    messageType === 'CONTROL_MESSAGE'
      ? {
          messageType,
          owner: 'CloudwatchLogs',
          logGroup: '',
          logStream: '',
          subscriptionFilters: [],
          logEvents: [
            {
              id: '',
              timestamp: ARRIVAL,
              message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.',
            },
          ],
        }
      : {
          messageType,
          owner: ACCOUNT,
          logGroup: '/aws/lambda/checkout-api',
          logStream: '2025/11/22/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9',
          subscriptionFilters: ['to-firehose'],
          logEvents,
        };
  return gzipSync(JSON.stringify(payload));
}

const logEvent = (n: number, message: string) => ({
  id: `3819548573${String(n).padStart(2, '0')}48512793962931264536209851262963531233591808`,
  timestamp: ARRIVAL - 60_000 + n * 1000,
  message,
});

function kinesisMetadata(n: number, partitionKey: string): FirehoseRecordMetadata {
  return {
    shardId: 'shardId-000000000000',
    partitionKey,
    approximateArrivalTimestamp: ARRIVAL + n * 250,
    sequenceNumber: `4965852056382637031851241924561791743748403202231215${String(7186 + n * 11)}`,
    subsequenceNumber: '0',
  };
}

const order = (orderId: number, customer: string, country: string, createdAt: string | number) =>
  JSON.stringify({ orderId, customer: { id: customer, country }, total: 12.5 + (orderId % 7), createdAt });

export function firehoseEvents(): Record<string, FirehoseTransformationEvent> {
  const [kplBlob] = aggregate([
    { data: order(2004, 'c-4', 'FR', '2025-11-22T01:58:00Z'), partitionKey: 'c-4' },
    { data: order(2005, 'c-5', 'DE', '2025-11-22T01:58:01Z'), partitionKey: 'c-5' },
  ]);
  return {
    'firehose-process-record': event('process-record', [
      { data: '{"level":"info","msg":"user signed in","userId":42}\n' },
      { data: '{"level":"warn","msg":"slow query","ms":1830}\n' },
      { data: 'plain text line without a newline' },
    ]),
    'firehose-cloudwatch-logs-processor': event('cloudwatch-logs', [
      {
        data: cloudWatchLogs('DATA_MESSAGE', [
          logEvent(1, 'START RequestId: 6c1f0d9e-5b0a-4d7e-9a43-2f1c1e9d7a10 Version: $LATEST'),
          logEvent(2, '2025-11-22T01:59:02.120Z\tINFO\torder accepted {"orderId":1001}'),
          logEvent(3, 'END RequestId: 6c1f0d9e-5b0a-4d7e-9a43-2f1c1e9d7a10'),
        ]),
      },
      { data: cloudWatchLogs('CONTROL_MESSAGE', []) },
      {
        data: cloudWatchLogs('DATA_MESSAGE', [
          logEvent(
            4,
            '2025-11-22T01:59:05.871Z\tERROR\tpayment declined {"orderId":1002,"code":"card_declined"}',
          ),
        ]),
      },
    ]),
    'firehose-kinesis-source': event(
      'kinesis-source',
      [
        {
          data: order(2001, 'c-1', 'DE', 1_763_776_680_000),
          kinesisRecordMetadata: kinesisMetadata(0, 'c-1'),
        },
        {
          data: order(2002, 'c-2', 'NL', 1_763_776_681_000),
          kinesisRecordMetadata: kinesisMetadata(1, 'c-2'),
        },
        // A KPL aggregate that reached the Lambda still aggregated: the blueprint de-aggregates it.
        { data: kplBlob!.data, kinesisRecordMetadata: kinesisMetadata(2, kplBlob!.partitionKey) },
      ],
      `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/orders`,
    ),
    'firehose-json-partitioner': event('json-partitioner', [
      { data: order(3001, 'c-1', 'DE', '2025-11-22T01:59:58Z') },
      { data: order(3002, 'c/2', 'NL', 1_763_776_790_000) },
      { data: order(3003, 'c-3', 'FR', 1_763_773_200) },
      { data: '{"orderId":3004,"customer":{"country":"DE"},"createdAt":"2025-11-22T00:00:00Z"}' },
    ]),
  };
}
