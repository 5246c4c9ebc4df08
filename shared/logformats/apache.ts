/**
 * Apache access-log lines (Common and Combined Log Format) read by a hand-written, index-based scanner over the
 * line's UTF-8 bytes: every byte is looked at a bounded number of times, so time is linear in the line length
 * whatever the input (AWS's blueprint regex backtracks through `"(.+?)" (\d{3})` on long quoted runs).
 *
 *   LogFormat "%h %l %u %t \"%r\" %>s %b" common
 *   LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined
 *
 * Accepted beyond AWS's blueprint regex (`^([\d.]+) (\S+) (\S+) \[([\w:/]+)(\s[\+\-]\d{4}){0,1}\] "(.+?)"
 * (\d{3}) (\d+)`): IPv6 hosts and hostnames (`%h` is whatever Apache logged), a bytes value of `-` (Apache's
 * CLF way of writing "no bytes sent", read as 0), `\"` and `\\` inside quoted fields (Apache's own escapes, kept
 * as logged), the referrer and user agent of the combined format, and trailing fields after them (`%D`,
 * `%I %O`, ...), which are ignored as AWS's regex ignores them.
 *
 * The ways in: {@link parseApacheLine} for one line as a string (an {@link ApacheLogEntry});
 * {@link apacheRecordToJson} / {@link apacheRecordToCsv} for a whole Firehose record, bytes to NDJSON (CSV) bytes,
 * with no string in between; and {@link writeApacheJson} / {@link writeApacheCsv}, the same for a record that
 * lies in a larger buffer (a bytes transform's `record.bytes[start, end)`).
 *
 * @example
 * ```ts
 * const entry = parseApacheLine('::1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 -');
 * entry.timestampUtc; // '2000-10-10T20:55:36.000Z'
 * apacheToJson(entry); // '{"host":"::1","ident":"-",...}'
 * ```
 */
import { ascii, assertUtf8, ByteWriter, charColumn, textOf } from './bytes';
import { type CsvLineEnding, csvRecord } from './csv';
import { LogParseError } from './errors';
import { jsonString, jsonStringOrNull } from './json';
import { forEachLineIn } from './lines';
import { digitsAtBytes, epochMs, isoUtc, monthOf } from './time';

/** One access-log line. Quoted fields keep Apache's backslash escapes as logged. */
export interface ApacheLogEntry {
  /** `%h`: the client as logged: an IPv4 or IPv6 address, or a hostname when HostnameLookups is on. */
  host: string;
  /** `%l`: identd name, almost always `-`. */
  ident: string;
  /** `%u`: the authenticated user, or `-`. */
  authuser: string;
  /** `%t` without its brackets, exactly as logged: `10/Oct/2000:13:55:36 -0700`. */
  datetime: string;
  /** The same time in ISO-8601 with the logged offset: `2000-10-10T13:55:36.000-07:00` (`Z` when none is logged). */
  timestamp: string;
  /** The same instant in UTC, ISO-8601: `2000-10-10T20:55:36.000Z`. */
  timestampUtc: string;
  /** The logged UTC offset (`-0700`); null when the line has none, and the time is then read as UTC. */
  timezone: string | null;
  /** `%r`: the request line, e.g. `GET /index.html HTTP/1.1` (or `-`). */
  request: string;
  /** First word of the request line (the method); null when the request line has no space. */
  verb: string | null;
  /** The request target, between the method and the protocol; null when the request line has no space. */
  path: string | null;
  /** Last word of a request line of three or more words (`HTTP/1.1`); null otherwise (HTTP/0.9, `-`). */
  protocol: string | null;
  /** `%>s`: the final status code. */
  response: number;
  /** `%b`: response size in bytes; 0 when Apache logged `-`. */
  bytes: number;
  /** `%{Referer}i` in the combined format; null in the common format. */
  referrer: string | null;
  /** `%{User-Agent}i` in the combined format; null in the common format or when absent. */
  agent: string | null;
}

const SPACE = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Byte offsets of the fields of the last scanned line; one instance is reused for every line. */
class ApacheScan {
  lineStart = 0;
  hostEnd = 0;
  identEnd = 0;
  userEnd = 0;
  datetimeStart = 0;
  datetimeEnd = 0;
  requestStart = 0;
  requestEnd = 0;
  /** First and last space inside the request line, or -1. */
  firstSpace = -1;
  lastSpace = -1;
  response = 0;
  bytes = 0;
  referrerStart = -1;
  referrerEnd = -1;
  agentStart = -1;
  agentEnd = -1;
}

const scan = new ApacheScan();

