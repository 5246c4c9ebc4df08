/**
 * Syslog outputs pinned byte for byte, on every path: the careful parser with syslogToJson / syslogToCsv, the record
 * functions, and the bytes path (writeSyslogJson / writeSyslogCsv, with its fast path) with the record lying inside
 * a larger buffer. The property tests in syslog-fast-path.test.ts hold the two paths to each other; these hold both
 * to the expected text, field by field and error message by error message (format, problem, column).
 */
import { describe, expect, it, vi } from 'vitest';
import {
  ByteWriter,
  parseSyslogLine,
  syslogRecordToCsv,
  syslogRecordToJson,
  syslogToCsv,
  syslogToJson,
  writeSyslogCsv,
  writeSyslogJson,
} from '../../../shared/logformats';
import { takesFastPath } from '../../../shared/logformats/syslog';

// Records arrive a little after their lines were written: 2024-10-11T22:15:00Z.
const referenceTime = Date.UTC(2024, 9, 11, 22, 15, 0);

const FACILITIES =
  'kern user mail daemon auth syslog lpr news uucp cron authpriv ftp ntp security console solaris-cron local0 local1 local2 local3 local4 local5 local6 local7'.split(
    ' ',
  );
const SEVERITIES = 'emerg alert crit err warning notice info debug'.split(' ');

interface Fields {
  timestamp?: string;
  hostname?: string;
  program?: string;
  processid?: string;
  message?: string;
  '@timestamp'?: string;
  format?: 'rfc5424';
  priority?: number;
  version?: number;
  msgid?: string;
  structured_data?: Record<string, Record<string, string | string[]>>;
}

/** The expected JSON line: every key of SYSLOG_JSON_KEYS in order, null where `fields` has no value. */
function json(fields: Fields): string {
  const priority = fields.priority ?? null;
  const object = {
    timestamp: null,
    hostname: null,
    program: null,
    processid: null,
    message: null,
    '@timestamp': null,
    format: 'rfc3164',
    priority,
    facility: priority === null ? null : priority >> 3,
    facility_name: priority === null ? null : FACILITIES[priority >> 3],
    severity: priority === null ? null : priority & 7,
    severity_name: priority === null ? null : SEVERITIES[priority & 7],
    version: null,
    msgid: null,
    structured_data: null,
    ...fields,
  };
  return `${JSON.stringify(object)}\n`;
}

type Format = 'json' | 'csv' | 'crlf';
/** A line, the fields its JSON holds (see {@link json}), and its CSV record (LF). */
type Case = [line: string, fields: Fields, csv: string];
/** A line and the message of the error every path throws for it. */
type ErrorCase = [line: string, message: string];

