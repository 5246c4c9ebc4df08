/**
 * Object compression for the S3 sinks: gzip compressed on every core, and zstd where Node has it.
 *
 * gzip: a body larger than {@link GZIP_CHUNK_BYTES} is cut into chunks that are deflated at the same time on
 * libuv's thread pool (pigz's method). Each chunk but the last ends with a sync flush, each is primed with the
 * 32 KiB before it as its dictionary, and the raw deflate streams are joined under one gzip header with the CRC-32
 * of the whole body: the result is ONE ordinary gzip member (any gunzip, Athena, Spark read it), within ~0.1% of
 * the size a single-threaded gzip gives at the same level, and the main thread is free meanwhile. On one vCPU the
 * chunks simply run one after another.
 *
 * zstd: one frame per object, streamed to the thread pool as the chunks fill (`zlib.createZstdCompress`, Node >= 22.15
 * / 23.8): one frame, because some readers (python-zstandard's `decompress`) read only the first frame of an object.
 *
 * Either way the body is built in fixed-size chunks (one buffer each, lines copied in as bytes), never as one
 * string per line, and compression starts as soon as a chunk is full (see {@link createBodyCompressor}).
 *
 * @example
 * ```ts
 * const gz = await compressBody(Buffer.from('{"a":1}\n'), { compression: 'gzip', gzipLevel: 6 });
 * ```
 */
import * as zlib from 'node:zlib';

export type Compression = 'gzip' | 'zstd' | 'none';

export interface CompressionOptions {
  compression: Compression;
  /** 1 (fastest) .. 9 (smallest); zlib's default is 6. */
  gzipLevel?: number;
  /** 1 .. 19; zstd's default is 3. */
  zstdLevel?: number;
}

/** Uncompressed bytes per gzip chunk compressed in parallel. */
export const GZIP_CHUNK_BYTES = 512 * 1024;
export const DEFAULT_GZIP_LEVEL = 6;
export const DEFAULT_ZSTD_LEVEL = 3;
/** The deflate window: each chunk is primed with this much of the data before it. */
const WINDOW_BYTES = 32 * 1024;

interface ZstdApi {
  createZstdCompress(options: { params: Record<number, number>; chunkSize?: number }): zlib.Gzip;
  constants: { ZSTD_c_compressionLevel: number };
}
// @types/node 20 does not know zstd; it exists from Node 22.15 / 23.8.
const zstd = zlib as unknown as Partial<ZstdApi>;
const crc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** Whether this Node can write zstd (zlib.createZstdCompress: Node >= 22.15 / 23.8). */
export const zstdAvailable = () => typeof zstd.createZstdCompress === 'function';

/** File name extension and Content-Type per compression. */
export const compressionFormat: Record<Compression, { ext: string; contentType: string }> = {
  gzip: { ext: '.gz', contentType: 'application/gzip' },
  zstd: { ext: '.zst', contentType: 'application/zstd' },
  none: { ext: '', contentType: 'application/x-ndjson' },
};

const deflateRaw = (chunk: Uint8Array, options: zlib.ZlibOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    zlib.deflateRaw(chunk, options, (error, result) => (error ? reject(error) : resolve(result))),
  );
const gzipWhole = (body: Uint8Array, level: number) =>
  new Promise<Buffer>((resolve, reject) =>
    zlib.gzip(body, { level, memLevel: 9 }, (error, result) => (error ? reject(error) : resolve(result))),
  );
/** Output buffer size for compressing `length` bytes in one go (deflate's worst case is a little over the input). */
const outputRoom = (length: number) => Math.max(16 * 1024, length + (length >> 6) + 1024);

/** A promise whose rejection is handled later (by end()) or never (an abandoned body): never "unhandled". */
const quiet = <T>(promise: Promise<T>) => {
  promise.catch(() => undefined);
  return promise;
};

/**
 * An object body written line by line and compressed while it is written: full chunks go to the thread pool at
 * once, so compression overlaps with whatever the main thread does next (decoding the rest of the batch).
 */
export interface BodyCompressor {
  /** Appends `line` and a newline. */
  writeLine(line: Uint8Array): void;
  /** Uncompressed bytes written so far. */
  readonly bytes: number;
  /** The compressed body (after the last line); call once. */
  end(): Promise<Buffer>;
}

/** The first chunk buffer of a body; it grows (doubling) up to the chunk size, so a small object stays small. */
const FIRST_CHUNK_BYTES = 16 * 1024;

/**
 * Fills chunks of `chunkBytes` and hands each full one to `flush` (compression starts there); `end` gets the last,
 * partial (maybe empty) one. Only full chunks are compressed before `end`, so however many small objects a batch
 * makes, the work in flight before `end` is bounded by the batch's bytes / chunkBytes.
 */
abstract class ChunkedBody implements BodyCompressor {
  bytes = 0;
  protected chunk: Buffer;
  protected used = 0;
  constructor(protected readonly chunkBytes: number) {
    this.chunk = Buffer.allocUnsafe(Math.min(chunkBytes, FIRST_CHUNK_BYTES));
  }
  writeLine(line: Uint8Array): void {
    if (this.used + line.length < this.chunk.length) {
      this.chunk.set(line, this.used);
      this.used += line.length;
      this.chunk[this.used++] = 0x0a;
    } else {
      this.write(line);
      this.write(NEWLINE);
    }
    this.bytes += line.length + 1;
  }
  private write(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.used === this.chunk.length && this.chunk.length < this.chunkBytes) {
        const grown = Buffer.allocUnsafe(
          Math.min(this.chunkBytes, Math.max(this.chunk.length * 2, this.used + bytes.length - at)),
        );
        this.chunk.copy(grown, 0, 0, this.used);
        this.chunk = grown;
      }
      const take = Math.min(bytes.length - at, this.chunk.length - this.used);
      this.chunk.set(bytes.subarray(at, at + take), this.used);
      this.used += take;
      at += take;
      if (this.used === this.chunkBytes) {
        this.flush(this.chunk);
        this.chunk = Buffer.allocUnsafe(this.chunkBytes);
        this.used = 0;
      }
    }
  }
  protected abstract flush(full: Buffer): void;
  abstract end(): Promise<Buffer>;
}
const NEWLINE = new Uint8Array([0x0a]);

