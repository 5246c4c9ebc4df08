/**
 * firehose-apache-log-to-csv: Apache access-log lines (common or combined format) -> RFC 4180 CSV, one CSV
 * record per line. Columns: AWS's blueprint's seven (host, ident, authuser, datetime, request, response, bytes)
 * then timestamp_utc, timezone, verb, path, protocol, referrer, agent. A record whose bytes are not UTF-8, that is
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
import { apacheRecordToCsv, type ByteWriter, withWriter } from '../../shared/logformats';
import { kitHandler } from '../../shared/middleware';
import { type ApacheLogToCsvConfig, config } from './config';

/** One record to CSV bytes written into `writer` (the output is a view into it). */
export function transformRecord(
  record: FirehoseInputRecord,
  writer: ByteWriter,
  settings: ApacheLogToCsvConfig,
): TransformOutcome {
  // A line that does not parse throws LogParseError: the runner answers the record ProcessingFailed with its
  // original data and logs the error's message (written without payload) as the reason.
  return ok(apacheRecordToCsv(record.data, writer, settings.lineEnding));
}

async function apacheLogToCsv(
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

export const handler = kitHandler(apacheLogToCsv, { config });
