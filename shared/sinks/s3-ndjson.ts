/**
 * A sink that writes newline-delimited JSON objects to S3: one PutObject per output object (the lower bound on
 * API calls), gzip by default, split at a size cap, deterministic keys (see key-template.ts).
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
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { REQUEST_TIMEOUT_MS, s3Client } from '../aws/clients';
import { maskedMessage } from '../middleware/errors';
import { logger } from '../middleware/observability';
import type { Sink, SinkItem, SinkWriteContext } from '../kinesis/types';
import { mapWithConcurrency } from './concurrency';
import { compileKeyTemplate, DEFAULT_KEY_TEMPLATE } from './key-template';

const gzip = promisify(gzipCallback);

export type Compression = 'gzip' | 'none';
export type ServerSideEncryption = 'AES256' | 'aws:kms' | 'none';

export interface S3NdjsonSinkOptions {
  bucket: string;
  /** The {prefix} of the key template. */
  prefix: string;
  keyTemplate?: string;
  compression?: Compression;
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

/** Splits items (already-serialised JSON lines) into objects of at most maxObjectBytes (uncompressed). */
export function planObjects(
  items: readonly SinkItem<string>[],
  maxObjectBytes: number,
  keyFor: (first: SinkItem<string>, last: SinkItem<string>) => string,
): PlannedObject[] {
  const objects: PlannedObject[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    const lineBytes = Buffer.byteLength(items[i]!.value) + 1;
    if (i > start && bytes + lineBytes > maxObjectBytes) {
      objects.push({ start, end: i, key: keyFor(items[start]!, items[i - 1]!) });
      start = i;
      bytes = 0;
    }
    bytes += lineBytes;
  }
  if (start < items.length)
    objects.push({ start, end: items.length, key: keyFor(items[start]!, items.at(-1)!) });
  return objects;
}

export function createS3NdjsonSink(options: S3NdjsonSinkOptions): Sink<string> {
  const compression = options.compression ?? 'gzip';
  const keyOf = compileKeyTemplate(options.keyTemplate ?? DEFAULT_KEY_TEMPLATE);
  const ext = compression === 'gzip' ? '.gz' : '';
  const maxObjectBytes = options.maxObjectBytes ?? 64 * 1024 * 1024;
  const concurrency = options.concurrency ?? 4;
  const margin = options.timeBudgetMarginMs ?? 250;
  const encryption = sseParameters(options.sse, options.kmsKeyId);

  return {
    async write(items: SinkItem<string>[], context: SinkWriteContext) {
      const client = options.client ?? s3Client();
      const objects = planObjects(items, maxObjectBytes, (first, last) =>
        keyOf({ prefix: options.prefix, ext, first: first.coordinates, last: last.coordinates }),
      );
      let failedSoFar = false;
      const outcomes = await mapWithConcurrency(objects, concurrency, async (object) => {
        if (failedSoFar || context.signal?.aborted || context.remainingTimeMs() < margin) return false;
        let body = '';
        for (let i = object.start; i < object.end; i++) body += `${items[i]!.value}\n`;
        const payload = compression === 'gzip' ? await gzip(body) : Buffer.from(body);
        try {
          await client.send(
            new PutObjectCommand({
              Bucket: options.bucket,
              Key: object.key,
              Body: payload,
              ContentType: compression === 'gzip' ? 'application/gzip' : 'application/x-ndjson',
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
            key: object.key,
            records: object.end - object.start,
            errorName: (error as Error).name,
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
    },
  };
}
