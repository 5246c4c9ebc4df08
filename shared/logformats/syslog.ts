/**
 * Syslog lines, RFC 3164 (BSD) and RFC 5424, read by a hand-written, index-based scanner: linear in the line
 * length whatever the input (AWS's blueprint regex nests optional groups and backtracks).
 *
 *   RFC 3164  <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG
 *   RFC 5424  <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
 *
 * RFC 3164 as found in the wild: the `<PRI>` is optional (files written by syslogd have none, which is all AWS's
 * blueprint accepts), the timestamp may carry a year (`Mmm dd yyyy hh:mm:ss`), fractional seconds, or be an
 * RFC 3339 timestamp (rsyslog's high-precision format); the HOSTNAME may be absent (`Oct 11 22:14:15 su: ...`,
 * recognised because the first word is a TAG ending in `:`); the TAG may be absent (the rest is the message).
 * RFC 3164 timestamps have no year and no zone: the year is the one that puts the time closest before the
 * record's arrival (a December line arriving in January belongs to the previous year) and the zone is UTC.
 *
 * RFC 5424: `-` (NILVALUE) fields are null; STRUCTURED-DATA elements are parsed, with `\"`, `\\` and `\]`
 * unescaped in PARAM-VALUEs (any other backslash is kept, as the RFC says); a UTF-8 BOM opening MSG is removed.
 *
 * @example
 * ```ts
 * const entry = parseSyslogLine('<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - BOM\'su root\' failed');
 * entry.facility; // 4 (auth)
 * syslogToJson(entry); // '{"timestamp":"2003-10-11T22:14:15.003Z","hostname":"mymachine",...}'
 * ```
 */
import type { ByteWriter } from './bytes';
import { type CsvLineEnding, csvRecord } from './csv';
import { LogParseError } from './errors';
import { jsonString, jsonStringOrNull } from './json';
import { decodeLines, forEachLineIn, mapLines } from './lines';
import { digitsAt, epochMs, isoUtc, monthOf } from './time';

/** One SD-ELEMENT: its SD-ID and its parameters in order (a name may repeat). */
export interface SyslogSdElement {
  id: string;
  params: [name: string, value: string][];
}

export interface SyslogEntry {
  format: 'rfc3164' | 'rfc5424';
  /** PRI value 0-191 (facility * 8 + severity); null when the line has no `<PRI>`. */
  priority: number | null;
  /** 0-23; see {@link SYSLOG_FACILITIES}. */
  facility: number | null;
  /** 0-7; see {@link SYSLOG_SEVERITIES}. */
  severity: number | null;
  /** RFC 5424 VERSION; null for RFC 3164. */
  version: number | null;
  /** The timestamp exactly as logged; null for an RFC 5424 NILVALUE. */
  timestamp: string | null;
  /** The same instant in UTC, ISO-8601 (`2003-10-11T22:14:15.003Z`); null when there is no timestamp. */
  timestampUtc: string | null;
  hostname: string | null;
  /** RFC 3164 TAG (the program) or RFC 5424 APP-NAME. */
  program: string | null;
  /** RFC 3164 `[PID]` or RFC 5424 PROCID (not always a number). */
  processid: string | null;
  /** RFC 5424 MSGID. */
  msgid: string | null;
  /** RFC 5424 STRUCTURED-DATA, parsed; null for NILVALUE and RFC 3164. */
  structuredData: SyslogSdElement[] | null;
  /** RFC 5424 STRUCTURED-DATA exactly as logged (escapes included); null for NILVALUE and RFC 3164. */
  structuredDataText: string | null;
  /** MSG; null when the line ends before it. */
  message: string | null;
}

/** Facility keywords by code (RFC 5424 table 1, with the names syslog.conf uses). */
export const SYSLOG_FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

/** Severity keywords by code (RFC 5424 table 2, with the names syslog.conf uses). */
export const SYSLOG_SEVERITIES = [
  'emerg',
  'alert',
  'crit',
  'err',
  'warning',
  'notice',
  'info',
  'debug',
] as const;

export interface SyslogParseOptions {
  /**
   * Epoch milliseconds the line is known to be no older than by much (the record's arrival time): used to give
   * RFC 3164 timestamps, which have no year, the year that puts them closest before it. Default: now.
   */
  referenceTime?: number;
}

const SPACE = 0x20;
const NIL = '-';
// RFC 3164 lines stamped up to this long after the reference time are still taken as this year's (clock skew).
const FUTURE_SKEW_MS = 7 * 24 * 3600 * 1000;

