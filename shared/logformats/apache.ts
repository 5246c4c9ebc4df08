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
import { afterBom, ascii, assertUtf8, ByteWriter, charColumn, textOf } from './bytes';
import { type CsvLineEnding, csvRecord } from './csv';
import { LogParseError } from './errors';
import { jsonString, jsonStringOrNull } from './json';
import { forEachLineIn } from './lines';
import { daysInMonth, digitsAtBytes, monthOf } from './time';

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

/*
 * The last distinct timestamp: its bytes, and the JSON block it contributes (what lies between authuser's value
 * and the request's), kept in a template whose keys, separators and `.000` are written once: a timestamp that
 * differs from the previous line's writes only its digits into it, straight from the parsed fields (no Date, no
 * strings). The entry's strings (parseApacheLine, the CSV path) are read from the block when first asked for.
 */
const cachedDatetime = new Uint8Array(26);
/** -1 until a timestamp is cached, so that no line (not even one with an empty `[]`) matches the empty cache. */
let cachedLength = -1;

/** A block: authuser's closing quote, the three timestamp keys with their values, the request's key and quote. */
function template(text: string): Buffer {
  const block = Buffer.alloc(text.length);
  block.write(text, 'latin1');
  return block;
}
const ISO_TEMPLATE = '0000-00-00T00:00:00.000';
const UTC_BLOCK = template(
  `","@timestamp":"${ISO_TEMPLATE}Z","timezone":null,"@timestamp_utc":"${ISO_TEMPLATE}Z","request":"`,
);
const ZONED_BLOCK = template(
  `","@timestamp":"${ISO_TEMPLATE}+00:00","timezone":"+0000","@timestamp_utc":"${ISO_TEMPLATE}Z","request":"`,
);
/** Where the values lie in the blocks: `@timestamp` (both), its offset and `timezone` (zoned), `@timestamp_utc`. */
const LOCAL_AT = 16;
const LOCAL_OFFSET_AT = LOCAL_AT + ISO_TEMPLATE.length;
const ZONE_AT = ZONED_BLOCK.indexOf('"timezone":"') + 12;
const UTC_AT_UTC_BLOCK = UTC_BLOCK.indexOf('_utc":"') + 7;
const UTC_AT_ZONED_BLOCK = ZONED_BLOCK.indexOf('_utc":"') + 7;
/** `,"request":"` ends every block; the JSON proper (what scanLine copies) is the block without it and the quote. */
const REQUEST_KEY_LENGTH = 12;
const jsonOf = (block: Uint8Array) => block.subarray(1, block.length - REQUEST_KEY_LENGTH);
const UTC_JSON = jsonOf(UTC_BLOCK);
const ZONED_JSON = jsonOf(ZONED_BLOCK);

/** What {@link writeCleanLine} copies for the cached timestamp (a template, or a one-off block for year 10000). */
let cachedBlock: Buffer = UTC_BLOCK;
/** The same without the closing quote and the request's key, for {@link scanLine}. */
let cachedJson: Uint8Array = UTC_JSON;
/** Where `@timestamp` ends, and where `@timestamp_utc` and `timezone` (-1: null) start, in {@link cachedBlock}. */
let cachedLocalEnd = 0;
let cachedUtcAt = 0;
let cachedZoneAt = -1;
/** The entry's strings for the cached timestamp, valid while {@link cachedStringsStale} is false. */
let cachedStringsStale = true;
let cachedUtc = '';
let cachedLocal = '';
let cachedZone: string | null = null;
/**
 * For the CSV fast path: views (made once, so copying them allocates nothing) of the cached timestamp as logged, of
 * its logged offset, and of `@timestamp_utc`'s value in {@link cachedBlock}.
 */
