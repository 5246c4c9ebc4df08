/**
 * firehose-syslog-to-csv: syslog lines (RFC 3164 or RFC 5424) -> RFC 4180 CSV, one CSV record per line.
 * Columns: AWS's blueprint's five (timestamp, hostname, program, processid, message) then timestamp_utc, format,
 * priority, facility, facility_name, severity, severity_name, version, msgid, structured_data. A missing value is
 * an empty field, never the text "undefined" (AWS's Node blueprint). A record whose bytes are not UTF-8, that is
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
import { type ByteWriter, notUtf8, writeSyslogCsv } from '../../shared/logformats';
import { kitHandler } from '../../shared/middleware';
import { config, type SyslogToCsvConfig } from './config';

/**
 * One record to CSV, appended to `out` (see firehose-syslog-to-json's transformRecord). A line that does not parse
 * throws LogParseError: the runner answers the record ProcessingFailed with its original data and logs the reason.
 */
export function transformRecord(
  record: RecordBytes,
  out: ByteWriter,
  settings: Pick<SyslogToCsvConfig, 'lineEnding'>,
): void {
  if (!record.utf8) throw notUtf8();
  writeSyslogCsv(
    record.bytes,
    record.start,
    record.end,
    out,
    { referenceTime: record.approximateArrivalTimestamp },
    settings.lineEnding,
  );
}

/**
 * One invocation's work, as the handler does it (without the middy/Powertools wrapper around it). `options`
 * override the runner's (the benchmark lifts the response-size guard with them); `settings` default to the
 * environment's (config()).
 */
export function syslogToCsv(
  event: FirehoseTransformationEvent,
  context?: Context,
  options: ProcessOptions = {},
  settings: Pick<SyslogToCsvConfig, 'lineEnding'> = config(),
): Promise<FirehoseTransformationResult> {
  return processFirehoseBytes(event, (record, out) => transformRecord(record, out, settings), {
    ...(context && { lambdaContext: context }),
    ...options,
  });
}

// OVERFLOW=reingest: CSV that does not fit in the response goes back as the original lines (README).
export const handler = kitHandler(
  (event: FirehoseTransformationEvent, context: Context) =>
    syslogToCsv(event, context, { onOverflow: onOverflowFor(config().overflow) }),
  { config },
);