/** The careful parser's output for a line, or `error: <message>`. */
function careful(line: string, format: Format, reference = referenceTime): string {
  try {
    const entry = parseSyslogLine(line, { referenceTime: reference });
    return format === 'json'
      ? `${syslogToJson(entry)}\n`
      : syslogToCsv(entry, format === 'csv' ? '\n' : '\r\n');
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

/** The record functions' output for a one-record text, or `error: <message>`. */
function record(text: string, format: Format, reference = referenceTime): string {
  const writer = new ByteWriter(64);
  const bytes = Buffer.from(text, 'utf8');
  try {
    const out =
      format === 'json'
        ? syslogRecordToJson(bytes, writer, { referenceTime: reference })
        : syslogRecordToCsv(bytes, writer, { referenceTime: reference }, format === 'csv' ? '\n' : '\r\n');
    return Buffer.from(out).toString('utf8');
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

// Bytes around the record in its buffer: a scanner that read past the record's end (or before its start) would see
// them. Digits, separators, quotes and brackets, newlines; and nothing at all.
const SURROUNDINGS = [
  Buffer.alloc(0),
  Buffer.from(' 2024 11 22:14:15 h: [x@1 a="b"] ,"\\\n'),
  Buffer.from('0123456789:.Z]"= -'),
  Buffer.from('\n\n\r\n'),
  Buffer.from('",\\ '),
];

/** The bytes path's output for a one-record text lying between `around` bytes, or `error: <message>`. */
function bytesPath(
  text: string,
  format: Format,
  reference = referenceTime,
  around = SURROUNDINGS[1]!,
): string {
  const writer = new ByteWriter(64);
  const bytes = Buffer.from(text, 'utf8');
  const buffer = Buffer.concat([around, bytes, around]);
  const start = around.length;
  const end = start + bytes.length;
  try {
    if (format === 'json') writeSyslogJson(buffer, start, end, writer, { referenceTime: reference });
    else
      writeSyslogCsv(
        buffer,
        start,
        end,
        writer,
        { referenceTime: reference },
        format === 'csv' ? '\n' : '\r\n',
      );
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
  return Buffer.from(writer.finish()).toString('utf8');
}

function expectOutputs([line, fields, csv]: Case, reference = referenceTime): void {
  const expected: Record<Format, string> = { json: json(fields), csv, crlf: `${csv.slice(0, -1)}\r\n` };
  for (const format of ['json', 'csv', 'crlf'] as const) {
    expect(careful(line, format, reference), `${format}: ${line}`).toBe(expected[format]);
    expect(record(line, format, reference), `record ${format}: ${line}`).toBe(expected[format]);
    for (const around of SURROUNDINGS) {
      expect(bytesPath(line, format, reference, around), `bytes ${format}: ${line}`).toBe(expected[format]);
    }
  }
}

function expectError([line, message]: ErrorCase, reference = referenceTime): void {
  for (const format of ['json', 'csv'] as const) {
    expect(careful(line, format, reference), line).toBe(`error: ${message}`);
    expect(record(line, format, reference), `record: ${line}`).toBe(`error: ${message}`);
    for (const around of SURROUNDINGS) {
      expect(bytesPath(line, format, reference, around), `bytes: ${line}`).toBe(`error: ${message}`);
    }
  }
}

const HEADER_5424: Case[] = [
  [
    '<14>1 - h a p m -',
    { hostname: 'h', program: 'a', processid: 'p', format: 'rfc5424', priority: 14, version: 1, msgid: 'm' },
    ',h,a,p,,,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 - h a p m - ',
    {
      hostname: 'h',
      program: 'a',
      processid: 'p',
      message: '',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    ',h,a,p,"",,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 - h a p m -  x',
    {
      hostname: 'h',
      program: 'a',
      processid: 'p',
      message: ' x',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    ',h,a,p, x,,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 - h a p m - \ufeff',
    {
      hostname: 'h',
      program: 'a',
      processid: 'p',
      message: '',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    ',h,a,p,"",,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 - h a p m - \ufeffx\ufeff',
    {
      hostname: 'h',
      program: 'a',
      processid: 'p',
      message: 'x\ufeff',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    ',h,a,p,x\ufeff,,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 - h a p m -  \ufeffx',
    {
      hostname: 'h',
      program: 'a',
      processid: 'p',
      message: ' \ufeffx',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    ',h,a,p, \ufeffx,,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 - h a p m - x\ufeff',
    {
      hostname: 'h',
      program: 'a',
      processid: 'p',
      message: 'x\ufeff',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    ',h,a,p,x\ufeff,,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  ['1 - - - - - -', { format: 'rfc5424', version: 1 }, ',,,,,,rfc5424,,,,,,1,,\n'],
  [
    '<14>999 2003-10-11T22:14:15Z -- -a p- m- - msg',
    {
      timestamp: '2003-10-11T22:14:15Z',
      hostname: '--',
      program: '-a',
      processid: 'p-',
      message: 'msg',
      '@timestamp': '2003-10-11T22:14:15.000Z',
      format: 'rfc5424',
      priority: 14,
      version: 999,
      msgid: 'm-',
    },
    '2003-10-11T22:14:15Z,--,-a,p-,msg,2003-10-11T22:14:15.000Z,rfc5424,14,1,user,6,info,999,m-,\n',
  ],
  [
    '<14>10 - h a p m -',
    { hostname: 'h', program: 'a', processid: 'p', format: 'rfc5424', priority: 14, version: 10, msgid: 'm' },
    ',h,a,p,,,rfc5424,14,1,user,6,info,10,m,\n',
  ],
  [
    '<191>1 - hôst äpp 1 M - ünï 🦊',
    {
      hostname: 'hôst',
      program: 'äpp',
      processid: '1',
      message: 'ünï 🦊',
      format: 'rfc5424',
      priority: 191,
      version: 1,
      msgid: 'M',
    },
    ',hôst,äpp,1,ünï 🦊,,rfc5424,191,23,local7,7,debug,1,M,\n',
  ],
  [
    '<14>1 - h,x a p m - x',
    {
      hostname: 'h,x',
      program: 'a',
      processid: 'p',
      message: 'x',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    ',"h,x",a,p,x,,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 - h a"b p m - x',
    {
      hostname: 'h',
      program: 'a"b',
      processid: 'p',
      message: 'x',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    ',h,"a""b",p,x,,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 - h a p\\q m - x',
    {
      hostname: 'h',
      program: 'a',
      processid: 'p\\q',
      message: 'x',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    ',h,a,p\\q,x,,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 - h a p m\tn - x',
    {
      hostname: 'h',
      program: 'a',
      processid: 'p',
      message: 'x',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm\tn',
    },
    ',h,a,p,x,,rfc5424,14,1,user,6,info,1,m\tn,\n',
  ],
];

const HEADER_5424_ERRORS: ErrorCase[] = [
  ['<14>1 ', 'syslog: expected a space after a timestamp at column 7'],
  ['<14>1  h', 'syslog: expected a timestamp at column 7'],
  ['<14>1 - ', 'syslog: expected a space after a hostname at column 9'],
  ['<14>1 -  a', 'syslog: expected a hostname at column 9'],
  ['<14>1 - h ', 'syslog: expected a space after an app-name at column 11'],
  ['<14>1 - h  ', 'syslog: expected an app-name at column 11'],
  ['<14>1 - h a ', 'syslog: expected a space after a procid at column 13'],
  ['<14>1 - h a  ', 'syslog: expected a procid at column 13'],
  ['<14>1 - h a p ', 'syslog: expected a space after a msgid at column 15'],
  ['<14>1 - h a p  ', 'syslog: expected a msgid at column 15'],
  ['<14>1 - h a p m', 'syslog: expected a space after a msgid at column 16'],
  ['<14>1 - h a p m ', "syslog: expected '-' or '[' (structured data) at column 17"],
  ['<14>01 - h a p m -', 'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 5'],
  [
    '<14>1000 - h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 5',
  ],
  ['<14>0 - h a p m -', 'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 5'],
  ['<14>1x - h', 'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 5'],
];

const RFC3339: Case[] = [
  [
    '<14>1 2003-10-11T22:14:15.5Z h a p m -',
    {
      timestamp: '2003-10-11T22:14:15.5Z',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2003-10-11T22:14:15.500Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2003-10-11T22:14:15.5Z,h,a,p,,2003-10-11T22:14:15.500Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 2003-10-11T22:14:15.05Z h a p m -',
    {
      timestamp: '2003-10-11T22:14:15.05Z',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2003-10-11T22:14:15.050Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2003-10-11T22:14:15.05Z,h,a,p,,2003-10-11T22:14:15.050Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 2003-10-11T22:14:15.1239Z h a p m -',
    {
      timestamp: '2003-10-11T22:14:15.1239Z',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2003-10-11T22:14:15.123Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2003-10-11T22:14:15.1239Z,h,a,p,,2003-10-11T22:14:15.123Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 2003-10-11T22:14:15.999999Z h a p m -',
    {
      timestamp: '2003-10-11T22:14:15.999999Z',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2003-10-11T22:14:15.999Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2003-10-11T22:14:15.999999Z,h,a,p,,2003-10-11T22:14:15.999Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 2003-10-11T22:14:15+05:30 h a p m -',
    {
      timestamp: '2003-10-11T22:14:15+05:30',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2003-10-11T16:44:15.000Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2003-10-11T22:14:15+05:30,h,a,p,,2003-10-11T16:44:15.000Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 2003-10-11T22:14:15-00:59 h a p m -',
    {
      timestamp: '2003-10-11T22:14:15-00:59',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2003-10-11T23:13:15.000Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2003-10-11T22:14:15-00:59,h,a,p,,2003-10-11T23:13:15.000Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 2003-10-11T22:14:15+23:59 h a p m -',
    {
      timestamp: '2003-10-11T22:14:15+23:59',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2003-10-10T22:15:15.000Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2003-10-11T22:14:15+23:59,h,a,p,,2003-10-10T22:15:15.000Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 2003-10-11T22:14:15.25-23:59 h a p m -',
    {
      timestamp: '2003-10-11T22:14:15.25-23:59',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2003-10-12T22:13:15.250Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2003-10-11T22:14:15.25-23:59,h,a,p,,2003-10-12T22:13:15.250Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 2024-02-29T23:59:60Z h a p m -',
    {
      timestamp: '2024-02-29T23:59:60Z',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2024-03-01T00:00:00.000Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2024-02-29T23:59:60Z,h,a,p,,2024-03-01T00:00:00.000Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 2024-12-31T23:59:60.5Z h a p m -',
    {
      timestamp: '2024-12-31T23:59:60.5Z',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2025-01-01T00:00:00.500Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2024-12-31T23:59:60.5Z,h,a,p,,2025-01-01T00:00:00.500Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 0001-01-01T00:00:00Z h a p m -',
    {
      timestamp: '0001-01-01T00:00:00Z',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '0001-01-01T00:00:00.000Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '0001-01-01T00:00:00Z,h,a,p,,0001-01-01T00:00:00.000Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 9999-12-31T23:59:59.999Z h a p m -',
    {
      timestamp: '9999-12-31T23:59:59.999Z',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '9999-12-31T23:59:59.999Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '9999-12-31T23:59:59.999Z,h,a,p,,9999-12-31T23:59:59.999Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 9999-12-31T23:30:00-01:00 h a p m -',
    {
      timestamp: '9999-12-31T23:30:00-01:00',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '+010000-01-01T00:30:00.000Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '9999-12-31T23:30:00-01:00,h,a,p,,+010000-01-01T00:30:00.000Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 0001-01-01T00:30:00+01:00 h a p m -',
    {
      timestamp: '0001-01-01T00:30:00+01:00',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '0000-12-31T23:30:00.000Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '0001-01-01T00:30:00+01:00,h,a,p,,0000-12-31T23:30:00.000Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<14>1 2003-10-11T22:14:15+00:00 h a p m -',
    {
      timestamp: '2003-10-11T22:14:15+00:00',
      hostname: 'h',
      program: 'a',
      processid: 'p',
      '@timestamp': '2003-10-11T22:14:15.000Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'm',
    },
    '2003-10-11T22:14:15+00:00,h,a,p,,2003-10-11T22:14:15.000Z,rfc5424,14,1,user,6,info,1,m,\n',
  ],
  [
    '<30>2024-10-11T22:14:15Z',
    { timestamp: '2024-10-11T22:14:15Z', '@timestamp': '2024-10-11T22:14:15.000Z', priority: 30 },
    '2024-10-11T22:14:15Z,,,,,2024-10-11T22:14:15.000Z,rfc3164,30,3,daemon,6,info,,,\n',
  ],
  [
    '<30>2024-10-11T22:14:15.5-01:00 h app: m',
    {
      timestamp: '2024-10-11T22:14:15.5-01:00',
      hostname: 'h',
      program: 'app',
      message: 'm',
      '@timestamp': '2024-10-11T23:14:15.500Z',
      priority: 30,
    },
    '2024-10-11T22:14:15.5-01:00,h,app,,m,2024-10-11T23:14:15.500Z,rfc3164,30,3,daemon,6,info,,,\n',
  ],
];

const RFC3339_ERRORS: ErrorCase[] = [
  [
    '<14>1 2003-10-11T22:14:15+02x00 h a p m -',
    "syslog: expected 'Z' or a UTC offset like +02:00 at column 26",
  ],
  ['<30>2024-10-11T22:14:15-02.00 h a: m', "syslog: expected 'Z' or a UTC offset like +02:00 at column 24"],
  [
    '<14>1 x003-10-11T22:14:15Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-x0-11T22:14:15Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-10-x1T22:14:15Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-10-11Tx2:14:15Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-10-11T22:x4:15Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-10-11T22:14:x5Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003/10-11T22:14:15Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-10/11T22:14:15Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-10-11 22:14:15Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-10-11T22.14:15Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-10-11T22:14.15Z h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-10-11T22:14:1 h a p m -',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
  ],
  [
    '<14>1 2003-10-11T22:14:15.Z h a p m -',
    'syslog: expected 1 to 6 digits of fractional seconds at column 27',
  ],
  [
    '<14>1 2003-10-11T22:14:15.1234567Z h a p m -',
    'syslog: expected 1 to 6 digits of fractional seconds at column 27',
  ],
  ['<14>1 2003-13-11T22:14:15Z h a p m -', 'syslog: invalid date or time at column 7'],
  ['<14>1 2003-00-11T22:14:15Z h a p m -', 'syslog: invalid date or time at column 7'],
  ['<14>1 2003-10-00T22:14:15Z h a p m -', 'syslog: invalid date or time at column 7'],
  ['<14>1 2003-02-29T22:14:15Z h a p m -', 'syslog: invalid date or time at column 7'],
  ['<14>1 2003-10-11T24:00:00Z h a p m -', 'syslog: invalid date or time at column 7'],
  ['<14>1 2003-10-11T23:60:00Z h a p m -', 'syslog: invalid date or time at column 7'],
  ['<14>1 2003-10-11T23:59:61Z h a p m -', 'syslog: invalid date or time at column 7'],
  ['<14>1 0000-10-11T23:59:59Z h a p m -', 'syslog: invalid date or time at column 7'],
  ['<14>1 2003-10-11T22:14:15ZZ h a p m -', "syslog: expected 'Z' or a UTC offset like +02:00 at column 26"],
  ['<14>1 2003-10-11T22:14:15z h a p m -', "syslog: expected 'Z' or a UTC offset like +02:00 at column 26"],
  [
    '<14>1 2003-10-11T22:14:15+0200 h a p m -',
    "syslog: expected 'Z' or a UTC offset like +02:00 at column 26",
  ],
  [
    '<14>1 2003-10-11T22:14:15+02:0 h a p m -',
    "syslog: expected 'Z' or a UTC offset like +02:00 at column 26",
  ],
  [
    '<14>1 2003-10-11T22:14:15+02:000 h a p m -',
    "syslog: expected 'Z' or a UTC offset like +02:00 at column 26",
  ],
  [
    '<14>1 2003-10-11T22:14:15+24:00 h a p m -',
    "syslog: expected 'Z' or a UTC offset like +02:00 at column 26",
  ],
  [
    '<14>1 2003-10-11T22:14:15+02:60 h a p m -',
    "syslog: expected 'Z' or a UTC offset like +02:00 at column 26",
  ],
  [
    '<14>1 2003-10-11T22:14:15+x2:00 h a p m -',
    "syslog: expected 'Z' or a UTC offset like +02:00 at column 26",
  ],
  [
    '<14>1 2003-10-11T22:14:15+02:x0 h a p m -',
    "syslog: expected 'Z' or a UTC offset like +02:00 at column 26",
  ],
  [
    '<14>1 2003-10-11T22:14:15*02:00 h a p m -',
    "syslog: expected 'Z' or a UTC offset like +02:00 at column 26",
  ],
  ['<14>1 2003-10-11T22:14:15.5 h a p m -', "syslog: expected 'Z' or a UTC offset like +02:00 at column 28"],
  [
    '<14>1 2003-10-11T22:14:15.5+02 h a p m -',
    "syslog: expected 'Z' or a UTC offset like +02:00 at column 28",
  ],
  ['<30>2024-10-11T22:14:15', "syslog: expected 'Z' or a UTC offset like +02:00 at column 24"],
  [
    '<30>2024-10-11T22:14:15.1234567Z h a: m',
    'syslog: expected 1 to 6 digits of fractional seconds at column 25',
  ],
  [
    '<30>2024-10-11x22:14:15Z h a: m',
    'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 5',
  ],
  ['<30>2024-10-11T22:14:15Z,h a: m', "syslog: expected 'Z' or a UTC offset like +02:00 at column 24"],
];

const TIMESTAMPS_3164: Case[] = [
  [
    'Oct 1 06:30:00 h a: m',
    {
      timestamp: 'Oct 1 06:30:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-01T06:30:00.000Z',
    },
    'Oct 1 06:30:00,h,a,,m,2024-10-01T06:30:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 01 06:30:00 h a: m',
    {
      timestamp: 'Oct 01 06:30:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-01T06:30:00.000Z',
    },
    'Oct 01 06:30:00,h,a,,m,2024-10-01T06:30:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct  1 06:30:00 h a: m',
    {
      timestamp: 'Oct  1 06:30:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-01T06:30:00.000Z',
    },
    'Oct  1 06:30:00,h,a,,m,2024-10-01T06:30:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15,5 h a: m',
    {
      timestamp: 'Oct 11 22:14:15,5',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.500Z',
    },
    '"Oct 11 22:14:15,5",h,a,,m,2024-10-11T22:14:15.500Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15.05 h a: m',
    {
      timestamp: 'Oct 11 22:14:15.05',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.050Z',
    },
    'Oct 11 22:14:15.05,h,a,,m,2024-10-11T22:14:15.050Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15.1234567 h a: m',
    {
      timestamp: 'Oct 11 22:14:15.1234567',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.123Z',
    },
    'Oct 11 22:14:15.1234567,h,a,,m,2024-10-11T22:14:15.123Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 23:59:60 h a: m',
    {
      timestamp: 'Oct 11 23:59:60',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-12T00:00:00.000Z',
    },
    'Oct 11 23:59:60,h,a,,m,2024-10-12T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 23:59:60.250',
    { timestamp: 'Oct 11 23:59:60.250', '@timestamp': '2024-10-12T00:00:00.250Z' },
    'Oct 11 23:59:60.250,,,,,2024-10-12T00:00:00.250Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 2023 22:14:15',
    { timestamp: 'Oct 11 2023 22:14:15', '@timestamp': '2023-10-11T22:14:15.000Z' },
    'Oct 11 2023 22:14:15,,,,,2023-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Feb 29 2024 00:00:00.5 h a: m',
    {
      timestamp: 'Feb 29 2024 00:00:00.5',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-02-29T00:00:00.500Z',
    },
    'Feb 29 2024 00:00:00.5,h,a,,m,2024-02-29T00:00:00.500Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 9999 23:59:59.999 h a: m',
    {
      timestamp: 'Oct 11 9999 23:59:59.999',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '9999-10-11T23:59:59.999Z',
    },
    'Oct 11 9999 23:59:59.999,h,a,,m,9999-10-11T23:59:59.999Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Jan 1 00:00:00 h a: m',
    {
      timestamp: 'Jan 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-01-01T00:00:00.000Z',
    },
    'Jan 1 00:00:00,h,a,,m,2024-01-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Feb 1 00:00:00 h a: m',
    {
      timestamp: 'Feb 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-02-01T00:00:00.000Z',
    },
    'Feb 1 00:00:00,h,a,,m,2024-02-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Mar 1 00:00:00 h a: m',
    {
      timestamp: 'Mar 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-03-01T00:00:00.000Z',
    },
    'Mar 1 00:00:00,h,a,,m,2024-03-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Apr 1 00:00:00 h a: m',
    {
      timestamp: 'Apr 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-04-01T00:00:00.000Z',
    },
    'Apr 1 00:00:00,h,a,,m,2024-04-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'May 1 00:00:00 h a: m',
    {
      timestamp: 'May 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-05-01T00:00:00.000Z',
    },
    'May 1 00:00:00,h,a,,m,2024-05-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Jun 1 00:00:00 h a: m',
    {
      timestamp: 'Jun 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-06-01T00:00:00.000Z',
    },
    'Jun 1 00:00:00,h,a,,m,2024-06-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Jul 1 00:00:00 h a: m',
    {
      timestamp: 'Jul 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-07-01T00:00:00.000Z',
    },
    'Jul 1 00:00:00,h,a,,m,2024-07-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Aug 1 00:00:00 h a: m',
    {
      timestamp: 'Aug 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-08-01T00:00:00.000Z',
    },
    'Aug 1 00:00:00,h,a,,m,2024-08-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Sep 1 00:00:00 h a: m',
    {
      timestamp: 'Sep 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-09-01T00:00:00.000Z',
    },
    'Sep 1 00:00:00,h,a,,m,2024-09-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Nov 1 00:00:00 h a: m',
    {
      timestamp: 'Nov 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2023-11-01T00:00:00.000Z',
    },
    'Nov 1 00:00:00,h,a,,m,2023-11-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Dec 1 00:00:00 h a: m',
    {
      timestamp: 'Dec 1 00:00:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2023-12-01T00:00:00.000Z',
    },
    'Dec 1 00:00:00,h,a,,m,2023-12-01T00:00:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 18 22:15:00 h a: m',
    {
      timestamp: 'Oct 18 22:15:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-18T22:15:00.000Z',
    },
    'Oct 18 22:15:00,h,a,,m,2024-10-18T22:15:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 18 22:15:00.001 h a: m',
    {
      timestamp: 'Oct 18 22:15:00.001',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2023-10-18T22:15:00.001Z',
    },
    'Oct 18 22:15:00.001,h,a,,m,2023-10-18T22:15:00.001Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 18 22:15:01 h a: m',
    {
      timestamp: 'Oct 18 22:15:01',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2023-10-18T22:15:01.000Z',
    },
    'Oct 18 22:15:01,h,a,,m,2023-10-18T22:15:01.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 12 22:15:00 h a: m',
    {
      timestamp: 'Oct 12 22:15:00',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-12T22:15:00.000Z',
    },
    'Oct 12 22:15:00,h,a,,m,2024-10-12T22:15:00.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:15:01 h a: m',
    {
      timestamp: 'Oct 11 22:15:01',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-11T22:15:01.000Z',
    },
    'Oct 11 22:15:01,h,a,,m,2024-10-11T22:15:01.000Z,rfc3164,,,,,,,,\n',
  ],
];

const TIMESTAMPS_3164_ERRORS: ErrorCase[] = [
  // After the timestamp's space, a word: a TAG or a HOSTNAME; none is an error.
  ['Oct 11 22:14:15 ', 'syslog: expected a hostname at column 17'],
  ['Oct 11 22:14:15  x', 'syslog: expected a hostname at column 17'],
  ['Oct 11 22:14:15. h a: m', "syslog: expected ' ' after the timestamp at column 16"],
  ['Oct 11 22:14:15.x h a: m', "syslog: expected ' ' after the timestamp at column 16"],
  ['Oct 11 22:14:15,', "syslog: expected ' ' after the timestamp at column 16"],
  ['Oct 11 22:14:15x', "syslog: expected ' ' after the timestamp at column 16"],
  ['Oct 11 24:00:00 h a: m', 'syslog: invalid date or time at column 1'],
  ['Oct 11 23:60:00 h a: m', 'syslog: invalid date or time at column 1'],
  ['Oct 11 23:59:61 h a: m', 'syslog: invalid date or time at column 1'],
  ['Oct 11 x2:14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 8'],
  ['Oct 11 22:x4:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 8'],
  ['Oct 11 22:14:x5 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 8'],
  ['Oct 11 22.14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 8'],
  ['Oct 11 22:14.15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 8'],
  ['Oct 11 22:14:1', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 8'],
  ['Oct 11 22:14', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 8'],
  ['Oct11 22:14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 1'],
  ['Oct  x 22:14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 6'],
  ['Oct   1 22:14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 6'],
  ['Oct 111 22:14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 5'],
  ['Oct 1x 22:14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 5'],
  ['Oct 0 22:14:15 h a: m', 'syslog: invalid date or time at column 1'],
  ['Oct 32 22:14:15 h a: m', 'syslog: invalid date or time at column 1'],
  ['Oct 11 20x3 22:14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 8'],
  ['Oct 11 202312:14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 8'],
  ['Feb 29 2023 00:00:00 h a: m', 'syslog: invalid date or time at column 1'],
  ['Oct 11 0000 22:14:15 h a: m', 'syslog: invalid date or time at column 1'],
  ['OCT 11 22:14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 1'],
  ['O', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 1'],
  ['Oct', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 1'],
  ['Oct 1', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 5'],
  ['Oct 11 ', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 8'],
];

const TAGS: Case[] = [
  [
    'Oct 11 22:14:15 h a][1]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a]',
      processid: '1',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a],1,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h su:',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'su',
      message: '',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,su,,"",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h su:  two',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'su',
      message: ' two',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,su,, two,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h su:x y',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'su:x y',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,su:x y,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 su:x y',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'su:x',
      message: 'y',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,su:x,,,y,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 su:',
    { timestamp: 'Oct 11 22:14:15', program: 'su', message: '', '@timestamp': '2024-10-11T22:14:15.000Z' },
    'Oct 11 22:14:15,,su,,"",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 su[1]:',
    {
      timestamp: 'Oct 11 22:14:15',
      program: 'su',
      processid: '1',
      message: '',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,,su,1,"",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 su[]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      program: 'su',
      processid: '',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,,su,"",m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h su[]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'su',
      processid: '',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,su,"",m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 app[1 2]: x',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'app[1',
      program: '2]',
      message: 'x',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,app[1,2],,x,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app[1 2]: x',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'app[1 2]: x',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,app[1 2]: x,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app[12',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'app[12',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,app[12,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app[12 x',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'app[12 x',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,app[12 x,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app[1]x: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'app[1]x: m',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,app[1]x: m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app[1]',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'app[1]',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,app[1],2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app[1]:x',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'app[1]:x',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,app[1]:x,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app[1][2]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'app[1][2]: m',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,app[1][2]: m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app:[1]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'app:[1]: m',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,app:[1]: m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h [1]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: '[1]: m',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,[1]: m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h :m',
    { timestamp: 'Oct 11 22:14:15', hostname: 'h', message: ':m', '@timestamp': '2024-10-11T22:14:15.000Z' },
    'Oct 11 22:14:15,h,,,:m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h : m',
    { timestamp: 'Oct 11 22:14:15', hostname: 'h', message: ': m', '@timestamp': '2024-10-11T22:14:15.000Z' },
    'Oct 11 22:14:15,h,,,: m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app',
    { timestamp: 'Oct 11 22:14:15', hostname: 'h', message: 'app', '@timestamp': '2024-10-11T22:14:15.000Z' },
    'Oct 11 22:14:15,h,,,app,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 host ',
    { timestamp: 'Oct 11 22:14:15', hostname: 'host', message: '', '@timestamp': '2024-10-11T22:14:15.000Z' },
    'Oct 11 22:14:15,host,,,"",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 host  m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'host',
      message: ' m',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,host,,, m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h,x app: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h,x',
      program: 'app',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,"h,x",app,,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h a,p[1]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a,p',
      processid: '1',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,"a,p",1,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h ap"p: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'ap"p',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,"ap""p",,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h ap\\p: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'ap\\p',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,ap\\p,,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h a[1"]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      processid: '1"',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a,"1""",m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h a[1,]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      processid: '1,',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a,"1,",m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h a[1\\]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      processid: '1\\',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a,1\\,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h a[1\t]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      processid: '1\t',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a,1\t,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 a\tp[1]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      program: 'a\tp',
      processid: '1',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,,a\tp,1,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h\tx app: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h\tx',
      program: 'app',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h\tx,app,,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h\\x app: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h\\x',
      program: 'app',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h\\x,app,,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h"x app: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h"x',
      program: 'app',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,"h""x",app,,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 hôst äpp[ü]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'hôst',
      program: 'äpp',
      processid: 'ü',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,hôst,äpp,ü,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h !~[!~]: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: '!~',
      processid: '!~',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,!~,!~,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app[1]: ',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'app',
      processid: '1',
      message: '',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,app,1,"",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h app[x]y: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'app[x]y: m',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,,,app[x]y: m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    '<13>Oct 11 22:14:15 h app[]',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      message: 'app[]',
      '@timestamp': '2024-10-11T22:14:15.000Z',
      priority: 13,
    },
    'Oct 11 22:14:15,h,,,app[],2024-10-11T22:14:15.000Z,rfc3164,13,1,user,5,notice,,,\n',
  ],
];

const STRUCTURED_DATA: Case[] = [
  [
    '<14>1 - h a - - [empty]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { empty: {} },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,[empty]\n',
  ],
  [
    '<14>1 - h a - - [empty] m',
    {
      hostname: 'h',
      program: 'a',
      message: 'm',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { empty: {} },
    },
    ',h,a,,m,,rfc5424,14,1,user,6,info,1,,[empty]\n',
  ],
  [
    '<14>1 - h a - - [a x="1"][a y="2"][b z=""][a x="3"] m',
    {
      hostname: 'h',
      program: 'a',
      message: 'm',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: ['1', '3'], y: '2' }, b: { z: '' } },
    },
    ',h,a,,m,,rfc5424,14,1,user,6,info,1,,"[a x=""1""][a y=""2""][b z=""""][a x=""3""]"\n',
  ],
  [
    '<14>1 - h a - - [a x="1" y="2" x="3"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: ['1', '3'], y: '2' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a x=""1"" y=""2"" x=""3""]"\n',
  ],
  [
    '<14>1 - h a - - [a x="v,w"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: 'v,w' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a x=""v,w""]"\n',
  ],
  [
    '<14>1 - h a - - [a,b x="1"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { 'a,b': { x: '1' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a,b x=""1""]"\n',
  ],
  [
    '<14>1 - h a - - [!~ !~="!~"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { '!~': { '!~': '!~' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[!~ !~=""!~""]"\n',
  ],
  [
    '<14>1 - h a - - [a x="ü 🦊"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: 'ü 🦊' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a x=""ü 🦊""]"\n',
  ],
  [
    '<14>1 - h a - - [a x="tab\there"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: 'tab\there' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a x=""tab\there""]"\n',
  ],
  [
    '<14>1 - h a - - [a x="\\\\"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: '\\' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a x=""\\\\""]"\n',
  ],
  [
    '<14>1 - h a - - [a x="\\""]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: '"' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a x=""\\""""]"\n',
  ],
  [
    '<14>1 - h a - - [a x="\\]"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: ']' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a x=""\\]""]"\n',
  ],
  [
    '<14>1 - h a - - [a x="\\n"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: '\\n' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a x=""\\n""]"\n',
  ],
  [
    '<14>1 - h a - - [a x="a\\"b\\\\c\\]d\\e"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: 'a"b\\c]d\\e' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a x=""a\\""b\\\\c\\]d\\e""]"\n',
  ],
  [
    '<14>1 - h a - - [a x="[1]"]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: { x: '[1]' } },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,"[a x=""[1]""]"\n',
  ],
  [
    '<14>1 - h a - - [a][b]',
    {
      hostname: 'h',
      program: 'a',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      structured_data: { a: {}, b: {} },
    },
    ',h,a,,,,rfc5424,14,1,user,6,info,1,,[a][b]\n',
  ],
];

const STRUCTURED_DATA_ERRORS: ErrorCase[] = [
  ['<14>1 - h a - - [a x="\\"]', "syslog: expected '\"' closing a structured-data value at column 26"],
  ['<14>1 - h a - - []', 'syslog: expected an SD-ID at column 18'],
  ['<14>1 - h a - - [ x="1"]', 'syslog: expected an SD-ID at column 18'],
  ['<14>1 - h a - - [a\u007f]', 'syslog: invalid character in an SD-ID at column 19'],
  ['<14>1 - h a - - [a\u0001]', 'syslog: invalid character in an SD-ID at column 19'],
  ['<14>1 - h a - - [aé]', 'syslog: invalid character in an SD-ID at column 19'],
  ['<14>1 - h a - - [a ="1"]', 'syslog: expected a PARAM-NAME at column 20'],
  ['<14>1 - h a - - [a x\u007f="1"]', 'syslog: invalid character in a PARAM-NAME at column 21'],
  ['<14>1 - h a - - [a x]', "syslog: expected '=' at column 21"],
  ['<14>1 - h a - - [a x ]', "syslog: expected '=' at column 21"],
  ['<14>1 - h a - - [a x=]', "syslog: expected '\"' at column 22"],
  ['<14>1 - h a - - [a x=1"]', "syslog: expected '\"' at column 22"],
  ['<14>1 - h a - - [a x="1"y]', "syslog: expected ']' at column 25"],
  ['<14>1 - h a - - [a x="1"', "syslog: expected ']' at column 25"],
  ['<14>1 - h a - - [a x="1', "syslog: expected '\"' closing a structured-data value at column 24"],
  ['<14>1 - h a - - [a', "syslog: expected ']' at column 19"],
  ['<14>1 - h a - - [a ', 'syslog: expected a PARAM-NAME at column 20'],
  ['<14>1 - h a - - [a x="1" ]', 'syslog: expected a PARAM-NAME at column 26'],
  ['<14>1 - h a - - [a x="1"]x', "syslog: expected ' ' before the message at column 26"],
  ['<14>1 - h a - - [a x="1""]', "syslog: expected ']' at column 25"],
  ['<14>1 - h a - - [a="1"]', "syslog: expected ']' at column 19"],
  ['<14>1 - h a - - [a"b x="1"]', "syslog: expected ']' at column 19"],
  ['<14>1 - h a - - [a x"="1"]', "syslog: expected '=' at column 21"],
  ['<14>1 - h a - - [a ]x="1"]', 'syslog: expected a PARAM-NAME at column 20'],
];

const MESSAGES: Case[] = [
  [
    'Oct 11 22:14:15 h a: \b\t\f\r\u0001\u001f"\\ !#~\u007f\u0080é',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      message: '\b\t\f\r\u0001\u001f"\\ !#~\u007f\u0080é',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a,,"\b\t\f\r\u0001\u001f""\\ !#~\u007f\u0080é",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    '<14>1 - h a - - - \b\t\f\r\u0001\u001f"\\ !#~\u007fé',
    {
      hostname: 'h',
      program: 'a',
      message: '\b\t\f\r\u0001\u001f"\\ !#~\u007fé',
      format: 'rfc5424',
      priority: 14,
      version: 1,
    },
    ',h,a,,"\b\t\f\r\u0001\u001f""\\ !#~\u007fé",,rfc5424,14,1,user,6,info,1,,\n',
  ],
  [
    'Oct 11 22:14:15 h a: say "hi", then\rbye',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      message: 'say "hi", then\rbye',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a,,"say ""hi"", then\rbye",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h a: comma, only',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      message: 'comma, only',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a,,"comma, only",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h a: quote" only',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      message: 'quote" only',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a,,"quote"" only",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h a: cr\r only',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      message: 'cr\r only',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a,,"cr\r only",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    'Oct 11 22:14:15 h a: tab\t only',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      message: 'tab\t only',
      '@timestamp': '2024-10-11T22:14:15.000Z',
    },
    'Oct 11 22:14:15,h,a,,tab\t only,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
  ],
  [
    '<14>1 2003-10-11T22:14:15.003Z host app 77 ID47 [x@1 a="b"][y c="d" e="f"] say "hi", \u0001',
    {
      timestamp: '2003-10-11T22:14:15.003Z',
      hostname: 'host',
      program: 'app',
      processid: '77',
      message: 'say "hi", \u0001',
      '@timestamp': '2003-10-11T22:14:15.003Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'ID47',
      structured_data: { 'x@1': { a: 'b' }, y: { c: 'd', e: 'f' } },
    },
    '2003-10-11T22:14:15.003Z,host,app,77,"say ""hi"", \u0001",2003-10-11T22:14:15.003Z,rfc5424,14,1,user,6,info,1,ID47,"[x@1 a=""b""][y c=""d"" e=""f""]"\n',
  ],
  [
    '<14>1 2003-10-11T22:14:15.003Z host app 77 ID47 - x',
    {
      timestamp: '2003-10-11T22:14:15.003Z',
      hostname: 'host',
      program: 'app',
      processid: '77',
      message: 'x',
      '@timestamp': '2003-10-11T22:14:15.003Z',
      format: 'rfc5424',
      priority: 14,
      version: 1,
      msgid: 'ID47',
    },
    '2003-10-11T22:14:15.003Z,host,app,77,x,2003-10-11T22:14:15.003Z,rfc5424,14,1,user,6,info,1,ID47,\n',
  ],
];

const PRI: Case[] = [
  [
    '<034>Oct 11 22:14:15 h a: m',
    {
      timestamp: 'Oct 11 22:14:15',
      hostname: 'h',
      program: 'a',
      message: 'm',
      '@timestamp': '2024-10-11T22:14:15.000Z',
      priority: 34,
    },
    'Oct 11 22:14:15,h,a,,m,2024-10-11T22:14:15.000Z,rfc3164,34,4,auth,2,crit,,,\n',
  ],
  [
    '<0>1 - - - - - -',
    { format: 'rfc5424', priority: 0, version: 1 },
    ',,,,,,rfc5424,0,0,kern,0,emerg,1,,\n',
  ],
];

const PRI_ERRORS: ErrorCase[] = [
  // A space where the VERSION or the timestamp starts.
  ['<14> Oct 11 22:14:15 h a: m', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 5'],
  [' 1 - - - - - -', 'syslog: expected a timestamp like Oct 11 22:14:15 at column 1'],
  ['<0034>Oct 11 22:14:15 h a: m', "syslog: expected '>' at column 5"],
  ['<', 'syslog: expected a priority number at column 2'],
  ['<1', "syslog: expected '>' at column 3"],
  ['<34', "syslog: expected '>' at column 4"],
  ['<a>Oct 11 22:14:15 h a: m', 'syslog: expected a priority number at column 2'],
  ['<-1>Oct 11 22:14:15 h a: m', 'syslog: expected a priority number at column 2'],
  ['<192>1 - - - - - -', 'syslog: priority out of range (0-191) at column 2'],
  ['<191>', 'syslog: expected a timestamp at column 6'],
];

describe('syslog outputs, pinned on every path', () => {
  it('PRI: leading zeros, no PRI, and malformed PRI', () => {
    for (const c of PRI) expectOutputs(c);
    for (const c of PRI_ERRORS) expectError(c);
  });

  it('RFC 5424 header: each field, NILVALUEs, VERSION, an empty or BOM-led MSG', () => {
    for (const c of HEADER_5424) expectOutputs(c);
  });

  it('RFC 5424 header: a missing field or space names the field and its column', () => {
    for (const c of HEADER_5424_ERRORS) expectError(c);
  });

  it('RFC 3339 timestamps: fractions, offsets, leap seconds, the ends of the calendar', () => {
    for (const c of RFC3339) expectOutputs(c);
  });

  it('RFC 3339 timestamps: each malformed part is named with its column', () => {
    for (const c of RFC3339_ERRORS) expectError(c);
  });

  it('RFC 3164 timestamps: day padding, fractions, a year, every month', () => {
    for (const c of TIMESTAMPS_3164) expectOutputs(c);
  });

  it('RFC 3164 timestamps: each malformed part is named with its column', () => {
    for (const c of TIMESTAMPS_3164_ERRORS) expectError(c);
  });

  it('RFC 3164 TAG and HOSTNAME: what is a TAG, a pid, a hostname, the message after them', () => {
    for (const c of TAGS) expectOutputs(c);
  });

  it('structured data: merged SD-IDs, repeated names, escapes, CSV quoting', () => {
    for (const c of STRUCTURED_DATA) expectOutputs(c);
  });

  it('structured data: each malformed part is named with its column', () => {
    for (const c of STRUCTURED_DATA_ERRORS) expectError(c);
  });

  it('messages: JSON escapes and CSV quoting of every character that needs them', () => {
    for (const c of MESSAGES) expectOutputs(c);
  });
});

describe('RFC 3164 year, from the arrival time', () => {
  const at = (reference: number, line: string, utc: string) => {
    const [timestamp] = line.split(/ (?=h )/);
    expectOutputs(
      [
        line,
        { timestamp: timestamp!, hostname: 'h', program: 'a', message: 'm', '@timestamp': utc },
        `${timestamp},h,a,,m,${utc},rfc3164,,,,,,,,\n`,
      ],
      reference,
    );
  };

  it('is the year that puts the line closest before its arrival, up to 7 days of clock skew ahead', () => {
    const newYear = Date.UTC(2025, 0, 1, 0, 0, 5);
    at(newYear, 'Dec 31 23:59:59 h a: m', '2024-12-31T23:59:59.000Z');
    at(newYear, 'Jan 1 00:00:05 h a: m', '2025-01-01T00:00:05.000Z');
    at(newYear, 'Jan 8 00:00:05 h a: m', '2025-01-08T00:00:05.000Z');
    at(newYear, 'Jan 8 00:00:05.001 h a: m', '2024-01-08T00:00:05.001Z');
    at(newYear, 'Jan 8 00:00:06 h a: m', '2024-01-08T00:00:06.000Z');
    const leapDay = Date.UTC(2024, 1, 29, 12, 0, 0);
    at(leapDay, 'Feb 29 12:00:00 h a: m', '2024-02-29T12:00:00.000Z');
    at(leapDay, 'Mar 7 12:00:00 h a: m', '2024-03-07T12:00:00.000Z');
    at(leapDay, 'Mar 7 12:00:01 h a: m', '2023-03-07T12:00:01.000Z');
    // A year on the line is taken as it is, even far from the arrival time.
    at(leapDay, 'Mar 7 2030 12:00:01 h a: m', '2030-03-07T12:00:01.000Z');
  });

  it('follows the arrival time from record to record, across year boundaries in both directions', () => {
    const sequence: [number, string, string][] = [
      [Date.UTC(2024, 5, 1), 'Jun 1 00:00:00 h a: m', '2024-06-01T00:00:00.000Z'],
      [Date.UTC(2023, 5, 1), 'Jun 1 00:00:00 h a: m', '2023-06-01T00:00:00.000Z'],
      [Date.UTC(2023, 5, 1), 'Dec 31 23:59:59 h a: m', '2022-12-31T23:59:59.000Z'],
      [Date.UTC(2025, 0, 1) - 1, 'Jan 1 00:00:00 h a: m', '2024-01-01T00:00:00.000Z'],
      [Date.UTC(2025, 0, 1) - 1, 'Dec 31 23:59:59.999 h a: m', '2024-12-31T23:59:59.999Z'],
      // The first instant of the next year, right after the last of this one.
      [Date.UTC(2025, 0, 1), 'Jan 1 00:00:00 h a: m', '2025-01-01T00:00:00.000Z'],
      [Date.UTC(2026, 0, 1), 'Dec 31 23:59:59 h a: m', '2025-12-31T23:59:59.000Z'],
      [Date.UTC(2024, 0, 1), 'Jan 1 00:00:00 h a: m', '2024-01-01T00:00:00.000Z'],
      [Date.UTC(2024, 11, 31, 23, 59, 59, 999), 'Dec 31 23:59:59.999 h a: m', '2024-12-31T23:59:59.999Z'],
    ];
    for (const [reference, line, utc] of sequence) at(reference, line, utc);
  });

  it('is the current year without an arrival time', () => {
    const year = new Date().getUTCFullYear();
    const line = 'Jan 1 00:00:00 h a: m';
    expect(parseSyslogLine(line).timestampUtc).toBe(`${year}-01-01T00:00:00.000Z`);
    const bytes = Buffer.from(line);
    const writer = new ByteWriter();
    writeSyslogJson(bytes, 0, bytes.length, writer);
    expect(JSON.parse(Buffer.from(writer.finish()).toString('utf8'))['@timestamp']).toBe(
      `${year}-01-01T00:00:00.000Z`,
    );
    writeSyslogCsv(bytes, 0, bytes.length, writer);
    expect(Buffer.from(writer.finish()).toString('utf8')).toBe(
      `Jan 1 00:00:00,h,a,,m,${year}-01-01T00:00:00.000Z,rfc3164,,,,,,,,\n`,
    );
  });

  it('an arrival time that is not a time is the caller’s error (RangeError) on every path', () => {
    const line = 'Oct 11 22:14:15 h a: m';
    expect(() => parseSyslogLine(line, { referenceTime: Number.NaN })).toThrow(RangeError);
    for (const format of ['json', 'csv'] as const) {
      expect(bytesPath(line, format, Number.NaN)).toBe('error: Invalid time value');
    }
    // A line with its own year needs no arrival time.
    expect(bytesPath('Oct 11 2024 22:14:15 h a: m', 'csv', Number.NaN)).toBe(
      'Oct 11 2024 22:14:15,h,a,,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
    );
  });
});

describe('the bytes path', () => {
  it('writes any instant of years 1-9999 as Date#toISOString does, from RFC 3339 (Z or offset) and RFC 3164 years', () => {
    const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
    const MIN = new Date('0001-01-02T00:00:00Z').getTime();
    const MAX = new Date('9999-12-30T00:00:00Z').getTime();
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let fast = 0;
    let lines = 0;
    for (let n = 0; n < 300; n++) {
      // Uniform over the calendar, then some around era, century and leap-year boundaries.
      const base =
        n % 3 === 0
          ? MIN + Math.floor(next() * (MAX - MIN))
          : new Date(
              `${['2000', '1900', '2100', '1600', '2400', '1970', '2023', '2024'][n % 8]}-03-01T00:00:00Z`,
            ).getTime() + Math.floor((next() - 0.5) * 6 * 86_400_000);
      const millis = ((base % 1000) + 1000) % 1000;
      const local = (ms: number) => new Date(ms).toISOString().slice(0, 19);
      const fraction = [
        '',
        `.${Math.floor(millis / 100)}`,
        `.${String(millis).padStart(3, '0')}`,
        `.${String(millis).padStart(3, '0')}789`,
      ][n % 4]!;
      const instant = base - (n % 4 === 0 ? millis : n % 4 === 1 ? millis % 100 : 0);
      const expected = new Date(instant).toISOString();
      const offsetMinutes = Math.floor(next() * (24 * 60 - 1)) * (next() < 0.5 ? -1 : 1);
      const offset = `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0')}:${String(Math.abs(offsetMinutes) % 60).padStart(2, '0')}`;
      const wall = local(instant + offsetMinutes * 60_000);
      const d = new Date(instant);
      const lineOf3164 = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${local(instant).slice(0, 4)} ${local(instant).slice(11)}${fraction} h a: m`;
      for (const [line, utc] of [
        [`<14>1 ${local(instant)}${fraction}Z h a - - -`, expected],
        [`<14>1 ${wall}${fraction}${offset} h a - - -`, expected],
        [lineOf3164, expected],
      ] as const) {
        lines++;
        if (takesFastPath(line, referenceTime)) fast++;
        expect(JSON.parse(bytesPath(line, 'json'))['@timestamp'], line).toBe(utc);
        expect(bytesPath(line, 'csv').split(',')[5], line).toBe(utc);
      }
    }
    // Every one of them within years 1-9999 is the fast path's.
    expect(fast).toBe(lines);
  });
});

describe('the bytes path, beyond single clean lines', () => {
  it('takes up to 16 SD-ELEMENTs and 64 SD-PARAMs a line itself, leaves more to the careful path: same output', () => {
    const elements = (n: number) => Array.from({ length: n }, (_, i) => `[e${i} a="${i}"]`);
    // 8 elements of 8 params (64), then an element of `extra` more.
    const params = (extra: number) => [
      ...Array.from(
        { length: 8 },
        (_, e) => `[p${e}${Array.from({ length: 8 }, (_, i) => ` a${i}="${e}${i}"`).join('')}]`,
      ),
      `[z${Array.from({ length: extra }, (_, i) => ` b${i}="${i}"`).join('')}]`,
    ];
    for (const [sd, fast] of [
      [elements(16), true],
      [elements(17), false],
      [params(0), true],
      [params(1), false],
    ] as const) {
      const text = sd.join('');
      const line = `<14>1 - h a - - ${text} m`;
      const object = Object.fromEntries(
        sd.map((element) => {
          const [id, ...pairs] = element.slice(1, -1).split(' ');
          return [id!, Object.fromEntries(pairs.map((pair) => pair.slice(0, -1).split('="')))];
        }),
      );
      expectOutputs([
        line,
        {
          hostname: 'h',
          program: 'a',
          message: 'm',
          format: 'rfc5424',
          priority: 14,
          version: 1,
          structured_data: object,
        },
        `,h,a,,m,,rfc5424,14,1,user,6,info,1,,"${text.replaceAll('"', '""')}"\n`,
      ]);
      expect(takesFastPath(line, referenceTime), line).toBe(fast);
    }
  });

  it('takes clean lines itself: no PRI, SD-IDs and PARAM-NAMEs that share a prefix, one name in two elements', () => {
    for (const line of [
      '1 - - - - - -',
      '<14>1 - h a - - [a][ab][b] m',
      '<14>1 - h a - - [ab][a] m',
      '<14>1 - h a - - [a x="1" xy="2"][b x="3"] m',
      '<14>1 - h a - - [a xy="1" x="2"] m',
      '<14>1 2003-10-11T22:14:15+05:30 h a - - - m',
      'Oct 11 22:14:15.5 h',
      'Oct 11 2023 22:14:15 h a[1]: m',
      'Oct 11 22:14:15 h a: \u0001\u0002 "quoted", \\',
      '<14>1 - h a - - - \u0001\u0002 "quoted", \\',
      // Escapes that need more room than the line's first estimate: asked for, and the line still taken.
      `<14>1 - h a - - - ${'\u0001'.repeat(300)}`,
    ]) {
      expect(takesFastPath(line, referenceTime), line).toBe(true);
    }
    // Lines it scans but leaves to the careful path: a UTC time past year 9999, a newline in the message.
    for (const line of [
      '<14>1 9999-12-31T23:30:00-01:00 h a - - -',
      'Oct 11 22:14:15 h a: m\nOct 11 22:14:15 h a: m',
    ]) {
      expect(takesFastPath(line, referenceTime), line).toBe(false);
    }
  });

  it('writes the same bytes wherever the record falls in the writer’s chunk (room for escapes and constants)', () => {
    const lines = [
      'Oct 11 22:14:15 h a: m',
      '<165>1 2003-10-11T22:14:15.003+02:00 mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut="3" eventSource="Application"][m n="o"] \uFEFFAn event',
      `<34>Oct 11 22:14:15 host app[1]: ${'\u0001'.repeat(300)}`,
      `<14>1 - h a - ${'M'.repeat(32)} [x a="${'v'.repeat(200)}" b="${'w'.repeat(200)}"] ${'\u0001"\\'.repeat(150)}`,
      `<14>1 - h a - - - ${'"'.repeat(400)}`,
      // A record of two lines, escapes before the newline: the room check finds the newline (line by line, then).
      `<34>Oct 11 22:14:15 host app[1]: ${'\u0001'.repeat(300)}\nOct 11 22:14:16 h a: m`,
    ];
    const writer = new ByteWriter(2048);
    const filler = Buffer.alloc(2048, 0x78);
    for (const line of lines) {
      const bytes = Buffer.from(line, 'utf8');
      const expected = { json: record(line, 'json'), csv: record(line, 'csv') };
      expect(expected.json).not.toMatch(/^error/);
      // Every 13th offset: an output that overflows its room does so over a range of offsets wider than that.
      for (let offset = 0; offset <= 2048; offset += 13) {
        for (const format of ['json', 'csv'] as const) {
          writer.reset();
          writer.copy(filler, 0, offset);
          writer.endRecord();
          if (format === 'json') writeSyslogJson(bytes, 0, bytes.length, writer, { referenceTime });
          else writeSyslogCsv(bytes, 0, bytes.length, writer, { referenceTime });
          const out = writer.finish();
          if (Buffer.from(out).toString('utf8') !== expected[format]) {
            expect(Buffer.from(out).toString('utf8'), `${format} at ${offset}: ${line}`).toBe(
              expected[format],
            );
          }
        }
      }
    }
  });

  it('ends CSV records with LF unless told otherwise, on the fast and the careful path', () => {
    const fast = 'Oct 11 22:14:15 h a: m';
    const slow = 'Oct 11 22:14:15 h,x a: m';
    const writer = new ByteWriter(64);
    for (const [line, host] of [
      [fast, 'h'],
      [slow, '"h,x"'],
    ] as const) {
      const expected = `Oct 11 22:14:15,${host},a,,m,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n`;
      const bytes = Buffer.from(line);
      writeSyslogCsv(bytes, 0, bytes.length, writer, { referenceTime });
      expect(Buffer.from(writer.finish()).toString('utf8'), line).toBe(expected);
      const text = `${line}\n${line}`;
      const two = Buffer.from(text);
      writeSyslogCsv(two, 0, two.length, writer, { referenceTime });
      expect(Buffer.from(writer.finish()).toString('utf8'), text).toBe(expected + expected);
      expect(Buffer.from(syslogRecordToCsv(two, writer, { referenceTime })).toString('utf8'), text).toBe(
        expected + expected,
      );
      expect(syslogToCsv(parseSyslogLine(line, { referenceTime })), line).toBe(expected);
    }
  });

  it('writes every line of a record, whatever ends them, and names the line that fails', () => {
    const a = 'Oct 11 22:14:15 h a: one';
    const b = '<14>1 - h b - - - two';
    const c = `Oct 11 22:14:16 h c: ${'\u0001'.repeat(200)}three`;
    const A = {
      json: json({
        timestamp: 'Oct 11 22:14:15',
        hostname: 'h',
        program: 'a',
        message: 'one',
        '@timestamp': '2024-10-11T22:14:15.000Z',
      }),
      csv: 'Oct 11 22:14:15,h,a,,one,2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n',
    };
    const B = {
      json: json({
        hostname: 'h',
        program: 'b',
        message: 'two',
        format: 'rfc5424',
        priority: 14,
        version: 1,
      }),
      csv: ',h,b,,two,,rfc5424,14,1,user,6,info,1,,\n',
    };
    const C = {
      json: json({
        timestamp: 'Oct 11 22:14:16',
        hostname: 'h',
        program: 'c',
        message: `${'\u0001'.repeat(200)}three`,
        '@timestamp': '2024-10-11T22:14:16.000Z',
      }),
      csv: `Oct 11 22:14:16,h,c,,${'\u0001'.repeat(200)}three,2024-10-11T22:14:16.000Z,rfc3164,,,,,,,,\n`,
    };
    const AwithB = {
      json: json({
        timestamp: 'Oct 11 22:14:15',
        hostname: 'h',
        program: 'a',
        message: `one\r${b}`,
        '@timestamp': '2024-10-11T22:14:15.000Z',
      }),
      csv: `Oct 11 22:14:15,h,a,,"one\r${b}",2024-10-11T22:14:15.000Z,rfc3164,,,,,,,,\n`,
    };
    const cases: [string, (typeof A)[]][] = [
      [`${a}\n`, [A]],
      [`${a}\r\n`, [A]],
      [`${a}\r`, [A]],
      [`${a}\n\n`, [A]],
      [`\n${a}`, [A]],
      [`\uFEFF${a}\n`, [A]],
      [`${a}\n${b}`, [A, B]],
      [`${a}\r\n${b}\r\n`, [A, B]],
      [`\uFEFF${b}\n\n${a}\n`, [B, A]],
      [`${c}\n${a}`, [C, A]],
      [`${c}\r\n${b}`, [C, B]],
      [`${a}\n${c}`, [A, C]],
      [`${a}\r${b}`, [AwithB]],
    ];
    for (const [text, outputs] of cases) {
      for (const format of ['json', 'csv'] as const) {
        const expected = outputs.map((o) => o[format]).join('');
        expect(bytesPath(text, format), JSON.stringify(text)).toBe(expected);
        expect(record(text, format), JSON.stringify(text)).toBe(expected);
      }
    }
    for (const [text, message] of [
      [`${a}\n<192>1 - - - - - -`, 'syslog: line 2: priority out of range (0-191) at column 2'],
      [`${a}\n\n${c}\nOct 11 22:14:15x`, "syslog: line 4: expected ' ' after the timestamp at column 16"],
      [`${a}\n\uFEFF${a}`, 'syslog: line 2: expected a timestamp like Oct 11 22:14:15 at column 1'],
      [`${b}\r\n\r\n`, null],
      ['\n\r\n', 'record: empty record'],
      ['\uFEFF', 'record: empty record'],
    ] as const) {
      for (const format of ['json', 'csv'] as const) {
        const expected = message === null ? B[format] : `error: ${message}`;
        expect(bytesPath(text, format), JSON.stringify(text)).toBe(expected);
        expect(record(text, format), JSON.stringify(text)).toBe(expected);
      }
    }
  });
});

describe('the bytes path in a fresh module', () => {
  it('writes a missing message as an empty CSV field even as the first line it ever scans', async () => {
    vi.resetModules();
    const fresh = await import('../../../shared/logformats/syslog');
    const bytes = Buffer.from('<14>1 - h a - - -');
    const writer = new ByteWriter(64);
    fresh.writeSyslogCsv(bytes, 0, bytes.length, writer, { referenceTime });
    expect(Buffer.from(writer.finish()).toString('utf8')).toBe(',h,a,,,,rfc5424,14,1,user,6,info,1,,\n');
  });
});