function fail(problem: string, index: number): never {
  throw new LogParseError('syslog', problem, index + 1);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** End of the space-terminated token starting at `i`; fails when it is empty or the line ends before a space. */
function tokenEnd(line: string, i: number, name: string, mayEndLine = false): number {
  let end = line.indexOf(' ', i);
  if (end < 0) {
    if (!mayEndLine) fail(`expected a space after ${name}`, line.length);
    end = line.length;
  }
  if (end === i) fail(`expected ${name}`, i);
  return end;
}

/**
 * An RFC 3339 timestamp `YYYY-MM-DDTHH:MM:SS[.1-6 digits](Z|+HH:MM|-HH:MM)` filling text[at, end) exactly, as
 * epoch milliseconds (fractions beyond milliseconds are truncated); fails naming the column.
 */
function rfc3339(text: string, at: number, end: number): number {
  const year = digitsAt(text, at, 4);
  const month = digitsAt(text, at + 5, 2);
  const day = digitsAt(text, at + 8, 2);
  const hour = digitsAt(text, at + 11, 2);
  const minute = digitsAt(text, at + 14, 2);
  const second = digitsAt(text, at + 17, 2);
  if (
    end - at < 19 ||
    year < 0 ||
    month < 0 ||
    day < 0 ||
    hour < 0 ||
    minute < 0 ||
    second < 0 ||
    text.charCodeAt(at + 4) !== 0x2d ||
    text.charCodeAt(at + 7) !== 0x2d ||
    text.charCodeAt(at + 10) !== 0x54 ||
    text.charCodeAt(at + 13) !== 0x3a ||
    text.charCodeAt(at + 16) !== 0x3a
  ) {
    fail('expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z', at);
  }
  let i = at + 19;
  let millisecond = 0;
  if (text.charCodeAt(i) === 0x2e) {
    const fractionStart = ++i;
    while (i < end && isDigit(text.charCodeAt(i))) {
      if (i - fractionStart < 3) millisecond = millisecond * 10 + (text.charCodeAt(i) - 48);
      i++;
    }
    const digits = i - fractionStart;
    if (digits === 0 || digits > 6) fail('expected 1 to 6 digits of fractional seconds', fractionStart);
    for (let d = digits; d < 3; d++) millisecond *= 10;
  }
  const ms = epochMs(year, month, day, hour, minute, second, millisecond);
  if (ms === null) fail('invalid date or time', at);
  const zone = text.charCodeAt(i);
  if (zone === 0x5a && i + 1 === end) return ms;
  if ((zone === 0x2b || zone === 0x2d) && i + 6 === end && text.charCodeAt(i + 3) === 0x3a) {
    const hh = digitsAt(text, i + 1, 2);
    const mm = digitsAt(text, i + 4, 2);
    if (hh >= 0 && hh <= 23 && mm >= 0 && mm <= 59) {
      const offset = (hh * 60 + mm) * 60_000;
      return zone === 0x2b ? ms - offset : ms + offset;
    }
  }
  return fail("expected 'Z' or a UTC offset like +02:00", i);
}

interface Pri {
  priority: number | null;
  next: number;
}

function readPri(line: string): Pri {
  if (line.charCodeAt(0) !== 0x3c) return { priority: null, next: 0 };
  let i = 1;
  let value = 0;
  while (i < line.length && i <= 3 && isDigit(line.charCodeAt(i)))
    value = value * 10 + (line.charCodeAt(i++) - 48);
  if (i === 1) fail('expected a priority number', 1);
  if (line.charCodeAt(i) !== 0x3e) fail("expected '>'", i);
  if (value > 191) fail('priority out of range (0-191)', 1);
  return { priority: value, next: i + 1 };
}

function entry(format: SyslogEntry['format'], priority: number | null): SyslogEntry {
  return {
    format,
    priority,
    facility: priority === null ? null : priority >> 3,
    severity: priority === null ? null : priority & 7,
    version: null,
    timestamp: null,
    timestampUtc: null,
    hostname: null,
    program: null,
    processid: null,
    msgid: null,
    structuredData: null,
    structuredDataText: null,
    message: null,
  };
}

const nilable = (value: string): string | null => (value === NIL ? null : value);

/** Reads one SD-PARAM value starting after its opening quote; returns the value and the closing quote's index. */
function sdValue(line: string, i: number): { value: string; end: number } {
  let value = '';
  let chunk = i;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x22) return { value: value + line.slice(chunk, i), end: i };
    if (c === 0x5c) {
      const next = line.charCodeAt(i + 1);
      // RFC 5424 6.3.3: only ", \ and ] are escaped; any other backslash is kept as it is.
      if (next === 0x22 || next === 0x5c || next === 0x5d) {
        value += line.slice(chunk, i);
        chunk = i + 1;
        i++;
      }
    }
  }
  return fail("expected '\"' closing a structured-data value", line.length);
}

