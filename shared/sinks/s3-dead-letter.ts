/**
 * Dead-letter location in S3: NDJSON objects under their own prefix, with each poison record's reason,
 * coordinates and original bytes (base64). A batch's entries are split into objects of at most
 * `maxObjectBytes` (a single larger line gets an object alone), so one hostile aggregate cannot build a string
 * larger than memory allows. Keys are deterministic (each object's first and last coordinates), so a
 * re-delivered batch overwrites its dead-letter objects rather than adding others.
 *
 * Each line: {"errorName","reason","stream","shardId","sequenceNumber","subSequenceNumber","partitionKey",
 * "approximateArrivalTimestamp","dataBase64"} — or "rawData" (the event's string as received) when the
 * record's data was not even valid base64.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { REQUEST_TIMEOUT_MS, s3Client } from '../aws/clients';
import type { DeadLetterEntry, DeadLetterSink } from '../kinesis/types';
import { mapWithConcurrency } from './concurrency';
import { compileKeyTemplate } from './key-template';
import { type ServerSideEncryption, sseParameters } from './s3-ndjson';

/** Default cap on one dead-letter object (bytes of NDJSON). */
export const DEFAULT_DEAD_LETTER_OBJECT_BYTES = 8 * 1024 * 1024;

export interface S3DeadLetterOptions {
  bucket: string;
  prefix: string;
  sse?: ServerSideEncryption;
  kmsKeyId?: string;
  /** Bytes of NDJSON per object before another starts. */
  maxObjectBytes?: number;
  client?: S3Client;
}

const keyOf = compileKeyTemplate(
  '{prefix}/{yyyy}/{MM}/{dd}/{HH}/{stream}-{shardId}-{firstSeq}-{lastSeq}.ndjson',
);

export function deadLetterLine(entry: DeadLetterEntry): string {
  const data =
    typeof entry.data === 'string'
      ? { rawData: entry.data }
      : {
          dataBase64: Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).toString(
            'base64',
          ),
        };
  return JSON.stringify({ errorName: entry.errorName, reason: entry.reason, ...entry.coordinates, ...data });
}

export function createS3DeadLetterSink(options: S3DeadLetterOptions): DeadLetterSink {
  const maxObjectBytes = options.maxObjectBytes ?? DEFAULT_DEAD_LETTER_OBJECT_BYTES;
  return {
    async write(entries, context) {
      if (entries.length === 0) return;
      // Plan objects line by line; each body is built only when its PutObject starts.
      const lines = entries.map((entry) => Buffer.from(`${deadLetterLine(entry)}\n`));
      const objects: Array<{ start: number; end: number }> = [];
      let start = 0;
      let bytes = 0;
      lines.forEach((line, i) => {
        if (i > start && bytes + line.length > maxObjectBytes) {
          objects.push({ start, end: i });
          start = i;
          bytes = 0;
        }
        bytes += line.length;
      });
      objects.push({ start, end: lines.length });
      await mapWithConcurrency(objects, 2, async ({ start, end }) => {
        if (context.signal?.aborted) throw context.signal.reason;
        const body = Buffer.concat(lines.slice(start, end));
        await (options.client ?? s3Client()).send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: keyOf({
              prefix: options.prefix,
              ext: '',
              first: entries[start]!.coordinates,
              last: entries[end - 1]!.coordinates,
            }),
            Body: body,
            ContentType: 'application/x-ndjson',
            ...sseParameters(options.sse, options.kmsKeyId),
            Metadata: { 'record-count': String(end - start) },
          }),
          {
            abortSignal: context.signal,
            requestTimeout: Math.max(REQUEST_TIMEOUT_MS, Math.ceil(body.length / 1_000)),
          },
        );
      });
    },
  };
}