function fail(bytes: Uint8Array, lineStart: number, index: number, problem: string): never {
  throw new LogParseError('apache', problem, charColumn(bytes, lineStart, index));
}

/*
 * JSON output. Keys follow the order of the line, so one pass reads the line and writes the object:
 *   host ident authuser | @timestamp timezone @timestamp_utc | request verb path protocol |
 *   response bytes | referrer agent
 * Everything between authuser and request depends only on the bracketed timestamp, so it is pre-encoded once per
 * distinct timestamp (they repeat across a batch) and copied as one block.
 */
const K_HOST = ascii('{"host":');
const K_IDENT = ascii(',"ident":');
const K_USER = ascii(',"authuser":');
const K_REQUEST = ascii(',"request":');
const K_VERB = ascii(',"verb":');
const K_PATH = ascii(',"path":');
const K_PROTOCOL = ascii(',"protocol":');
const K_RESPONSE = ascii(',"response":');
const K_BYTES = ascii(',"bytes":');
const K_REFERRER = ascii(',"referrer":');
const K_AGENT = ascii(',"agent":');
const K_END = ascii('}\n');
const NULL = ascii('null');

// The last distinct timestamp: its bytes, and what it contributes to the entry and to the JSON.
const cachedDatetime = new Uint8Array(26);
/** -1 until a timestamp is cached, so that no line (not even one with an empty `[]`) matches the empty cache. */
let cachedLength = -1;
let cachedUtc = '';
let cachedLocal = '';
let cachedZone: string | null = null;
let cachedJson: Uint8Array = new Uint8Array(0);
/** What {@link writeCleanLine} copies for it: authuser's closing quote, {@link cachedJson}, and the request's key. */
let cachedCleanBlock: Uint8Array = new Uint8Array(0);

function sameAsCached(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== cachedLength) return false;
  for (let i = 0; i < cachedLength; i++) if (bytes[start + i] !== cachedDatetime[i]) return false;
  return true;
}

const TIMESTAMP_SHAPE = 'expected a timestamp like 10/Oct/2000:13:55:36 -0700';
const OFFSET_SHAPE = 'expected a UTC offset like -0700';
// Offsets beyond ±18:00 are not offsets anywhere (Java's ZoneOffset, which OpenSearch parses dates with, stops there).
const OFFSET_RANGE = 'UTC offset beyond ±1800';
const INVALID_DATE = 'invalid date or time';

/**
 * Validates `dd/Mon/yyyy:HH:mm:ss[ +hhmm]` at bytes[start, end) and makes it the cached timestamp. Returns
 * null, or what is wrong with it (the offset problem is at column start + 20, the others at start); the cache is
 * left as it was then.
 */
function cacheDatetime(bytes: Uint8Array, start: number, end: number): string | null {
  const n = end - start;
  if (n !== 20 && n !== 26) return TIMESTAMP_SHAPE;
  const day = digitsAtBytes(bytes, start, 2, end);
  const month = monthOf(bytes[start + 3]!, bytes[start + 4]!, bytes[start + 5]!);
  const year = digitsAtBytes(bytes, start + 7, 4, end);
  const hour = digitsAtBytes(bytes, start + 12, 2, end);
  const minute = digitsAtBytes(bytes, start + 15, 2, end);
  const second = digitsAtBytes(bytes, start + 18, 2, end);
  if (
    day < 0 ||
    month === 0 ||
    year < 0 ||
    hour < 0 ||
    minute < 0 ||
    second < 0 ||
    bytes[start + 2] !== 0x2f ||
    bytes[start + 6] !== 0x2f ||
    bytes[start + 11] !== 0x3a ||
    bytes[start + 14] !== 0x3a ||
    bytes[start + 17] !== 0x3a
  ) {
    return TIMESTAMP_SHAPE;
  }
  const wallClock = epochMs(year, month, day, hour, minute, second);
  if (wallClock === null) return INVALID_DATE;
  let ms = wallClock;
  let zone: string | null = null;
  if (n === 26) {
    const sign = bytes[start + 21];
    const hh = digitsAtBytes(bytes, start + 22, 2, end);
    const mm = digitsAtBytes(bytes, start + 24, 2, end);
    if (bytes[start + 20] !== SPACE || (sign !== 0x2b && sign !== 0x2d) || hh < 0 || mm < 0 || mm > 59) {
      return OFFSET_SHAPE;
    }
    if (hh * 60 + mm > 18 * 60) return OFFSET_RANGE;
    zone = textOf(bytes, start + 21, end);
    const offsetMs = (hh * 60 + mm) * 60_000;
    ms = sign === 0x2b ? ms - offsetMs : ms + offsetMs;
  }
  cachedDatetime.set(bytes.subarray(start, end));
  cachedLength = n;
  cachedUtc = isoUtc(ms);
  // The logged wall-clock time (a leap second rolled over as in the UTC one) with the logged offset, `-07:00`.
  // (-0000 is written +00:00: in RFC 3339 -00:00 means "offset unknown".)
  cachedLocal =
    zone === null
      ? cachedUtc
      : `${isoUtc(wallClock).slice(0, -1)}${zone === '-0000' ? '+00' : zone.slice(0, 3)}:${zone.slice(3)}`;
  cachedZone = zone;
  const json = `,"@timestamp":"${cachedLocal}","timezone":${zone === null ? 'null' : `"${zone}"`},"@timestamp_utc":"${cachedUtc}"`;
  cachedJson = ascii(json);
  cachedCleanBlock = ascii(`"${json},"request":"`);
  return null;
}

