/**
 * firehose-apache-log-to-json: Apache access-log lines (common or combined format) -> newline-delimited JSON,
 * one object per line, with AWS's blueprint field names (host, ident, authuser, request, response, bytes, verb,
 * @timestamp, timezone, @timestamp_utc) plus path, protocol, referrer and agent. A record whose bytes
 * are not UTF-8, that is empty, or that has a line that does not parse is answered ProcessingFailed with its
 * original data and the reason logged (`apache: line 2: expected '[' at column 17`). See README.md.
 */
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import {
  onOverflowFor,
  type ProcessOptions,
  processFirehoseBytes,
  type RecordBytes,
} from '../../shared/firehose';
import { type ByteWriter, notUtf8, writeApacheJson } from '../../shared/logformats';
import { kitHandler } from '../../shared/middleware';
import { config } from './config';

/**
 * One record to NDJSON, appended to `out`. It reads the record's bytes where the runner decoded them and writes
 * straight into the runner's writer: nothing is allocated per record. A line that does not parse throws
 * LogParseError: the runner answers the record ProcessingFailed with its original data and logs the error's
 * message (written without payload) as the reason.
 */
export function transformRecord(record: RecordBytes, out: ByteWriter): void {
  if (!record.utf8) throw notUtf8();
  writeApacheJson(record.bytes, record.start, record.end, out);
}

/**
 * One invocation's work, as the handler does it (without the middy/Powertools wrapper around it). `options`
 * override the runner's (the benchmark lifts the response-size guard with them).
 */
export function apacheLogToJson(
  event: FirehoseTransformationEvent,
  context?: Context,
  options: ProcessOptions = {},
): Promise<FirehoseTransformationResult> {
  return processFirehoseBytes(event, transformRecord, {
    ...(context && { lambdaContext: context }),
    ...options,
  });
}

// OVERFLOW=reingest: JSON that does not fit in the response goes back as the original lines (README).
export const handler = kitHandler(
  (event: FirehoseTransformationEvent, context: Context) =>
    apacheLogToJson(event, context, { onOverflow: onOverflowFor(config().overflow) }),
  { config },
);
