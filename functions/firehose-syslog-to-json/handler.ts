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
  type FirehoseInputRecord,
  ok,
  processFirehoseEvent,
  type TransformOutcome,
} from '../../shared/firehose';
import { type ByteWriter, syslogRecordToJson, withWriter } from '../../shared/logformats';
import { kitHandler } from '../../shared/middleware';

/** One record to NDJSON bytes written into `writer` (the output is a view into it). */
export function transformRecord(record: FirehoseInputRecord, writer: ByteWriter): TransformOutcome {
  // A line that does not parse throws LogParseError: the runner answers the record ProcessingFailed with its
  // original data and logs the error's message (written without payload) as the reason.
  return ok(syslogRecordToJson(record.data, writer, { referenceTime: record.approximateArrivalTimestamp }));
}

async function syslogToJson(
  event: FirehoseTransformationEvent,
  context: Context,
): Promise<FirehoseTransformationResult> {
  return withWriter((writer) =>
    processFirehoseEvent(event, (record) => transformRecord(record, writer), { lambdaContext: context }),
  );
}

export const handler = kitHandler(syslogToJson);