/** {@link cacheDatetime}, throwing {@link LogParseError} at the problem's column. */
function readDatetime(bytes: Uint8Array, lineStart: number, start: number, end: number): void {
  const problem = cacheDatetime(bytes, start, end);
  if (problem !== null) {
    const column = problem === OFFSET_SHAPE || problem === OFFSET_RANGE ? start + 20 : start;
    fail(bytes, lineStart, column, problem);
  }
}

/** Rewrites the JSON string just written for bytes[start, end) (at w.pos = `at`) through JSON.stringify. */
function escapeField(
  w: ByteWriter,
  at: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  rest: number,
): void {
  w.pos = at;
  w.text(JSON.stringify(textOf(bytes, start, end)));
  w.ensure(rest);
}

function writeConstant(w: ByteWriter, constant: Uint8Array): void {
  w.buf.set(constant, w.pos);
  w.pos += constant.length;
}

/** A JSON string of bytes[start, end) known to need no escaping; capacity already ensured. */
function writeSafeString(w: ByteWriter, bytes: Uint8Array, start: number, end: number): void {
  const buf = w.buf;
  let pos = w.pos;
  buf[pos++] = QUOTE;
  for (let i = start; i < end; i++) buf[pos++] = bytes[i]!;
  buf[pos++] = QUOTE;
  w.pos = pos;
}

/**
 * Copies a space-terminated token starting at `i` into the output as a JSON string and returns the index of
 * the space. Throws when the token is empty or not followed by a space.
 */
function writeToken(
  w: ByteWriter,
  bytes: Uint8Array,
  lineStart: number,
  i: number,
  end: number,
  name: string,
): number {
  const start = i;
  const at = w.pos;
  const buf = w.buf;
  let pos = at;
  let escapes = false;
  buf[pos++] = QUOTE;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c <= QUOTE || c === BACKSLASH) {
      if (c === SPACE) break;
      if (c !== 0x21) escapes = true;
    }
    buf[pos++] = c;
  }
  if (i === start) fail(bytes, lineStart, i, `expected ${name}`);
  if (i === end) fail(bytes, lineStart, i, `expected a space after ${name}`);
  buf[pos++] = QUOTE;
  w.pos = pos;
  if (escapes) escapeField(w, at, bytes, start, i, 2 * (end - i) + 512);
  return i;
}

// Set by writeQuoted: the first and last space of the field it copied (-1 when none).
let firstSpaceSeen = -1;
let lastSpaceSeen = -1;

/**
 * Copies a quoted field whose content starts at `i` into the output as a JSON string and returns the index of
 * its closing quote (-1 when there is none). A backslash escapes the byte after it (Apache's `\"`, `\\`).
 */
function writeQuoted(w: ByteWriter, bytes: Uint8Array, i: number, end: number): number {
  const start = i;
  const at = w.pos;
  const buf = w.buf;
  let pos = at;
  let escapes = false;
  let firstSpace = -1;
  let lastSpace = -1;
  buf[pos++] = QUOTE;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c <= QUOTE || c === BACKSLASH) {
      if (c === QUOTE) break;
      if (c === SPACE) {
        if (firstSpace < 0) firstSpace = i;
        lastSpace = i;
      } else if (c === BACKSLASH) {
        // The escaped byte is copied with it and never ends the field.
        escapes = true;
        buf[pos++] = c;
        if (++i === end) break;
        buf[pos++] = bytes[i]!;
        continue;
      } else if (c !== 0x21) {
        escapes = true;
      }
    }
    buf[pos++] = c;
  }
  if (i >= end) return -1;
  buf[pos++] = QUOTE;
  w.pos = pos;
  firstSpaceSeen = firstSpace;
  lastSpaceSeen = lastSpace;
  if (escapes) escapeField(w, at, bytes, start, i, 2 * (end - i) + 512);
  return i;
}

