/**
 * Byte-level helpers for the hot path: log lines are scanned as UTF-8 bytes (every delimiter the formats use is
 * ASCII, and UTF-8 never reuses ASCII byte values inside a multi-byte character) and output is written straight
 * into shared chunks, so a record costs no intermediate strings.
 */
import { isUtf8 } from 'node:buffer';
import { LogParseError } from './errors';

/** The {@link LogParseError} for a record that is not well-formed UTF-8 ("record: data is not valid UTF-8"). */
export function notUtf8(): LogParseError {
  return new LogParseError('record', 'data is not valid UTF-8');
}

/** Throws {@link notUtf8} unless `bytes` is well-formed UTF-8. */
export function assertUtf8(bytes: Uint8Array): void {
  if (!isUtf8(bytes)) throw notUtf8();
}

/** 1-based character column of byte `index` in the line starting at byte `lineStart` (for error messages). */
export function charColumn(bytes: Uint8Array, lineStart: number, index: number): number {
  let column = 1;
  const end = Math.min(index, bytes.length);
  for (let i = lineStart; i < end; i++) if ((bytes[i]! & 0xc0) !== 0x80) column++;
  return column;
}

// ignoreBOM: a U+FEFF opening the range is part of the text (a field that opens with one keeps it, as the fast paths
// that copy bytes keep it); a BOM opening a whole record is skipped by the record functions themselves.
const textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The UTF-8 text of `bytes[start, end)` (already validated), every byte of it: a leading U+FEFF is kept. */
export function textOf(bytes: Uint8Array, start: number, end: number): string {
  return textDecoder.decode(bytes.subarray(start, end));
}

/** Where a record's lines start: after a UTF-8 BOM opening the record (dropped, as decoding the record drops it). */
export function afterBom(bytes: Uint8Array, start: number, end: number): number {
  return end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf
    ? start + 3
    : start;
}

/** Chunks a writer keeps for reuse (8 MiB at the default size: more than a 6 MB response ever holds). */
const MAX_RETAINED_CHUNKS = 8;

/**
 * An append-only output buffer handing out one Uint8Array per record. Records are written into large chunks and
 * returned as views ({@link finish}); nothing handed out is written again until {@link reset}, so the views stay
 * valid without a copy per record.
 */
export class ByteWriter {
  /** The chunk being written. */
  buf: Buffer;
  /** Next write position in {@link buf}. */
  pos = 0;
  private start = 0;
  /** Chunks kept for reuse after {@link reset}, in write order (at most {@link MAX_RETAINED_CHUNKS}). */
  private readonly chunks: Buffer[] = [];
  /** Index of {@link buf} in {@link chunks}, or -1 once past the retained ones. */
  private chunkIndex = 0;

  constructor(private readonly chunkSize = 1 << 20) {
    this.buf = Buffer.allocUnsafe(chunkSize);
    this.chunks.push(this.buf);
  }

  /** Where the current record starts in {@link buf} (it runs to {@link pos}). */
  get recordStart(): number {
    return this.start;
  }

  /** Makes room for `count` more bytes of the current record. */
  ensure(count: number): void {
    if (this.pos + count > this.buf.length) this.grow(count);
  }

  private grow(count: number): void {
    const used = this.pos - this.start;
    const needed = used + count;
    const nextIndex = this.chunkIndex < 0 ? -1 : this.chunkIndex + 1;
    let next = nextIndex < 0 ? undefined : this.chunks[nextIndex];
    if (next === undefined || next.length < needed) {
      next = Buffer.allocUnsafe(Math.max(this.chunkSize, 2 * needed));
      // A chunk grown for one huge record is not kept: retained memory stays within 8 ordinary chunks.
      if (nextIndex >= 0 && nextIndex < MAX_RETAINED_CHUNKS && next.length <= this.chunkSize) {
        // Replaces a chunk too small for this record (and forgets the ones after it), or adds one.
        this.chunks[nextIndex] = next;
        this.chunks.length = nextIndex + 1;
      }
    }
    this.chunkIndex = nextIndex >= 0 && this.chunks[nextIndex] === next ? nextIndex : -1;
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  /** Appends bytes `src[start, end)`. */
  copy(src: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = start; i < end; i++) buf[pos++] = src[i]!;
    this.pos = pos;
  }

  /** Appends a whole byte array (pre-encoded constants). */
  bytes(src: Uint8Array): void {
    this.copy(src, 0, src.length);
  }

  /** Appends a string as UTF-8. */
  text(value: string): void {
    this.ensure(value.length * 3);
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  /** Appends a non-negative integer (below 2^50) in decimal. */
  uint(value: number): void {
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    this.ensure(digits);
    const buf = this.buf;
    let rest = value;
    for (let at = this.pos + digits - 1; at >= this.pos; at--) {
      buf[at] = 48 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    this.pos += digits;
  }

  /** The current record's bytes; the next record starts after them. */
  finish(): Uint8Array {
    // A plain view: cheaper to make than Buffer#subarray, and all a consumer needs.
    const out = new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.start, this.pos - this.start);
    this.start = this.pos;
    return out;
  }

  /** Ends the current record without making a view of it (for a caller that tracked where it lies). */
  endRecord(): void {
    this.start = this.pos;
  }

  /** Forgets the current record's bytes (it failed). */
  discard(): void {
    this.pos = this.start;
  }

  /**
   * Starts writing over the chunks from the beginning, invalidating every view handed out so far. Call it only
   * when no output is held any more; {@link withWriter} does it for one invocation at a time.
   */
  reset(): void {
    this.chunkIndex = 0;
    this.buf = this.chunks[0]!;
    this.pos = 0;
    this.start = 0;
  }
}

const idleWriters: ByteWriter[] = [];

/**
 * Runs `work` (one invocation) with a writer of its own, reused by later invocations once this one is over: a
 * warm function then allocates no output memory, and invocations that overlap (tests, demos) never share one.
 * Views handed out during `work` stay valid until it settles; the runner base64-encodes them before that.
 *
 * @example
 * ```ts
 * const result = await withWriter((writer) =>
 *   processFirehoseEvent(event, (record) => ok(apacheRecordToJson(record.data, writer))),
 * );
 * ```
 */
export async function withWriter<T>(work: (writer: ByteWriter) => Promise<T>): Promise<T> {
  const writer = idleWriters.pop() ?? new ByteWriter();
  writer.reset();
  try {
    return await work(writer);
  } finally {
    idleWriters.push(writer);
  }
}

/** Pre-encodes an ASCII constant for {@link ByteWriter.bytes}. */
export function ascii(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}