const DATETIME_20 = cachedDatetime.subarray(0, 20);
const DATETIME_26 = cachedDatetime.subarray(0, 26);
const DATETIME_ZONE = cachedDatetime.subarray(21, 26);
const utcOf = (block: Uint8Array, at: number) => block.subarray(at, block.length - REQUEST_KEY_LENGTH - 1);
const UTC_OF_UTC_BLOCK = utcOf(UTC_BLOCK, UTC_AT_UTC_BLOCK);
const UTC_OF_ZONED_BLOCK = utcOf(ZONED_BLOCK, UTC_AT_ZONED_BLOCK);
let cachedUtcBytes: Uint8Array = UTC_OF_UTC_BLOCK;

function cachedStrings(): void {
  if (!cachedStringsStale) return;
  const block = cachedBlock;
  // `@timestamp_utc` is the block's last value: its closing quote and the request's key follow it.
  cachedUtc = block.toString('latin1', cachedUtcAt, block.length - REQUEST_KEY_LENGTH - 1);
  cachedLocal = block.toString('latin1', LOCAL_AT, cachedLocalEnd);
  cachedZone = cachedZoneAt < 0 ? null : block.toString('latin1', cachedZoneAt, cachedZoneAt + 5);
  cachedStringsStale = false;
}

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

/** The value of the two ASCII digits at bytes[at], or -1. */
function twoDigits(bytes: Uint8Array, at: number): number {
  const a = bytes[at]! - 48;
  const b = bytes[at + 1]! - 48;
  return a >>> 0 <= 9 && b >>> 0 <= 9 ? a * 10 + b : -1;
}

/** The ASCII digits of 0-99, two bytes each. */
const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : Math.floor(i / 20)));

function putTwo(out: Uint8Array, at: number, value: number): void {
  out[at] = PAIRS[2 * value]!;
  out[at + 1] = PAIRS[2 * value + 1]!;
}

/** Writes the digits of `YYYY-MM-DDTHH:mm:ss` at out[at] (a year below 10000; the separators are there already). */
function putIso(
  out: Uint8Array,
  at: number,
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
) {
  const hundreds = (y / 100) | 0;
  putTwo(out, at, hundreds);
  putTwo(out, at + 2, y - hundreds * 100);
  putTwo(out, at + 5, mo);
  putTwo(out, at + 8, d);
  putTwo(out, at + 11, h);
  putTwo(out, at + 14, mi);
  putTwo(out, at + 17, s);
}

/**
 * Validates `dd/Mon/yyyy:HH:mm:ss[ +hhmm]` at bytes[start, end) and makes it the cached timestamp. Returns
 * null, or what is wrong with it (the offset problem is at column start + 20, the others at start); the cache is
 * left as it was then.
 */
