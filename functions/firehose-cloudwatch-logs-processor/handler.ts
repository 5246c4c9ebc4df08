/**
 * firehose-cloudwatch-logs-processor: CloudWatch Logs subscription data (gzip JSON) -> one line per log event.
 * CONTROL_MESSAGE -> Dropped; DATA_MESSAGE -> newline-terminated messages (or JSON lines); a bad or oversized
 * (gzip bomb) payload -> ProcessingFailed. Outputs that do not fit in the 6,000,000-byte response are split into
 * smaller CloudWatch-Logs-shaped gzip records and re-ingested into the delivery stream (PutRecordBatch) or, when
 * the source is a Kinesis stream, into that stream (PutRecords); they are transformed on a later invocation.
 *
 * Duplicates (read this before relying on exactly-once): see README.md "Re-ingestion and duplicates".
 */
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { processFirehoseEvent, type ReingestHook, reingestHook, targetFor } from '../../shared/firehose';
import { kitHandler } from '../../shared/middleware';
import { decodeCloudWatchLogs, rewrap, transformCloudWatchLogs } from './cloudwatch-logs';
import { type CloudWatchLogsProcessorConfig, config } from './config';

// Room for the Kinesis partition key (at most 256 characters) inside the per-record limit.
const PARTITION_KEY_ROOM = 1024;

function overflowHook(settings: CloudWatchLogsProcessorConfig): ReingestHook {
  return reingestHook({
    target: targetFor,
    toEntries: ({ record }, limits) =>
      rewrap(
        decodeCloudWatchLogs(record.data, settings.maxDecompressedBytes),
        settings.reingestChunkBytes,
        limits.maxBytesPerRecord - PARTITION_KEY_ROOM,
        settings.outputFormat,
      ),
  });
}

async function processCloudWatchLogs(
  event: FirehoseTransformationEvent,
  context: Context,
): Promise<FirehoseTransformationResult> {
  const settings = config();
  const budget = { remaining: settings.maxInvocationDecompressedBytes };
  return processFirehoseEvent(event, (record) => transformCloudWatchLogs(record, settings, budget), {
    lambdaContext: context,
    onOverflow: settings.overflow === 'reingest' ? overflowHook(settings) : 'processing-failed',
  });
}

export const handler = kitHandler(processCloudWatchLogs, { config });
