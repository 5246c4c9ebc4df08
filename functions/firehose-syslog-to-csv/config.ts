/** firehose-syslog-to-csv configuration: environment variables, validated at cold start (see README.md). */
import type { OverflowMode } from '../../shared/firehose';
import type { CsvLineEnding } from '../../shared/logformats';
import { defineConfig } from '../../shared/middleware/config';

export const config = defineConfig((env): { lineEnding: CsvLineEnding; overflow: OverflowMode } => ({
  /** LF by default (what Athena, Glue and Redshift COPY read, and what AWS's blueprints write); CRLF is RFC 4180's. */
  lineEnding: env.oneOf('CSV_LINE_ENDING', ['lf', 'crlf'] as const, 'lf') === 'crlf' ? '\r\n' : '\n',
  /**
   * `reingest`: outputs that do not fit in the response are put back, in their original form, into the delivery
   * stream (or its source Kinesis stream) and answered Dropped; `processing-failed`: they go to the error prefix.
   */
  overflow: env.oneOf('OVERFLOW', ['processing-failed', 'reingest'] as const, 'processing-failed'),
}));

export type SyslogToCsvConfig = ReturnType<typeof config>;
