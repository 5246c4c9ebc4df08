/**
 * Lossless JSON output: records are written from their original text, never re-serialised. `JSON.parse` +
 * `JSON.stringify` changes data silently (`12345678901234567890` -> `12345678901234567000`, `1e400` -> `null`,
 * `-0` -> `0`, duplicate keys collapse), so projection and metadata work on slices of the text the record arrived
 * as: every selected value keeps its exact bytes.
 *
 * The functions take text that `JSON.parse` has already accepted (the runner validates it) and run in time linear
 * in its length.
 *
 * @example
 * ```ts
 * projectText('{"id": 12345678901234567890, "user": {"name": "a", "x": 1}}', [['id'], ['user', 'name']]);
 * // => '{"id":12345678901234567890,"user":{"name":"a"}}'
 * ```
 */
import { SafeMessageError } from '../middleware/errors';

/** The record cannot be written as configured (poison: dead-lettered with this reason). */
export class RecordShapeError extends SafeMessageError {
  override readonly name = 'RecordShapeError';
}

const isSpace = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

/**
 * A JSON record as one NDJSON line, byte for byte except JSON's insignificant whitespace where the line framing
 * needs it: leading and trailing whitespace is trimmed (a producer's trailing newline) and a line break between
 * tokens (pretty-printed JSON) becomes a space. Raw line breaks cannot occur inside JSON strings, so values,
 * numbers, escapes, key order and duplicate keys are untouched.
 */
export function jsonLine(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  const line = start === 0 && end === text.length ? text : text.slice(start, end);
  return line.includes('\n') || line.includes('\r') ? line.replace(/[\r\n]/g, ' ') : line;
}

const isSpaceByte = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

// Buffer's indexOf (memchr) works on any Uint8Array, without making a Buffer view of it first.
const indexOfByte = Buffer.prototype.indexOf as unknown as (this: Uint8Array, byte: number) => number;

/**
 * {@link jsonLine} on bytes: the record's NDJSON line without decoding it. The usual record (no byte order mark,
 * no outer whitespace, no line break between its tokens) is returned as it is (no copy, no new view); outer
 * whitespace and a leading UTF-8 byte order mark are cut off by a view; a record with line breaks between tokens
 * (pretty-printed) is copied with each CR/LF turned into a space. Takes bytes that are valid JSON (the runner has
 * checked them); the result equals `Buffer.from(jsonLine(text))` for the text the runner would decode.
 */
export function jsonLineBytes(data: Uint8Array): Uint8Array {
  let start = data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  let end = data.length;
  while (start < end && isSpaceByte(data[start]!)) start++;
  while (end > start && isSpaceByte(data[end - 1]!)) end--;
  const line = start === 0 && end === data.length ? data : data.subarray(start, end);
  if (indexOfByte.call(line, 0x0a) === -1 && indexOfByte.call(line, 0x0d) === -1) return line;
  const copy = Uint8Array.from(line);
  for (let i = 0; i < copy.length; i++) if (copy[i] === 0x0a || copy[i] === 0x0d) copy[i] = 0x20;
  return copy;
}

