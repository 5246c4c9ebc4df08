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
import { afterBom, type ByteWriter } from './bytes';
import { type CsvLineEnding, csvRecord } from './csv';
import { LogParseError } from './errors';
import { jsonString, jsonStringOrNull } from './json';
import { decodeLines, forEachLineIn, mapLines } from './lines';
import { daysFromCivil, digitsAt, digitsAtBytes, epochMs, isoUtc, monthOf } from './time';

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

/*
 * The fast path. Nearly every line a syslog daemon forwards is clean: an RFC 3164 or RFC 5424 header whose fields
 * need no escaping, structured data without backslashes or repeated names, a message. scanClean reads such a line
 * once, index by index over its UTF-8 bytes, recording where each field lies in `scan`; writeCleanJson and
 * writeCleanCsv then copy the fields straight into the output bytes, with no string and no entry object. On
 * anything else scanClean returns false and the line goes to parseSyslogLine (which writes it or names the
 * problem). Both write the same bytes for any line, and the same error for any bad one: a property test holds them
 * to it.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const DASH = 0x2d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Most SD-ELEMENTs and SD-PARAMs the fast path takes in one line (more: the careful path). */
const MAX_SD_ELEMENTS = 16;
const MAX_SD_PARAMS = 64;

/** Byte offsets of the fields of the last line scanClean accepted; a start of -1 is a null field. */
class SyslogScan {
  rfc5424 = false;
  priority = -1;
  versionStart = 0;
  versionEnd = 0;
  timestampStart = -1;
  timestampEnd = -1;
  /** Epoch ms of the timestamp (when timestampStart >= 0). */
  utcMs = 0;
  /**
   * Set when the timestamp's UTC form is its own fields (no offset, no leap second): then they are written as they
   * are, without turning utcMs back into a date. The year is the one the line has or was given.
   */
  utcFields = false;
  year = 0;
  month = 0;
  day = 0;
  hour = 0;
  minute = 0;
  second = 0;
  millisecond = 0;
  hostStart = -1;
  hostEnd = -1;
  programStart = -1;
  programEnd = -1;
  pidStart = -1;
  pidEnd = -1;
  msgidStart = -1;
  msgidEnd = -1;
  sdStart = -1;
  sdEnd = -1;
  sdElements = 0;
  /** Per element: id start, id end, first param, end param (4 numbers each). */
  readonly elements = new Int32Array(4 * MAX_SD_ELEMENTS);
  /** Per param: name start, name end, value start, value end (4 numbers each). */
  readonly params = new Int32Array(4 * MAX_SD_PARAMS);
  messageStart = -1;
  messageEnd = -1;
}

const scan = new SyslogScan();

// The year of the last reference time, and the span of epoch ms it covers (empty until one is computed).
let referenceYear = 0;
let referenceYearStart = 1;
let referenceYearEnd = 0;

function yearOf(referenceTime: number): number {
  if (referenceTime >= referenceYearStart && referenceTime < referenceYearEnd) return referenceYear;
  const year = new Date(referenceTime).getUTCFullYear();
  referenceYear = year;
  referenceYearStart = daysFromCivil(year, 1, 1) * 86_400_000;
  referenceYearEnd = daysFromCivil(year + 1, 1, 1) * 86_400_000;
  return year;
}

/** The value of `count` digits at src[at], or -1 (the caller has checked they lie before the line's end). */
function digits(src: Uint8Array, at: number, count: number): number {
  return digitsAtBytes(src, at, count, at + count);
}

/** Records a validated UTC timestamp's fields for the writers (a leap second is left to utcMs: it rolls over). */
function fields(
  s: SyslogScan,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond: number,
): void {
  s.utcFields = second < 60;
  s.year = year;
  s.month = month;
  s.day = day;
  s.hour = hour;
  s.minute = minute;
  s.second = second;
  s.millisecond = millisecond;
}

/**
 * {@link rfc3339} over src[at, end): epoch ms, or NaN where rfc3339 would fail. A `Z` timestamp's fields go to
 * {@link scan} for the writers.
 */