function cacheDatetime(bytes: Uint8Array, start: number, end: number): string | null {
  const n = end - start;
  if (n !== 20 && n !== 26) return TIMESTAMP_SHAPE;
  let d = twoDigits(bytes, start);
  let mo = monthOf(bytes[start + 3]!, bytes[start + 4]!, bytes[start + 5]!);
  const y100 = twoDigits(bytes, start + 7);
  const y1 = twoDigits(bytes, start + 9);
  let h = twoDigits(bytes, start + 12);
  let mi = twoDigits(bytes, start + 15);
  let s = twoDigits(bytes, start + 18);
  if (
    (d | y100 | y1 | h | mi | s) < 0 ||
    mo === 0 ||
    bytes[start + 2] !== 0x2f ||
    bytes[start + 6] !== 0x2f ||
    bytes[start + 11] !== 0x3a ||
    bytes[start + 14] !== 0x3a ||
    bytes[start + 17] !== 0x3a
  ) {
    return TIMESTAMP_SHAPE;
  }
  let y = y100 * 100 + y1;
  // 60 is a leap second; like most log tools we let it roll into the next minute.
  if (y === 0 || d === 0 || (d > 28 && d > daysInMonth(y, mo)) || h > 23 || mi > 59 || s > 60) {
    return INVALID_DATE;
  }
  let offset = 0; // minutes east of UTC
  if (n === 26) {
    const sign = bytes[start + 21];
    const hh = twoDigits(bytes, start + 22);
    const mm = twoDigits(bytes, start + 24);
    if (bytes[start + 20] !== SPACE || (sign !== 0x2b && sign !== 0x2d) || (hh | mm) < 0 || mm > 59) {
      return OFFSET_SHAPE;
    }
    offset = hh * 60 + mm;
    if (offset > 18 * 60) return OFFSET_RANGE;
    if (sign === 0x2d) offset = -offset;
  }
  for (let i = 0; i < n; i++) cachedDatetime[i] = bytes[start + i]!;
  cachedLength = n;
  cachedStringsStale = true;
  let block: Buffer;
  let utcAt: number;
  if (n === 20) {
    block = UTC_BLOCK;
    utcAt = UTC_AT_UTC_BLOCK;
    cachedJson = UTC_JSON;
    cachedLocalEnd = LOCAL_AT + 24;
    cachedZoneAt = -1;
    cachedUtcBytes = UTC_OF_UTC_BLOCK;
  } else {
    block = ZONED_BLOCK;
    utcAt = UTC_AT_ZONED_BLOCK;
    cachedJson = ZONED_JSON;
    cachedLocalEnd = LOCAL_AT + 29;
    cachedZoneAt = ZONE_AT;
    cachedUtcBytes = UTC_OF_ZONED_BLOCK;
    // `-07:00` after `@timestamp` (-0000 is written +00:00: in RFC 3339 -00:00 means "offset unknown"), and
    // `timezone` as logged.
    block[LOCAL_OFFSET_AT] = offset === 0 ? 0x2b : bytes[start + 21]!;
    block[LOCAL_OFFSET_AT + 1] = bytes[start + 22]!;
    block[LOCAL_OFFSET_AT + 2] = bytes[start + 23]!;
    block[LOCAL_OFFSET_AT + 4] = bytes[start + 24]!;
    block[LOCAL_OFFSET_AT + 5] = bytes[start + 25]!;
    for (let k = 0; k < 5; k++) block[ZONE_AT + k] = bytes[start + 21 + k]!;
  }
  cachedBlock = block;
  cachedUtcAt = utcAt;

  if (s < 60) {
    // `@timestamp`: the logged digits in ISO order.
    block[LOCAL_AT] = bytes[start + 7]!;
    block[LOCAL_AT + 1] = bytes[start + 8]!;
    block[LOCAL_AT + 2] = bytes[start + 9]!;
    block[LOCAL_AT + 3] = bytes[start + 10]!;
    putTwo(block, LOCAL_AT + 5, mo);
    block[LOCAL_AT + 8] = bytes[start]!;
    block[LOCAL_AT + 9] = bytes[start + 1]!;
    block[LOCAL_AT + 11] = bytes[start + 12]!;
    block[LOCAL_AT + 12] = bytes[start + 13]!;
    block[LOCAL_AT + 14] = bytes[start + 15]!;
    block[LOCAL_AT + 15] = bytes[start + 16]!;
    block[LOCAL_AT + 17] = bytes[start + 18]!;
    block[LOCAL_AT + 18] = bytes[start + 19]!;
    // `@timestamp_utc`: the same, or another hour and minute of the same day, or of the day before or after.
    const minutes = h * 60 + mi - offset;
    if (minutes >= 0 && minutes < 1440) {
      for (let k = 0; k < 19; k++) block[utcAt + k] = block[LOCAL_AT + k]!;
      if (offset !== 0) {
        const uh = (minutes / 60) | 0;
        putTwo(block, utcAt + 11, uh);
        putTwo(block, utcAt + 14, minutes - uh * 60);
      }
      return null;
    }
  }
  // The rest: a leap second, or a UTC time on another day (year 10000 takes one of them).
  // The logged wall-clock time, a leap second rolled into the next minute (and hour, day, month, year).
  if (s === 60) {
    s = 0;
    if (++mi === 60) {
      mi = 0;
      if (++h === 24) {
        h = 0;
        if (++d > daysInMonth(y, mo)) {
          d = 1;
          if (++mo === 13) {
            mo = 1;
            y++;
          }
        }
      }
    }
  }
  // The same instant in UTC: at most one day away (offsets stay within ±18:00).
  let minutes = h * 60 + mi - offset;
  let uy = y;
  let umo = mo;
  let ud = d;
  if (minutes < 0) {
    minutes += 1440;
    if (--ud === 0) {
      if (--umo === 0) {
        umo = 12;
        uy--;
      }
      ud = daysInMonth(uy, umo);
    }
  } else if (minutes >= 1440) {
    minutes -= 1440;
    if (++ud > daysInMonth(uy, umo)) {
      ud = 1;
      if (++umo === 13) {
        umo = 1;
        uy++;
      }
    }
  }
  const uh = (minutes / 60) | 0;
  const umi = minutes - uh * 60;
  if (y > 9999 || uy > 9999) {
    yearTenThousand(bytes, start, n, [y, mo, d, h, mi, s], [uy, umo, ud, uh, umi, s]);
    return null;
  }
  putIso(block, LOCAL_AT, y, mo, d, h, mi, s);
  putIso(block, utcAt, uy, umo, ud, uh, umi, s);
  return null;
}

