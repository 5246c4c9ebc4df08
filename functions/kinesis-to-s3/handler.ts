/**
 * kinesis-to-s3: a Kinesis stream consumer that de-aggregates KPL records and writes each batch to S3 as
 * newline-delimited JSON (gzip by default), reporting partial batch failures. See README.md.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { processKinesisEvent, type StreamConsumer } from '../../shared/kinesis/runner';
import { kitHandler } from '../../shared/middleware';
import { createS3DeadLetterSink } from '../../shared/sinks/s3-dead-letter';
import { createS3NdjsonSink, type NdjsonLine } from '../../shared/sinks/s3-ndjson';
import { config } from './config';
import { toNdjsonOutput } from './transform';

type Settings = ReturnType<typeof config>;

// Built once per configuration (the config getter caches its object), not per invocation.
let consumer: { settings: Settings; value: StreamConsumer<Settings['format'], NdjsonLine> } | undefined;

function consumerFor(settings: Settings): StreamConsumer<Settings['format'], NdjsonLine> {
  if (consumer?.settings !== settings) {
    const encryption = { sse: settings.sse, kmsKeyId: settings.kmsKeyId };
    consumer = {
      settings,
      value: {
        format: settings.format,
        transform: (record) => toNdjsonOutput(record, settings),
        sink: createS3NdjsonSink({
          bucket: settings.bucket,
          prefix: settings.prefix,
          keyTemplate: settings.keyTemplate,
          compression: settings.compression,
          gzipLevel: settings.gzipLevel,
          zstdLevel: settings.zstdLevel,
          maxObjectBytes: settings.maxObjectBytes,
          ...encryption,
        }),
        deadLetter: createS3DeadLetterSink({
          bucket: settings.bucket,
          prefix: settings.deadLetterPrefix,
          ...encryption,
        }),
      },
    };
  }
  return consumer.value;
}

async function kinesisToS3(event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> {
  const settings = config();
  const { response } = await processKinesisEvent(event, consumerFor(settings), {
    remainingTimeMs: () => context.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
    deadlineMarginMs: settings.deadlineMarginMs,
  });
  return response;
}

export const handler = kitHandler(kinesisToS3, { config });