function rfc3339Bytes(src: Uint8Array, at: number, end: number): number {
  if (end - at < 20) return NaN;
  const year = digits(src, at, 4);
  const month = digits(src, at + 5, 2);
  const day = digits(src, at + 8, 2);
  const hour = digits(src, at + 11, 2);
  const minute = digits(src, at + 14, 2);
  const second = digits(src, at + 17, 2);
  if (
    year < 0 ||
    month < 0 ||
    day < 0 ||
    hour < 0 ||
    minute < 0 ||
    second < 0 ||
    src[at + 4] !== DASH ||
    src[at + 7] !== DASH ||
    src[at + 10] !== 0x54 ||
    src[at + 13] !== COLON ||
    src[at + 16] !== COLON
  ) {
    return NaN;
  }
  let i = at + 19;
  let millisecond = 0;
  if (src[i] === 0x2e) {
    const fractionStart = ++i;
    while (i < end && isDigit(src[i]!)) {
      if (i - fractionStart < 3) millisecond = millisecond * 10 + (src[i]! - 48);
      i++;
    }
    const count = i - fractionStart;
    if (count === 0 || count > 6) return NaN;
    for (let d = count; d < 3; d++) millisecond *= 10;
  }
  const ms = epochMs(year, month, day, hour, minute, second, millisecond);
  if (ms === null || i >= end) return NaN;
  const zone = src[i];
  if (zone === 0x5a) {
    if (i + 1 !== end) return NaN;
    fields(scan, year, month, day, hour, minute, second, millisecond);
    return ms;
  }
  scan.utcFields = false;
  if ((zone !== 0x2b && zone !== DASH) || i + 6 !== end || src[i + 3] !== COLON) return NaN;
  const hh = digits(src, i + 1, 2);
  const mm = digits(src, i + 4, 2);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59) return NaN;
  const offset = (hh * 60 + mm) * 60_000;
  return zone === 0x2b ? ms - offset : ms + offset;
}

/**
 * End of a clean token starting at `i` (a byte that is not printable ASCII-or-UTF-8, or one that JSON escapes or
 * CSV quotes, makes it unclean): the index of the space after it, `end` when the line ends first, -1 when unclean.
 */
function cleanTokenEnd(src: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = src[i]!;
    if (c <= COMMA) {
      if (c === SPACE) return i;
      if (c < 0x21 || c === QUOTE || c === COMMA) return -1;
    } else if (c === BACKSLASH) {
      return -1;
    }
  }
  return end;
}

/** Whether src[a, aEnd) and src[b, bEnd) hold the same bytes. */
function sameBytes(src: Uint8Array, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false;
  for (let k = 0; k < aEnd - a; k++) if (src[a + k] !== src[b + k]) return false;
  return true;
}

/** End of a clean SD-NAME at `i` (printable ASCII, no backslash), at '=', ' ', ']' or '"'; -1 when not clean. */
function cleanSdNameEnd(src: Uint8Array, i: number, end: number): number {
  const start = i;
  for (; i < end; i++) {
    const c = src[i]!;
    if (c === 0x3d || c === SPACE || c === RBRACKET || c === QUOTE) break;
    if (c < 33 || c > 126 || c === BACKSLASH) return -1;
  }
  return i === start || i === end ? -1 : i;
}

/**
 * Clean STRUCTURED-DATA at src[i] ('['): no backslash, no control character in values, no repeated SD-ID and
 * no repeated PARAM-NAME in an element (the careful path merges those). Returns its end, or -1.
 */
function scanStructuredData(s: SyslogScan, src: Uint8Array, i: number, end: number): number {
  const elements = s.elements;
  const params = s.params;
  let elementCount = 0;
  let paramCount = 0;
  while (i < end && src[i] === LBRACKET) {
    if (elementCount === MAX_SD_ELEMENTS) return -1;
    const idStart = i + 1;
    const idEnd = cleanSdNameEnd(src, idStart, end);
    if (idEnd < 0) return -1;
    for (let e = 0; e < elementCount; e++) {
      if (sameBytes(src, elements[4 * e]!, elements[4 * e + 1]!, idStart, idEnd)) return -1;
    }
    const firstParam = paramCount;
    i = idEnd;
    while (src[i] === SPACE) {
      if (paramCount === MAX_SD_PARAMS) return -1;
      const nameStart = i + 1;
      const nameEnd = cleanSdNameEnd(src, nameStart, end);
      if (nameEnd < 0 || src[nameEnd] !== 0x3d || nameEnd + 1 >= end || src[nameEnd + 1] !== QUOTE) return -1;
      for (let p = firstParam; p < paramCount; p++) {
        if (sameBytes(src, params[4 * p]!, params[4 * p + 1]!, nameStart, nameEnd)) return -1;
      }
      const valueStart = nameEnd + 2;
      let k = valueStart;
      for (; k < end; k++) {
        const c = src[k]!;
        if (c === QUOTE) break;
        if (c < 0x20 || c === BACKSLASH) return -1;
      }
      if (k === end) return -1;
      params[4 * paramCount] = nameStart;
      params[4 * paramCount + 1] = nameEnd;
      params[4 * paramCount + 2] = valueStart;
      params[4 * paramCount + 3] = k;
      paramCount++;
      i = k + 1;
      if (i >= end) return -1;
    }
    if (src[i] !== RBRACKET) return -1;
    elements[4 * elementCount] = idStart;
    elements[4 * elementCount + 1] = idEnd;
    elements[4 * elementCount + 2] = firstParam;
    elements[4 * elementCount + 3] = paramCount;
    elementCount++;
    i++;
  }
  s.sdElements = elementCount;
  return i;
}

