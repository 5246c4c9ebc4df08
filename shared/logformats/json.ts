/**
 * Hand-built JSON output. The writers assemble each object by string concatenation and call {@link jsonString}
 * per string field: a value with nothing to escape (the usual case for log fields) is wrapped in quotes as is;
 * only a value holding `"`, `\` or a control character goes through JSON.stringify.
 */

/** A JSON string literal for `value`. Input comes from valid UTF-8, so there are no lone surrogates to escape. */
export function jsonString(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return JSON.stringify(value);
  }
  return '"' + value + '"';
}

/** {@link jsonString}, or `null` for a missing value. */
export function jsonStringOrNull(value: string | null): string {
  return value === null ? 'null' : jsonString(value);
}
