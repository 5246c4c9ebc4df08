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
  type FirehoseInputRecord,
  ok,
  processFirehoseEvent,
  type TransformOutcome,
} from '../../shared/firehose';
import { type ByteWriter, syslogRecordToCsv, withWriter } from '../../shared/logformats';
import { kitHandler } from '../../shared/middleware';
import { config, type SyslogToCsvConfig } from './config';

export function transformRecord(
  record: FirehoseInputRecord,
  writer: ByteWriter,
  settings: SyslogToCsvConfig,
): TransformOutcome {
  const options = { referenceTime: record.approximateArrivalTimestamp };
  // A line that does not parse throws LogParseError: the runner answers the record ProcessingFailed with its
  // original data and logs the error's message (written without payload) as the reason.
  return ok(syslogRecordToCsv(record.data, writer, options, settings.lineEnding));
}

async function syslogToCsv(
  event: FirehoseTransformationEvent,
  context: Context,
): Promise<FirehoseTransformationResult> {
  const settings = config();
  return withWriter((writer) =>
    processFirehoseEvent(event, (record) => transformRecord(record, writer, settings), {
      lambdaContext: context,
    }),
  );
}

export const handler = kitHandler(syslogToCsv, { config });