/**
 * Records the message src[start, end) (it may be empty); returns true. Its bytes are read once, by the writer
 * (which gives up on a newline: the scanner may be handed a whole record, and a newline means several lines).
 */
function scanMessage(s: SyslogScan, start: number, end: number): boolean {
  s.messageStart = start;
  s.messageEnd = end;
  return true;
}

function scan5424(s: SyslogScan, src: Uint8Array, i: number, end: number): boolean {
  // VERSION (its digits and the space after them were checked by the caller).
  s.versionStart = i;
  while (src[i] !== SPACE) i++;
  s.versionEnd = i++;
  // TIMESTAMP
  let e = cleanTokenEnd(src, i, end);
  if (e <= i || e === end) return false;
  if (e === i + 1 && src[i] === DASH) {
    s.timestampStart = -1;
  } else {
    const ms = rfc3339Bytes(src, i, e);
    if (ms !== ms) return false;
    s.timestampStart = i;
    s.timestampEnd = e;
    s.utcMs = ms;
  }
  // HOSTNAME APP-NAME PROCID MSGID
  i = e + 1;
  e = cleanTokenEnd(src, i, end);
  if (e <= i || e === end) return false;
  s.hostStart = e === i + 1 && src[i] === DASH ? -1 : i;
  s.hostEnd = e;
  i = e + 1;
  e = cleanTokenEnd(src, i, end);
  if (e <= i || e === end) return false;
  s.programStart = e === i + 1 && src[i] === DASH ? -1 : i;
  s.programEnd = e;
  i = e + 1;
  e = cleanTokenEnd(src, i, end);
  if (e <= i || e === end) return false;
  s.pidStart = e === i + 1 && src[i] === DASH ? -1 : i;
  s.pidEnd = e;
  i = e + 1;
  e = cleanTokenEnd(src, i, end);
  if (e <= i || e === end) return false;
  s.msgidStart = e === i + 1 && src[i] === DASH ? -1 : i;
  s.msgidEnd = e;
  // STRUCTURED-DATA
  i = e + 1;
  if (i >= end) return false;
  if (src[i] === DASH) {
    s.sdStart = -1;
    i++;
  } else if (src[i] === LBRACKET) {
    const sdEnd = scanStructuredData(s, src, i, end);
    if (sdEnd < 0) return false;
    s.sdStart = i;
    s.sdEnd = sdEnd;
    i = sdEnd;
  } else {
    return false;
  }
  // [SP MSG], a BOM opening MSG dropped.
  if (i === end) {
    s.messageStart = -1;
    return true;
  }
  if (src[i] !== SPACE) return false;
  i++;
  if (end - i >= 3 && src[i] === 0xef && src[i + 1] === 0xbb && src[i + 2] === 0xbf) i += 3;
  return scanMessage(s, i, end);
}

/**
 * If a clean TAG (`name:` or `name[pid]:`, then a space or the end) starts at `i`, records it and returns where
 * MSG starts; -1 when there is no TAG there ({@link tag}'s rule); -2 when there is one the fast path leaves alone.
 */
function scanTag(s: SyslogScan, src: Uint8Array, i: number, end: number): number {
  let j = i;
  let clean = true;
  for (; j < end; j++) {
    const c = src[j]!;
    if (c === SPACE || c === COLON || c === LBRACKET) break;
    if (c < 0x21 || c === QUOTE || c === BACKSLASH || c === COMMA) clean = false;
  }
  if (j === i) return -1;
  const nameEnd = j;
  let pidStart = -1;
  let pidEnd = -1;
  if (j < end && src[j] === LBRACKET) {
    let k = j + 1;
    for (; k < end; k++) {
      const c = src[k]!;
      if (c === RBRACKET || c === SPACE) break;
      if (c < 0x21 || c === QUOTE || c === BACKSLASH || c === COMMA) clean = false;
    }
    if (k === end || src[k] !== RBRACKET) return -1;
    pidStart = j + 1;
    pidEnd = k;
    if (pidEnd === pidStart) clean = false;
    j = k + 1;
  }
  if (j >= end || src[j] !== COLON || (j + 1 < end && src[j + 1] !== SPACE)) return -1;
  if (!clean) return -2;
  s.programStart = i;
  s.programEnd = nameEnd;
  s.pidStart = pidStart;
  s.pidEnd = pidEnd;
  return Math.min(j + 2, end);
}