/** SD-NAME: 1-32 printable US-ASCII characters except '=', space, ']' and '"'. Returns its end. */
function sdName(line: string, i: number, what: string): number {
  const start = i;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x3d || c === SPACE || c === 0x5d || c === 0x22) break;
    if (c < 33 || c > 126) fail(`invalid character in ${what}`, i);
  }
  if (i === start) fail(`expected ${what}`, i);
  return i;
}

function structuredData(line: string, i: number): { elements: SyslogSdElement[]; end: number } {
  const elements: SyslogSdElement[] = [];
  while (line.charCodeAt(i) === 0x5b) {
    const idEnd = sdName(line, i + 1, 'an SD-ID');
    const element: SyslogSdElement = { id: line.slice(i + 1, idEnd), params: [] };
    i = idEnd;
    while (line.charCodeAt(i) === SPACE) {
      const nameEnd = sdName(line, i + 1, 'a PARAM-NAME');
      if (line.charCodeAt(nameEnd) !== 0x3d) fail("expected '='", nameEnd);
      if (line.charCodeAt(nameEnd + 1) !== 0x22) fail("expected '\"'", nameEnd + 1);
      const { value, end } = sdValue(line, nameEnd + 2);
      element.params.push([line.slice(i + 1, nameEnd), value]);
      i = end + 1;
    }
    if (line.charCodeAt(i) !== 0x5d) fail("expected ']'", i);
    elements.push(element);
    i++;
  }
  return { elements, end: i };
}

function parse5424(line: string, e: SyslogEntry, i: number): SyslogEntry {
  let end = tokenEnd(line, i, 'a version');
  e.version = Number(line.slice(i, end));
  i = end + 1;
  end = tokenEnd(line, i, 'a timestamp');
  const timestamp = line.slice(i, end);
  if (timestamp !== NIL) {
    e.timestamp = timestamp;
    e.timestampUtc = isoUtc(rfc3339(line, i, end));
  }
  i = end + 1;
  end = tokenEnd(line, i, 'a hostname');
  e.hostname = nilable(line.slice(i, end));
  i = end + 1;
  end = tokenEnd(line, i, 'an app-name');
  e.program = nilable(line.slice(i, end));
  i = end + 1;
  end = tokenEnd(line, i, 'a procid');
  e.processid = nilable(line.slice(i, end));
  i = end + 1;
  end = tokenEnd(line, i, 'a msgid');
  e.msgid = nilable(line.slice(i, end));
  i = end + 1;
  if (line.charCodeAt(i) === 0x2d) {
    i++;
  } else if (line.charCodeAt(i) === 0x5b) {
    const sd = structuredData(line, i);
    e.structuredData = sd.elements;
    e.structuredDataText = line.slice(i, sd.end);
    i = sd.end;
  } else {
    fail("expected '-' or '[' (structured data)", i);
  }
  if (i < line.length) {
    if (line.charCodeAt(i) !== SPACE) fail("expected ' ' before the message", i);
    // A MSG that starts with a BOM is UTF-8 (RFC 5424 6.4); the BOM itself is not part of the text.
    e.message = line.charCodeAt(i + 1) === 0xfeff ? line.slice(i + 2) : line.slice(i + 1);
  }
  return e;
}

const TIMESTAMP_3164 = 'expected a timestamp like Oct 11 22:14:15';

