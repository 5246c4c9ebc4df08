/**
 * Records that hold lines. Log shippers often put several newline-separated lines in one Firehose record, so a
 * record is read as lines:
 * - the record must be UTF-8 (checked strictly: a malformed sequence rejects the record rather than becoming
 *   U+FFFD);
 * - lines end with LF or CRLF; the terminator of the last line is optional (`a\nb` and `a\nb\n` are the same
 *   two lines);
 * - empty lines carry nothing and are skipped (`a\n\nb` is two lines); a record with no non-empty line at all is
 *   rejected as "empty record": ProcessingFailed rather than Dropped, because AWS's blueprints drop nothing
 *   silently and an empty record usually means a broken producer;
 * - every other line must parse; the first line that does not rejects the whole record with the line number and
 *   the parser's reason, so the record goes to the error prefix whole, with its original bytes: nothing is lost
 *   and nothing is half-delivered;
 * - the output is each line's output concatenated (the writers end each line themselves), in input order,
 *   written as UTF-8 into a {@link ByteWriter} line by line (so no record-sized string is ever built).
 *
 * @example
 * ```ts
 * const out = mapLines(decodeLines(bytes), (line) => syslogToJson(parseSyslogLine(line)) + '\n', writer);
 * ```
 */
import { assertUtf8, type ByteWriter } from './bytes';
import { LogParseError } from './errors';

// fatal: true makes malformed sequences throw instead of becoming U+FFFD, so bad bytes are rejected, not mangled.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A record's bytes as text; throws {@link LogParseError} ("record: data is not valid UTF-8"). */
export function decodeLines(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new LogParseError('record', 'data is not valid UTF-8');
  }
}

function located(error: unknown, lineNumber: number, single: boolean): unknown {
  if (!(error instanceof LogParseError) || single) return error;
  return error.atLine(lineNumber);
}

/**
 * Maps every non-empty line of `text` through `mapLine` and writes the results to `writer`; returns the record's
 * output (a view into the writer). Throws {@link LogParseError} for an empty record, and rethrows a line's
 * LogParseError located at its 1-based line number (counting empty lines) when the record holds more than one
 * line; nothing is kept in the writer then.
 */
export function mapLines(text: string, mapLine: (line: string) => string, writer: ByteWriter): Uint8Array {
  let lines = 0;
  let lineNumber = 0;
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    lineNumber++;
    const stop = end > start && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
    if (stop > start) {
      lines++;
      try {
        writer.text(mapLine(start === 0 && stop === n ? text : text.slice(start, stop)));
      } catch (error) {
        writer.discard();
        throw located(error, lineNumber, start === 0 && end >= n - 1);
      }
    }
    start = end + 1;
  }
  if (lines === 0) throw new LogParseError('record', 'empty record');
  return writer.finish();
}

/**
 * The byte form of {@link mapLines}: checks that `bytes` is UTF-8, then calls `visit(start, end)` with the byte
 * range of every non-empty line (terminator excluded), with the same empty-record and line-number rules.
 */
export function forEachLine(bytes: Uint8Array, visit: (start: number, end: number) => void): void {
  assertUtf8(bytes);
  forEachLineIn(bytes, 0, bytes.length, visit);
}

/** {@link forEachLine} over the record at bytes[from, to), whose UTF-8 the caller has checked. */
export function forEachLineIn(
  bytes: Uint8Array,
  from: number,
  to: number,
  visit: (start: number, end: number) => void,
): void {
  let lines = 0;
  let lineNumber = 0;
  let start = from;
  while (start < to) {
    // Searched by hand, not with indexOf: the record may lie in a larger buffer, and a search that ran on past
    // `to` (to the next newline of some later record) would make a batch of newline-less records quadratic.
    let end = start;
    while (end < to && bytes[end] !== 0x0a) end++;
    lineNumber++;
    const stop = end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
    if (stop > start) {
      lines++;
      try {
        visit(start, stop);
      } catch (error) {
        throw located(error, lineNumber, start === from && end >= to - 1);
      }
    }
    start = end + 1;
  }
  if (lines === 0) throw new LogParseError('record', 'empty record');
}
