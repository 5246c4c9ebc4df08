/**
 * kinesis-to-s3 end to end on the emulators: KPL-aggregated records are put into kinesalite with the real SDK,
 * read back with GetShardIterator/GetRecords, shaped as the event source mapping shapes them, handed to the
 * handler, and what lands in s3rver is read back and counted.
 */
import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { config } from '../../../functions/kinesis-to-s3/config';
import { handler } from '../../../functions/kinesis-to-s3/handler';
import { kinesisClient, s3Client } from '../../../shared/aws/clients';
import { aggregate } from '../../../shared/kpl';
import {
  lambdaContext,
  listShardIds,
  plainEvent,
  readShard,
  toLambdaEvent,
} from '../../support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../support/s3';

const STREAM = 'orders-to-s3';
const BUCKET = 'kinesis-to-s3-it';
const STREAM_ARN = `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`;

const invoke = (event: KinesisStreamEvent) =>
  handler(event, lambdaContext('kinesis-to-s3') as unknown as Context) as Promise<KinesisStreamBatchResponse>;

function useEnv(values: Record<string, string | undefined>) {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  config.reset();
}

/** Counts S3 API calls by name, at the client's middleware stack. */
function countCalls() {
  const counts: Record<string, number> = {};
  s3Client().middlewareStack.add(
    (next, context) => async (args) => {
      counts[context.commandName as string] = (counts[context.commandName as string] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: `count-${Math.random()}` },
  );
  return counts;
}

let events: KinesisStreamEvent[] = [];
const USER_RECORDS = 3000;

beforeAll(async () => {
  await createBucket(s3Client(), BUCKET);
  await kinesisClient().send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  const user = Array.from({ length: USER_RECORDS }, (_, i) => ({
    data: JSON.stringify({
      orderId: i,
      customer: { id: `c-${i % 97}`, country: i % 3 === 0 ? 'DE' : 'FR' },
      total: i * 1.5,
    }),
    partitionKey: `customer-${i % 97}`,
  }));
  // Small aggregates so the batch has many parents, as a busy KPL producer with short RecordMaxBufferedTime would.
  const blobs = aggregate(user, { maxBytes: 16 * 1024 });
  for (let i = 0; i < blobs.length; i += 500) {
    const response = await kinesisClient().send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: blobs
          .slice(i, i + 500)
          .map((blob) => ({ Data: blob.data, PartitionKey: blob.partitionKey })),
      }),
    );
    expect(response.FailedRecordCount ?? 0).toBe(0);
  }
  const [shardId] = await listShardIds(kinesisClient(), STREAM);
  const batches = await readShard(kinesisClient(), STREAM, shardId!, { batchSize: 1000 });
  events = batches.map((records) => toLambdaEvent(records, { streamArn: STREAM_ARN, shardId: shardId! }));
});

beforeEach(() =>
  useEnv({
    BUCKET_NAME: BUCKET,
    KEY_PREFIX: 'orders',
    INPUT_FORMAT: 'json',
    COMPRESSION: 'gzip',
    MAX_OBJECT_BYTES: undefined,
    FIELDS: undefined,
    FILTER: undefined,
    INCLUDE_METADATA: undefined,
    KEY_TEMPLATE: undefined,
    GZIP_LEVEL: undefined,
    ZSTD_LEVEL: undefined,
  }),
);

