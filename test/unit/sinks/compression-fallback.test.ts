/**
 * compression.ts on a Node without zlib.crc32 (< 20.15 / 22.2) or without zstd (< 22.15), and when zlib fails: a
 * copy of the module loaded over a node:zlib that lacks them, or whose zstd stream errors.
 */
import * as zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as CompressionModule from '../../../shared/sinks/compression';
import { compressionFormat, zstdAvailable } from '../../../shared/sinks/compression';

type Module = typeof CompressionModule;

/** compression.ts loaded over node:zlib with `over` replacing some of its members. */
async function withZlib(over: Record<string, unknown>): Promise<Module> {
  vi.resetModules();
  vi.doMock('node:zlib', async (original) => ({ ...(await original<typeof zlib>()), ...over }));
  return import('../../../shared/sinks/compression');
}
const body = Buffer.from(
  Array.from({ length: 2000 }, (_, i) => `{"i":${i},"text":"${'lorem ipsum '.repeat(i % 7)}"}\n`).join(''),
);

afterEach(() => {
  vi.doUnmock('node:zlib');
  vi.resetModules();
});

describe('on a Node without zlib.crc32', () => {
  it('gzips the body in one go, at the level asked for', async () => {
    const { compressBody } = await withZlib({ crc32: undefined });
    const fast = await compressBody(body, { compression: 'gzip', gzipLevel: 1 }, 4096);
    const small = await compressBody(body, { compression: 'gzip', gzipLevel: 9 }, 4096);
    expect(zlib.gunzipSync(fast).equals(body)).toBe(true);
    expect(zlib.gunzipSync(small).equals(body)).toBe(true);
    expect(small.length).toBeLessThan(fast.length);
    expect(compressionFormat.gzip.ext).toBe('.gz');
  });
});

describe('on a Node without zstd', () => {
  it('says so, and refuses zstd with the Node version it needs and the one it has', async () => {
    const compression = await withZlib({ createZstdCompress: undefined });
    expect(compression.zstdAvailable()).toBe(false);
    expect(() => compression.createBodyCompressor({ compression: 'zstd' })).toThrow(
      `zstd needs Node.js 22.15 or later (this is ${process.version})`,
    );
  });
});

describe('when zlib fails', () => {
  it('rejects end() with the error, and an abandoned body leaves no unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const { createBodyCompressor } = await import('../../../shared/sinks/compression');
      // zlib refuses level 99: every chunk's deflate fails.
      const abandoned = createBodyCompressor({ compression: 'gzip', gzipLevel: 99 }, 64);
      abandoned.writeLine(Buffer.alloc(200, 0x61));
      const ended = createBodyCompressor({ compression: 'gzip', gzipLevel: 99 }, 64);
      ended.writeLine(Buffer.alloc(200, 0x61));
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(ended.end()).rejects.toThrow(/level/);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it.runIf(zstdAvailable())(
    'rejects end() when the zstd stream fails, rather than never settling',
    async () => {
      const real = (zlib as unknown as { createZstdCompress: (options: object) => zlib.Gzip })
        .createZstdCompress;
      const { createBodyCompressor } = await withZlib({
        createZstdCompress: (options: object) => {
          const stream = real(options);
          setImmediate(() => stream.destroy(new Error('zstd failed')));
          return stream;
        },
      });
      const compressor = createBodyCompressor({ compression: 'zstd' }, 1024);
      compressor.writeLine(Buffer.alloc(2000, 0x61));
      await expect(compressor.end()).rejects.toThrow('zstd failed');
    },
  );
});
