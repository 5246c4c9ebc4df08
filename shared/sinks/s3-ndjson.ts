/**
 * A sink that writes newline-delimited JSON objects to S3: one PutObject per output object (the lower bound on
 * API calls), gzip by default (zstd or none on request; compressed off the main thread, gzip on every core: see
 * compression.ts), split at a size cap, deterministic keys (see key-template.ts). Lines are strings or bytes (a
 * record's own bytes, written as they are); each object is built in one buffer, never as one string per line.
 *
 * Failure semantics: an object that could not be written fails every item in it. Once one object has failed,
 * objects not yet started are not written either (their records come back in the re-delivered batch anyway,
 * and writing them now would only duplicate them under another key). Objects already in flight may land, so a
 * partial failure can duplicate the records of those objects: delivery to S3 is at-least-once.
 *
 * @example
 * ```ts
 * const sink = createS3NdjsonSink({ bucket: 'my-bucket', prefix: 'data', compression: 'gzip' });
 * await sink.write([{ coordinates, value: '{"id":1}' }], { remainingTimeMs: () => 60_000 });
 * ```
 */
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { REQUEST_TIMEOUT_MS, s3Client } from '../aws/clients';
import { errorName, maskedMessage } from '../middleware/errors';
import { logger } from '../middleware/observability';
import type { StreamingSink } from '../kinesis/runner';
import type { SinkItem, SinkWriteContext, SinkWriteResult } from '../kinesis/types';
import {
  type BodyCompressor,
  type Compression,
  compressionFormat,
  createBodyCompressor,
} from './compression';
import { mapWithConcurrency } from './concurrency';
import { compileKeyTemplate, DEFAULT_KEY_TEMPLATE } from './key-template';

export type { Compression } from './compression';
/** One NDJSON line without its newline: text, or UTF-8 bytes written as they are. */
export type NdjsonLine = string | Uint8Array;
export type ServerSideEncryption = 'AES256' | 'aws:kms' | 'none';

export interface S3NdjsonSinkOptions {
  bucket: string;
  /** The {prefix} of the key template. */
  prefix: string;
  keyTemplate?: string;
  compression?: Compression;
  /** gzip level, 1 (fastest) .. 9 (smallest); default 6. */
  gzipLevel?: number;
  /** zstd level, 1 .. 19; default 3. */
  zstdLevel?: number;
  /** Uncompressed bytes per object before a new object starts (a single larger line gets an object alone). */
  maxObjectBytes?: number;
  sse?: ServerSideEncryption;
  /** With sse 'aws:kms': the key; the bucket's default KMS key when omitted. */
  kmsKeyId?: string;
  /** PutObject calls in flight at once. */
  concurrency?: number;
  /**
   * Don't start a PutObject with less than this left in the invocation's budget (ms): report those items failed
   * instead. A PutObject already started is aborted when the budget runs out (the context's signal).
   */
  timeBudgetMarginMs?: number;
  client?: S3Client;
}

/** PutObject encryption parameters; 'none' leaves it to the bucket's default encryption. */
export function sseParameters(
  sse: ServerSideEncryption = 'AES256',
  kmsKeyId?: string,
): Partial<PutObjectCommandInput> {
  if (sse === 'aws:kms')
    return { ServerSideEncryption: 'aws:kms', ...(kmsKeyId ? { SSEKMSKeyId: kmsKeyId } : {}) };
  return sse === 'none' ? {} : { ServerSideEncryption: 'AES256' };
}

/** One planned object: a contiguous run of items. */
export interface PlannedObject {
  start: number;
  end: number; // exclusive
  key: string;
}

const lineBytes = (line: NdjsonLine) => (typeof line === 'string' ? Buffer.byteLength(line) : line.length);