/**
 * The block for a time that reaches year 10000 (31/Dec/9999 with a leap second or a negative offset), which
 * Date#toISOString, the reference these blocks match, writes as an expanded year: `+010000-01-01T...`. Once in
 * the life of the calendar; built the slow way, as a block of its own.
 */
function yearTenThousand(bytes: Uint8Array, start: number, n: number, local: number[], utc: number[]): void {
  const two = (value: number) => String(value).padStart(2, '0');
  const iso = ([y, mo, d, h, mi, s]: number[]) =>
    `${y! > 9999 ? `+${String(y).padStart(6, '0')}` : String(y).padStart(4, '0')}-${two(mo!)}-${two(d!)}T${two(h!)}:${two(mi!)}:${two(s!)}.000`;
  const zone = n === 26 ? textOf(bytes, start + 21, start + 26) : null;
  const localText =
    zone === null
      ? `${iso(local)}Z`
      : `${iso(local)}${zone === '-0000' ? '+00' : zone.slice(0, 3)}:${zone.slice(3)}`;
  const block = template(
    `","@timestamp":"${localText}","timezone":${zone === null ? 'null' : `"${zone}"`},"@timestamp_utc":"${iso(utc)}Z","request":"`,
  );
  cachedBlock = block;
  cachedJson = jsonOf(block);
  cachedLocalEnd = LOCAL_AT + localText.length;
  cachedUtcAt = block.indexOf('_utc":"') + 7;
  cachedUtcBytes = utcOf(block, cachedUtcAt);
  cachedZoneAt = zone === null ? -1 : block.indexOf('"timezone":"') + 12;
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

// Set by writeQuoted: the first and last space of the field it copied (-1 when none), and whether it had to be
// rewritten with escapes (a position taken before it would not tell: escaping may move the record to a larger
// buffer, where positions start over).
let firstSpaceSeen = -1;
let lastSpaceSeen = -1;
let escapesSeen = false;

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
  escapesSeen = escapes;
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
  const requestEnd = writeQuoted(w, bytes, requestStart, end);
  if (requestEnd < 0) fail(bytes, start, end, "expected '\"' closing the request");
  const escaped = escapesSeen;
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
 * Copies src[from, to) to out[p] and returns the position after it: a long run (a path with a query string) in
 * one native copy, a short one byte by byte (cheaper than the view a native copy needs).
 */
function copyRange(src: Uint8Array, from: number, to: number, out: Uint8Array, p: number): number {
  if (to - from > 64) {
    out.set(src.subarray(from, to), p);
    return p + to - from;
  }
  for (let k = from; k < to; k++) out[p++] = src[k]!;
  return p;
}

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
    // A timestamp is 26 bytes with its offset, 20 without: anything else is the careful path's to report.
    close = datetimeStart + 26;
    if (src[close] !== 0x5d) close = datetimeStart + 20;
    if (close >= end || src[close] !== 0x5d || cacheDatetime(src, datetimeStart, close) !== null) return -1;
  }
  out.set(cachedBlock, p);
  p += cachedBlock.length;

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
  p = copyRange(src, firstSpace + 1, lastSpace, out, p);
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
  cachedStrings();
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
  start = afterBom(bytes, start, end);
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

