import type { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { DeadLetterEntry, RecordCoordinates, SinkWriteContext } from '../../../shared/kinesis/types';
import { createS3DeadLetterSink, deadLetterLine } from '../../../shared/sinks/s3-dead-letter';

const at = (i: number): RecordCoordinates => ({
  stream: 'orders',
  shardId: 'shardId-000000000001',
  sequenceNumber: String(1000 + i),
  subSequenceNumber: 0,
  partitionKey: 'pk',
  approximateArrivalTimestamp: Date.UTC(2026, 0, 2, 3, 4, 5),
});
/** An entry whose NDJSON line (newline included) is exactly `bytes` long. */
const entryOf = (i: number, bytes: number): DeadLetterEntry => {
  const entry = { coordinates: at(i), errorName: 'RecordDecodeError', reason: 'not JSON', data: '' };
  return { ...entry, data: 'x'.repeat(bytes - deadLetterLine(entry).length - 1) };
};

interface Put {
  input: {
    Bucket: string;
    Key: string;
    Body: Buffer;
    ContentType?: string;
    Metadata?: Record<string, string>;
    ServerSideEncryption?: string;
    SSEKMSKeyId?: string;
  };
  options: { abortSignal?: AbortSignal; requestTimeout?: number };
}
/** An S3 client double that records each PutObject's input and the options it was sent with. */
function recordingClient() {
  const puts: Put[] = [];
  const client = {
    send: async (command: PutObjectCommand, options: Put['options']) => {
      puts.push({ input: command.input as Put['input'], options });
      return {};
    },
  } as unknown as S3Client;
  return { client, puts };
}
const context = (): SinkWriteContext => ({
  remainingTimeMs: () => 60_000,
  signal: new AbortController().signal,
});
const linesOf = (put: Put) => put.input.Body.toString('utf8').split('\n');

describe('deadLetterLine', () => {
  it('holds the reason, the coordinates and the record bytes as base64, and only those', () => {
    // A view into a larger buffer: only its own bytes are written.
    const data = new Uint8Array([0, 1, 2, 0xff, 0xfe, 9, 9]).subarray(1, 5);
    const line = deadLetterLine({ coordinates: at(0), errorName: 'TransformError', reason: 'no id', data });
    expect(JSON.parse(line)).toEqual({
      errorName: 'TransformError',
      reason: 'no id',
      ...at(0),
      dataBase64: Buffer.from([1, 2, 0xff, 0xfe]).toString('base64'),
    });
  });

  it('keeps data that was not even base64 as the string received (rawData)', () => {
    const line = deadLetterLine({
      coordinates: at(0),
      errorName: 'RecordDecodeError',
      reason: 'bad base64',
      data: '%%',
    });
    expect(JSON.parse(line)).toEqual({
      errorName: 'RecordDecodeError',
      reason: 'bad base64',
      ...at(0),
      rawData: '%%',
    });
  });
});

describe('createS3DeadLetterSink', () => {
  it('writes one NDJSON object per batch, keyed by its first and last coordinates, with its record count', async () => {
    const { client, puts } = recordingClient();
    const sink = createS3DeadLetterSink({ bucket: 'dlq-bucket', prefix: 'dlq', client });
    const entries = Array.from({ length: 3 }, (_, i) => ({
      coordinates: at(i),
      errorName: 'RecordDecodeError',
      reason: 'not JSON',
      data: Buffer.from(`bad ${i}`),
    }));
    const signal = new AbortController().signal;
    await sink.write(entries, { remainingTimeMs: () => 60_000, signal });
    expect(puts).toHaveLength(1);
    expect(puts[0]!.input).toEqual({
      Bucket: 'dlq-bucket',
      Key: 'dlq/2026/01/02/03/orders-shardId-000000000001-1000-1002.ndjson',
      Body: expect.any(Buffer),
      ContentType: 'application/x-ndjson',
      ServerSideEncryption: 'AES256',
      Metadata: { 'record-count': '3' },
    });
    expect(linesOf(puts[0]!)).toEqual([...entries.map(deadLetterLine), '']);
    expect(
      linesOf(puts[0]!)
        .slice(0, 3)
        .map((line) => JSON.parse(line).dataBase64),
    ).toEqual(['bad 0', 'bad 1', 'bad 2'].map((text) => Buffer.from(text).toString('base64')));
    // Aborted with the invocation's budget; a small body gets the default request timeout.
    expect(puts[0]!.options).toEqual({ abortSignal: signal, requestTimeout: 10_000 });
  });

  it('passes the configured encryption on', async () => {
    const { client, puts } = recordingClient();
    await createS3DeadLetterSink({
      bucket: 'b',
      prefix: 'p',
      sse: 'aws:kms',
      kmsKeyId: 'key-1',
      client,
    }).write([entryOf(0, 300)], context());
    expect(puts[0]!.input).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-1' });
  });

  it('writes nothing for no entries', async () => {
    const { client, puts } = recordingClient();
    await createS3DeadLetterSink({ bucket: 'b', prefix: 'p', client }).write([], context());
    expect(puts).toEqual([]);
  });

  it('cuts objects at maxObjectBytes: a line that would pass it starts the next; a larger line is alone', async () => {
    const { client, puts } = recordingClient();
    const sink = createS3DeadLetterSink({ bucket: 'b', prefix: 'p', maxObjectBytes: 1000, client });
    // 400 + 600 = 1000 exactly: one object. The next line would pass it: a new one. 1500 alone. 400 + 400 together.
    const sizes = [400, 600, 300, 1500, 400, 400];
    const entries = sizes.map((bytes, i) => entryOf(i, bytes));
    await sink.write(entries, context());
    const objects = [...puts].sort((a, b) => a.input.Key.localeCompare(b.input.Key));
    expect(
      objects.map((put) => [put.input.Key.split('-').slice(-2).join('-'), put.input.Body.length]),
    ).toEqual([
      ['1000-1001.ndjson', 1000],
      ['1002-1002.ndjson', 300],
      ['1003-1003.ndjson', 1500],
      ['1004-1005.ndjson', 800],
    ]);
    expect(objects.map((put) => put.input.Metadata)).toEqual(
      [2, 1, 1, 2].map((count) => ({ 'record-count': String(count) })),
    );
    expect(objects.flatMap((put) => linesOf(put).slice(0, -1))).toEqual(entries.map(deadLetterLine));
  });

  it('writes a first line over maxObjectBytes alone too, and no empty object before it', async () => {
    const { client, puts } = recordingClient();
    const sink = createS3DeadLetterSink({ bucket: 'b', prefix: 'p', maxObjectBytes: 1000, client });
    await sink.write([entryOf(0, 1500), entryOf(1, 300)], context());
    const objects = [...puts].sort((a, b) => a.input.Key.localeCompare(b.input.Key));
    expect(objects.map((put) => [put.input.Metadata, put.input.Body.length])).toEqual([
      [{ 'record-count': '1' }, 1500],
      [{ 'record-count': '1' }, 300],
    ]);
  });

  it('caps objects at 8 MiB by default, and gives a body over 10 MB a longer request timeout (1 s per MB)', async () => {
    const { client, puts } = recordingClient();
    const sink = createS3DeadLetterSink({ bucket: 'b', prefix: 'p', client });
    const MiB = 1024 * 1024;
    await sink.write([entryOf(0, 4 * MiB), entryOf(1, 4 * MiB), entryOf(2, 12_000_000)], context());
    const objects = [...puts].sort((a, b) => a.input.Key.localeCompare(b.input.Key));
    expect(objects.map((put) => [put.input.Body.length, put.options.requestTimeout])).toEqual([
      [8 * MiB, 10_000],
      [12_000_000, 12_000],
    ]);
  });

  it('starts no PutObject once the invocation is aborted, and rejects with the abort reason', async () => {
    const { client, puts } = recordingClient();
    const controller = new AbortController();
    controller.abort(new Error('budget spent'));
    const write = createS3DeadLetterSink({ bucket: 'b', prefix: 'p', client }).write([entryOf(0, 300)], {
      remainingTimeMs: () => 0,
      signal: controller.signal,
    });
    await expect(write).rejects.toThrow('budget spent');
    expect(puts).toEqual([]);
  });

  it('writes without a signal in the context', async () => {
    const { client, puts } = recordingClient();
    await createS3DeadLetterSink({ bucket: 'b', prefix: 'p', client }).write([entryOf(0, 300)], {
      remainingTimeMs: () => 60_000,
    });
    expect(puts).toHaveLength(1);
  });
});
