/**
 * An RFC 4180 CSV writer (https://www.rfc-editor.org/rfc/rfc4180).
 * - A field containing a comma, a double quote, CR or LF is enclosed in double quotes, and each double quote
 *   inside it is doubled (`say "hi"` -> `"say ""hi"""`). Other fields are written as they are.
 * - A missing value (null) is an empty field; an empty string is `""`, so the two stay distinguishable.
 *   Never the text "undefined" or "null" (AWS's Node syslog-to-CSV blueprint writes "undefined").
 * - Records end with LF by default. RFC 4180 says CRLF, but Firehose concatenates records into S3 objects that
 *   Athena/Glue (OpenCSVSerde, LazySimpleSerDe) and Redshift COPY read line by line with either ending, and AWS's
 *   own blueprints write LF. Pass '\r\n' for strict RFC 4180 consumers. There is no header row: Firehose
 *   concatenates records, so a header per record would repeat through the object; column orders are documented
 *   next to each writer.
 *
 * @example
 * ```ts
 * csvRecord(['a', 'b,c', null, 'say "hi"']); // 'a,"b,c",,"say ""hi"""\n'
 * ```
 */

export type CsvLineEnding = '\n' | '\r\n';

/** One CSV field: quoted only when it must be. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  if (value === '') return '""';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // , " CR LF
    if (c === 0x2c || c === 0x22 || c === 0x0d || c === 0x0a) return '"' + value.replaceAll('"', '""') + '"';
  }
  return value;
}

/** One CSV record: the fields joined by commas, then the line ending. */
export function csvRecord(
  fields: readonly (string | number | null)[],
  lineEnding: CsvLineEnding = '\n',
): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += ',';
    out += csvField(fields[i]!);
  }
  return out + lineEnding;
}