/** End (exclusive) of the JSON string that starts with the quote at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote === -1) return text.length; // unreachable for valid JSON
    let backslashes = 0;
    for (let j = quote - 1; text.charCodeAt(j) === 0x5c; j--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

/** End (exclusive) of the JSON value that starts at `start` (no leading whitespace). */
function valueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === 0x22) return stringEnd(text, start);
  if (first !== 0x7b && first !== 0x5b) {
    // number, true, false, null: up to the next delimiter
    let i = start;
    while (i < text.length) {
      const code = text.charCodeAt(i);
      if (code === 0x2c || code === 0x7d || code === 0x5d || isSpace(code)) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) i = stringEnd(text, i) - 1;
    else if (code === 0x7b || code === 0x5b) depth++;
    else if (code === 0x7d || code === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

interface Member {
  key: string;
  /** The value's text: [start, end). */
  start: number;
  end: number;
}

/** The members of the object whose `{` is at `start`, in order (duplicates kept). */
function membersOf(text: string, start: number): Member[] {
  const members: Member[] = [];
  let i = skipSpace(text, start + 1);
  if (text.charCodeAt(i) === 0x7d) return members;
  for (;;) {
    const keyEnd = stringEnd(text, i);
    const rawKey = text.slice(i + 1, keyEnd - 1);
    const key = rawKey.includes('\\') ? (JSON.parse(text.slice(i, keyEnd)) as string) : rawKey;
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // past ':'
    const end = valueEnd(text, i);
    members.push({ key, start: i, end });
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== 0x2c) return members;
    i = skipSpace(text, i + 1);
  }
}

/** The last member named `key` (JSON.parse keeps the last of duplicates, and so does the filter). */
function lastMember(members: readonly Member[], key: string): Member | undefined {
  for (let i = members.length - 1; i >= 0; i--) if (members[i]!.key === key) return members[i];
  return undefined;
}

/** Whether the top-level object in `text` has a member named `key`. */
export function hasMember(text: string, key: string): boolean {
  const start = skipSpace(text, 0);
  return text.charCodeAt(start) === 0x7b && lastMember(membersOf(text, start), key) !== undefined;
}

interface PathNode {
  key: string;
  /** The whole value is selected (a path ends here). */
  whole: boolean;
  children: PathNode[];
}

function pathTree(paths: readonly (readonly string[])[]): PathNode[] {
  const roots: PathNode[] = [];
  for (const path of paths) {
    let level = roots;
    path.forEach((key, depth) => {
      let node = level.find((candidate) => candidate.key === key);
      if (!node) {
        node = { key, whole: false, children: [] };
        level.push(node);
      }
      if (depth === path.length - 1) node.whole = true;
      level = node.children;
    });
  }
  return roots;
}

/** The projected object's text, or undefined when no path was found. */
function projectObject(text: string, start: number, nodes: readonly PathNode[]): string | undefined {
  const members = membersOf(text, start);
  const parts: string[] = [];
  for (const node of nodes) {
    const member = lastMember(members, node.key);
    if (!member) continue;
    let value: string | undefined;
    if (node.whole) value = jsonLine(text.slice(member.start, member.end));
    else if (text.charCodeAt(member.start) === 0x7b) value = projectObject(text, member.start, node.children);
    if (value !== undefined) parts.push(`${JSON.stringify(node.key)}:${value}`);
  }
  return parts.length === 0 ? undefined : `{${parts.join(',')}}`;
}

/**
 * Keeps only the given dotted paths of a JSON object, preserving nesting and the exact text of every kept value:
 * `[['b', 'c']]` over `{"a":1,"b":{"c":2.50,"d":3}}` -> `{"b":{"c":2.50}}`. Members come out in the order of the
 * paths; a path that is a prefix of another keeps the whole value. Returns undefined when the record is not an
 * object or none of the paths exists in it (the caller says so: an empty `{}` would hide the mismatch).
 */
export function projectText(text: string, paths: readonly (readonly string[])[]): string | undefined {
  const start = skipSpace(text, 0);
  if (text.charCodeAt(start) !== 0x7b) return undefined;
  return projectObject(text, start, pathTree(paths));
}

/**
 * Adds one member to a JSON object's text, after the existing ones: `withMember('{"a":1}', '_k', '{}')` ->
 * `{"a":1,"_k":{}}`. A record that is not an object is wrapped: `{"value":<record>,"_k":...}`. A record that already
 * has a member of that name is a {@link RecordShapeError} (overwriting the user's field would lose data).
 */
export function withMember(text: string, name: string, valueJson: string): string {
  const line = jsonLine(text);
  const member = `${JSON.stringify(name)}:${valueJson}`;
  if (line.charCodeAt(0) !== 0x7b) return `{"value":${line},${member}}`;
  if (hasMember(line, name)) {
    throw new RecordShapeError(
      `the record already has a top-level field "${name}", the name the metadata is written under`,
    );
  }
  const close = line.length - 1;
  const empty = skipSpace(line, 1) === close;
  return `${line.slice(0, close)}${empty ? '' : ','}${member}}`;
}