describe('kinesis-to-s3 on kinesalite + s3rver', () => {
  it('writes every de-aggregated record once, as gzip NDJSON under time-partitioned deterministic keys', async () => {
    expect(events.length).toBeGreaterThan(0);
    const counts = countCalls();
    for (const event of events) expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    const keys = await listKeys(s3Client(), BUCKET, 'orders/');
    // One PutObject per object: the lower bound.
    expect(counts.PutObjectCommand).toBe(events.length);
    expect(keys).toHaveLength(events.length);
    for (const key of keys) {
      expect(key).toMatch(
        /^orders\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/orders-to-s3-shardId-000000000000-\d+-\d+(_\d+)?\.ndjson\.gz$/,
      );
    }
    const ids: number[] = [];
    for (const key of keys)
      for (const line of await readLines(s3Client(), BUCKET, key)) ids.push(JSON.parse(line).orderId);
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: USER_RECORDS }, (_, i) => i));

    // A re-delivered batch overwrites its object instead of adding one.
    await invoke(events[0]!);
    expect(await listKeys(s3Client(), BUCKET, 'orders/')).toEqual(keys);
  });

  it('splits objects at MAX_OBJECT_BYTES, with one PutObject per object', async () => {
    useEnv({ KEY_PREFIX: 'split', MAX_OBJECT_BYTES: String(20 * 1024), COMPRESSION: 'none' });
    const counts = countCalls();
    expect(await invoke(events[0]!)).toEqual({ batchItemFailures: [] });
    const keys = await listKeys(s3Client(), BUCKET, 'split/');
    expect(keys.length).toBeGreaterThan(2);
    expect(counts.PutObjectCommand).toBe(keys.length);
    let lines = 0;
    for (const key of keys) {
      const object = await readLines(s3Client(), BUCKET, key);
      expect(Buffer.byteLength(`${object.join('\n')}\n`)).toBeLessThanOrEqual(20 * 1024);
      lines += object.length;
    }
    const expected = events[0]!.Records.length; // parents; each aggregate holds several user records
    expect(lines).toBeGreaterThan(expected);
  });

  it('applies projection, filter and metadata from configuration', async () => {
    useEnv({
      KEY_PREFIX: 'projected',
      FIELDS: 'orderId,customer.country',
      FILTER: '{"customer.country": ["DE"]}',
      INCLUDE_METADATA: 'true',
    });
    expect(await invoke(events[0]!)).toEqual({ batchItemFailures: [] });
    const [key] = await listKeys(s3Client(), BUCKET, 'projected/');
    const rows = (await readLines(s3Client(), BUCKET, key!)).map((line) => JSON.parse(line));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['_kinesis', 'customer', 'orderId']);
      expect(row.customer).toEqual({ country: 'DE' });
      expect(row._kinesis.shardId).toBe('shardId-000000000000');
    }
  });

  it('hands the batch back to Lambda from the first parent when S3 rejects the write', async () => {
    useEnv({ BUCKET_NAME: 'no-such-bucket-here' });
    const event = events[0]!;
    expect(await invoke(event)).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }],
    });
  });

  it('dead-letters bad input with reason and coordinates and loses nothing', async () => {
    useEnv({ KEY_PREFIX: 'mixed', DEAD_LETTER_PREFIX: 'dlq' });
    const [good] = aggregate([
      { data: '{"ok":1}', partitionKey: 'a' },
      { data: '{"ok":2}', partitionKey: 'b' },
    ]);
    const truncated = good!.data.subarray(0, good!.data.length - 7); // bad MD5 -> one plain record -> not JSON
    const records = [
      Buffer.from('{"ok":0}').toString('base64'),
      '!!not-base64!!',
      Buffer.from(truncated).toString('base64'),
      Buffer.from('plain text, not JSON').toString('base64'),
      Buffer.from(good!.data).toString('base64'),
    ];
    const template = events[0]!.Records[0]!;
    const event: KinesisStreamEvent = {
      Records: records.map((data, i) => ({
        ...template,
        eventID: `shardId-000000000000:${1000 + i}`,
        kinesis: { ...template.kinesis, data, sequenceNumber: String(1000 + i) },
      })),
    };
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    const delivered = (
      await Promise.all(
        (await listKeys(s3Client(), BUCKET, 'mixed/')).map((key) => readLines(s3Client(), BUCKET, key)),
      )
    ).flat();
    expect(delivered.map((line) => JSON.parse(line).ok)).toEqual([0, 1, 2]);
    const [dlqKey] = await listKeys(s3Client(), BUCKET, 'dlq/');
    const dead = (await readLines(s3Client(), BUCKET, dlqKey!)).map((line) => JSON.parse(line));
    expect(dead.map((entry) => [entry.sequenceNumber, entry.errorName])).toEqual([
      ['1001', 'KplInputError'],
      ['1002', 'RecordDecodeError'],
      ['1003', 'RecordDecodeError'],
    ]);
    expect(dead[0].rawData).toBe('!!not-base64!!');
    expect(Buffer.from(dead[1].dataBase64, 'base64')).toEqual(Buffer.from(truncated));
    expect(dead[2]).toMatchObject({ stream: STREAM, shardId: 'shardId-000000000000', subSequenceNumber: 0 });
  });

  it('answers an empty event with no failures and rejects a non-Kinesis event clearly', async () => {
    expect(await invoke({ Records: [] })).toEqual({ batchItemFailures: [] });
    await expect(invoke({} as KinesisStreamEvent)).rejects.toThrow(/Not a Kinesis stream event/);
  });

  it('fails at cold start naming the bad variable', async () => {
    useEnv({ INPUT_FORMAT: 'xml' });
    await expect(invoke(events[0]!)).rejects.toThrow(
      'Invalid configuration: INPUT_FORMAT must be one of json, text, binary (got "xml")',
    );
    useEnv({ INPUT_FORMAT: 'json', BUCKET_NAME: undefined });
    await expect(invoke(events[0]!)).rejects.toThrow(/BUCKET_NAME must be a valid S3 bucket name/);
  });

  it('writes each record`s own bytes (gzip at GZIP_LEVEL, or zstd as .zst where Node has it)', async () => {
    const records = [
      '{"id":12345678901234567890,"p":0.1000000000000000055511151231257827,"x":1e400,"a":1,"a":2}',
      '\uFEFF{"bom":"dropped"}',
      '{\n  "pretty": [1,\r\n 2]\n}\n',
      '"\\u00e9 é 😀"',
    ];
    const expected = [
      '{"id":12345678901234567890,"p":0.1000000000000000055511151231257827,"x":1e400,"a":1,"a":2}',
      '{"bom":"dropped"}',
      '{   "pretty": [1,   2] }',
      '"\\u00e9 é 😀"',
    ];
    const body = async (prefix: string) => {
      const [key] = await listKeys(s3Client(), BUCKET, `${prefix}/`);
      const object = await s3Client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return { key: key!, bytes: Buffer.from(await object.Body!.transformToByteArray()) };
    };
    for (const level of ['1', '9']) {
      useEnv({ KEY_PREFIX: `level-${level}`, GZIP_LEVEL: level });
      expect(await invoke(plainEvent(records.map((text) => Buffer.from(text))))).toEqual({
        batchItemFailures: [],
      });
      const { key, bytes } = await body(`level-${level}`);
      expect(key).toMatch(/\.ndjson\.gz$/);
      expect(gunzipSync(bytes).toString('utf8')).toBe(`${expected.join('\n')}\n`);
    }
    useEnv({ GZIP_LEVEL: '10' });
    await expect(invoke(events[0]!)).rejects.toThrow(/GZIP_LEVEL must be a number >= 1 and <= 9/);

    useEnv({ KEY_PREFIX: 'zstd', GZIP_LEVEL: undefined, COMPRESSION: 'zstd' });
    const zstd = zlib as unknown as { zstdDecompressSync?: (body: Buffer) => Buffer };
    if (!zstd.zstdDecompressSync) {
      await expect(invoke(events[0]!)).rejects.toThrow(
        /Invalid configuration: COMPRESSION must be gzip or none on Node.js v\d+.* \(zstd needs Node.js 22.15 or later/,
      );
      return;
    }
    expect(await invoke(plainEvent(records.map((text) => Buffer.from(text))))).toEqual({
      batchItemFailures: [],
    });
    const { key, bytes } = await body('zstd');
    expect(key).toMatch(/\.ndjson\.zst$/);
    expect(zstd.zstdDecompressSync(bytes).toString('utf8')).toBe(`${expected.join('\n')}\n`);
  });

  it('processes its sample event (events/kinesis-to-s3.json)', async () => {
    useEnv({ KEY_PREFIX: 'sample' });
    const sample = JSON.parse(readFileSync('events/kinesis-to-s3.json', 'utf8')) as KinesisStreamEvent;
    expect(await invoke(sample)).toEqual({ batchItemFailures: [] });
    const keys = await listKeys(s3Client(), BUCKET, 'sample/');
    expect(keys.length).toBeGreaterThan(0);
  });
});
