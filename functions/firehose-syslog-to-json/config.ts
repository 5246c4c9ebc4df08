/** firehose-syslog-to-json configuration: environment variables, validated at cold start (see README.md). */
import { defineConfig } from '../../shared/middleware/config';

export const config = defineConfig((env) => ({
  /**
   * `reingest`: outputs that do not fit in the response are put back, in their original form, into the delivery
   * stream (or its source Kinesis stream) and answered Dropped; `processing-failed`: they go to the error prefix.
   */
  overflow: env.oneOf('OVERFLOW', ['processing-failed', 'reingest'] as const, 'processing-failed'),
}));

export type SyslogToJsonConfig = ReturnType<typeof config>;