/**
 * Scans the line at bytes[start, end) (no terminator), recording field offsets in `scan` and writing the line's
 * JSON object (and a newline) to `w` as it goes. Throws {@link LogParseError}; the caller discards partial
 * output. Callers that only want the fields pass a scratch writer.
 */
function scanLine(bytes: Uint8Array, start: number, end: number, w: ByteWriter): ApacheScan {
  const s = scan;
  s.lineStart = start;
  // Room for the whole object without escaping: constants, the timestamp block, and the request written twice.
  w.ensure(2 * (end - start) + 512);

  // %h %l %u
  writeConstant(w, K_HOST);
  let i = writeToken(w, bytes, start, start, end, 'a host');
  s.hostEnd = i;
  writeConstant(w, K_IDENT);
  i = writeToken(w, bytes, start, i + 1, end, 'ident');
  s.identEnd = i;
  writeConstant(w, K_USER);
  i = writeToken(w, bytes, start, i + 1, end, 'authuser');
  s.userEnd = i;

  // [%t]
  i++;
  if (i >= end || bytes[i] !== 0x5b) fail(bytes, start, i, "expected '['");
  const datetimeStart = i + 1;
  let close = datetimeStart;
  while (close < end && bytes[close] !== 0x5d) close++;
  if (close === end) fail(bytes, start, end, "expected ']'");
  if (!sameAsCached(bytes, datetimeStart, close)) {
    readDatetime(bytes, start, datetimeStart, close);
    w.ensure(2 * (end - close) + 512);
  }
  s.datetimeStart = datetimeStart;
  s.datetimeEnd = close;
  w.buf.set(cachedJson, w.pos);
  w.pos += cachedJson.length;

  // "%r", then verb, path and protocol from its first and last space.
  i = close + 1;
  if (i >= end || bytes[i] !== SPACE) fail(bytes, start, i, "expected ' '");
  if (i + 1 >= end || bytes[i + 1] !== QUOTE) fail(bytes, start, i + 1, "expected '\"'");
  const requestStart = i + 2;
  writeConstant(w, K_REQUEST);
  const requestAt = w.pos;
  const requestEnd = writeQuoted(w, bytes, requestStart, end);
  if (requestEnd < 0) fail(bytes, start, end, "expected '\"' closing the request");
  const escaped = w.pos - requestAt !== requestEnd - requestStart + 2;
  const firstSpace = firstSpaceSeen;
  const lastSpace = lastSpaceSeen;
  s.requestStart = requestStart;
  s.requestEnd = requestEnd;
  s.firstSpace = firstSpace;
  s.lastSpace = lastSpace;
  const hasProtocol = lastSpace > firstSpace;
  const rest = 2 * (end - requestEnd) + 512;
  writeConstant(w, K_VERB);
  if (firstSpace < 0) {
    writeConstant(w, NULL);
    writeConstant(w, K_PATH);
    writeConstant(w, NULL);
  } else if (escaped) {
    const pathEnd = hasProtocol ? lastSpace : requestEnd;
    w.text(JSON.stringify(textOf(bytes, requestStart, firstSpace)));
    w.text(`,"path":${JSON.stringify(textOf(bytes, firstSpace + 1, pathEnd))}`);
    w.ensure(rest);
  } else {
    writeSafeString(w, bytes, requestStart, firstSpace);
    writeConstant(w, K_PATH);
    writeSafeString(w, bytes, firstSpace + 1, hasProtocol ? lastSpace : requestEnd);
  }
  writeConstant(w, K_PROTOCOL);
  if (!hasProtocol) writeConstant(w, NULL);
  else if (escaped) escapeField(w, w.pos, bytes, lastSpace + 1, requestEnd, rest);
  else writeSafeString(w, bytes, lastSpace + 1, requestEnd);

  // %>s %b
  i = requestEnd + 1;
  if (i >= end || bytes[i] !== SPACE) fail(bytes, start, i, "expected ' '");
  const response = digitsAtBytes(bytes, i + 1, 3, end);
  if (response < 0) fail(bytes, start, i + 1, 'expected a 3-digit status');
  s.response = response;
  writeConstant(w, K_RESPONSE);
  w.uint(response);
  i += 4;
  if (i >= end || bytes[i] !== SPACE) fail(bytes, start, i, "expected ' '");
  i++;
  let size = 0;
  if (i < end && bytes[i] === 0x2d) {
    i++;
  } else {
    const digitsStart = i;
    for (; i < end; i++) {
      const d = bytes[i]! - 48;
      if (d < 0 || d > 9) break;
      size = size * 10 + d;
    }
    if (i === digitsStart || i - digitsStart > 15)
      fail(bytes, start, digitsStart, 'expected a byte count or -');
  }
  if (i < end && bytes[i] !== SPACE) fail(bytes, start, i, "expected ' ' or the end of the line");
  s.bytes = size;
  writeConstant(w, K_BYTES);
  w.uint(size);

  // Combined: "%{Referer}i" "%{User-Agent}i"; anything after them is ignored.
  s.referrerStart = -1;
  s.referrerEnd = -1;
  s.agentStart = -1;
  s.agentEnd = -1;
  writeConstant(w, K_REFERRER);
  if (i + 1 < end && bytes[i + 1] === QUOTE) {
    const referrerEnd = writeQuoted(w, bytes, i + 2, end);
    if (referrerEnd < 0) fail(bytes, start, end, "expected '\"' closing the referrer");
    s.referrerStart = i + 2;
    s.referrerEnd = referrerEnd;
    i = referrerEnd + 1;
    writeConstant(w, K_AGENT);
    if (i + 1 < end && bytes[i] === SPACE && bytes[i + 1] === QUOTE) {
      const agentEnd = writeQuoted(w, bytes, i + 2, end);
      if (agentEnd < 0) fail(bytes, start, end, "expected '\"' closing the user agent");
      s.agentStart = i + 2;
      s.agentEnd = agentEnd;
    } else {
      writeConstant(w, NULL);
    }
  } else {
    writeConstant(w, NULL);
    writeConstant(w, K_AGENT);
    writeConstant(w, NULL);
  }
  writeConstant(w, K_END);
  return s;
}

