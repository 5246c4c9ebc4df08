/**
 * firehose-process-record: the general Firehose transformation template. As shipped it passes every record
 * through unchanged (optionally newline-terminated); put your logic in `transformRecord` below. The shared
 * runner does the rest: every recordId answered once and in order, a throw becomes ProcessingFailed with the
 * original data, and the response stays under 6,000,000 bytes. See README.md.
 */
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import {
  decodeUtf8,
  type FirehoseInputRecord,
  ok,
  onOverflowFor,
  processFirehoseEvent,
  type TransformOutcome,
} from '../../shared/firehose';
import { kitHandler } from '../../shared/middleware';
import { config, type ProcessRecordConfig } from './config';

const NEWLINE = 0x0a;

/**
 * ==== YOUR TRANSFORM HERE ====================================================================================
 * Called once per record with its decoded bytes (`record.data`) and, when the delivery stream reads from a
 * Kinesis stream, `record.kinesisRecordMetadata`. Return:
 *   ok(dataOrText, partitionKeys?)  deliver (partition keys feed dynamic partitioning),
 *   dropped()                       skip on purpose,
 *   processingFailed(reason)        send the original to the error prefix (or throw RecordRejectedError).
 * Anything thrown is caught: the record is answered ProcessingFailed with its original data and the reason is
 * logged without the payload. Use decodeUtf8 / parseJsonRecord for strict decoding.
 * =============================================================================================================
 */
export function transformRecord(
  record: FirehoseInputRecord,
  settings: ProcessRecordConfig,
): TransformOutcome {
  if (!settings.ensureNewline || record.data.at(-1) === NEWLINE) return ok(record.data);
  if (record.data.byteLength === 0) return ok(record.data);
  // Validates the text so binary payloads are not silently given a newline.
  return ok(`${decodeUtf8(record.data)}\n`);
}

async function processRecord(
  event: FirehoseTransformationEvent,
  context: Context,
): Promise<FirehoseTransformationResult> {
  const settings = config();
  return processFirehoseEvent(event, (record) => transformRecord(record, settings), {
    lambdaContext: context,
    // OVERFLOW=reingest: an output that does not fit in the response goes back into the delivery stream (README).
    onOverflow: onOverflowFor(settings.overflow),
  });
}

export const handler = kitHandler(processRecord, { config });
