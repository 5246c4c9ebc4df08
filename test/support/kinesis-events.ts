/**
 * Reading a stream the way Lambda's event source mapping does, and shaping what it reads into the exact
 * KinesisStreamEvent Lambda would deliver. Used by integration tests and by `npm start`.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';

export interface EventShape {
  streamArn: string;
  shardId: string;
  region?: string;
}

/** One record as Lambda's event source mapping delivers it (data base64, arrival time in seconds). */
export function toLambdaRecord(record: KinesisRecord, shape: EventShape): KinesisStreamRecord {
  const region = shape.region ?? 'us-east-1';
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey!,
      sequenceNumber: record.SequenceNumber!,
      data: Buffer.from(record.Data!).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shape.shardId}:${record.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::000000000000:role/kinesis-lambda-kit-local`,
    awsRegion: region,
    eventSourceARN: shape.streamArn,
  };
}

export function toLambdaEvent(records: KinesisRecord[], shape: EventShape): KinesisStreamEvent {
  return { Records: records.map((record) => toLambdaRecord(record, shape)) };
}

export async function listShardIds(client: KinesisClient, streamName: string): Promise<string[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  return Shards.map((shard) => shard.ShardId!);
}

/**
 * Reads a shard from a position in batches of at most `batchSize` records, as the event source mapping does,
 * until it has caught up. `after` resumes after a sequence number; `at` re-reads from one (a retry).
 */
export async function readShard(
  client: KinesisClient,
  streamName: string,
  shardId: string,
  options: { batchSize?: number; at?: string; after?: string } = {},
): Promise<KinesisRecord[][]> {
  const position = options.at
    ? { ShardIteratorType: 'AT_SEQUENCE_NUMBER' as const, StartingSequenceNumber: options.at }
    : options.after
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: options.after }
      : { ShardIteratorType: 'TRIM_HORIZON' as const };
  let { ShardIterator: iterator } = await client.send(
    new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ...position }),
  );
  const batches: KinesisRecord[][] = [];
  while (iterator) {
    const page = await client.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: options.batchSize ?? 1000 }),
    );
    if (!page.Records || page.Records.length === 0) break;
    batches.push(page.Records);
    iterator = page.NextShardIterator;
    if (page.MillisBehindLatest === 0 && page.Records.length < (options.batchSize ?? 1000)) break;
  }
  return batches;
}

/** A minimal Lambda context for invoking handlers in-process. */
export function lambdaContext(functionName: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `local-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * A Kinesis event built in memory, shaped as Lambda delivers it: one record per item (a record's bytes, or a KPL
 * aggregate with its partition key), sequence numbers ascending from 49590000000000000000 in steps of 10. `raw`
 * passes string data through without base64 (to test records that are not base64).
 */
export function plainEvent(
  datas: Array<string | Uint8Array | { data: Uint8Array; partitionKey: string }>,
  options: { raw?: boolean; streamArn?: string; shardId?: string } = {},
): KinesisStreamEvent {
  const streamArn = options.streamArn ?? 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
  const shardId = options.shardId ?? 'shardId-000000000003';
  return {
    Records: datas.map((item, index) => {
      const sequenceNumber = String(49_590_000_000_000_000_000n + BigInt(index) * 10n);
      const { data, partitionKey } =
        typeof item === 'string' || item instanceof Uint8Array
          ? { data: item, partitionKey: `pk-${index}` }
          : item;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey,
          sequenceNumber,
          data: options.raw && typeof data === 'string' ? data : Buffer.from(data).toString('base64'),
          approximateArrivalTimestamp: 1_763_800_000 + index,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/x',
        awsRegion: 'us-east-1',
        eventSourceARN: streamArn,
      };
    }),
  };
}

/**
 * Invokes a consumer's handler as Lambda does, with a context whose deadline is `timeoutMs` away; returns the
 * response and how long the invocation took (to check it answered before its deadline).
 */
export async function invokeTimed(
  handler: (event: KinesisStreamEvent, context: Context) => Promise<unknown>,
  functionName: string,
  event: KinesisStreamEvent,
  timeoutMs = 60_000,
): Promise<{ response: KinesisStreamBatchResponse; elapsedMs: number }> {
  const started = Date.now();
  const response = (await handler(
    event,
    lambdaContext(functionName, timeoutMs) as unknown as Context,
  )) as KinesisStreamBatchResponse;
  return { response, elapsedMs: Date.now() - started };
}

/** What Lambda re-delivers after a partial batch response: the records from the reported one on. */
export function redeliveryAfter(
  event: KinesisStreamEvent,
  response: KinesisStreamBatchResponse,
): KinesisStreamEvent {
  const [failure] = response.batchItemFailures;
  const from = event.Records.findIndex((record) => record.kinesis.sequenceNumber === failure?.itemIdentifier);
  if (from < 0) throw new Error(`the checkpoint ${failure?.itemIdentifier} is not a record of the batch`);
  return { Records: event.Records.slice(from) };
}
