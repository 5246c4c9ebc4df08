import * as zlib from 'node:zlib';
import type { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RecordCoordinates, SinkItem, SinkWriteContext } from '../../../shared/kinesis/types';
import { logger } from '../../../shared/middleware/observability';
import { createS3NdjsonSink, type NdjsonLine, planObjects } from '../../../shared/sinks/s3-ndjson';

const at = (i: number): RecordCoordinates => ({
  stream: 'orders',
  shardId: 'shardId-000000000001',
  sequenceNumber: String(1000 + i),
  subSequenceNumber: 0,
  partitionKey: 'pk',
  approximateArrivalTimestamp: Date.UTC(2026, 0, 2, 3, 4, 5),
});

/** An S3 client double that records each PutObject's input (the sink's own contract with the SDK). */
function recordingClient(fail: (key: string) => boolean = () => false) {
  const puts: Array<{ Key: string; Body: Buffer; ContentType?: string; Metadata?: Record<string, string> }> =
    [];
  const client = {
    send: async (command: PutObjectCommand, options: { abortSignal?: AbortSignal }) => {
      expect(options.abortSignal).toBeInstanceOf(AbortSignal);
      const input = command.input as (typeof puts)[number];
      if (fail(input.Key)) throw Object.assign(new Error('SlowDown'), { name: 'SlowDown' });
      puts.push(input);
      return {};
    },
  } as unknown as S3Client;
  return { client, puts };
}
const context = () => ({ remainingTimeMs: () => 60_000, signal: new AbortController().signal });
const text = (line: NdjsonLine) => (typeof line === 'string' ? line : Buffer.from(line).toString('utf8'));

