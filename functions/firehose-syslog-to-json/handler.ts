/**
 * firehose-syslog-to-json: syslog lines (RFC 3164 or RFC 5424) -> newline-delimited JSON, one object per line,
 * with AWS's blueprint field names (timestamp, hostname, program, processid, message) plus @timestamp, format,
 * priority, facility(_name), severity(_name), version, msgid and structured_data. RFC 3164 timestamps, which have
 * no year, take it from the record's arrival time. A record whose bytes are not UTF-8, that is empty, or that
 * has a line that does not parse is answered ProcessingFailed with its original data and the reason logged.
 * See README.md.
 */
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import {
  onOverflowFor,
  type ProcessOptions,
  processFirehoseBytes,
  type RecordBytes,
} from '../../shared/firehose';
import { type ByteWriter, notUtf8, writeSyslogJson } from '../../shared/logformats';
import { kitHandler } from '../../shared/middleware';
import { config } from './config';

/**
 * One record to NDJSON, appended to `out`: it reads the record's bytes where the runner decoded them and writes
 * straight into the runner's writer. A line that does not parse throws LogParseError: the runner answers the
 * record ProcessingFailed with its original data and logs the error's message (written without payload).
 */
export function transformRecord(record: RecordBytes, out: ByteWriter): void {
  if (!record.utf8) throw notUtf8();
  writeSyslogJson(record.bytes, record.start, record.end, out, {
    referenceTime: record.approximateArrivalTimestamp,
  });
}

/**
 * One invocation's work, as the handler does it (without the middy/Powertools wrapper around it). `options`
 * override the runner's (the benchmark lifts the response-size guard with them).
 */
export function syslogToJson(
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
    syslogToJson(event, context, { onOverflow: onOverflowFor(config().overflow) }),
  { config },
);
