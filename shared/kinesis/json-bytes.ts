/**
 * JSON validity on bytes, without building a string or a value: `isJsonBytes(bytes)` answers exactly what
 * `JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes))` would (after dropping one
 * leading byte order mark, as the Kinesis runner does), in one linear pass and with no allocation for ordinary
 * records. A consumer that writes a record's original bytes (kinesis-to-s3's lossless NDJSON) needs only that
 * answer: decoding to a string and parsing into objects would be work and garbage thrown away.
 *
 * Agreement with `TextDecoder(fatal)` + `JSON.parse` is property-tested on random and mutated inputs
 * (test/unit/kinesis/json-bytes.test.ts). What JSON.parse accepts (ECMA-404 / RFC 8259 grammar): whitespace is
 * space, tab, LF and CR only; numbers `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; strings with no raw control
 * character below U+0020 and the escapes `\" \\ \/ \b \f \n \r \t \uXXXX` (a lone surrogate escape is allowed);
 * any nesting depth (V8's parser is iterative). UTF-8 is checked natively (`isUtf8`, the same strict rules as a
 * fatal TextDecoder: no overlong forms, no encoded surrogates, nothing above U+10FFFF), and only when a byte above
 * 0x7F occurs at all.
 *
 * @example
 * ```ts
 * isJsonBytes(Buffer.from('{"id": 12345678901234567890}')); // true
 * isJsonBytes(Buffer.from('{"id": 01}')); // false
 * ```
 */
import { isUtf8 } from 'node:buffer';

// Byte classes inside a string: 0 ordinary (including bytes >= 0x80, checked as UTF-8 separately), 1 the closing
// quote, 2 a backslash, 3 a raw control character (invalid).
const STRING_CLASS = new Uint8Array(256);
for (let byte = 0; byte < 0x20; byte++) STRING_CLASS[byte] = 3;
STRING_CLASS[0x22] = 1;
STRING_CLASS[0x5c] = 2;

// 1 for the four whitespace bytes JSON allows.
const SPACE = new Uint8Array(256);
SPACE[0x20] = SPACE[0x09] = SPACE[0x0a] = SPACE[0x0d] = 1;

// Valid bytes after a backslash: " \ / b f n r t (u is handled apart).
const ESCAPE = new Uint8Array(256);
for (const byte of [0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]) ESCAPE[byte] = 1;

const HEX = new Uint8Array(256);
for (let byte = 0x30; byte <= 0x39; byte++) HEX[byte] = 1;
for (let byte = 0x41; byte <= 0x46; byte++) HEX[byte] = HEX[byte + 0x20] = 1;

const OBJECT = 1;
const ARRAY = 2;
/** Open containers of the value being scanned; grows for deeply nested input. */
let stack = new Uint8Array(256);
/** Set by scanString: whether the string had a byte above 0x7F. */
let sawHigh = false;

/** End (exclusive) of the string whose opening quote is at `i`, or -1 when it is not a valid JSON string. */
function scanString(bytes: Uint8Array, i: number, end: number): number {
  i++;
  while (i < end) {
    const byte = bytes[i]!;
    const kind = STRING_CLASS[byte]!;
    if (kind === 0) {
      if (byte > 0x7f) sawHigh = true;
      i++;
    } else if (kind === 1) return i + 1;
    else if (kind === 2) {
      const escaped = bytes[i + 1];
      if (escaped === undefined) return -1;
      if (escaped === 0x75) {
        if (
          i + 5 >= end ||
          HEX[bytes[i + 2]!] === 0 ||
          HEX[bytes[i + 3]!] === 0 ||
          HEX[bytes[i + 4]!] === 0 ||
          HEX[bytes[i + 5]!] === 0
        ) {
          return -1;
        }
        i += 6;
      } else if (ESCAPE[escaped] === 1) i += 2;
      else return -1;
    } else return -1;
  }
  return -1;
}