describe('createS3NdjsonSink', () => {
  it('property: streamed objects are cut as planObjects cuts them and hold the lines, strings or bytes, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.boolean()), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 300 }),
        fc.constantFrom('gzip' as const, 'none' as const),
        async (lines, maxObjectBytes, compression) => {
          const items: SinkItem<NdjsonLine>[] = lines.map(([line, asBytes], i) => ({
            coordinates: at(i),
            value: asBytes ? Buffer.from(JSON.stringify(line)) : JSON.stringify(line),
          }));
          const { client, puts } = recordingClient();
          const sink = createS3NdjsonSink({
            bucket: 'b',
            prefix: 'data',
            compression,
            maxObjectBytes,
            client,
          });
          const stream = sink.open(context());
          for (const item of items) stream.push(item);
          expect(await stream.finish()).toEqual({ failed: [] });
          const ext = compression === 'gzip' ? '.gz' : '';
          const planned = planObjects(
            items,
            maxObjectBytes,
            (first, last) =>
              `data/2026/01/02/03/orders-shardId-000000000001-${first.coordinates.sequenceNumber}-${last.coordinates.sequenceNumber}.ndjson${ext}`,
          );
          expect(puts.map((put) => put.Key).sort()).toEqual(planned.map((object) => object.key).sort());
          for (const object of planned) {
            const put = puts.find((candidate) => candidate.Key === object.key)!;
            const body = compression === 'gzip' ? zlib.gunzipSync(put.Body) : put.Body;
            const expected = items
              .slice(object.start, object.end)
              .map((item) => `${text(item.value)}\n`)
              .join('');
            expect(body.toString('utf8')).toBe(expected);
            expect(put.Metadata).toEqual({ 'record-count': String(object.end - object.start) });
            expect(put.ContentType).toBe(
              compression === 'gzip' ? 'application/gzip' : 'application/x-ndjson',
            );
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('write(items) is the same as streaming them', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ coordinates: at(i), value: `{"i":${i}}` }));
    const { client, puts } = recordingClient();
    const sink = createS3NdjsonSink({ bucket: 'b', prefix: 'p', maxObjectBytes: 100, client });
    expect(await sink.write(items, context())).toEqual({ failed: [] });
    const lines = puts.flatMap((put) => zlib.gunzipSync(put.Body).toString().trimEnd().split('\n'));
    expect(lines.sort()).toEqual(items.map((item) => item.value).sort());
  });

  it('fails the items of an object whose PutObject fails, and starts no object after it', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({
      coordinates: at(i),
      value: `{"i":${String(i).padStart(3, '0')}}`,
    }));
    // 10 lines of 10 bytes (newline included) per object: [0,10) [10,20) [20,30); the second one fails.
    const { client, puts } = recordingClient((key) => key.includes('-1010-'));
    const sink = createS3NdjsonSink({
      bucket: 'b',
      prefix: 'p',
      maxObjectBytes: 100,
      concurrency: 1,
      client,
    });
    const { failed } = await sink.write(items, context());
    expect(failed).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
    expect(puts).toHaveLength(1);
  });

  it('fails the items of a PutObject rejected with something that is not an Error, and logs its type', async () => {
    const errorLog = vi.spyOn(logger, 'error');
    for (const [thrown, name] of [
      [null, 'null'],
      [undefined, 'undefined'],
      ['socket hang up', 'string'],
    ] as const) {
      const client = { send: () => Promise.reject(thrown) } as unknown as S3Client;
      const sink = createS3NdjsonSink({ bucket: 'b', prefix: 'p', concurrency: 1, client });
      const items = [0, 1].map((i) => ({ coordinates: at(i), value: `{"i":${i}}` }));
      expect(await sink.write(items, context())).toEqual({ failed: [0, 1] });
      expect(errorLog).toHaveBeenLastCalledWith(
        'PutObject failed; its records are handed back to Lambda',
        expect.objectContaining({ records: 2, errorName: name }),
      );
    }
    errorLog.mockRestore();
  });

  it('writes every object with a concurrency under 1 (one PutObject at a time), instead of none', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ coordinates: at(i), value: `{"i":${i}}` }));
    const { client, puts } = recordingClient();
    const sink = createS3NdjsonSink({
      bucket: 'b',
      prefix: 'p',
      maxObjectBytes: 100,
      concurrency: 0,
      client,
    });
    expect(await sink.write(items, context())).toEqual({ failed: [] });
    const lines = puts.flatMap((put) => zlib.gunzipSync(put.Body).toString().trimEnd().split('\n'));
    expect(lines).toEqual(items.map((item) => item.value));
  });

  it('keeps memory in proportion to the data when MAX_OBJECT_BYTES makes many small objects', async () => {
    for (const compression of ['gzip', 'none'] as const) {
      const { client, puts } = recordingClient();
      const sink = createS3NdjsonSink({
        bucket: 'b',
        prefix: 'p',
        compression,
        maxObjectBytes: 1024,
        client,
      });
      const stream = sink.open(context());
      const before = process.memoryUsage().arrayBuffers;
      // 1,000 objects of one 1,000-byte line: ~1 MB of data, where a full chunk buffer each would be 512 MB.
      for (let i = 0; i < 1000; i++) stream.push({ coordinates: at(i), value: `"${'x'.repeat(998)}"` });
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
      expect(await stream.finish()).toEqual({ failed: [] });
      expect(puts).toHaveLength(1000);
    }
  });

  it('writes zstd objects as .zst where Node has zstd', async () => {
    const zstd = zlib as unknown as { zstdDecompressSync?: (body: Buffer) => Buffer };
    if (!zstd.zstdDecompressSync) return;
    const { client, puts } = recordingClient();
    const sink = createS3NdjsonSink({ bucket: 'b', prefix: 'p', compression: 'zstd', zstdLevel: 5, client });
    await sink.write([{ coordinates: at(0), value: Buffer.from('{"z":1}') }], context());
    expect(puts[0]!.Key).toMatch(/\.ndjson\.zst$/);
    expect(puts[0]!.ContentType).toBe('application/zstd');
    expect(zstd.zstdDecompressSync(puts[0]!.Body).toString()).toBe('{"z":1}\n');
  });
});

