/**
 * kinesis-to-s3: a Kinesis stream consumer that de-aggregates KPL records and writes each batch to S3 as
 * newline-delimited JSON (gzip by default), reporting partial batch failures. See README.md.
 */
import { consumerHandler } from '../../shared/kinesis/consumer-handler';
import type { StreamConsumer } from '../../shared/kinesis/runner';
import { kitHandler } from '../../shared/middleware';
import { createS3DeadLetterSink } from '../../shared/sinks/s3-dead-letter';
import { createS3NdjsonSink, type NdjsonLine } from '../../shared/sinks/s3-ndjson';
import { config } from './config';
import { toNdjsonOutput } from './transform';

type Settings = ReturnType<typeof config>;

function buildConsumer(settings: Settings): StreamConsumer<Settings['format'], NdjsonLine> {
  const encryption = { sse: settings.sse, kmsKeyId: settings.kmsKeyId };
  return {
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
  };
}

// Built once per configuration, not per invocation.
export const handler = kitHandler(consumerHandler(config, buildConsumer), { config });
