/**
 * Dead-letter location in S3: one NDJSON object per batch that had poison records, under its own prefix, with
 * each record's reason, coordinates and original bytes (base64). Keys are deterministic (first and last
 * coordinates), so a re-delivered batch overwrites its dead-letter object rather than adding another.
 *
 * Each line: {"errorName","reason","stream","shardId","sequenceNumber","subSequenceNumber","partitionKey",
 * "approximateArrivalTimestamp","dataBase64"} — or "rawData" (the event's string as received) when the
 * record's data was not even valid base64.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../aws/clients';
import type { DeadLetterEntry, DeadLetterSink } from '../kinesis/types';
import { compileKeyTemplate } from './key-template';
import { type ServerSideEncryption, sseParameters } from './s3-ndjson';

export interface S3DeadLetterOptions {
  bucket: string;
  prefix: string;
  sse?: ServerSideEncryption;
  kmsKeyId?: string;
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
  return {
    async write(entries) {
      if (entries.length === 0) return;
      const body = `${entries.map(deadLetterLine).join('\n')}\n`;
      const key = keyOf({
        prefix: options.prefix,
        ext: '',
        first: entries[0]!.coordinates,
        last: entries.at(-1)!.coordinates,
      });
      await (options.client ?? s3Client()).send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/x-ndjson',
          ...sseParameters(options.sse, options.kmsKeyId),
          Metadata: { 'record-count': String(entries.length) },
        }),
      );
    },
  };
}