/*
 * CSV on the bytes path, as the JSON is: writeCleanCsv writes a clean line's CSV record in one pass over the line,
 * straight into the output, with the timestamp from the JSON path's cache (validated and written once per distinct
 * timestamp; the logged form, `timestamp_utc` and `timezone` are copied from views of the cache). It takes the lines
 * the JSON fast path takes and gives up where it does (a backslash, a control character, `!` in a token, a request
 * line without protocol, ...), and also on a comma in a token (host, ident, authuser). The rest goes to the careful path, parseLine +
 * apacheToCsv, the record path of before; a property test holds the two to the same bytes and the same errors.
 * The only fields the fast path may have to quote are ones holding a comma (a quote, CR or LF makes it give up), so
 * it never doubles a quote.
 */
const COMMA = 0x2c;

/** Whether src[from, to) holds a comma. */
function hasComma(src: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (src[k] === COMMA) return true;
  return false;
}

/**
 * The CSV field of src[from, to) (which holds no quote, CR or LF) at out[p], quoted when `quoted` (it holds a
 * comma), `""` when empty; returns the position after it.
 */
function csvRange(
  src: Uint8Array,
  from: number,
  to: number,
  out: Uint8Array,
  p: number,
  quoted: boolean,
): number {
  if (from === to || quoted) {
    out[p++] = QUOTE;
    p = copyRange(src, from, to, out, p);
    out[p++] = QUOTE;
    return p;
  }
  return copyRange(src, from, to, out, p);
}

/*
 * A quoted field's bytes are copied as they are scanned, before it is known whether they must be quoted; they are
 * moved by one byte in the less common case: most requests and referrers hold no comma (written where they go, then
 * moved right to make room for the opening quote), most browsers' user agents hold one (`KHTML, like Gecko`: written
 * one byte on, then moved left when they need no quotes).
 */

/** Ends a field copied to out[p, q): quoted (moved right by one) when `quoted` or empty; returns the end. */
function endUnquoted(out: Uint8Array, p: number, q: number, quoted: boolean): number {
  if (!quoted && q > p) return q;
  if (q - p > 64) out.copyWithin(p + 1, p, q);
  else for (let k = q; k > p; k--) out[k] = out[k - 1]!;
  out[p] = QUOTE;
  out[q + 1] = QUOTE;
  return q + 2;
}

/** Ends a field copied to out[p + 1, q): quoted when `quoted` or empty, else moved left by one; returns the end. */
function endQuoted(out: Uint8Array, p: number, q: number, quoted: boolean): number {
  if (quoted || q === p + 1) {
    out[p] = QUOTE;
    out[q] = QUOTE;
    return q + 1;
  }
  if (q - p > 64) out.copyWithin(p, p + 1, q);
  else for (let k = p + 1; k < q; k++) out[k - 1] = out[k]!;
  return q - 1;
}

/** Ends a CSV record at out[p] (LF, or CRLF when `crlf`); returns the position after it. */
function csvEnd(out: Uint8Array, p: number, crlf: boolean): number {
  if (crlf) out[p++] = 0x0d;
  out[p++] = 0x0a;
  return p;
}

/**
 * Writes the CSV record of a clean line src[start, end) at out[p] and returns the position after it, or -1 to leave
 * the line to the careful path. The caller has made room for 2 * (end - start) + 512 bytes.
 */