/*
 * The fast path. Almost every line a web server writes has nothing to escape, a request line with a method, a
 * target and a protocol, and the common or combined format. writeCleanLine writes those in one pass with every
 * position in a local variable and no call per field; it gives up (returns -1, leaving its partial output to be
 * written over) on anything else, and scanLine then writes the line or names the problem. Both write the same
 * bytes for a line both accept: a property test holds them to it.
 */
/**
 * A short constant (at most 16 bytes) as little-endian 32-bit words, for {@link putConstant}: four stores of a
 * word are cheaper than a TypedArray#set call per constant, which was a fifth of the fast path's time.
 */
interface Constant {
  length: number;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

function constant(text: string): Constant {
  if (text.length > 16) throw new RangeError(`constant longer than 16 bytes: ${text}`);
  const bytes = new Uint8Array(16);
  bytes.set(ascii(text));
  const view = new DataView(bytes.buffer);
  return {
    length: text.length,
    w0: view.getInt32(0, true),
    w1: view.getInt32(4, true),
    w2: view.getInt32(8, true),
    w3: view.getInt32(12, true),
  };
}

function put32(out: Uint8Array, p: number, word: number): void {
  out[p] = word;
  out[p + 1] = word >>> 8;
  out[p + 2] = word >>> 16;
  out[p + 3] = word >>> 24;
}

/**
 * Writes `k` at out[p] and returns the position after it. It writes whole words, so up to 3 bytes past the
 * constant are scratched (what follows overwrites them; the caller's reserved room covers them).
 */
function putConstant(out: Uint8Array, p: number, k: Constant): number {
  put32(out, p, k.w0);
  put32(out, p + 4, k.w1);
  if (k.length > 8) put32(out, p + 8, k.w2);
  if (k.length > 12) put32(out, p + 12, k.w3);
  return p + k.length;
}

const C_HOST = constant('{"host":"');
const C_IDENT = constant('","ident":"');
const C_USER = constant('","authuser":"');
const C_VERB = constant('","verb":"');
const C_PATH = constant('","path":"');
const C_PROTOCOL = constant('","protocol":"');
const C_RESPONSE = constant('","response":');
const C_BYTES = constant(',"bytes":');
const C_REFERRER = constant(',"referrer":"');
const C_AGENT = constant('","agent":"');
const C_AGENT_NULL = constant('","agent":null}\n');
const C_COMMON_END = ascii(',"referrer":null,"agent":null}\n');

/**
 * Whether src[from, end), the part of a line after its last field, which the output leaves out as AWS's regex
 * does, holds no newline (so that it is not a further line: the fast path may be handed a whole record).
 */
function endsLine(src: Uint8Array, from: number, end: number): boolean {
  for (let k = from; k < end; k++) if (src[k] === 0x0a) return false;
  return true;
}

/**
 * Writes the JSON of a clean line src[start, end) at out[p] and returns the position after it, or -1 to leave
 * the line to {@link scanLine}. The caller has made room for 2 * (end - start) + 512 bytes.
 */
function writeCleanLine(src: Uint8Array, start: number, end: number, out: Uint8Array, p: number): number {
  // The loops end on the first byte below `#` or a backslash, and on running out of line (give up). Tokens hold
  // no such byte; quoted fields may hold spaces and `!`. The five field loops are written out rather than shared:
  // one helper for them (tried) cost 4-8% of this function, which is most of the handler's time.
  let i = start;
  let c: number;

  // %h %l %u
  p = putConstant(out, p, C_HOST);
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === BACKSLASH) break;
    out[p++] = c;
    i++;
  }
  if (c !== SPACE || i === start) return -1;
  p = putConstant(out, p, C_IDENT);
  const identStart = ++i;
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === BACKSLASH) break;
    out[p++] = c;
    i++;
  }
  if (c !== SPACE || i === identStart) return -1;
  p = putConstant(out, p, C_USER);
  const userStart = ++i;
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === BACKSLASH) break;
    out[p++] = c;
    i++;
  }
  if (c !== SPACE || i === userStart) return -1;

  // [%t]: almost always the previous line's, whose JSON is cached (compared from the end: seconds change first).
  if (src[i + 1] !== 0x5b) return -1;
  const datetimeStart = i + 2;
  let close = datetimeStart + cachedLength;
  let same = close < end && src[close] === 0x5d;
  if (same) {
    for (let k = cachedLength - 1; k >= 0; k--) {
      if (src[datetimeStart + k] !== cachedDatetime[k]) {
        same = false;
        break;
      }
    }
  }
  if (!same) {
    close = datetimeStart;
    while (close < end && src[close] !== 0x5d) close++;
    if (close === end || cacheDatetime(src, datetimeStart, close) !== null) return -1;
  }
  out.set(cachedCleanBlock, p);
  p += cachedCleanBlock.length;

  // "%r", with verb, path and protocol from its first and last space
  i = close + 1;
  if (i + 1 >= end || src[i] !== SPACE || src[i + 1] !== QUOTE) return -1;
  i += 2;
  const requestStart = i;
  let firstSpace = -1;
  let lastSpace = -1;
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === BACKSLASH) {
      if (c === SPACE) {
        if (firstSpace < 0) firstSpace = i;
        lastSpace = i;
      } else if (c !== 0x21) break;
    }
    out[p++] = c;
    i++;
  }
  if (c !== QUOTE || lastSpace <= firstSpace) return -1;
  const requestEnd = i;
  p = putConstant(out, p, C_VERB);
  for (let k = requestStart; k < firstSpace; k++) out[p++] = src[k]!;
  p = putConstant(out, p, C_PATH);
  for (let k = firstSpace + 1; k < lastSpace; k++) out[p++] = src[k]!;
  p = putConstant(out, p, C_PROTOCOL);
  for (let k = lastSpace + 1; k < requestEnd; k++) out[p++] = src[k]!;

  // %>s %b (a status without a leading zero; bytes as a number, `-` as 0)
  i = requestEnd + 1;
  if (i + 5 > end || src[i] !== SPACE || src[i + 4] !== SPACE) return -1;
  const s0 = src[i + 1]! - 48;
  const s1 = src[i + 2]! - 48;
  const s2 = src[i + 3]! - 48;
  if (s0 < 1 || s0 > 9 || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9) return -1;
  p = putConstant(out, p, C_RESPONSE);
  out[p++] = s0 + 48;
  out[p++] = s1 + 48;
  out[p++] = s2 + 48;
  p = putConstant(out, p, C_BYTES);
  i += 5;
  if (i < end && src[i] === 0x2d) {
    out[p++] = 0x30;
    i++;
  } else {
    const digitsStart = i;
    while (i < end && (src[i]! - 0x30) >>> 0 <= 9) i++;
    if (i === digitsStart || i - digitsStart > 15) return -1;
    let k = digitsStart;
    while (k < i - 1 && src[k] === 0x30) k++;
    for (; k < i; k++) out[p++] = src[k]!;
  }

  // "%{Referer}i" "%{User-Agent}i" in the combined format; anything after them is ignored.
  if (i < end && src[i] !== SPACE) return -1;
  if (i + 1 >= end || src[i + 1] !== QUOTE) {
    if (!endsLine(src, i, end)) return -1;
    out.set(C_COMMON_END, p);
    return p + C_COMMON_END.length;
  }
  p = putConstant(out, p, C_REFERRER);
  i += 2;
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === BACKSLASH) {
      if (c !== SPACE && c !== 0x21) break;
    }
    out[p++] = c;
    i++;
  }
  if (c !== QUOTE) return -1;
  if (i + 2 >= end || src[i + 1] !== SPACE || src[i + 2] !== QUOTE) {
    if (!endsLine(src, i + 1, end)) return -1;
    return putConstant(out, p, C_AGENT_NULL);
  }
  p = putConstant(out, p, C_AGENT);
  i += 3;
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === BACKSLASH) {
      if (c !== SPACE && c !== 0x21) break;
    }
    out[p++] = c;
    i++;
  }
  if (c !== QUOTE || !endsLine(src, i + 1, end)) return -1;
  out[p++] = QUOTE; // "}\n
  out[p++] = 0x7d;
  out[p++] = 0x0a;
  return p;
}