/** gzip as one member from chunks deflated in parallel (see the module comment). */
class ParallelGzip extends ChunkedBody {
  private readonly parts: Promise<Buffer>[] = [];
  private previous: Buffer | undefined;
  private checksum = 0;
  constructor(
    private readonly level: number,
    chunkBytes: number,
    private readonly crc: (data: Uint8Array, value?: number) => number,
  ) {
    super(chunkBytes);
  }
  private deflate(data: Buffer, last: boolean) {
    // The checksum runs on this thread while the pool deflates.
    this.checksum = this.crc(data, this.checksum);
    const previous = this.previous;
    this.parts.push(
      quiet(
        deflateRaw(data, {
          level: this.level,
          // zlib: "memLevel=9 uses maximum memory for optimal speed" (5-10% faster here, and no larger output).
          memLevel: 9,
          // Room for the whole output at once: one trip to the pool per chunk, not one per 16 KiB of output (each
          // trip back needs the main thread, which may be busy decoding).
          chunkSize: outputRoom(data.length),
          finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
          ...(previous ? { dictionary: previous.subarray(previous.length - WINDOW_BYTES) } : {}),
        }),
      ),
    );
    this.previous = data;
  }
  protected flush(full: Buffer): void {
    this.deflate(full, false);
  }
  async end(): Promise<Buffer> {
    this.deflate(this.chunk.subarray(0, this.used), true);
    const deflated = await Promise.all(this.parts);
    // RFC 1952: magic, CM=deflate, no flags, no mtime, XFL 0, OS 3 (Unix) | deflate data | CRC-32 | ISIZE.
    const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.checksum >>> 0, 0);
    trailer.writeUInt32LE(this.bytes % 2 ** 32, 4);
    return Buffer.concat([header, ...deflated, trailer]);
  }
}

/** Collects the chunks; `finish` turns the whole body into the object (no compression, or one-shot gzip). */
class Collected extends ChunkedBody {
  private readonly chunks: Buffer[] = [];
  constructor(
    chunkBytes: number,
    private readonly finish: (body: Buffer) => Promise<Buffer>,
  ) {
    super(chunkBytes);
  }
  protected flush(full: Buffer): void {
    this.chunks.push(full);
  }
  end(): Promise<Buffer> {
    this.chunks.push(this.chunk.subarray(0, this.used));
    return this.finish(Buffer.concat(this.chunks));
  }
}

/** zstd as one frame, streamed to the thread pool chunk by chunk (the stream is made at the first full chunk). */
class StreamedZstd extends ChunkedBody {
  private stream: zlib.Gzip | undefined;
  private output: Promise<Buffer> | undefined;
  constructor(
    private readonly level: number,
    chunkBytes: number,
  ) {
    super(chunkBytes);
  }
  private open(): zlib.Gzip {
    const api = zstd as ZstdApi;
    const stream = api.createZstdCompress({
      params: { [api.constants.ZSTD_c_compressionLevel]: this.level },
      chunkSize: outputRoom(this.chunkBytes),
    });
    const out: Buffer[] = [];
    stream.on('data', (data: Buffer) => out.push(data));
    this.output = quiet(
      new Promise((resolve, reject) => {
        stream.on('end', () => resolve(Buffer.concat(out)));
        stream.on('error', reject);
      }),
    );
    return stream;
  }
  protected flush(full: Buffer): void {
    (this.stream ??= this.open()).write(full);
  }
  end(): Promise<Buffer> {
    (this.stream ??= this.open()).end(this.chunk.subarray(0, this.used));
    return this.output!;
  }
}

/** A compressor for one object body as configured. */
export function createBodyCompressor(
  options: CompressionOptions,
  chunkBytes = GZIP_CHUNK_BYTES,
): BodyCompressor {
  switch (options.compression) {
    case 'gzip': {
      const level = options.gzipLevel ?? DEFAULT_GZIP_LEVEL;
      return crc32
        ? new ParallelGzip(level, chunkBytes, crc32)
        : new Collected(chunkBytes, (body) => gzipWhole(body, level));
    }
    case 'zstd':
      if (!zstdAvailable()) throw new Error(`zstd needs Node.js 22.15 or later (this is ${process.version})`);
      return new StreamedZstd(options.zstdLevel ?? DEFAULT_ZSTD_LEVEL, chunkBytes);
    default:
      return new Collected(chunkBytes, (body) => Promise.resolve(body));
  }
}

/** `body` (whole NDJSON lines) compressed as configured: what the sink writes for the same lines. */
export async function compressBody(
  body: Uint8Array,
  options: CompressionOptions,
  chunkBytes?: number,
): Promise<Buffer> {
  const compressor = createBodyCompressor(options, chunkBytes);
  const lines = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let start = 0;
  for (let i = lines.indexOf(0x0a); i !== -1; i = lines.indexOf(0x0a, start)) {
    compressor.writeLine(lines.subarray(start, i));
    start = i + 1;
  }
  if (start < lines.length) throw new Error('compressBody: the body must end with a newline');
  return compressor.end();
}