function writeCleanCsv(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  p: number,
  crlf: boolean,
): number {
  // The token loops end on the first byte below `#` (a space ends the token; a control character, `!` or a quote
  // gives up, as in writeCleanLine) or a comma (gives up: a token is written unquoted); as in writeCleanLine they are
  // written out rather than shared.
  let i = start;
  let c: number;

  // %h %l %u, each followed by its comma.
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === COMMA) break;
    out[p++] = c;
    i++;
  }
  if (c !== SPACE || i === start) return -1;
  out[p++] = COMMA;
  const identStart = ++i;
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === COMMA) break;
    out[p++] = c;
    i++;
  }
  if (c !== SPACE || i === identStart) return -1;
  out[p++] = COMMA;
  const userStart = ++i;
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === COMMA) break;
    out[p++] = c;
    i++;
  }
  if (c !== SPACE || i === userStart) return -1;
  out[p++] = COMMA;

  // [%t]: the cached timestamp, or a new one validated and cached (as writeCleanLine does); written as logged.
  if (i + 1 >= end || src[i + 1] !== 0x5b) return -1;
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
    close = datetimeStart + 26;
    if (src[close] !== 0x5d) close = datetimeStart + 20;
    if (close >= end || src[close] !== 0x5d || cacheDatetime(src, datetimeStart, close) !== null) return -1;
  }
  // (The logged bytes, now cached: one native copy of a view made once is cheaper than a loop of 20-26 bytes.)
  if (cachedLength === 26) {
    out.set(DATETIME_26, p);
    p += 26;
  } else {
    out.set(DATETIME_20, p);
    p += 20;
  }
  out[p++] = COMMA;

  // "%r": quoted when it holds a comma; verb, path and protocol (from its first and last space) come later.
  i = close + 1;
  if (i + 1 >= end || src[i] !== SPACE || src[i + 1] !== QUOTE) return -1;
  i += 2;
  const requestStart = i;
  let firstSpace = -1;
  let lastSpace = -1;
  let comma = false;
  let q = p;
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === COMMA || c === BACKSLASH) {
      if (c === SPACE) {
        if (firstSpace < 0) firstSpace = i;
        lastSpace = i;
      } else if (c === COMMA) {
        comma = true;
      } else if (c !== 0x21) {
        break;
      }
    }
    out[q++] = c;
    i++;
  }
  if (c !== QUOTE || lastSpace <= firstSpace) return -1;
  const requestEnd = i;
  p = endUnquoted(out, p, q, comma);

  // %>s %b (a status without a leading zero; bytes as a number, `-` as 0)
  i = requestEnd + 1;
  if (i + 5 > end || src[i] !== SPACE || src[i + 4] !== SPACE) return -1;
  const s0 = src[i + 1]! - 48;
  const s1 = src[i + 2]! - 48;
  const s2 = src[i + 3]! - 48;
  if (s0 < 1 || s0 > 9 || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9) return -1;
  out[p++] = COMMA;
  out[p++] = s0 + 48;
  out[p++] = s1 + 48;
  out[p++] = s2 + 48;
  out[p++] = COMMA;
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
  if (i < end && src[i] !== SPACE) return -1;

  // timestamp_utc and timezone (empty when none is logged), from the cached block.
  out[p++] = COMMA;
  out.set(cachedUtcBytes, p);
  p += cachedUtcBytes.length;
  out[p++] = COMMA;
  if (cachedLength === 26) {
    out.set(DATETIME_ZONE, p);
    p += 5;
  }
  out[p++] = COMMA;

  // verb, path, protocol: each quoted when it holds a comma (only when the request does).
  p = csvRange(src, requestStart, firstSpace, out, p, comma && hasComma(src, requestStart, firstSpace));
  out[p++] = COMMA;
  p = csvRange(src, firstSpace + 1, lastSpace, out, p, comma && hasComma(src, firstSpace + 1, lastSpace));
  out[p++] = COMMA;
  p = csvRange(src, lastSpace + 1, requestEnd, out, p, comma && hasComma(src, lastSpace + 1, requestEnd));
  out[p++] = COMMA;

  // "%{Referer}i" "%{User-Agent}i" in the combined format (empty fields in the common one); anything after them
  // is ignored.
  if (i + 1 >= end || src[i + 1] !== QUOTE) {
    if (!endsLine(src, i, end)) return -1;
    out[p++] = COMMA;
    return csvEnd(out, p, crlf);
  }
  i += 2;
  comma = false;
  q = p;
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === COMMA || c === BACKSLASH) {
      if (c === COMMA) comma = true;
      else if (c !== SPACE && c !== 0x21) break;
    }
    out[q++] = c;
    i++;
  }
  if (c !== QUOTE) return -1;
  p = endUnquoted(out, p, q, comma);
  out[p++] = COMMA;
  if (i + 2 >= end || src[i + 1] !== SPACE || src[i + 2] !== QUOTE) {
    if (!endsLine(src, i + 1, end)) return -1;
    return csvEnd(out, p, crlf);
  }
  i += 3;
  comma = false;
  q = p + 1;
  for (;;) {
    if (i >= end) return -1;
    c = src[i]!;
    if (c < 0x23 || c === COMMA || c === BACKSLASH) {
      if (c === COMMA) comma = true;
      else if (c !== SPACE && c !== 0x21) break;
    }
    out[q++] = c;
    i++;
  }
  if (c !== QUOTE || !endsLine(src, i + 1, end)) return -1;
  p = endQuoted(out, p, q, comma);
  return csvEnd(out, p, crlf);
}