/** Splits items (already-serialised JSON lines) into objects of at most maxObjectBytes (uncompressed). */
export function planObjects<T extends NdjsonLine>(
  items: readonly SinkItem<T>[],
  maxObjectBytes: number,
  keyFor: (first: SinkItem<T>, last: SinkItem<T>) => string,
): PlannedObject[] {
  const objects: PlannedObject[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    const size = lineBytes(items[i]!.value) + 1;
    if (i > start && bytes + size > maxObjectBytes) {
      objects.push({ start, end: i, key: keyFor(items[start]!, items[i - 1]!) });
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < items.length)
    objects.push({ start, end: items.length, key: keyFor(items[start]!, items.at(-1)!) });
  return objects;
}

const encoder = new TextEncoder();

/** An object being built: its items [start, end) and its body, compressing as it grows. */
interface OpenObject {
  start: number;
  end: number;
  first: SinkItem<NdjsonLine>;
  last: SinkItem<NdjsonLine>;
  body: BodyCompressor;
}

/**
 * The sink. It streams (StreamingSink): the runner pushes each line as it makes it, the line is copied into the
 * current object's body and compressed chunk by chunk on the thread pool meanwhile; `finish` then writes the
 * objects. Objects are cut exactly as {@link planObjects} cuts them. `write(items)` is the same thing at once.
 */
export function createS3NdjsonSink(options: S3NdjsonSinkOptions): StreamingSink<NdjsonLine> {
  const compression = options.compression ?? 'gzip';
  const keyOf = compileKeyTemplate(options.keyTemplate ?? DEFAULT_KEY_TEMPLATE);
  const { ext, contentType } = compressionFormat[compression];
  const compressionOptions = { compression, gzipLevel: options.gzipLevel, zstdLevel: options.zstdLevel };
  const maxObjectBytes = options.maxObjectBytes ?? 64 * 1024 * 1024;
  const concurrency = options.concurrency ?? 4;
  const margin = options.timeBudgetMarginMs ?? 250;
  const encryption = sseParameters(options.sse, options.kmsKeyId);

  const open = (context: SinkWriteContext) => {
    const objects: OpenObject[] = [];
    let current: OpenObject | undefined;
    let pushed = 0;
    const push = (item: SinkItem<NdjsonLine>) => {
      const line = typeof item.value === 'string' ? encoder.encode(item.value) : item.value;
      // planObjects' rule: a line that would take the object past the cap starts the next one.
      if (current && current.body.bytes + line.length + 1 > maxObjectBytes) current = undefined;
      if (!current) {
        current = {
          start: pushed,
          end: pushed,
          first: item,
          last: item,
          body: createBodyCompressor(compressionOptions),
        };
        objects.push(current);
      }
      current.body.writeLine(line);
      current.last = item;
      current.end = ++pushed;
    };

    const finish = async (): Promise<SinkWriteResult> => {
      const client = options.client ?? s3Client();
      let failedSoFar = false;
      // A body's last chunk is compressed in its object's task: at most `concurrency` objects at a time.
      const outcomes = await mapWithConcurrency(objects, concurrency, async (object) => {
        if (failedSoFar || context.signal?.aborted || context.remainingTimeMs() < margin) return false;
        const key = keyOf({
          prefix: options.prefix,
          ext,
          first: object.first.coordinates,
          last: object.last.coordinates,
        });
        try {
          const payload = await object.body.end();
          await client.send(
            new PutObjectCommand({
              Bucket: options.bucket,
              Key: key,
              Body: payload,
              ContentType: contentType,
              Metadata: { 'record-count': String(object.end - object.start) },
              ...encryption,
            }),
            {
              abortSignal: context.signal,
              // One attempt may take as long as sending the body at 1 MB/s, and never less than the default.
              requestTimeout: Math.max(REQUEST_TIMEOUT_MS, Math.ceil(payload.length / 1_000)),
            },
          );
          return true;
        } catch (error) {
          failedSoFar = true;
          logger.error('PutObject failed; its records are handed back to Lambda', {
            bucket: options.bucket,
            key,
            records: object.end - object.start,
            errorName: errorName(error),
            errorMessage: maskedMessage(error),
          });
          return false;
        }
      });
      const failed: number[] = [];
      outcomes.forEach((ok, index) => {
        if (ok) return;
        const object = objects[index]!;
        for (let i = object.start; i < object.end; i++) failed.push(i);
      });
      return { failed };
    };
    return { push, finish };
  };

  return {
    open,
    async write(items: SinkItem<NdjsonLine>[], context: SinkWriteContext) {
      const stream = open(context);
      for (const item of items) stream.push(item);
      return stream.finish();
    },
  };
}
