/**
 * kinesis-to-dynamodb end to end on the emulators: KPL-aggregated JSON records are put into kinesalite with the
 * real SDK, read back as the event source mapping reads them, handed to the handler, and the table in dynalite is
 * scanned back: every good record lands once by key with its values exact, and bad records are dead-lettered to
 * s3rver with their reason.
 */
import { readFileSync } from 'node:fs';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { config } from '../../../functions/kinesis-to-dynamodb/config';
import { handler } from '../../../functions/kinesis-to-dynamodb/handler';
import { dynamoDbClient, kinesisClient, s3Client } from '../../../shared/aws/clients';
import { aggregate } from '../../../shared/kpl';
import {
  lambdaContext,
  listShardIds,
  plainEvent,
  readShard,
  toLambdaEvent,
} from '../../support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../support/s3';
import { countCalls, createTable, scanAll } from '../../support/dynamodb';

const STREAM = 'readings-to-dynamodb';
const TABLE = 'kinesis-to-dynamodb-it';
const BUCKET = 'kinesis-to-dynamodb-dlq';
const STREAM_ARN = `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`;
const USER_RECORDS = 1000;

const invoke = (event: KinesisStreamEvent) =>
  handler(
    event,
    lambdaContext('kinesis-to-dynamodb') as unknown as Context,
  ) as Promise<KinesisStreamBatchResponse>;

function useEnv(values: Record<string, string | undefined>) {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  config.reset();
}

/** Record i, as text: a float, a 20-digit counter (past 2^53), a 36-digit decimal, nesting, an empty string. */
const recordText = (i: number) =>
  `{"deviceId":"d-${i % 40}","ts":"${String(1_764_000_000_000 + i)}","temperature":${(i % 50) + 0.25},` +
  `"counter":${12345678901234567890n + BigInt(i)},"precise":0.${String(i).padStart(4, '0')}00000000000000055511151231257827,` +
  `"site":{"id":"s-${i % 3}","tags":["a","",{"deep":[${i},null,true]}]},"note":""}`;

let event: KinesisStreamEvent;

beforeAll(async () => {
  await createTable(dynamoDbClient(), TABLE);
  await createTable(dynamoDbClient(), `${TABLE}-pk-only`, false);
  await createBucket(s3Client(), BUCKET);
  await kinesisClient().send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  const blobs = aggregate(
    Array.from({ length: USER_RECORDS }, (_, i) => ({ data: recordText(i), partitionKey: `d-${i % 40}` })),
    { maxBytes: 16 * 1024 },
  );
  const response = await kinesisClient().send(
    new PutRecordsCommand({
      StreamName: STREAM,
      Records: blobs.map((blob) => ({ Data: blob.data, PartitionKey: blob.partitionKey })),
    }),
  );
  expect(response.FailedRecordCount ?? 0).toBe(0);
  const [shardId] = await listShardIds(kinesisClient(), STREAM);
  const [records, more] = await readShard(kinesisClient(), STREAM, shardId!, { batchSize: 10_000 });
  expect(more).toBeUndefined();
  event = toLambdaEvent(records!, { streamArn: STREAM_ARN, shardId: shardId! });
  expect(event.Records.length).toBeGreaterThan(10);
});

beforeEach(() =>
  useEnv({
    TABLE_NAME: TABLE,
    PARTITION_KEY: 'pk={deviceId}',
    SORT_KEY: 'sk={ts}',
    WRITE_MODE: undefined,
    FIELDS: undefined,
    METADATA_ATTRIBUTES: undefined,
    DEAD_LETTER_BUCKET: BUCKET,
    DEAD_LETTER_PREFIX: undefined,
  }),
);

const byKey = (items: Record<string, AttributeValue>[]) =>
  new Map(items.map((item) => [`${item.pk!.S}|${item.sk?.S}`, item]));

