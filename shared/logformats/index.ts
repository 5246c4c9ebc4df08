/**
 * Log-line parsers and writers shared by the Firehose log blueprints: Apache access logs, syslog (RFC 3164 and
 * RFC 5424), RFC 4180 CSV and hand-built JSON. Every parser is a linear-time, index-based scanner that throws
 * {@link LogParseError} (format, column, reason; never payload text) for a line it cannot read.
 *
 * @example
 * ```ts
 * const writer = new ByteWriter();
 * const ndjson = apacheRecordToJson(recordBytes, writer); // Uint8Array, one JSON object per line
 * ```
 */
export {
  APACHE_CSV_COLUMNS,
  APACHE_JSON_KEYS,
  type ApacheLogEntry,
  apacheRecordToCsv,
  apacheRecordToJson,
  apacheToCsv,
  apacheToJson,
  parseApacheLine,
  writeApacheCsv,
  writeApacheJson,
} from './apache';
export { ByteWriter, notUtf8, withWriter } from './bytes';
export { type CsvLineEnding, csvField, csvRecord } from './csv';
export { LogParseError } from './errors';
export { jsonString, jsonStringOrNull } from './json';
export { decodeLines, forEachLine, forEachLineIn, mapLines } from './lines';
export {
  parseSyslogLine,
  SYSLOG_CSV_COLUMNS,
  SYSLOG_FACILITIES,
  SYSLOG_JSON_KEYS,
  SYSLOG_SEVERITIES,
  type SyslogEntry,
  type SyslogParseOptions,
  type SyslogSdElement,
  syslogRecordToCsv,
  syslogRecordToJson,
  syslogToCsv,
  syslogToJson,
  writeSyslogCsv,
  writeSyslogJson,
} from './syslog';