function scan3164(s: SyslogScan, src: Uint8Array, i: number, end: number, referenceTime: number): boolean {
  s.programStart = -1;
  s.pidStart = -1;
  s.hostStart = -1;
  s.messageStart = -1;
  const tsStart = i;
  if (isDigit(src[i]!)) {
    // rsyslog's RFC 3339 "high precision" traditional format.
    const e = cleanTokenEnd(src, i, end);
    if (e < 0) return false;
    const ms = rfc3339Bytes(src, i, e);
    if (ms !== ms) return false;
    s.utcMs = ms;
    i = e;
  } else {
    if (end - i < 14) return false;
    const month = monthOf(src[i]!, src[i + 1]!, src[i + 2]!);
    if (month === 0 || src[i + 3] !== SPACE) return false;
    let j = i + 4;
    if (src[j] === SPACE) j++;
    let day = 0;
    const dayStart = j;
    while (j - dayStart < 2 && j < end && isDigit(src[j]!)) day = day * 10 + (src[j++]! - 48);
    if (j === dayStart || j >= end || src[j] !== SPACE) return false;
    j++;
    let year = -1;
    if (j + 4 < end && src[j + 4] === SPACE && src[j + 2] !== COLON) {
      year = digits(src, j, 4);
      if (year < 0) return false;
      j += 5;
    }
    if (j + 8 > end) return false;
    const hour = digits(src, j, 2);
    const minute = digits(src, j + 3, 2);
    const second = digits(src, j + 6, 2);
    if (hour < 0 || minute < 0 || second < 0 || src[j + 2] !== COLON || src[j + 5] !== COLON) return false;
    j += 8;
    let millisecond = 0;
    if (j + 1 < end && (src[j] === 0x2e || src[j] === COMMA) && isDigit(src[j + 1]!)) {
      const fractionStart = ++j;
      while (j < end && isDigit(src[j]!)) {
        if (j - fractionStart < 3) millisecond = millisecond * 10 + (src[j]! - 48);
        j++;
      }
      for (let d = j - fractionStart; d < 3; d++) millisecond *= 10;
    }
    let ms: number | null;
    if (year >= 0) {
      ms = epochMs(year, month, day, hour, minute, second, millisecond);
    } else {
      if (!Number.isFinite(referenceTime)) return false;
      year = yearOf(referenceTime);
      ms = epochMs(year, month, day, hour, minute, second, millisecond);
      if (ms !== null && ms > referenceTime + FUTURE_SKEW_MS) {
        year--;
        ms = epochMs(year, month, day, hour, minute, second, millisecond);
      }
    }
    if (ms === null) return false;
    s.utcMs = ms;
    fields(s, year, month, day, hour, minute, second, millisecond);
    i = j;
  }
  s.timestampStart = tsStart;
  s.timestampEnd = i;
  if (i >= end) return true;
  if (src[i] !== SPACE) return false;
  i++;
  let messageStart = scanTag(s, src, i, end);
  if (messageStart === -2) return false;
  if (messageStart < 0) {
    // Not a TAG: the word is the HOSTNAME, and a TAG may follow it.
    let e = i;
    let clean = true;
    for (; e < end; e++) {
      const c = src[e]!;
      if (c <= COMMA || c === BACKSLASH) {
        if (c === SPACE) break;
        if (c < 0x21 || c === QUOTE || c === COMMA || c === BACKSLASH) clean = false;
      }
    }
    if (e === i || !clean) return false;
    s.hostStart = i;
    s.hostEnd = e;
    if (e === end) return true;
    i = e + 1;
    messageStart = scanTag(s, src, i, end);
    if (messageStart === -2) return false;
    if (messageStart < 0) messageStart = i;
  }
  return scanMessage(s, messageStart, end);
}

/**
 * Scans the line at src[start, end) (no terminator) into {@link scan} if it is clean; false sends it to the
 * careful path.
 */
