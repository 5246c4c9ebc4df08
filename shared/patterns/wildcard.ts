/**
 * EventBridge `wildcard` values: `*` matches any run of characters (none included), `\*` is a literal star, `\\` a
 * literal backslash. Two stars in a row and any other escape are invalid (as in EventBridge).
 *
 * Matching never backtracks and builds no regular expression: the literal segments between stars are found left to
 * right, each at its leftmost occurrence (which is always safe for `*`-only globs), with Knuth-Morris-Pratt tables
 * computed once per pattern. Time is linear in the text plus the pattern, whatever the pattern.
 */

/** The literal segments of a wildcard pattern: `a*b*c` -> ['a', 'b', 'c']; no star -> one segment. */
export function wildcardSegments(pattern: string): string[] {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\')
        throw new Error(`a backslash may only escape * or \\ (at character ${i + 1})`);
      current += next;
      i++;
    } else if (char === '*') {
      if (pattern[i + 1] === '*')
        throw new Error(`consecutive wildcard characters are not allowed (at character ${i + 1})`);
      segments.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  segments.push(current);
  return segments;
}

/** KMP failure table of `needle`. */
function failureTable(needle: string): Int32Array {
  const table = new Int32Array(needle.length);
  let k = 0;
  for (let i = 1; i < needle.length; i++) {
    while (k > 0 && needle.charCodeAt(i) !== needle.charCodeAt(k)) k = table[k - 1]!;
    if (needle.charCodeAt(i) === needle.charCodeAt(k)) k++;
    table[i] = k;
  }
  return table;
}

/** Leftmost index >= from where needle occurs entirely before `end`, or -1. */
function kmpIndexOf(text: string, needle: string, table: Int32Array, from: number, end: number): number {
  const m = needle.length;
  if (m === 0) return from;
  let k = 0;
  for (let i = from; i < end; i++) {
    const code = text.charCodeAt(i);
    while (k > 0 && code !== needle.charCodeAt(k)) k = table[k - 1]!;
    if (code === needle.charCodeAt(k)) k++;
    if (k === m) return i - m + 1;
  }
  return -1;
}

/** Compiles a wildcard pattern into a test over strings. Throws an Error saying what is invalid. */
export function compileWildcard(pattern: string): (text: string) => boolean {
  const segments = wildcardSegments(pattern);
  if (segments.length === 1) {
    const exact = segments[0]!;
    return (text) => text === exact;
  }
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  const middle = segments.slice(1, -1).filter((segment) => segment !== '');
  const tables = middle.map(failureTable);
  const fixed = first.length + last.length;
  return (text) => {
    if (text.length < fixed || !text.startsWith(first) || !text.endsWith(last)) return false;
    let position = first.length;
    const end = text.length - last.length;
    for (let i = 0; i < middle.length; i++) {
      const found = kmpIndexOf(text, middle[i]!, tables[i]!, position, end);
      if (found < 0) return false;
      position = found + middle[i]!.length;
    }
    return true;
  };
}