/** Writes the JSON of the line at bytes[start, end): the fast path, or the careful one. */
function writeLine(bytes: Uint8Array, start: number, end: number, w: ByteWriter): void {
  w.ensure(2 * (end - start) + 512);
  const next = writeCleanLine(bytes, start, end, w.buf, w.pos);
  if (next < 0) scanLine(bytes, start, end, w);
  else w.pos = next;
}

function entryOf(bytes: Uint8Array, s: ApacheScan): ApacheLogEntry {
  const hasVerb = s.firstSpace >= 0;
  const hasProtocol = s.lastSpace > s.firstSpace;
  return {
    host: textOf(bytes, s.lineStart, s.hostEnd),
    ident: textOf(bytes, s.hostEnd + 1, s.identEnd),
    authuser: textOf(bytes, s.identEnd + 1, s.userEnd),
    datetime: textOf(bytes, s.datetimeStart, s.datetimeEnd),
    timestamp: cachedLocal,
    timestampUtc: cachedUtc,
    timezone: cachedZone,
    request: textOf(bytes, s.requestStart, s.requestEnd),
    verb: hasVerb ? textOf(bytes, s.requestStart, s.firstSpace) : null,
    path: hasVerb ? textOf(bytes, s.firstSpace + 1, hasProtocol ? s.lastSpace : s.requestEnd) : null,
    protocol: hasProtocol ? textOf(bytes, s.lastSpace + 1, s.requestEnd) : null,
    response: s.response,
    bytes: s.bytes,
    referrer: s.referrerStart < 0 ? null : textOf(bytes, s.referrerStart, s.referrerEnd),
    agent: s.agentStart < 0 ? null : textOf(bytes, s.agentStart, s.agentEnd),
  };
}