function scanClean(src: Uint8Array, start: number, end: number, referenceTime: number): boolean {
  const s = scan;
  let i = start;
  s.priority = -1;
  if (src[i] === 0x3c) {
    let value = 0;
    i++;
    const digitsStart = i;
    while (i < end && i - digitsStart < 3 && isDigit(src[i]!)) value = value * 10 + (src[i++]! - 48);
    if (i === digitsStart || i >= end || src[i] !== 0x3e || value > 191) return false;
    s.priority = value;
    i++;
  }
  let count = 0;
  while (count < 4 && i + count < end && isDigit(src[i + count]!)) count++;
  if (count >= 1 && count <= 3 && i + count < end && src[i + count] === SPACE && src[i] !== 48) {
    s.rfc5424 = true;
    return scan5424(s, src, i, end);
  }
  if (i >= end) return false;
  s.rfc5424 = false;
  s.msgidStart = -1;
  s.sdStart = -1;
  return scan3164(s, src, i, end, referenceTime);
}

/** Writes `YYYY-MM-DDTHH:mm:ss.sssZ` for `ms` (as Date#toISOString) at out[p]; returns the end, or -1 out of range. */
function writeIso(out: Uint8Array, p: number, ms: number): number {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  // H. Hinnant's civil_from_days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 1 || year > 9999) return -1;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  return writeIsoDigits(out, p, year, month, day, hour, minute, second, rest - second * 1000);
}

