/** firehose-process-record configuration: environment variables, validated at cold start (see README.md). */
import { defineConfig } from '../../shared/middleware/config';

export const config = defineConfig((env) => ({
  // Firehose concatenates records as they are; a newline after each keeps the S3 objects line-delimited.
  ensureNewline: env.bool('ENSURE_NEWLINE', false),
}));

export type ProcessRecordConfig = ReturnType<typeof config>;