/** `hh:mm:ss[.fraction]` at `i`; returns [hour, minute, second, millisecond, end]. */
function clock(line: string, i: number): [number, number, number, number, number] {
  const hour = digitsAt(line, i, 2);
  const minute = digitsAt(line, i + 3, 2);
  const second = digitsAt(line, i + 6, 2);
  if (
    hour < 0 ||
    minute < 0 ||
    second < 0 ||
    line.charCodeAt(i + 2) !== 0x3a ||
    line.charCodeAt(i + 5) !== 0x3a
  ) {
    fail(TIMESTAMP_3164, i);
  }
  let end = i + 8;
  let millisecond = 0;
  const separator = line.charCodeAt(end);
  if ((separator === 0x2e || separator === 0x2c) && isDigit(line.charCodeAt(end + 1))) {
    const fractionStart = ++end;
    while (isDigit(line.charCodeAt(end))) {
      if (end - fractionStart < 3) millisecond = millisecond * 10 + (line.charCodeAt(end) - 48);
      end++;
    }
    for (let d = end - fractionStart; d < 3; d++) millisecond *= 10;
  }
  return [hour, minute, second, millisecond, end];
}

/** Reads an RFC 3164 timestamp at `i` into `e`; returns the index after it. */
function timestamp3164(line: string, e: SyslogEntry, i: number, referenceTime: number): number {
  if (isDigit(line.charCodeAt(i))) {
    // rsyslog's RFC 3339 "high precision" traditional format.
    const end = tokenEnd(line, i, 'a timestamp', true);
    e.timestamp = line.slice(i, end);
    e.timestampUtc = isoUtc(rfc3339(line, i, end));
    return end;
  }
  const month = monthOf(line.charCodeAt(i), line.charCodeAt(i + 1), line.charCodeAt(i + 2));
  if (month === 0 || line.charCodeAt(i + 3) !== SPACE) fail(TIMESTAMP_3164, i);
  // The day is space-padded ("Oct  1") or not ("Oct 1", "Oct 01").
  let j = i + 4;
  if (line.charCodeAt(j) === SPACE) j++;
  let day = 0;
  const dayStart = j;
  while (j - dayStart < 2 && isDigit(line.charCodeAt(j))) day = day * 10 + (line.charCodeAt(j++) - 48);
  if (j === dayStart || line.charCodeAt(j) !== SPACE) fail(TIMESTAMP_3164, dayStart);
  j++;
  let year = -1;
  if (line.charCodeAt(j + 4) === SPACE && line.charCodeAt(j + 2) !== 0x3a) {
    year = digitsAt(line, j, 4);
    if (year < 0) fail(TIMESTAMP_3164, j);
    j += 5;
  }
  const [hour, minute, second, millisecond, end] = clock(line, j);
  let ms: number | null;
  if (year >= 0) {
    ms = epochMs(year, month, day, hour, minute, second, millisecond);
  } else {
    const thisYear = new Date(referenceTime).getUTCFullYear();
    ms = epochMs(thisYear, month, day, hour, minute, second, millisecond);
    if (ms !== null && ms > referenceTime + FUTURE_SKEW_MS) {
      ms = epochMs(thisYear - 1, month, day, hour, minute, second, millisecond);
    }
  }
  if (ms === null) fail('invalid date or time', i);
  e.timestamp = line.slice(i, end);
  e.timestampUtc = isoUtc(ms);
  return end;
}

/** If a TAG (`name:` or `name[pid]:`, then a space or the end) starts at `i`, sets program/processid and returns where MSG starts. */
function tag(line: string, e: SyslogEntry, i: number): number {
  let j = i;
  for (; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (c === SPACE || c === 0x3a || c === 0x5b) break;
  }
  if (j === i) return -1;
  const nameEnd = j;
  let pid: string | null = null;
  if (line.charCodeAt(j) === 0x5b) {
    const close = line.indexOf(']', j + 1);
    const space = line.indexOf(' ', j + 1);
    if (close < 0 || (space >= 0 && space < close)) return -1;
    pid = line.slice(j + 1, close);
    j = close + 1;
  }
  // The colon ends the word (`su: ...`, `su:` at the end); "fe80::1" is a hostname, not a TAG.
  if (line.charCodeAt(j) !== 0x3a || (j + 1 < line.length && line.charCodeAt(j + 1) !== SPACE)) return -1;
  e.program = line.slice(i, nameEnd);
  e.processid = pid;
  return Math.min(j + 2, line.length);
}

function parse3164(line: string, e: SyslogEntry, i: number, referenceTime: number): SyslogEntry {
  i = timestamp3164(line, e, i, referenceTime);
  if (i >= line.length) return e;
  if (line.charCodeAt(i) !== SPACE) fail("expected ' ' after the timestamp", i);
  i++;
  let messageStart = tag(line, e, i);
  if (messageStart < 0) {
    // Not a TAG: the word is the HOSTNAME, and a TAG may follow it.
    const end = tokenEnd(line, i, 'a hostname', true);
    e.hostname = line.slice(i, end);
    i = end + 1;
    if (i > line.length) return e;
    messageStart = tag(line, e, i);
    if (messageStart < 0) messageStart = i;
  }
  e.message = line.slice(messageStart);
  return e;
}

