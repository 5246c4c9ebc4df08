/**
 * firehose-apache-log-to-csv: Apache access-log lines (common or combined format) -> RFC 4180 CSV, one CSV
 * record per line. Columns: AWS's blueprint's seven (host, ident, authuser, datetime, request, response, bytes)
 * then timestamp_utc, timezone, verb, path, protocol, referrer, agent. A record whose bytes are not UTF-8, that is
 * empty, or that has a line that does not parse is answered ProcessingFailed with its original data and the
 * reason logged. See README.md.
 */
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { onOverflowFor, processFirehoseBytes, type RecordBytes } from '../../shared/firehose';
import { type ByteWriter, notUtf8, writeApacheCsv } from '../../shared/logformats';
import { kitHandler } from '../../shared/middleware';
import { type ApacheLogToCsvConfig, config } from './config';

/** One record to CSV, appended to `out` (the runner's writer; see firehose-apache-log-to-json). */
export function transformRecord(
  record: RecordBytes,
  out: ByteWriter,
  settings: Pick<ApacheLogToCsvConfig, 'lineEnding'>,
): void {
  // A line that does not parse throws LogParseError: the runner answers the record ProcessingFailed with its
  // original data and logs the error's message (written without payload) as the reason.
  if (!record.utf8) throw notUtf8();
  writeApacheCsv(record.bytes, record.start, record.end, out, settings.lineEnding);
}

function apacheLogToCsv(
  event: FirehoseTransformationEvent,
  context: Context,
): Promise<FirehoseTransformationResult> {
  const settings = config();
  return processFirehoseBytes(event, (record, out) => transformRecord(record, out, settings), {
    lambdaContext: context,
    // OVERFLOW=reingest: CSV that does not fit in the response goes back as the original lines (README).
    onOverflow: onOverflowFor(settings.overflow),
  });
}

export const handler = kitHandler(apacheLogToCsv, { config });
