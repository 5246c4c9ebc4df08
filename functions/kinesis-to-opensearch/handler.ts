/**
 * kinesis-to-opensearch: a Kinesis stream consumer that de-aggregates KPL records and indexes each JSON record
 * into OpenSearch with the `_bulk` API (SigV4-signed), under a deterministic `_id`, reporting partial batch
 * failures; documents OpenSearch refuses for good are dead-lettered to S3 with its reason. See README.md.
 */
import { consumerHandler } from '../../shared/kinesis/consumer-handler';
import type { StreamConsumer } from '../../shared/kinesis/runner';
import { kitHandler } from '../../shared/middleware';
import { type BulkDocument, createOpenSearchSink } from '../../shared/sinks/opensearch';
import { createS3DeadLetterSink } from '../../shared/sinks/s3-dead-letter';
import { config } from './config';
import { toBulkDocument } from './transform';

type Settings = ReturnType<typeof config>;

function buildConsumer(settings: Settings): StreamConsumer<'json', BulkDocument> {
  return {
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
  };
}

// Built once per configuration, not per invocation.
export const handler = kitHandler(consumerHandler(config, buildConsumer), { config });
