/**
 * Decoding helpers for transforms. They throw {@link RecordRejectedError} subclasses whose messages never
 * quote the payload (V8's own JSON.parse messages do), so a transform can call them and let the runner turn a
 * bad record into ProcessingFailed.
 *
 * @example
 * ```ts
 * const transform: RecordTransform = (record) => {
 *   const event = parseJsonRecord(record.data); // throws InvalidUtf8Error / InvalidJsonError
 *   return ok(`${JSON.stringify(event)}\n`);
 * };
 * ```
 */
import { InvalidJsonError, InvalidUtf8Error } from './errors';

// fatal: true makes malformed sequences throw instead of becoming U+FFFD, so bad bytes are reported, not mangled.
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** UTF-8 bytes -> string; throws {@link InvalidUtf8Error} on any malformed sequence. A leading BOM is removed. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidUtf8Error();
  }
}

/** string -> UTF-8 bytes. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Parses a record holding one JSON document (surrounding whitespace and one trailing newline are fine).
 * Throws {@link InvalidUtf8Error} or {@link InvalidJsonError} ("empty record", "invalid JSON (SyntaxError)").
 */
export function parseJsonRecord(bytes: Uint8Array): unknown {
  return parseJsonText(decodeUtf8(bytes));
}

function parseJsonText(text: string): unknown {
  if (text.trim() === '') throw new InvalidJsonError('empty record: expected a JSON document');
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8's message quotes part of the input ("... "abc" is not valid JSON"): keep only where it failed.
    const position = /position (\d+)/.exec(String((error as Error).message))?.[1];
    throw new InvalidJsonError(`invalid JSON${position === undefined ? '' : ` at position ${position}`}`, {
      cause: error,
    });
  }
}

/**
 * One JSON document as a single line: the value, and the ORIGINAL text (trimmed) with its line breaks removed.
 * JSON allows raw CR/LF only as whitespace between tokens, so removing them changes nothing else: numbers
 * beyond 2^53 and string escapes stay byte for byte (re-serialising with JSON.stringify would not keep them).
 *
 * @example
 * ```ts
 * const { value, text } = parseJsonLine(record.data);
 * return ok(`${text}\n`);
 * ```
 */
export function parseJsonLine(bytes: Uint8Array): { value: unknown; text: string } {
  const text = decodeUtf8(bytes).trim();
  const value = parseJsonText(text);
  return { value, text: /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, '') : text };
}
