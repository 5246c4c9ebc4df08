/** Builders for Firehose transformation events and a minimal Lambda context, for tests of Firehose blueprints. */
import type { Context, FirehoseRecordMetadata, FirehoseTransformationEvent } from 'aws-lambda';

export const DELIVERY_STREAM_ARN = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/test-delivery';

export interface RecordSpec {
  data: Uint8Array | string;
  recordId?: string;
  approximateArrivalTimestamp?: number;
  kinesisRecordMetadata?: FirehoseRecordMetadata;
}

export function firehoseEvent(
  records: readonly (RecordSpec | Uint8Array | string)[],
  options: { deliveryStreamArn?: string; sourceKinesisStreamArn?: string } = {},
): FirehoseTransformationEvent {
  return {
    invocationId: 'invocation-0001',
    deliveryStreamArn: options.deliveryStreamArn ?? DELIVERY_STREAM_ARN,
    ...(options.sourceKinesisStreamArn && { sourceKinesisStreamArn: options.sourceKinesisStreamArn }),
    region: 'us-east-1',
    records: records.map((spec, i) => {
      const r: RecordSpec = typeof spec === 'string' || spec instanceof Uint8Array ? { data: spec } : spec;
      const bytes = typeof r.data === 'string' ? Buffer.from(r.data, 'utf8') : Buffer.from(r.data);
      return {
        recordId: r.recordId ?? `record-${String(i).padStart(6, '0')}`,
        approximateArrivalTimestamp: r.approximateArrivalTimestamp ?? 1_700_000_000_000 + i,
        data: bytes.toString('base64'),
        ...(r.kinesisRecordMetadata && { kinesisRecordMetadata: r.kinesisRecordMetadata }),
      };
    }),
  };
}

/** Decodes a response record's data. */
export const decoded = (data: string | undefined) => Buffer.from(data ?? '', 'base64').toString('utf8');

/** A Lambda context with enough for the middleware stack and the runner's deadline. */
export function fakeContext(remainingMs = 60_000, name = 'test-function'): Context {
  const start = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: '2024/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => remainingMs - (Date.now() - start),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
