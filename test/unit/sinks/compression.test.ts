import { execFileSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressBody, createBodyCompressor, zstdAvailable } from '../../../shared/sinks/compression';

const lines = (count: number, size: (i: number) => number) =>
  Array.from({ length: count }, (_, i) =>
    Buffer.from(`{"i":${i},"s":"${'abcdefghij'.repeat(Math.ceil(size(i) / 10)).slice(0, size(i))}"}`),
  );
const ndjson = (records: Buffer[]) => Buffer.concat(records.flatMap((line) => [line, Buffer.from('\n')]));

async function compressed(records: Buffer[], chunkBytes: number, level = 6) {
  const compressor = createBodyCompressor({ compression: 'gzip', gzipLevel: level }, chunkBytes);
  for (const line of records) compressor.writeLine(line);
  expect(compressor.bytes).toBe(ndjson(records).length);
  return compressor.end();
}

/** The gzip members in `gz`, and the single member's parts when there is one. */
function gzipMember(gz: Buffer) {
  expect([...gz.subarray(0, 3)]).toEqual([0x1f, 0x8b, 8]);
  return {
    deflate: gz.subarray(10, -8),
    crc: gz.readUInt32LE(gz.length - 8),
    size: gz.readUInt32LE(gz.length - 4),
  };
}

describe('gzip compressed in parallel chunks', () => {
  it('is ONE gzip member (one deflate stream, the whole body`s CRC-32 and size) that gunzip reads back', async () => {
    const records = lines(3000, (i) => (i * 37) % 400);
    const body = ndjson(records);
    const gz = await compressed(records, 64 * 1024);
    expect(zlib.gunzipSync(gz).equals(body)).toBe(true);
    const member = gzipMember(gz);
    // inflateRaw of the member's data alone yields the whole body: the chunks form one stream, not several members.
    expect(zlib.inflateRawSync(member.deflate).equals(body)).toBe(true);
    expect(member.crc).toBe(zlib.crc32(body));
    expect(member.size).toBe(body.length);
    // gzip(1) agrees, and the command line tool rejects trailing garbage or a bad CRC.
    expect(execFileSync('gzip', ['-dc'], { input: gz }).equals(body)).toBe(true);
  });

  it('costs next to nothing in size against one single-threaded gzip at the same level', async () => {
    const records = lines(20_000, (i) => 50 + ((i * 7919) % 300));
    const body = ndjson(records);
    for (const level of [1, 6, 9]) {
      const ours = await compressed(records, 256 * 1024, level);
      const single = zlib.gzipSync(body, { level });
      expect(ours.length / single.length).toBeLessThan(1.01);
      expect(zlib.gunzipSync(ours).equals(body)).toBe(true);
    }
  });

  it('property: any lines, any chunk size (lines longer than a chunk, bodies ending on a chunk boundary)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 200 }),
        async (records, chunkBytes) => {
          const compressor = createBodyCompressor({ compression: 'gzip' }, chunkBytes);
          for (const line of records) compressor.writeLine(line);
          const body = ndjson(records.map((line) => Buffer.from(line)));
          const gz = await compressor.end();
          expect(zlib.gunzipSync(gz).equals(body)).toBe(true);
          expect(zlib.inflateRawSync(gzipMember(gz).deflate).equals(body)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('grows its first 16 KiB buffer up to chunks larger than that, for lines longer than a chunk too', async () => {
    for (const chunkBytes of [20_000, 64 * 1024]) {
      // The first line (16,383 bytes and its newline) fills the first 16 KiB buffer exactly.
      const records = [16_369, 150_000, 10, 40_000, 16_384, 0, 70_000, 5].map((size, i) =>
        lines(1, () => size)[0]!.fill(0x61 + i, 20),
      );
      const gz = await compressed(records, chunkBytes);
      expect(zlib.gunzipSync(gz).equals(ndjson(records))).toBe(true);
      for (const compression of ['none', 'zstd'] as const) {
        if (compression === 'zstd' && !zstdAvailable()) continue;
        const compressor = createBodyCompressor({ compression }, chunkBytes);
        for (const line of records) compressor.writeLine(line);
        const out = await compressor.end();
        const decompress = (zlib as unknown as { zstdDecompressSync(b: Buffer): Buffer }).zstdDecompressSync;
        expect((compression === 'none' ? out : decompress(out)).equals(ndjson(records))).toBe(true);
      }
    }
  });

  it('compressBody = the sink`s compressor over the same lines; none passes the body through', async () => {
    const body = ndjson(lines(500, (i) => i));
    expect(zlib.gunzipSync(await compressBody(body, { compression: 'gzip' }, 4096)).equals(body)).toBe(true);
    expect((await compressBody(body, { compression: 'none' }, 4096)).equals(body)).toBe(true);
    await expect(compressBody(Buffer.from('{"a":1}'), { compression: 'none' })).rejects.toThrow(/newline/);
  });
});

describe.runIf(zstdAvailable())('zstd (Node >= 22.15)', () => {
  it('is one frame that decompresses to the body, at the level asked for', async () => {
    const body = ndjson(lines(5000, (i) => (i * 13) % 500));
    const fast = await compressBody(body, { compression: 'zstd', zstdLevel: 1 }, 32 * 1024);
    const small = await compressBody(body, { compression: 'zstd', zstdLevel: 19 }, 32 * 1024);
    const decompress = (zlib as unknown as { zstdDecompressSync(b: Buffer): Buffer }).zstdDecompressSync;
    expect(decompress(fast).equals(body)).toBe(true);
    expect(decompress(small).equals(body)).toBe(true);
    expect(small.length).toBeLessThan(fast.length);
    // The frame header's magic number, once: a single frame (some readers stop after the first).
    expect(fast.readUInt32LE(0)).toBe(0xfd2fb528);
  });
});

describe.skipIf(zstdAvailable())('zstd on a Node without it', () => {
  it('is refused with a clear error', () => {
    expect(() => createBodyCompressor({ compression: 'zstd' })).toThrow(/zstd needs Node.js 22.15 or later/);
  });
});