describe('createS3NdjsonSink requests, budget and failures', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Records every PutObject's input and the options it was sent with; `fail` throws for the matching keys. */
  function capturingClient(fail: (key: string) => boolean = () => false) {
    const calls: Array<{
      input: PutObjectCommand['input'];
      options: { abortSignal?: AbortSignal; requestTimeout?: number };
    }> = [];
    const client = {
      send: async (command: PutObjectCommand, options: (typeof calls)[number]['options']) => {
        if (fail(command.input.Key!)) {
          throw Object.assign(new Error('Access Denied for {"secret":1}'), { name: 'AccessDenied' });
        }
        calls.push({ input: command.input, options });
        return {};
      },
    } as unknown as S3Client;
    return { client, calls };
  }
  const lines = (n: number, width = 100) =>
    Array.from({ length: n }, (_, i) => ({
      coordinates: at(i),
      value: `"${String(i).padEnd(width - 2, '.')}"`,
    }));

  it('encrypts with AES256 by default, with the KMS key asked for, and leaves it to the bucket with none', async () => {
    const encryption = async (over: object) => {
      const { client, calls } = capturingClient();
      await createS3NdjsonSink({ bucket: 'b', prefix: 'p', client, ...over }).write(lines(1), context());
      const { ServerSideEncryption, SSEKMSKeyId } = calls[0]!.input;
      return { ServerSideEncryption, SSEKMSKeyId };
    };
    expect(await encryption({})).toEqual({ ServerSideEncryption: 'AES256' });
    expect(await encryption({ sse: 'aws:kms', kmsKeyId: 'k' })).toEqual({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'k',
    });
    expect(await encryption({ sse: 'none' })).toEqual({});
  });

  it('keeps up to 64 MiB in one object by default', async () => {
    const { client, calls } = capturingClient();
    const items = lines(1000);
    expect(await createS3NdjsonSink({ bucket: 'b', prefix: 'p', client }).write(items, context())).toEqual({
      failed: [],
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.input.Metadata).toEqual({ 'record-count': '1000' });
  });

  it('sends with the abort signal and a request timeout of 10 s, or 1 s per MB for a body over 10 MB', async () => {
    const { client, calls } = capturingClient();
    const signal = new AbortController().signal;
    const budget: SinkWriteContext = { remainingTimeMs: () => 60_000, signal };
    const sink = createS3NdjsonSink({
      bucket: 'b',
      prefix: 'p',
      compression: 'none',
      maxObjectBytes: 1000,
      concurrency: 1,
      client,
    });
    await sink.write([...lines(1), { coordinates: at(1), value: `"${'x'.repeat(11_999_997)}"` }], budget);
    expect(calls.map((call) => [call.input.Metadata, call.options])).toEqual([
      [{ 'record-count': '1' }, { abortSignal: signal, requestTimeout: 10_000 }],
      [{ 'record-count': '1' }, { abortSignal: signal, requestTimeout: 12_000 }],
    ]);
  });

  it('writes byte lines as they are: a plain Uint8Array, and a Buffer holding bytes that are not UTF-8', async () => {
    const { client, calls } = capturingClient();
    const plain = new TextEncoder().encode('{"a": "é"}');
    const notUtf8 = Buffer.from([0x22, 0xff, 0xfe, 0x22]);
    const sink = createS3NdjsonSink({ bucket: 'b', prefix: 'p', compression: 'none', client });
    await sink.write(
      [
        { coordinates: at(0), value: plain },
        { coordinates: at(1), value: notUtf8 },
      ],
      context(),
    );
    expect(calls[0]!.input.Body).toEqual(
      Buffer.concat([plain, Buffer.from('\n'), notUtf8, Buffer.from('\n')]),
    );
  });

  it('writes without a signal in the context', async () => {
    const { client, calls } = capturingClient();
    const result = await createS3NdjsonSink({ bucket: 'b', prefix: 'p', client }).write(lines(2), {
      remainingTimeMs: () => 60_000,
    });
    expect(result).toEqual({ failed: [] });
    expect(calls).toHaveLength(1);
  });

  it('starts no PutObject with less than the margin left (250 ms by default), and fails its items', async () => {
    const run = async (remainingMs: number, over: object = {}) => {
      const { client, calls } = capturingClient();
      const { failed } = await createS3NdjsonSink({ bucket: 'b', prefix: 'p', client, ...over }).write(
        lines(3),
        {
          remainingTimeMs: () => remainingMs,
        },
      );
      return { failed, puts: calls.length };
    };
    expect(await run(249)).toEqual({ failed: [0, 1, 2], puts: 0 });
    expect(await run(250)).toEqual({ failed: [], puts: 1 });
    expect(await run(0, { timeBudgetMarginMs: 0 })).toEqual({ failed: [], puts: 1 });
    expect(await run(99, { timeBudgetMarginMs: 100 })).toEqual({ failed: [0, 1, 2], puts: 0 });
    expect(await run(100, { timeBudgetMarginMs: 100 })).toEqual({ failed: [], puts: 1 });
  });

  it('logs a failed PutObject with its bucket, key, record count and masked error, never the payload', async () => {
    const errorLog = vi.spyOn(logger, 'error');
    const { client } = capturingClient((key) => key.includes('-1003-'));
    const sink = createS3NdjsonSink({
      bucket: 'b',
      prefix: 'p',
      maxObjectBytes: 303,
      concurrency: 1,
      client,
    });
    expect(await sink.write(lines(6), context())).toEqual({ failed: [3, 4, 5] });
    expect(errorLog).toHaveBeenCalledTimes(1);
    expect(errorLog).toHaveBeenCalledWith('PutObject failed; its records are handed back to Lambda', {
      bucket: 'b',
      key: 'p/2026/01/02/03/orders-shardId-000000000001-1003-1005.ndjson.gz',
      records: 3,
      errorName: 'AccessDenied',
      errorMessage: expect.not.stringContaining('secret'),
    });
  });
});