/** End (exclusive) of the number starting at `i`, or -1 when it is not a valid JSON number. */
function scanNumber(bytes: Uint8Array, i: number, end: number): number {
  if (bytes[i] === 0x2d) i++;
  if (i >= end) return -1;
  let byte = bytes[i]!;
  if (byte === 0x30) i++;
  else if (byte >= 0x31 && byte <= 0x39) {
    i++;
    while (i < end && (byte = bytes[i]!) >= 0x30 && byte <= 0x39) i++;
  } else return -1;
  if (i < end && bytes[i] === 0x2e) {
    i++;
    const digits = i;
    while (i < end && (byte = bytes[i]!) >= 0x30 && byte <= 0x39) i++;
    if (i === digits) return -1;
  }
  if (i < end && (bytes[i]! | 0x20) === 0x65) {
    i++;
    if (i < end && (bytes[i] === 0x2b || bytes[i] === 0x2d)) i++;
    const digits = i;
    while (i < end && (byte = bytes[i]!) >= 0x30 && byte <= 0x39) i++;
    if (i === digits) return -1;
  }
  return i;
}

/** Whether `bytes[i..]` starts with the literal (true, false, null) given as its bytes. */
function hasLiteral(bytes: Uint8Array, i: number, end: number, literal: readonly number[]): boolean {
  if (end - i < literal.length) return false;
  for (let k = 1; k < literal.length; k++) if (bytes[i + k] !== literal[k]) return false;
  return true;
}
const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** Whether the value starting at `i` (no leading whitespace) and everything after it is valid; see module. */
function scanDocument(bytes: Uint8Array, i: number, end: number): boolean {
  let depth = 0;
  sawHigh = false;
  for (;;) {
    // A value is expected at i.
    while (i < end && SPACE[bytes[i]!] === 1) i++;
    if (i >= end) return false;
    const byte = bytes[i]!;
    if (byte === 0x22) {
      i = scanString(bytes, i, end);
      if (i < 0) return false;
    } else if (byte === 0x7b || byte === 0x5b) {
      i++;
      while (i < end && SPACE[bytes[i]!] === 1) i++;
      const close = byte + 2; // '}' is '{' + 2, ']' is '[' + 2
      if (i < end && bytes[i] === close) i++;
      else {
        if (depth === stack.length) {
          const grown = new Uint8Array(stack.length * 2);
          grown.set(stack);
          stack = grown;
        }
        stack[depth++] = byte === 0x7b ? OBJECT : ARRAY;
        if (byte === 0x7b) {
          i = scanKey(bytes, i, end);
          if (i < 0) return false;
        }
        continue;
      }
    } else if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) {
      i = scanNumber(bytes, i, end);
      if (i < 0) return false;
    } else if (byte === 0x74 && hasLiteral(bytes, i, end, TRUE)) i += 4;
    else if (byte === 0x66 && hasLiteral(bytes, i, end, FALSE)) i += 5;
    else if (byte === 0x6e && hasLiteral(bytes, i, end, NULL)) i += 4;
    else return false;

    // After a value: a separator, the close of its container(s), or the end of the document.
    for (;;) {
      while (i < end && SPACE[bytes[i]!] === 1) i++;
      if (depth === 0) return i === end && (!sawHigh || isUtf8(bytes));
      if (i >= end) return false;
      const next = bytes[i]!;
      const container = stack[depth - 1]!;
      if (next === 0x2c) {
        i++;
        if (container === OBJECT) {
          while (i < end && SPACE[bytes[i]!] === 1) i++;
          i = scanKey(bytes, i, end);
          if (i < 0) return false;
        }
        break;
      }
      if (next !== (container === OBJECT ? 0x7d : 0x5d)) return false;
      i++;
      depth--;
    }
  }
}

/** Scans `"key" :` at `i` (no leading whitespace); returns the position after the colon, or -1. */
function scanKey(bytes: Uint8Array, i: number, end: number): number {
  if (i >= end || bytes[i] !== 0x22) return -1;
  i = scanString(bytes, i, end);
  if (i < 0) return -1;
  while (i < end && SPACE[bytes[i]!] === 1) i++;
  if (i >= end || bytes[i] !== 0x3a) return -1;
  return i + 1;
}

/** Whether `bytes` starts with a UTF-8 byte order mark. */
export const hasByteOrderMark = (bytes: Uint8Array) =>
  bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;

/**
 * Whether `bytes` is one JSON document in UTF-8, optionally after one byte order mark: exactly when
 * `JSON.parse` of its fatal-TextDecoder text (one leading U+FEFF removed) would succeed. See the module comment.
 */
export function isJsonBytes(bytes: Uint8Array): boolean {
  return scanDocument(bytes, hasByteOrderMark(bytes) ? 3 : 0, bytes.length);
}
