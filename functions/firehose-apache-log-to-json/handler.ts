/**
 * firehose-apache-log-to-json: Apache access-log lines (common or combined format) -> newline-delimited JSON,
 * one object per line, with AWS's blueprint field names (host, ident, authuser, request, response, bytes, verb,
 * @timestamp, timezone, @timestamp_utc) plus datetime, path, protocol, referrer and agent. A record whose bytes
 * are not UTF-8, that is empty, or that has a line that does not parse is answered ProcessingFailed with its
 * original data and the reason logged (`apache: line 2: expected '[' at column 17`). See README.md.
 */
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import {
  type FirehoseInputRecord,
  ok,
  type ProcessOptions,
  processFirehoseEvent,
  type TransformOutcome,
} from '../../shared/firehose';
import { apacheRecordToJson, type ByteWriter, withWriter } from '../../shared/logformats';
import { kitHandler } from '../../shared/middleware';

/** One record to NDJSON bytes written into `writer` (the output is a view into it). */
export function transformRecord(record: FirehoseInputRecord, writer: ByteWriter): TransformOutcome {
  // A line that does not parse throws LogParseError: the runner answers the record ProcessingFailed with its
  // original data and logs the error's message (written without payload) as the reason.
  return ok(apacheRecordToJson(record.data, writer));
}

/**
 * One invocation's work, as the handler does it (without the middy/Powertools wrapper around it). `options`
 * override the runner's (the benchmark lifts the response-size guard with them).
 */
export async function apacheLogToJson(
  event: FirehoseTransformationEvent,
  context?: Context,
  options: ProcessOptions = {},
): Promise<FirehoseTransformationResult> {
  return withWriter((writer) =>
    processFirehoseEvent(event, (record) => transformRecord(record, writer), {
      ...(context && { lambdaContext: context }),
      ...options,
    }),
  );
}

export const handler = kitHandler((event: FirehoseTransformationEvent, context: Context) =>
  apacheLogToJson(event, context),
);