// Output of scans whose JSON nobody reads (parseApacheLine, the CSV path).
const scratch = new ByteWriter(64 * 1024);

/** Scans a line for its fields only. */
function parseLine(bytes: Uint8Array, start: number, end: number): ApacheLogEntry {
  try {
    return entryOf(bytes, scanLine(bytes, start, end, scratch));
  } finally {
    scratch.discard();
  }
}

/** Parses one access-log line (no line terminator). Throws {@link LogParseError} naming the column. */
export function parseApacheLine(line: string): ApacheLogEntry {
  const bytes = Buffer.from(line, 'utf8');
  return parseLine(bytes, 0, bytes.length);
}

/**
 * JSON keys, in output order (the order of the fields in the line). AWS's blueprint names are kept
 * (kinesis-firehose-apachelog-to-json, Node and Python: host, ident, authuser, request, response, bytes, verb,
 * @timestamp, timezone, @timestamp_utc); ours are path, protocol, referrer and agent. Every key is always present
 * (null when the line has no value), where AWS's blueprint leaves out verb, timezone and @timestamp_utc.
 * `@timestamp` is the logged time as AWS's Node blueprint means it (the server's wall clock), but with its offset
 * (`2000-10-10T13:55:36.000-07:00`) where AWS's labels the local time UTC (`...13:55:36.000Z`); `@timestamp_utc`
 * is the same instant in UTC.
 */
export const APACHE_JSON_KEYS = [
  'host',
  'ident',
  'authuser',
  '@timestamp',
  'timezone',
  '@timestamp_utc',
  'request',
  'verb',
  'path',
  'protocol',
  'response',
  'bytes',
  'referrer',
  'agent',
] as const;

/** One JSON object (no trailing newline) with the keys of {@link APACHE_JSON_KEYS}, as the record path writes it. */
export function apacheToJson(e: ApacheLogEntry): string {
  return (
    '{"host":' +
    jsonString(e.host) +
    ',"ident":' +
    jsonString(e.ident) +
    ',"authuser":' +
    jsonString(e.authuser) +
    ',"@timestamp":"' +
    e.timestamp +
    '","timezone":' +
    (e.timezone === null ? 'null' : '"' + e.timezone + '"') +
    ',"@timestamp_utc":"' +
    e.timestampUtc +
    '","request":' +
    jsonString(e.request) +
    ',"verb":' +
    jsonStringOrNull(e.verb) +
    ',"path":' +
    jsonStringOrNull(e.path) +
    ',"protocol":' +
    jsonStringOrNull(e.protocol) +
    ',"response":' +
    e.response +
    ',"bytes":' +
    e.bytes +
    ',"referrer":' +
    jsonStringOrNull(e.referrer) +
    ',"agent":' +
    jsonStringOrNull(e.agent) +
    '}'
  );
}

