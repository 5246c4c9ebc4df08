/**
 * One hostile record must not flood the logs or the dead-letter store: a KPL aggregate whose key table holds one
 * 10,000-character partition key shared by 5,000 invalid-JSON sub-records (45 KB on the wire) used to produce
 * 5,000 WARN lines carrying the key (51.8 MB of logs) and a 51 MB dead-letter object.
 */
import { createHash } from 'node:crypto';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { config } from '../../../functions/kinesis-to-s3/config';
import { handler } from '../../../functions/kinesis-to-s3/handler';
import { s3Client } from '../../../shared/aws/clients';
import { MAX_POISON_LOG_LINES } from '../../../shared/kinesis/runner';
import type { DeadLetterEntry } from '../../../shared/kinesis/types';
import { aggregate } from '../../../shared/kpl';
import { logger } from '../../../shared/middleware/observability';
import { createS3DeadLetterSink } from '../../../shared/sinks/s3-dead-letter';
import { lambdaContext, plainEvent } from '../../support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../support/s3';

const BUCKET = 'kinesis-to-s3-hostile';
const saved = { ...process.env };

beforeAll(async () => {
  await createBucket(s3Client(), BUCKET);
  Object.assign(process.env, {
    BUCKET_NAME: BUCKET,
    KEY_PREFIX: 'hostile-data',
    DEAD_LETTER_PREFIX: 'hostile-dlq',
  });
  config.reset();
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(() => {
  for (const key of ['BUCKET_NAME', 'KEY_PREFIX', 'DEAD_LETTER_PREFIX'])
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  config.reset();
  vi.restoreAllMocks();
});

/** A KPL aggregate written by hand: one partition key shared by every record (AggregatedRecord protobuf). */
function kplBlob(partitionKey: string, datas: string[]): Uint8Array {
  const varint = (value: number) => {
    const out: number[] = [];
    for (; value > 0x7f; value >>>= 7) out.push((value & 0x7f) | 0x80);
    out.push(value);
    return out;
  };
  const field = (tag: number, bytes: Uint8Array | number[]) => [
    ...varint(tag),
    ...varint(bytes.length),
    ...bytes,
  ];
  const key = Buffer.from(partitionKey);
  const parts: number[] = field(0x0a, [...key]);
  for (const data of datas) {
    const record = [0x08, 0x00, ...field(0x1a, [...Buffer.from(data)])];
    parts.push(...field(0x1a, record));
  }
  const protobuf = Buffer.from(parts);
  const md5 = createHash('md5').update(protobuf).digest();
  return Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), protobuf, md5]);
}

const invoke = (event: ReturnType<typeof plainEvent>) =>
  handler(event, lambdaContext('kinesis-to-s3') as unknown as Context) as Promise<KinesisStreamBatchResponse>;

async function objectsUnder(prefix: string) {
  const keys = await listKeys(s3Client(), BUCKET, prefix);
  const lines = (await Promise.all(keys.map((key) => readLines(s3Client(), BUCKET, key)))).flat();
  return { keys, lines, bytes: lines.reduce((sum, line) => sum + line.length + 1, 0) };
}

describe('kinesis-to-s3 against one hostile aggregate', () => {
  it('dead-letters 5,000 records under a 10,000-character key with bounded logs and a small dead-letter object', async () => {
    // Our own aggregate() refuses such a key, as the KPL does; a hostile producer writes the protobuf by hand.
    const blob = kplBlob(
      'k'.repeat(10_000),
      Array.from({ length: 5_000 }, () => '{'),
    );
    expect(blob.length).toBeLessThan(50_000);
    const warn = vi.spyOn(logger, 'warn');

    expect(await invoke(plainEvent([blob]))).toEqual({ batchItemFailures: [] });

    const logged = JSON.stringify(warn.mock.calls);
    expect(warn.mock.calls.length).toBe(MAX_POISON_LOG_LINES + 1);
    expect(logged).not.toContain('kkkkkkkkkk');
    expect(warn.mock.calls.at(-1)![1]).toMatchObject({
      notLoggedByErrorName: { PartitionKeyTooLongError: 5_000 - MAX_POISON_LOG_LINES },
    });
    expect(warn.mock.calls[0]![1]).toMatchObject({ partitionKeyBytes: 0 });
    const dead = await objectsUnder('hostile-dlq/');
    const entries = dead.lines.map((line) => JSON.parse(line));
    expect(entries).toHaveLength(5_000);
    expect(entries[0]).toMatchObject({ errorName: 'PartitionKeyTooLongError', partitionKey: '' });
    expect(entries[0].reason).toMatch(
      /^partition key is 10000 characters \(sha256 [0-9a-f]{16}…\); Kinesis allows 256$/,
    );
    expect(dead.bytes).toBeLessThan(2 * 1024 * 1024);
    warn.mockRestore();
  });

  it('logs the first poison records one by one, then one summary by error class', async () => {
    const blobs = aggregate(
      Array.from({ length: 300 }, (_, i) => ({
        data: i % 2 ? 'not json' : '[',
        partitionKey: `pk-${i % 7}`,
      })),
      { maxBytes: 1024 * 1024 },
    );
    const warn = vi.spyOn(logger, 'warn');
    expect(await invoke(plainEvent([blobs[0]!.data]))).toEqual({ batchItemFailures: [] });
    expect(warn.mock.calls.length).toBe(MAX_POISON_LOG_LINES + 1);
    expect(warn.mock.calls.at(-1)![1]).toMatchObject({
      logged: MAX_POISON_LOG_LINES,
      notLoggedByErrorName: { RecordDecodeError: 300 - MAX_POISON_LOG_LINES },
    });
    warn.mockRestore();
  });

  it('splits a large dead-letter batch into objects of bounded size, each under its own deterministic key', async () => {
    const sink = createS3DeadLetterSink({ bucket: BUCKET, prefix: 'split-dlq', maxObjectBytes: 4 * 1024 });
    const entries: DeadLetterEntry[] = Array.from({ length: 100 }, (_, i) => ({
      coordinates: {
        stream: 'orders',
        shardId: 'shardId-000000000001',
        sequenceNumber: String(1000 + i),
        subSequenceNumber: 0,
        partitionKey: 'pk',
        approximateArrivalTimestamp: 1_764_000_000_000,
      },
      errorName: 'RecordDecodeError',
      reason: 'data is not valid JSON',
      data: new Uint8Array(200).fill(65),
    }));
    await sink.write(entries, { remainingTimeMs: () => 60_000 });
    const { keys, lines } = await objectsUnder('split-dlq/');
    expect(keys.length).toBeGreaterThan(5);
    expect(lines.map((line) => JSON.parse(line).sequenceNumber)).toEqual(
      entries.map((e) => e.coordinates.sequenceNumber),
    );
    for (const key of keys) {
      const object = await readLines(s3Client(), BUCKET, key);
      expect(object.reduce((sum, line) => sum + line.length + 1, 0)).toBeLessThanOrEqual(4 * 1024);
    }
    // Re-writing the same batch overwrites the same objects.
    await sink.write(entries, { remainingTimeMs: () => 60_000 });
    expect(await listKeys(s3Client(), BUCKET, 'split-dlq/')).toEqual(keys);
  });
});