describe('kinesis-to-dynamodb on kinesalite + dynalite', () => {
  it('writes every de-aggregated record once by key, with ceil(n/25) BatchWriteItem calls and exact values', async () => {
    const counts = countCalls(dynamoDbClient());
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    expect(counts).toEqual({ BatchWriteItemCommand: Math.ceil(USER_RECORDS / 25) });

    const items = byKey(await scanAll(dynamoDbClient(), TABLE));
    expect(items.size).toBe(USER_RECORDS);
    for (let i = 0; i < USER_RECORDS; i += 1) {
      const item = items.get(`d-${i % 40}|${1_764_000_000_000 + i}`)!;
      expect(item, `record ${i}`).toBeDefined();
      // Numbers exactly as sent: past 2^53, and more digits than a double keeps.
      expect(item.counter).toEqual({ N: String(12345678901234567890n + BigInt(i)) });
      expect(item.precise).toEqual({ N: `0.${String(i).padStart(4, '0')}00000000000000055511151231257827` });
      expect(item.temperature).toEqual({ N: String((i % 50) + 0.25) });
      expect(item.note).toEqual({ S: '' });
      expect(item.site).toEqual({
        M: {
          id: { S: `s-${i % 3}` },
          tags: {
            L: [
              { S: 'a' },
              { S: '' },
              { M: { deep: { L: [{ N: String(i) }, { NULL: true }, { BOOL: true }] } } },
            ],
          },
        },
      });
      expect(item._stream).toEqual({ S: STREAM });
      expect(item._shardId).toEqual({ S: 'shardId-000000000000' });
      expect(item._sequenceNumber?.S).toMatch(/^\d+$/);
      expect(item._subSequenceNumber?.N).toMatch(/^\d+$/);
    }
    // The coordinates are those of the user record: its parent's sequence number and its index in the aggregate.
    const positions = new Set(
      [...items.values()].map((item) => `${item._sequenceNumber!.S}/${item._subSequenceNumber!.N}`),
    );
    expect(positions.size).toBe(USER_RECORDS);

    // Re-delivery overwrites by key: still one item per record.
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    expect((await scanAll(dynamoDbClient(), TABLE)).length).toBe(USER_RECORDS);
  });

  it('collapses records with the same key in one batch to the latest (BatchWriteItem rejects duplicates)', async () => {
    useEnv({ TABLE_NAME: `${TABLE}-pk-only`, SORT_KEY: undefined });
    const counts = countCalls(dynamoDbClient());
    // 40 devices: the latest reading of each device wins.
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    expect(counts).toEqual({ BatchWriteItemCommand: Math.ceil(40 / 25) });
    const items = await scanAll(dynamoDbClient(), `${TABLE}-pk-only`);
    expect(items).toHaveLength(40);
    for (const item of items) {
      const device = Number(item.pk!.S!.slice(2));
      const last = USER_RECORDS - 40 + device;
      expect(item.ts).toEqual({ S: String(1_764_000_000_000 + last) });
    }
  });

  it('applies FIELDS and METADATA_ATTRIBUTES from configuration', async () => {
    useEnv({
      TABLE_NAME: `${TABLE}-pk-only`,
      PARTITION_KEY: 'pk={$sequenceNumber}:{$subSequenceNumber}',
      SORT_KEY: undefined,
      FIELDS: 'deviceId,site.id',
      METADATA_ATTRIBUTES: 'shardId=shard',
    });
    const single = plainEvent([recordText(7)], { streamArn: STREAM_ARN });
    expect(await invoke(single)).toEqual({ batchItemFailures: [] });
    const seq = single.Records[0]!.kinesis.sequenceNumber;
    const item = (await scanAll(dynamoDbClient(), `${TABLE}-pk-only`)).find((i) => i.pk!.S === `${seq}:0`);
    expect(item).toEqual({
      pk: { S: `${seq}:0` },
      deviceId: { S: 'd-7' },
      site: { M: { id: { S: 's-1' } } },
      shard: { S: 'shardId-000000000003' },
    });
  });

  it('dead-letters bad input with its reason: not JSON, a missing key field, a 500 KB item, numbers DynamoDB cannot hold', async () => {
    useEnv({ DEAD_LETTER_PREFIX: 'bad-input' });
    const big = `{"deviceId":"d-big","ts":"1","blob":"${'x'.repeat(500 * 1024)}"}`;
    const payloads = [
      '{"deviceId":"d-ok","ts":"1","v":1}',
      'not json at all',
      '{"ts":"2","v":2}',
      big,
      '{"deviceId":"d-39","ts":"3","v":123456789012345678901234567890123456789}',
      '{"deviceId":"d-e400","ts":"4","v":1e400}',
      '{"deviceId":"d-ok","ts":"5","v":[1,{"a":""}]}',
      // A leading byte order mark (JSON lets a parser ignore it) is not part of the record.
      '\ufeff{"deviceId":"d-ok","ts":"6","v":2}',
    ];
    const bad = plainEvent(payloads, { streamArn: STREAM_ARN });
    expect(await invoke(bad)).toEqual({ batchItemFailures: [] });

    const landed = (await scanAll(dynamoDbClient(), TABLE)).filter((item) => item.pk!.S === 'd-ok');
    expect(landed.map((item) => item.sk!.S).sort()).toEqual(['1', '5', '6']);
    // Two objects: poison found before the write, then the item DynamoDB cannot take (found by the sink).
    const keys = await listKeys(s3Client(), BUCKET, 'bad-input/');
    const dead = (await Promise.all(keys.map((key) => readLines(s3Client(), BUCKET, key))))
      .flat()
      .map((line) => JSON.parse(line));
    const seq = (i: number) => bad.Records[i]!.kinesis.sequenceNumber;
    expect(dead.map((entry) => [entry.sequenceNumber, entry.errorName]).sort()).toEqual(
      [
        [seq(1), 'RecordDecodeError'],
        [seq(2), 'MissingKeyFieldError'],
        [seq(3), 'ItemTooLargeError'],
        [seq(4), 'NumberNotStorableError'],
        [seq(5), 'NumberNotStorableError'],
      ].sort(),
    );
    const reasons = Object.fromEntries(
      dead.map((entry) => [entry.errorName + entry.sequenceNumber, entry.reason]),
    );
    expect(reasons[`MissingKeyFieldError${seq(2)}`]).toBe('the partition key field "deviceId" is missing');
    expect(reasons[`ItemTooLargeError${seq(3)}`]).toMatch(
      /^the item is 5\d{5} bytes .*DynamoDB stores at most 409600$/,
    );
    expect(reasons[`NumberNotStorableError${seq(4)}`]).toMatch(
      /39 significant digits; DynamoDB stores at most 38/,
    );
    expect(reasons[`NumberNotStorableError${seq(5)}`]).toMatch(/larger in magnitude than DynamoDB stores/);
    // The original bytes, for replay.
    const tooLarge = dead.find((entry) => entry.errorName === 'ItemTooLargeError');
    expect(Buffer.from(tooLarge.dataBase64, 'base64').toString()).toBe(big);
    // No payload in the reasons.
    for (const entry of dead) expect(entry.reason).not.toMatch(/xxxx|not json|123456789012/);
  });

  it('fails at cold start naming the bad variable', async () => {
    useEnv({ PARTITION_KEY: 'pk' });
    await expect(invoke(event)).rejects.toThrow(
      /Invalid configuration: PARTITION_KEY must be <attribute>=<template>/,
    );
    useEnv({ PARTITION_KEY: 'pk={deviceId}', WRITE_MODE: 'fast' });
    await expect(invoke(event)).rejects.toThrow('WRITE_MODE must be one of batch, ordered (got "fast")');
    useEnv({ WRITE_MODE: undefined, TABLE_NAME: undefined });
    await expect(invoke(event)).rejects.toThrow(/TABLE_NAME must be a DynamoDB table name/);
  });

  it('processes its sample event (events/kinesis-to-dynamodb.json)', async () => {
    const sample = JSON.parse(readFileSync('events/kinesis-to-dynamodb.json', 'utf8')) as KinesisStreamEvent;
    expect(await invoke(sample)).toEqual({ batchItemFailures: [] });
    const d1 = (await scanAll(dynamoDbClient(), TABLE)).filter(
      (item) => item.pk!.S === 'd-1' && item.sk!.S!.startsWith('17637767'),
    );
    expect(d1.map((item) => item.counter!.N).sort()).toEqual([
      '12345678901234567890',
      '12345678901234567892',
    ]);
  });
});
