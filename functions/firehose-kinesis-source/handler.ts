/**
 * firehose-kinesis-source: for a delivery stream that reads from a Kinesis data stream. Uses each record's
 * `kinesisRecordMetadata` (shard, sequence, subsequence, partition key), de-aggregates KPL blobs that still
 * arrive aggregated, and writes newline-delimited JSON (or text), optionally with the coordinates on every
 * line. See README.md.
 */
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { onOverflowFor, processFirehoseEvent } from '../../shared/firehose';
import { kitHandler } from '../../shared/middleware';
import { config } from './config';
import { transformKinesisSourced } from './transform';

async function processKinesisSourced(
  event: FirehoseTransformationEvent,
  context: Context,
): Promise<FirehoseTransformationResult> {
  const settings = config();
  return processFirehoseEvent(event, (record) => transformKinesisSourced(record, settings), {
    lambdaContext: context,
    // Re-ingestion puts the ORIGINAL record back into the source stream (same partition key): it comes
    // back in a later, smaller batch. Only useful when batches, not single records, overflow.
    onOverflow: onOverflowFor(settings.overflow),
  });
}

export const handler = kitHandler(processKinesisSourced, { config });