/** Parses one syslog line (no line terminator). Throws {@link LogParseError} naming the column. */
export function parseSyslogLine(line: string, options: SyslogParseOptions = {}): SyslogEntry {
  const { priority, next } = readPri(line);
  const i = next;
  // RFC 5424: VERSION is 1-3 digits, not zero-led, followed by a space ("1 "); an RFC 3164 line continues with a
  // month name or, in rsyslog's variant, a four-digit year followed by '-'.
  let digits = 0;
  while (digits < 4 && isDigit(line.charCodeAt(i + digits))) digits++;
  if (digits >= 1 && digits <= 3 && line.charCodeAt(i + digits) === SPACE && line.charCodeAt(i) !== 48) {
    return parse5424(line, entry('rfc5424', priority), i);
  }
  if (i >= line.length) fail('expected a timestamp', i);
  return parse3164(line, entry('rfc3164', priority), i, options.referenceTime ?? Date.now());
}

function structuredDataJson(elements: SyslogSdElement[] | null): string {
  if (elements === null) return 'null';
  // Keyed by SD-ID (repeated SD-IDs, which the RFC forbids, are merged); a repeated PARAM-NAME becomes an array.
  const byId = new Map<string, Map<string, string[]>>();
  for (const element of elements) {
    let params = byId.get(element.id);
    if (!params) {
      params = new Map();
      byId.set(element.id, params);
    }
    for (const [name, value] of element.params) {
      const values = params.get(name);
      if (values) values.push(value);
      else params.set(name, [value]);
    }
  }
  let out = '{';
  for (const [id, params] of byId) {
    if (out.length > 1) out += ',';
    out += jsonString(id) + ':{';
    let first = true;
    for (const [name, values] of params) {
      if (!first) out += ',';
      first = false;
      out +=
        jsonString(name) +
        ':' +
        (values.length === 1 ? jsonString(values[0]!) : '[' + values.map(jsonString).join(',') + ']');
    }
    out += '}';
  }
  return out + '}';
}

const numberOrNull = (value: number | null): string => (value === null ? 'null' : String(value));

/**
 * JSON keys, in output order. AWS's blueprint names first (kinesis-firehose-syslog-to-json: timestamp,
 * hostname, program, processid, message), then ours. Every key is always present (null when the line has no
 * value). `structured_data` is an object keyed by SD-ID, each an object of PARAM-NAME to value (an array when a
 * name repeats), or null.
 */
export const SYSLOG_JSON_KEYS = [
  'timestamp',
  'hostname',
  'program',
  'processid',
  'message',
  '@timestamp',
  'format',
  'priority',
  'facility',
  'facility_name',
  'severity',
  'severity_name',
  'version',
  'msgid',
  'structured_data',
] as const;

/** One JSON object (no trailing newline) with the keys of {@link SYSLOG_JSON_KEYS}. */
export function syslogToJson(e: SyslogEntry): string {
  return (
    '{"timestamp":' +
    jsonStringOrNull(e.timestamp) +
    ',"hostname":' +
    jsonStringOrNull(e.hostname) +
    ',"program":' +
    jsonStringOrNull(e.program) +
    ',"processid":' +
    jsonStringOrNull(e.processid) +
    ',"message":' +
    jsonStringOrNull(e.message) +
    ',"@timestamp":' +
    jsonStringOrNull(e.timestampUtc) +
    ',"format":"' +
    e.format +
    '","priority":' +
    numberOrNull(e.priority) +
    ',"facility":' +
    numberOrNull(e.facility) +
    ',"facility_name":' +
    (e.facility === null ? 'null' : '"' + SYSLOG_FACILITIES[e.facility] + '"') +
    ',"severity":' +
    numberOrNull(e.severity) +
    ',"severity_name":' +
    (e.severity === null ? 'null' : '"' + SYSLOG_SEVERITIES[e.severity] + '"') +
    ',"version":' +
    numberOrNull(e.version) +
    ',"msgid":' +
    jsonStringOrNull(e.msgid) +
    ',"structured_data":' +
    structuredDataJson(e.structuredData) +
    '}'
  );
}

