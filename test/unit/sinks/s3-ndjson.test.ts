import * as zlib from 'node:zlib';
import type { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordCoordinates, SinkItem } from '../../../shared/kinesis/types';
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
