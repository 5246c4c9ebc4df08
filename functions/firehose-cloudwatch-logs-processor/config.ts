/** firehose-cloudwatch-logs-processor configuration: environment variables, validated at cold start (see README.md). */
import { defineConfig } from '../../shared/middleware/config';

export const config = defineConfig((env) => ({
  /** `message`: the log message per line; `json`: {logGroup, logStream, id, timestamp, message} per line. */
  outputFormat: env.oneOf('OUTPUT_FORMAT', ['message', 'json'] as const, 'message'),
  /** Gunzip cap per record: a record that inflates past it (a gzip bomb) is answered ProcessingFailed. */
  maxDecompressedBytes: env.int('MAX_DECOMPRESSED_BYTES', {
    default: 10 * 1024 * 1024,
    min: 1024,
    max: 256 * 1024 * 1024,
  }),
  /**
   * Gunzip cap across one invocation: every record's output is held until the response is returned, so this
   * bounds memory (about 3x it: text, lines, base64). Records past it are answered ProcessingFailed with their
   * original data (the error prefix keeps them). The default suits the stack's 1,024 MB and Firehose's 1 MB
   * buffer (~10-30 MB inflated) with room to spare.
   */
  maxInvocationDecompressedBytes: env.int('MAX_INVOCATION_DECOMPRESSED_BYTES', {
    default: 128 * 1024 * 1024,
    min: 1024 * 1024,
    max: 1024 * 1024 * 1024,
  }),
  /** `reingest`: outputs that do not fit in the response are split and put back; else ProcessingFailed. */
  overflow: env.oneOf('OVERFLOW', ['reingest', 'processing-failed'] as const, 'reingest'),
  /**
   * Upper bound of the uncompressed CloudWatch Logs JSON in one re-ingested record. 900,000 keeps its gzip
   * under the 1,000 KiB PutRecordBatch record limit even for incompressible messages, and its output small
   * enough to share a later response with other records.
   */
  reingestChunkBytes: env.int('REINGEST_CHUNK_BYTES', { default: 900_000, min: 10_000, max: 1_000_000 }),
}));

export type CloudWatchLogsProcessorConfig = ReturnType<typeof config>;