/**
 * CSV columns, in order. The first five are AWS's kinesis-firehose-syslog-to-csv columns (Python blueprint:
 * timestamp, hostname, program, processid, message); ours follow. `structured_data` is the STRUCTURED-DATA text
 * as logged. A missing value is an empty field, never "undefined" (AWS's Node blueprint) or "null" (Python).
 */
export const SYSLOG_CSV_COLUMNS = [
  'timestamp',
  'hostname',
  'program',
  'processid',
  'message',
  'timestamp_utc',
  'format',
  'priority',
  'facility',
  'facility_name',
  'severity',
  'severity_name',
  'version',
  'msgid',
  'structured_data',
] as const;

/** One RFC 4180 CSV record in {@link SYSLOG_CSV_COLUMNS} order, with its line ending. */
export function syslogToCsv(e: SyslogEntry, lineEnding: CsvLineEnding = '\n'): string {
  return csvRecord(
    [
      e.timestamp,
      e.hostname,
      e.program,
      e.processid,
      e.message,
      e.timestampUtc,
      e.format,
      e.priority,
      e.facility,
      e.facility === null ? null : SYSLOG_FACILITIES[e.facility]!,
      e.severity,
      e.severity === null ? null : SYSLOG_SEVERITIES[e.severity]!,
      e.version,
      e.msgid,
      e.structuredDataText,
    ],
    lineEnding,
  );
}

/**
 * A whole record (UTF-8 bytes, one or more lines; see {@link mapLines} for the line rules) to newline-delimited
 * JSON, one object per line, as a view into `writer`. Throws {@link LogParseError}.
 */
export function syslogRecordToJson(
  bytes: Uint8Array,
  writer: ByteWriter,
  options: SyslogParseOptions = {},
): Uint8Array {
  return mapLines(decodeLines(bytes), (line) => syslogToJson(parseSyslogLine(line, options)) + '\n', writer);
}

/**
 * A whole record to CSV, one CSV record per line ({@link SYSLOG_CSV_COLUMNS}), as a view into `writer`.
 * Throws {@link LogParseError}.
 */
export function syslogRecordToCsv(
  bytes: Uint8Array,
  writer: ByteWriter,
  options: SyslogParseOptions = {},
  lineEnding: CsvLineEnding = '\n',
): Uint8Array {
  return mapLines(
    decodeLines(bytes),
    (line) => syslogToCsv(parseSyslogLine(line, options), lineEnding),
    writer,
  );
}

/** The record's reference time for RFC 3164's missing year: its arrival time, or now when the event has none. */
function referenceOf(referenceTime: number | undefined): number {
  return referenceTime ?? Date.now();
}

/** A line's text: Buffer#toString keeps a BOM (TextDecoder would drop one opening the line). */
function lineText(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('utf8', start, end);
}

/** Where the record's lines start: after a UTF-8 BOM opening the record (dropped, as decoding the record drops it). */
function afterBom(bytes: Uint8Array, start: number, end: number): number {
  return end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf
    ? start + 3
    : start;
}

/**
 * {@link syslogRecordToJson} for the record at bytes[start, end), already checked to be UTF-8, appending to the
 * writer's current record without ending it (what a BytesTransform does): the same bytes out, the same errors.
 * On a throw, the writer may hold part of the record: the caller discards it.
 */
export function writeSyslogJson(
  bytes: Buffer,
  start: number,
  end: number,
  writer: ByteWriter,
  options: SyslogParseOptions = {},
): void {
  const referenceTime = referenceOf(options.referenceTime);
  forEachLineIn(bytes, afterBom(bytes, start, end), end, (lineStart, lineEnd) => {
    writer.text(syslogToJson(parseSyslogLine(lineText(bytes, lineStart, lineEnd), { referenceTime })) + '\n');
  });
}

/** {@link syslogRecordToCsv} as {@link writeSyslogJson} is to syslogRecordToJson. */
export function writeSyslogCsv(
  bytes: Buffer,
  start: number,
  end: number,
  writer: ByteWriter,
  options: SyslogParseOptions = {},
  lineEnding: CsvLineEnding = '\n',
): void {
  const referenceTime = referenceOf(options.referenceTime);
  forEachLineIn(bytes, afterBom(bytes, start, end), end, (lineStart, lineEnd) => {
    writer.text(
      syslogToCsv(parseSyslogLine(lineText(bytes, lineStart, lineEnd), { referenceTime }), lineEnding),
    );
  });
}
