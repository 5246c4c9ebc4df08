/**
 * Strict base64 decoding for Kinesis record data (internal; see ./index.ts).
 *
 * `Buffer.from(text, 'base64')` never fails: it skips characters outside the alphabet, stops at a `=` in the
 * middle, and also accepts the URL-safe alphabet. For record data that would mean silently losing or
 * changing bytes, so the decoded length is compared with the length the text implies (any skipped or
 * truncated character shortens the output) and the two URL-safe characters are rejected. Both checks cost
 * next to nothing next to the decode itself.
 *
 * Accepted: the RFC 4648 section 4 alphabet (`A-Z a-z 0-9 + /`), either padded with `=` to a multiple of 4
 * characters (as Lambda delivers it) or unpadded. Anything else is invalid.
 */

const EMPTY = Buffer.alloc(0);

/** Decodes `text`, or returns a reason string when it is not valid base64. */
export function decodeBase64(text: string): Buffer | string {
  const length = text.length;
  if (length === 0) return EMPTY;
  let padding = 0;
  if (text.charCodeAt(length - 1) === 0x3d) {
    padding = length > 1 && text.charCodeAt(length - 2) === 0x3d ? 2 : 1;
    if (length % 4 !== 0) return `padded text must be a multiple of 4 characters long (it is ${length})`;
  }
  const significant = length - padding;
  if (significant % 4 === 1) return `a final group of 1 character encodes no whole byte (length ${length})`;
  const bytes = Buffer.from(text, 'base64');
  if (
    bytes.length !== Math.floor((significant * 3) / 4) ||
    text.indexOf('-') >= 0 ||
    text.indexOf('_') >= 0
  ) {
    return describeInvalid(text, significant);
  }
  return bytes;
}

/** The error path: finds the first offending character for the message. */
function describeInvalid(text: string, significant: number): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const alphabet =
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2b ||
      c === 0x2f;
    if (!alphabet && !(c === 0x3d && i >= significant)) {
      const shown =
        c >= 0x21 && c <= 0x7e ? `'${text[i]}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      return `invalid character ${shown} at offset ${i}`;
    }
  }
  return 'invalid padding';
}
