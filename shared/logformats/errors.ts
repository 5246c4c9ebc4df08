import { SafeMessageError } from '../middleware/errors';

/**
 * The error every parser in shared/logformats throws for a line it cannot read. The message names the format,
 * the 1-based column and what was expected there, never the line's content, so it can be logged as is:
 * `apache: expected '[' at column 42`.
 *
 * @example
 * ```ts
 * try {
 *   parseApacheLine(line);
 * } catch (error) {
 *   if (error instanceof LogParseError) logger.warn('Unparseable line', { reason: error.message });
 * }
 * ```
 */
export class LogParseError extends SafeMessageError {
  override readonly name = 'LogParseError';
  constructor(
    /** Which parser: 'apache', 'syslog', or 'record' for record-level problems (empty, not UTF-8). */
    readonly format: string,
    /** What went wrong, without payload text. */
    readonly problem: string,
    /** 1-based column of the problem in its line, when there is one. */
    readonly column?: number,
    /** 1-based line number in the record, when the record holds several lines. */
    readonly line?: number,
  ) {
    // A line that does not parse is bad data, not a defect: its stack says nothing, and capturing one costs far more
    // than parsing the line (~20x, measured on a batch of syslog lines), which every bad line in a batch would pay.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(
      `${format}: ${line === undefined ? '' : `line ${line}: `}${problem}${column === undefined ? '' : ` at column ${column}`}`,
    );
    Error.stackTraceLimit = stackTraceLimit;
  }

  /** The same error, located at `line` of a multi-line record. */
  atLine(line: number): LogParseError {
    return new LogParseError(this.format, this.problem, this.column, line);
  }
}
