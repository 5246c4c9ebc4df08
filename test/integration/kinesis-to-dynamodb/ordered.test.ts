/**
 * kinesis-to-dynamodb with WRITE_MODE=ordered on dynalite: conditional PutItem on the stream position, so an
 * older record never overwrites a newer one, whatever order batches arrive in (a re-delivery, or a parent shard
 * read after its children following a reshard), and re-delivering the same record is a no-op that counts as
 * delivered.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { config } from '../../../functions/kinesis-to-dynamodb/config';
import { handler } from '../../../functions/kinesis-to-dynamodb/handler';
import { dynamoDbClient, s3Client } from '../../../shared/aws/clients';
import { aggregate } from '../../../shared/kpl';
import { metrics } from '../../../shared/middleware/observability';
import { streamPosition } from '../../../shared/sinks/dynamodb';
import { lambdaContext } from '../../support/kinesis-events';
import { createBucket } from '../../support/s3';
import { countCalls, createTable, scanAll } from '../../support/dynamodb';

const TABLE = 'kinesis-to-dynamodb-ordered';
const BUCKET = 'kinesis-to-dynamodb-ordered-dlq';
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/ordered';

const invoke = (event: KinesisStreamEvent) =>
  handler(
    event,
    lambdaContext('kinesis-to-dynamodb') as unknown as Context,
  ) as Promise<KinesisStreamBatchResponse>;

/** One Kinesis record per entry, on `shardId`, at the given sequence numbers. */
function eventOf(shardId: string, records: Array<{ sequenceNumber: string; data: string | Uint8Array }>) {
  return {
    Records: records.map(({ sequenceNumber, data }, i) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: `pk-${i}`,
        sequenceNumber,
        data: Buffer.from(data).toString('base64'),
        approximateArrivalTimestamp: 1_764_000_000 + i,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
      awsRegion: 'us-east-1',
      eventSourceARN: STREAM_ARN,
    })),
  } as KinesisStreamEvent;
}

const reading = (device: string, version: number) => `{"deviceId":"${device}","version":${version}}`;

async function versions(): Promise<Record<string, string>> {
  const items = await scanAll(dynamoDbClient(), TABLE);
  return Object.fromEntries(items.map((item) => [item.pk!.S!, item.version!.N!]));
}

beforeAll(async () => {
  await createTable(dynamoDbClient(), TABLE, false);
  await createBucket(s3Client(), BUCKET);
  Object.assign(process.env, {
    TABLE_NAME: TABLE,
    PARTITION_KEY: 'pk={deviceId}',
    WRITE_MODE: 'ordered',
    DEAD_LETTER_BUCKET: BUCKET,
  });
  delete process.env.SORT_KEY;
  config.reset();
});

describe('kinesis-to-dynamodb, WRITE_MODE=ordered', () => {
  it('never lets an older stream position overwrite a newer one, delivered in any order', async () => {
    // Sequence numbers of different lengths too: 9 < 10 digits although "9..." > "1..." as text.
    const older = eventOf('shardId-000000000000', [
      { sequenceNumber: '900000000', data: reading('a', 1) },
      { sequenceNumber: '900000001', data: reading('b', 1) },
    ]);
    const newer = eventOf('shardId-000000000000', [
      { sequenceNumber: '1000000000', data: reading('a', 2) },
      { sequenceNumber: '1000000001', data: reading('b', 2) },
    ]);
    expect(await invoke(newer)).toEqual({ batchItemFailures: [] });
    // The older batch arrives late (a re-delivery after a timeout, say): conditional checks fail = delivered.
    const counts = countCalls(dynamoDbClient());
    expect(await invoke(older)).toEqual({ batchItemFailures: [] });
    expect(counts).toEqual({ PutItemCommand: 2 });
    expect(await versions()).toMatchObject({ a: '2', b: '2' });

    // Re-delivering the same records is a no-op that counts as delivered.
    expect(await invoke(newer)).toEqual({ batchItemFailures: [] });
    expect(await versions()).toMatchObject({ a: '2', b: '2' });
    const [a] = (await scanAll(dynamoDbClient(), TABLE)).filter((item) => item.pk!.S === 'a');
    expect(a!._seqKey).toEqual({ S: streamPosition({ sequenceNumber: '1000000000', subSequenceNumber: 0 }) });

    // And a newer one still lands.
    const newest = eventOf('shardId-000000000000', [{ sequenceNumber: '1000000005', data: reading('a', 3) }]);
    expect(await invoke(newest)).toEqual({ batchItemFailures: [] });
    expect(await versions()).toMatchObject({ a: '3', b: '2' });
  });

  it('keeps the child shard version when the parent shard is read after it (reshard)', async () => {
    // After a split, the children's sequence numbers are higher than every one of the parent's.
    const parent = eventOf('shardId-000000000001', [
      { sequenceNumber: '49590000000000000000000000000000000000000000000000000001', data: reading('r', 10) },
    ]);
    const child = eventOf('shardId-000000000002', [
      { sequenceNumber: '49590000000000000000000000000000000000000000000000000900', data: reading('r', 11) },
    ]);
    expect(await invoke(child)).toEqual({ batchItemFailures: [] });
    expect(await invoke(parent)).toEqual({ batchItemFailures: [] });
    expect(await versions()).toMatchObject({ r: '11' });
  });

  it('orders the records of one KPL aggregate by subsequence number, one PutItem per key', async () => {
    const [blob] = aggregate([
      { data: reading('k', 1), partitionKey: 'k' },
      { data: reading('k', 2), partitionKey: 'k' },
      { data: reading('m', 1), partitionKey: 'm' },
      { data: reading('k', 3), partitionKey: 'k' },
    ]);
    const first = eventOf('shardId-000000000000', [{ sequenceNumber: '2000000000', data: blob!.data }]);
    const counts = countCalls(dynamoDbClient());
    expect(await invoke(first)).toEqual({ batchItemFailures: [] });
    expect(counts).toEqual({ PutItemCommand: 2 });
    expect(await versions()).toMatchObject({ k: '3', m: '1' });

    // A plain record at the same sequence number as the aggregate is ordered before its subsequence 1+.
    const [k] = (await scanAll(dynamoDbClient(), TABLE)).filter((item) => item.pk!.S === 'k');
    expect(k!._seqKey!.S! > streamPosition({ sequenceNumber: '2000000000', subSequenceNumber: 0 })).toBe(
      true,
    );
  });

  it('replaces an item another writer put without a stream position, and counts skipped stale writes', async () => {
    await dynamoDbClient().send(
      new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'legacy' }, version: { N: '0' } } }),
    );
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const first = eventOf('shardId-000000000000', [
      { sequenceNumber: '3000000000', data: reading('legacy', 1) },
    ]);
    expect(await invoke(first)).toEqual({ batchItemFailures: [] });
    expect(await versions()).toMatchObject({ legacy: '1' });
    expect(addMetric).toHaveBeenCalledWith('StaleWritesSkipped', 'Count', 0);
    // The same record again: skipped, and counted.
    expect(await invoke(first)).toEqual({ batchItemFailures: [] });
    expect(addMetric).toHaveBeenCalledWith('StaleWritesSkipped', 'Count', 1);
    addMetric.mockRestore();
  });
});