/** {@link writeIso} from the scanned fields (utcFields set: they are the UTC time, year 1-9999). */
function writeIsoFields(out: Uint8Array, p: number, s: SyslogScan): number {
  return writeIsoDigits(out, p, s.year, s.month, s.day, s.hour, s.minute, s.second, s.millisecond);
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ` from its fields (year 1-9999) at out[p]; returns the end. */
function writeIsoDigits(
  out: Uint8Array,
  p: number,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond: number,
): number {
  out[p] = 48 + Math.floor(year / 1000);
  out[p + 1] = 48 + (Math.floor(year / 100) % 10);
  out[p + 2] = 48 + (Math.floor(year / 10) % 10);
  out[p + 3] = 48 + (year % 10);
  out[p + 4] = DASH;
  out[p + 5] = 48 + Math.floor(month / 10);
  out[p + 6] = 48 + (month % 10);
  out[p + 7] = DASH;
  out[p + 8] = 48 + Math.floor(day / 10);
  out[p + 9] = 48 + (day % 10);
  out[p + 10] = 0x54;
  out[p + 11] = 48 + Math.floor(hour / 10);
  out[p + 12] = 48 + (hour % 10);
  out[p + 13] = COLON;
  out[p + 14] = 48 + Math.floor(minute / 10);
  out[p + 15] = 48 + (minute % 10);
  out[p + 16] = COLON;
  out[p + 17] = 48 + Math.floor(second / 10);
  out[p + 18] = 48 + (second % 10);
  out[p + 19] = 0x2e;
  out[p + 20] = 48 + Math.floor(millisecond / 100);
  out[p + 21] = 48 + (Math.floor(millisecond / 10) % 10);
  out[p + 22] = 48 + (millisecond % 10);
  out[p + 23] = 0x5a;
  return p + 24;
}

function put(out: Uint8Array, p: number, constant: Uint8Array): number {
  const n = constant.length;
  if (n > 24) out.set(constant, p);
  else for (let k = 0; k < n; k++) out[p + k] = constant[k]!;
  return p + n;
}

function copy(out: Uint8Array, p: number, src: Uint8Array, start: number, end: number): number {
  for (let k = start; k < end; k++) out[p++] = src[k]!;
  return p;
}

const encode = (text: string) => Buffer.from(text, 'latin1');

/** The JSON of PRI and format, after `@timestamp`'s value, by format and priority + 1 (0: no PRI). */
function priorityBlocks(format: 'rfc3164' | 'rfc5424', json: boolean): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (let priority = -1; priority <= 191; priority++) {
    const facility = priority < 0 ? null : priority >> 3;
    const severity = priority < 0 ? null : priority & 7;
    const names = [
      priority < 0 ? null : String(priority),
      facility === null ? null : String(facility),
      facility === null ? null : SYSLOG_FACILITIES[facility]!,
      severity === null ? null : String(severity),
      severity === null ? null : SYSLOG_SEVERITIES[severity]!,
    ];
    let text: string;
    if (json) {
      const [p, f, fn, s, sn] = names.map((v) => v ?? 'null');
      text =
        `,"format":"${format}","priority":${p},"facility":${f},"facility_name":${fn === 'null' ? fn : `"${fn}"`}` +
        `,"severity":${s},"severity_name":${sn === 'null' ? sn : `"${sn}"`},"version":` +
        (format === 'rfc3164' ? 'null,"msgid":null,"structured_data":null}\n' : '');
    } else {
      text = `,${format},${names.map((v) => v ?? '').join(',')},` + (format === 'rfc3164' ? ',,' : '');
    }
    blocks.push(encode(text));
  }
  return blocks;
}

const JSON_3164 = priorityBlocks('rfc3164', true);
const JSON_5424 = priorityBlocks('rfc5424', true);
const CSV_3164 = priorityBlocks('rfc3164', false);
const CSV_5424 = priorityBlocks('rfc5424', false);

const J_TIMESTAMP = encode('{"timestamp":');
const J_HOSTNAME = encode(',"hostname":');
const J_PROGRAM = encode(',"program":');
const J_PROCESSID = encode(',"processid":');
const J_MESSAGE = encode(',"message":');
const J_AT_TIMESTAMP = encode(',"@timestamp":');
const J_MSGID = encode(',"msgid":');
const J_STRUCTURED_DATA = encode(',"structured_data":');
const J_NULL = encode('null');
const J_END = encode('}\n');
const HEX = encode('0123456789abcdef');

/** A JSON string of src[start, end), or null when start < 0; the bytes need no escaping. */
function jsonField(out: Uint8Array, p: number, src: Uint8Array, start: number, end: number): number {
  if (start < 0) return put(out, p, J_NULL);
  out[p++] = QUOTE;
  p = copy(out, p, src, start, end);
  out[p++] = QUOTE;
  return p;
}

/** What a writer returns when it needs more room than the caller made (the caller makes it and calls again). */
const NEED_ROOM = -2;

/**
 * The message src[start, end) as a JSON string, escaped as JSON.stringify escapes it, at out[p]; returns the end,
 * -1 on a newline (several lines: the careful path's), or {@link NEED_ROOM} when escapes may not fit in `out`
 * with `tail` more bytes after the message.
 */
function jsonMessage(
  out: Uint8Array,
  p: number,
  src: Uint8Array,
  start: number,
  end: number,
  tail: number,
): number {
  out[p++] = QUOTE;
  let roomChecked = false;
  for (let k = start; k < end; k++) {
    const c = src[k]!;
    if (c > QUOTE && c !== BACKSLASH) {
      out[p++] = c;
      continue;
    }
    if (c === SPACE || c === 0x21) {
      out[p++] = c;
      continue;
    }
    if (c === 0x0a) return -1;
    if (!roomChecked) {
      // Six bytes at most per byte left (\u0001), then the rest of the object. (A record of several lines is not
      // worth the room: it goes line by line.)
      if (p + 6 * (end - k) + tail > out.length) {
        for (let n = k; n < end; n++) if (src[n] === 0x0a) return -1;
        return NEED_ROOM;
      }
      roomChecked = true;
    }
    out[p++] = BACKSLASH;
    if (c === QUOTE || c === BACKSLASH) out[p++] = c;
    else if (c === 0x08)
      out[p++] = 0x62; // \b
    else if (c === 0x09)
      out[p++] = 0x74; // \t
    else if (c === 0x0c)
      out[p++] = 0x66; // \f
    else if (c === 0x0d)
      out[p++] = 0x72; // \r
    else {
      out[p++] = 0x75; // \u00XX
      out[p++] = 48;
      out[p++] = 48;
      out[p++] = HEX[c >> 4]!;
      out[p++] = HEX[c & 15]!;
    }
  }
  out[p++] = QUOTE;
  return p;
}

/** The JSON of a line scanClean accepted, at out[p] (room made by the caller); returns the end. */
function writeCleanJson(out: Uint8Array, p: number, src: Uint8Array): number {
  const s = scan;
  p = put(out, p, J_TIMESTAMP);
  p = jsonField(out, p, src, s.timestampStart, s.timestampEnd);
  p = put(out, p, J_HOSTNAME);
  p = jsonField(out, p, src, s.hostStart, s.hostEnd);
  p = put(out, p, J_PROGRAM);
  p = jsonField(out, p, src, s.programStart, s.programEnd);
  p = put(out, p, J_PROCESSID);
  p = jsonField(out, p, src, s.pidStart, s.pidEnd);
  p = put(out, p, J_MESSAGE);
  if (s.messageStart < 0) {
    p = put(out, p, J_NULL);
  } else {
    const tail =
      400 +
      (s.sdStart < 0 ? 0 : 2 * (s.sdEnd - s.sdStart)) +
      (s.msgidStart < 0 ? 0 : s.msgidEnd - s.msgidStart);
    p = jsonMessage(out, p, src, s.messageStart, s.messageEnd, tail);
    if (p < 0) return p;
  }
  p = put(out, p, J_AT_TIMESTAMP);
  if (s.timestampStart < 0) {
    p = put(out, p, J_NULL);
  } else {
    out[p++] = QUOTE;
    p = s.utcFields ? writeIsoFields(out, p, s) : writeIso(out, p, s.utcMs);
    if (p < 0) return -1;
    out[p++] = QUOTE;
  }
  if (!s.rfc5424) return put(out, p, JSON_3164[s.priority + 1]!);
  p = put(out, p, JSON_5424[s.priority + 1]!);
  p = copy(out, p, src, s.versionStart, s.versionEnd);
  p = put(out, p, J_MSGID);
  p = jsonField(out, p, src, s.msgidStart, s.msgidEnd);
  p = put(out, p, J_STRUCTURED_DATA);
  if (s.sdStart < 0) {
    p = put(out, p, J_NULL);
  } else {
    const { elements, params } = s;
    out[p++] = 0x7b;
    for (let e = 0; e < s.sdElements; e++) {
      if (e > 0) out[p++] = COMMA;
      p = jsonField(out, p, src, elements[4 * e]!, elements[4 * e + 1]!);
      out[p++] = COLON;
      out[p++] = 0x7b;
      for (let q = elements[4 * e + 2]!; q < elements[4 * e + 3]!; q++) {
        if (q > elements[4 * e + 2]!) out[p++] = COMMA;
        p = jsonField(out, p, src, params[4 * q]!, params[4 * q + 1]!);
        out[p++] = COLON;
        p = jsonField(out, p, src, params[4 * q + 2]!, params[4 * q + 3]!);
      }
      out[p++] = 0x7d;
    }
    out[p++] = 0x7d;
  }
  return put(out, p, J_END);
}

/** A CSV field of src[start, end), quoted (quotes doubled) when `quoted`; empty when start < 0. */
function csvBytes(
  out: Uint8Array,
  p: number,
  src: Uint8Array,
  start: number,
  end: number,
  quoted: boolean,
): number {
  if (start < 0) return p;
  if (!quoted) return copy(out, p, src, start, end);
  out[p++] = QUOTE;
  for (let k = start; k < end; k++) {
    const c = src[k]!;
    out[p++] = c;
    if (c === QUOTE) out[p++] = QUOTE;
  }
  out[p++] = QUOTE;
  return p;
}

/**
 * How the message src[start, end) goes into CSV: 1 quoted (it holds ',', '"' or CR), 0 as it is, -1 not at all
 * (it holds a newline: several lines, the careful path's).
 */
function csvMessage(src: Uint8Array, start: number, end: number): number {
  let quoted = 0;
  for (let k = start; k < end; k++) {
    const c = src[k]!;
    if (c <= COMMA) {
      if (c === 0x0a) return -1;
      if (c === COMMA || c === QUOTE || c === 0x0d) quoted = 1;
    }
  }
  return quoted;
}

/** Whether src[start, end) holds ',' or '"' (the timestamp, with a ',' fraction; structured data). */
function needsCsvQuotes(src: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (src[k] === COMMA || src[k] === QUOTE) return true;
  return false;
}

/** The CSV record of a line scanClean accepted, at out[p] (room made by the caller); returns the end. */
function writeCleanCsv(out: Uint8Array, p: number, src: Uint8Array, crlf: boolean): number {
  const s = scan;
  p = csvBytes(
    out,
    p,
    src,
    s.timestampStart,
    s.timestampEnd,
    s.timestampStart >= 0 && needsCsvQuotes(src, s.timestampStart, s.timestampEnd),
  );
  out[p++] = COMMA;
  p = csvBytes(out, p, src, s.hostStart, s.hostEnd, false);
  out[p++] = COMMA;
  p = csvBytes(out, p, src, s.programStart, s.programEnd, false);
  out[p++] = COMMA;
  p = csvBytes(out, p, src, s.pidStart, s.pidEnd, false);
  out[p++] = COMMA;
  if (s.messageStart >= 0 && s.messageStart === s.messageEnd) {
    // An empty message is `""`, told apart from a missing one (an empty field).
    out[p++] = QUOTE;
    out[p++] = QUOTE;
  } else if (s.messageStart >= 0) {
    const quoted = csvMessage(src, s.messageStart, s.messageEnd);
    if (quoted < 0) return -1;
    p = csvBytes(out, p, src, s.messageStart, s.messageEnd, quoted === 1);
  }
  out[p++] = COMMA;
  if (s.timestampStart >= 0) {
    p = s.utcFields ? writeIsoFields(out, p, s) : writeIso(out, p, s.utcMs);
    if (p < 0) return -1;
  }
  if (!s.rfc5424) {
    p = put(out, p, CSV_3164[s.priority + 1]!);
  } else {
    p = put(out, p, CSV_5424[s.priority + 1]!);
    p = copy(out, p, src, s.versionStart, s.versionEnd);
    out[p++] = COMMA;
    p = csvBytes(out, p, src, s.msgidStart, s.msgidEnd, false);
    out[p++] = COMMA;
    p = csvBytes(out, p, src, s.sdStart, s.sdEnd, s.sdStart >= 0 && needsCsvQuotes(src, s.sdStart, s.sdEnd));
  }
  if (crlf) out[p++] = 0x0d;
  out[p++] = 0x0a;
  return p;
}

/** Room a clean line's output can take: twice the line (fields and structured data) plus the constants. */
function roomFor(start: number, end: number): number {
  return 2 * (end - start) + 600;
}

/** The record's reference time for RFC 3164's missing year: its arrival time, or now when the event has none. */
function referenceOf(referenceTime: number | undefined): number {
  return referenceTime ?? Date.now();
}

/** A line's text: Buffer#toString keeps a BOM (TextDecoder would drop one opening the line). */
function lineText(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('utf8', start, end);
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
  const from = afterBom(bytes, start, end);
  // One line per record is the common case (Kinesis Agent): the whole record goes to the fast path, which gives
  // up on a newline (the careful path's: line by line).
  const stop = lineStop(bytes, from, end);
  if (stop > from && writeJsonLine(bytes, from, stop, writer, referenceTime)) return;
  forEachLineIn(bytes, from, end, (lineStart, lineEnd) => {
    if (writeJsonLine(bytes, lineStart, lineEnd, writer, referenceTime)) return;
    writer.text(syslogToJson(parseSyslogLine(lineText(bytes, lineStart, lineEnd), { referenceTime })) + '\n');
  });
}

/** Where a record holding one line ends without its terminator (a final LF, CRLF or CR, as forEachLineIn reads it). */
function lineStop(bytes: Uint8Array, from: number, end: number): number {
  let stop = end;
  if (stop > from && bytes[stop - 1] === 0x0a) stop--;
  if (stop > from && bytes[stop - 1] === 0x0d) stop--;
  return stop;
}

/** The fast path's JSON for bytes[start, end), if it takes the line; false leaves it to the careful path. */
function writeJsonLine(
  bytes: Uint8Array,
  start: number,
  end: number,
  writer: ByteWriter,
  referenceTime: number,
): boolean {
  if (!scanClean(bytes, start, end, referenceTime)) return false;
  writer.ensure(roomFor(start, end));
  let next = writeCleanJson(writer.buf, writer.pos, bytes);
  if (next === NEED_ROOM) {
    writer.ensure(10 * (end - start) + 1024);
    next = writeCleanJson(writer.buf, writer.pos, bytes);
  }
  if (next < 0) return false;
  writer.pos = next;
  return true;
}

/** The fast path's CSV for bytes[start, end), if it takes the line; false leaves it to the careful path. */
function writeCsvLine(
  bytes: Uint8Array,
  start: number,
  end: number,
  writer: ByteWriter,
  referenceTime: number,
  crlf: boolean,
): boolean {
  if (!scanClean(bytes, start, end, referenceTime)) return false;
  writer.ensure(roomFor(start, end));
  const next = writeCleanCsv(writer.buf, writer.pos, bytes, crlf);
  if (next < 0) return false;
  writer.pos = next;
  return true;
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
  const crlf = lineEnding === '\r\n';
  const from = afterBom(bytes, start, end);
  const stop = lineStop(bytes, from, end);
  if (stop > from && writeCsvLine(bytes, from, stop, writer, referenceTime, crlf)) return;
  forEachLineIn(bytes, from, end, (lineStart, lineEnd) => {
    if (writeCsvLine(bytes, lineStart, lineEnd, writer, referenceTime, crlf)) return;
    writer.text(
      syslogToCsv(parseSyslogLine(lineText(bytes, lineStart, lineEnd), { referenceTime }), lineEnding),
    );
  });
}

/** Whether the fast path writes `line` itself (tests hold the property test's clean lines to it). @internal */
export function takesFastPath(line: string, referenceTime: number): boolean {
  const bytes = Buffer.from(line, 'utf8');
  if (!scanClean(bytes, 0, bytes.length, referenceTime)) return false;
  return writeCleanJson(Buffer.alloc(10 * bytes.length + 1024), 0, bytes) >= 0;
}