/** Writes the CSV record of the line at bytes[start, end): the fast path, or the careful one. */
function writeCsvLine(
  bytes: Uint8Array,
  start: number,
  end: number,
  w: ByteWriter,
  lineEnding: CsvLineEnding,
): void {
  w.ensure(2 * (end - start) + 512);
  const next = writeCleanCsv(bytes, start, end, w.buf, w.pos, lineEnding === '\r\n');
  if (next < 0) w.text(apacheToCsv(parseLine(bytes, start, end), lineEnding));
  else w.pos = next;
}

/**
 * {@link apacheRecordToCsv} as {@link writeApacheJson} is to apacheRecordToJson: the record at bytes[start, end),
 * already checked to be UTF-8, appended to the writer's current record without ending it; on a throw, the writer
 * may hold part of the record (the caller discards it).
 */
export function writeApacheCsv(
  bytes: Uint8Array,
  start: number,
  end: number,
  writer: ByteWriter,
  lineEnding: CsvLineEnding = '\n',
): void {
  // A record of one clean line goes to the fast path whole, as in writeApacheJson (after a BOM opening the record).
  start = afterBom(bytes, start, end);
  const stop = end > start && bytes[end - 1] === 0x0a ? end - 1 : end;
  if (stop - start <= WHOLE_RECORD_FAST_PATH_BYTES) {
    writer.ensure(2 * (stop - start) + 512);
    const next = writeCleanCsv(bytes, start, stop, writer.buf, writer.pos, lineEnding === '\r\n');
    if (next >= 0) {
      writer.pos = next;
      return;
    }
  }
  forEachLineIn(bytes, start, end, (lineStart, lineEnd) =>
    writeCsvLine(bytes, lineStart, lineEnd, writer, lineEnding),
  );
}

/** Whether the JSON fast path writes `line` itself (tests hold their clean lines to it). @internal */
export function takesJsonFastPath(line: string): boolean {
  const bytes = Buffer.from(line, 'utf8');
  return writeCleanLine(bytes, 0, bytes.length, Buffer.alloc(2 * bytes.length + 512), 0) >= 0;
}

/** Whether the CSV fast path writes `line` itself (tests hold their clean lines to it). @internal */
export function takesCsvFastPath(line: string): boolean {
  const bytes = Buffer.from(line, 'utf8');
  return writeCleanCsv(bytes, 0, bytes.length, Buffer.alloc(2 * bytes.length + 512), 0, false) >= 0;
}
