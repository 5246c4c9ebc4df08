/**
 * firehose-apache-log-to-csv: Apache access-log lines (common or combined format) -> RFC 4180 CSV, one CSV
 * record per line. Columns: AWS's blueprint's seven (host, ident, authuser, datetime, request, response, bytes)
 * then timestamp_utc, timezone, verb, path, protocol, referrer, agent. A record whose bytes are not UTF-8, that is
 * empty, or that has a line that does not parse is answered ProcessingFailed with its original data and the
 * reason logged. See README.md.
 */
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import {
  onOverflowFor,
  type ProcessOptions,
  processFirehoseBytes,
  type RecordBytes,
} from '../../shared/firehose';
import { type ByteWriter, notUtf8, writeApacheCsv } from '../../shared/logformats';
import { kitHandler } from '../../shared/middleware';
import { type ApacheLogToCsvConfig, config } from './config';

/**
 * One record to CSV, appended to `out` (the runner's writer). It reads the record's bytes where the runner decoded
 * them and writes straight into the runner's writer, as firehose-apache-log-to-json does. A line that does not parse
 * throws LogParseError: the runner answers the record ProcessingFailed with its original data and logs the error's
 * message (written without payload) as the reason.
 */
export function transformRecord(
  record: RecordBytes,
  out: ByteWriter,
  settings: Pick<ApacheLogToCsvConfig, 'lineEnding'>,
): void {
  if (!record.utf8) throw notUtf8();
  writeApacheCsv(record.bytes, record.start, record.end, out, settings.lineEnding);
}

/**
 * One invocation's work, as the handler does it (without the middy/Powertools wrapper around it), with the line
 * ending of the configuration (CSV_LINE_ENDING). `options` override the runner's (the benchmark lifts the
 * response-size guard with them).
 */
export function apacheLogToCsv(
  event: FirehoseTransformationEvent,
  context?: Context,
  options: ProcessOptions = {},
): Promise<FirehoseTransformationResult> {
  const settings = config();
  return processFirehoseBytes(event, (record, out) => transformRecord(record, out, settings), {
    ...(context && { lambdaContext: context }),
    ...options,
  });
}

// OVERFLOW=reingest: CSV that does not fit in the response goes back as the original lines (README).
export const handler = kitHandler(
  (event: FirehoseTransformationEvent, context: Context) =>
    apacheLogToCsv(event, context, { onOverflow: onOverflowFor(config().overflow) }),
  { config },
);