/**
 * A whole record (UTF-8 bytes, one or more lines; see {@link forEachLine} for the line rules) to newline-
 * delimited JSON bytes, one object per line with the keys of {@link APACHE_JSON_KEYS}. The output is a view
 * into `writer`'s chunk. Throws {@link LogParseError} for a record that is not UTF-8, is empty, or has a line
 * that does not parse; nothing is written for it then.
 */
export function apacheRecordToJson(bytes: Uint8Array, writer: ByteWriter): Uint8Array {
  try {
    assertUtf8(bytes);
    writeApacheJson(bytes, 0, bytes.length, writer);
  } catch (error) {
    writer.discard();
    throw error;
  }
  return writer.finish();
}

const WHOLE_RECORD_FAST_PATH_BYTES = 64 * 1024;

/**
 * {@link apacheRecordToJson} for the record at bytes[start, end), already checked to be UTF-8, appending to the
 * writer's current record without ending it (what a BytesTransform does). On a throw, the writer may hold part
 * of the record: the caller discards it.
 */
export function writeApacheJson(bytes: Uint8Array, start: number, end: number, writer: ByteWriter): void {
  // One clean line per record is the common case (Kinesis Agent): straight to the fast path, which gives up on
  // a newline anywhere but at the very end. (Not for a large record: the room the fast path needs is reserved
  // for the whole record, which for many lines would be wasted.)
  const stop = end > start && bytes[end - 1] === 0x0a ? end - 1 : end;
  if (stop - start <= WHOLE_RECORD_FAST_PATH_BYTES) {
    writer.ensure(2 * (stop - start) + 512);
    const next = writeCleanLine(bytes, start, stop, writer.buf, writer.pos);
    if (next >= 0) {
      writer.pos = next;
      return;
    }
  }
  // Anything else line by line, each line through the fast path or the careful one.
  forEachLineIn(bytes, start, end, (lineStart, lineEnd) => writeLine(bytes, lineStart, lineEnd, writer));
}

/**
 * CSV columns, in order. The first seven are AWS's kinesis-firehose-apachelog-to-csv columns (host, ident,
 * authuser, the bracketed timestamp with its offset, request, status, bytes), so existing tables keep reading
 * them; ours follow.
 */
export const APACHE_CSV_COLUMNS = [
  'host',
  'ident',
  'authuser',
  'datetime',
  'request',
  'response',
  'bytes',
  'timestamp_utc',
  'timezone',
  'verb',
  'path',
  'protocol',
  'referrer',
  'agent',
] as const;

/** One RFC 4180 CSV record in {@link APACHE_CSV_COLUMNS} order, with its line ending. */
export function apacheToCsv(e: ApacheLogEntry, lineEnding: CsvLineEnding = '\n'): string {
  return csvRecord(
    [
      e.host,
      e.ident,
      e.authuser,
      e.datetime,
      e.request,
      e.response,
      e.bytes,
      e.timestampUtc,
      e.timezone,
      e.verb,
      e.path,
      e.protocol,
      e.referrer,
      e.agent,
    ],
    lineEnding,
  );
}

/**
 * A whole record (UTF-8 bytes, one or more lines) to CSV, one CSV record per line, as a view into `writer`.
 * Throws {@link LogParseError} like {@link apacheRecordToJson}; nothing is written for the record then.
 */
export function apacheRecordToCsv(
  bytes: Uint8Array,
  writer: ByteWriter,
  lineEnding: CsvLineEnding = '\n',
): Uint8Array {
  try {
    assertUtf8(bytes);
    writeApacheCsv(bytes, 0, bytes.length, writer, lineEnding);
  } catch (error) {
    writer.discard();
    throw error;
  }
  return writer.finish();
}

/** {@link apacheRecordToCsv} as {@link writeApacheJson} is to apacheRecordToJson. */
export function writeApacheCsv(
  bytes: Uint8Array,
  start: number,
  end: number,
  writer: ByteWriter,
  lineEnding: CsvLineEnding = '\n',
): void {
  forEachLineIn(bytes, start, end, (lineStart, lineEnd) =>
    writer.text(apacheToCsv(parseLine(bytes, lineStart, lineEnd), lineEnding)),
  );
}
