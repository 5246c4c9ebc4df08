/** firehose-syslog-to-csv configuration: environment variables, validated at cold start (see README.md). */
import type { CsvLineEnding } from '../../shared/logformats';
import { defineConfig } from '../../shared/middleware/config';

export const config = defineConfig((env): { lineEnding: CsvLineEnding } => ({
  /** LF by default (what Athena, Glue and Redshift COPY read, and what AWS's blueprints write); CRLF is RFC 4180's. */
  lineEnding: env.oneOf('CSV_LINE_ENDING', ['lf', 'crlf'] as const, 'lf') === 'crlf' ? '\r\n' : '\n',
}));

export type SyslogToCsvConfig = ReturnType<typeof config>;
