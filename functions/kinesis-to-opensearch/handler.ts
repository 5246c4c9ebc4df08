/**
 * kinesis-to-opensearch: a Kinesis stream consumer that de-aggregates KPL records and indexes each JSON record
 * into OpenSearch with the `_bulk` API (SigV4-signed), under a deterministic `_id`, reporting partial batch
 * failures; documents OpenSearch refuses for good are dead-lettered to S3 with its reason. See README.md.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { processKinesisEvent, type StreamConsumer } from '../../shared/kinesis/runner';
import { kitHandler } from '../../shared/middleware';
import { type BulkDocument, createOpenSearchSink } from '../../shared/sinks/opensearch';
import { createS3DeadLetterSink } from '../../shared/sinks/s3-dead-letter';
import { config } from './config';
import { toBulkDocument } from './transform';

type Settings = ReturnType<typeof config>;

// Built once per configuration (the config getter caches its object), not per invocation: the client and its
// keep-alive connections are reused across invocations.
let consumer: { settings: Settings; value: StreamConsumer<'json', BulkDocument> } | undefined;

function consumerFor(settings: Settings): StreamConsumer<'json', BulkDocument> {
  if (consumer?.settings !== settings) {
    consumer = {
      settings,
      value: {
        format: 'json',
        transform: (record) => toBulkDocument(record, settings),
        sink: createOpenSearchSink({
          endpoint: settings.endpoint,
          region: settings.region,
          service: settings.service,
          maxBulkBytes: settings.maxBulkBytes,
          maxBulkActions: settings.maxBulkActions,
          concurrency: settings.concurrency,
        }),
        deadLetter: createS3DeadLetterSink({
          bucket: settings.deadLetterBucket,
          prefix: settings.deadLetterPrefix,
        }),
      },
    };
  }
  return consumer.value;
}

async function kinesisToOpenSearch(
  event: KinesisStreamEvent,
  context: Context,
): Promise<KinesisStreamBatchResponse> {
  const settings = config();
  const { response } = await processKinesisEvent(event, consumerFor(settings), {
    remainingTimeMs: () => context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
    deadlineMarginMs: settings.deadlineMarginMs,
  });
  return response;
}

export const handler = kitHandler(kinesisToOpenSearch, { config });
