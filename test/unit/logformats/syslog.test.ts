import { describe, expect, it } from 'vitest';
import {
  ByteWriter,
  LogParseError,
  parseSyslogLine,
  SYSLOG_CSV_COLUMNS,
  SYSLOG_FACILITIES,
  SYSLOG_JSON_KEYS,
  SYSLOG_SEVERITIES,
  type SyslogEntry,
  syslogRecordToJson,
  syslogToCsv,
  syslogToJson,
  writeSyslogCsv,
  writeSyslogJson,
} from '../../../shared/logformats';

// Records arrive a little after their lines were written: 2024-10-11T22:15:00Z.
const referenceTime = Date.UTC(2024, 9, 11, 22, 15, 0);
const parse = (line: string) => parseSyslogLine(line, { referenceTime });

function parseError(line: string): string {
  try {
    parse(line);
  } catch (error) {
    expect(error).toBeInstanceOf(LogParseError);
    return (error as Error).message;
  }
  throw new Error(`expected a parse error for ${line}`);
}

const none: SyslogEntry = {
  format: 'rfc3164',
  priority: null,
  facility: null,
  severity: null,
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

describe('RFC 3164', () => {
  it('reads the RFC example: PRI, timestamp, hostname, tag, message', () => {
    expect(parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")).toEqual({
      ...none,
      priority: 34,
      facility: 4,
      severity: 2,
      timestamp: 'Oct 11 22:14:15',
      timestampUtc: '2024-10-11T22:14:15.000Z',
      hostname: 'mymachine',
      program: 'su',
      message: "'su root' failed for lonvick on /dev/pts/8",
    });
  });

  it('reads file lines without PRI, with a pid, a space-padded day and fractional seconds', () => {
    expect(parse('Oct  1 06:30:00.250 web-1 sshd[4242]: Accepted publickey')).toMatchObject({
      priority: null,
      facility: null,
      timestamp: 'Oct  1 06:30:00.250',
      timestampUtc: '2024-10-01T06:30:00.250Z',
      hostname: 'web-1',
      program: 'sshd',
      processid: '4242',
      message: 'Accepted publickey',
    });
  });

  it('reads lines without a hostname, without a tag, and with an IPv6 hostname', () => {
    expect(parse('<13>Oct 11 22:14:15 su: no hostname')).toMatchObject({
      hostname: null,
      program: 'su',
      message: 'no hostname',
    });
    expect(parse('<13>Oct 11 22:14:15 host just a message: with a colon')).toMatchObject({
      hostname: 'host',
      program: null,
      message: 'just a message: with a colon',
    });
    expect(parse('Oct 11 22:14:15 fe80::1 kernel: link up')).toMatchObject({
      hostname: 'fe80::1',
      program: 'kernel',
      message: 'link up',
    });
    expect(parse('Oct 11 22:14:15 host')).toMatchObject({ hostname: 'host', program: null, message: null });
    expect(parse('Oct 11 22:14:15')).toMatchObject({
      timestamp: 'Oct 11 22:14:15',
      hostname: null,
      message: null,
    });
  });

  it('takes a bracket holding a space, or never closed, as part of a hostname, not as a pid', () => {
    expect(parse('<13>Oct 11 22:14:15 su[12 3]: msg')).toMatchObject({
      hostname: 'su[12',
      program: '3]',
      processid: null,
      message: 'msg',
    });
    expect(parse('<13>Oct 11 22:14:15 host su[12 3]: msg')).toMatchObject({
      hostname: 'host',
      program: null,
      processid: null,
      message: 'su[12 3]: msg',
    });
    expect(parse('<13>Oct 11 22:14:15 su[12: msg')).toMatchObject({
      hostname: 'su[12:',
      program: null,
      processid: null,
      message: 'msg',
    });
  });

  it('takes the year from the arrival time, or the line when it has one', () => {
    // A December line arriving in January belongs to the previous year.
    expect(
      parseSyslogLine('Dec 31 23:59:59 h cron: x', { referenceTime: Date.UTC(2025, 0, 1, 0, 0, 5) })
        .timestampUtc,
    ).toBe('2024-12-31T23:59:59.000Z');
    expect(parse('Oct 11 2023 22:14:15 router1 %LINK-3-UPDOWN: down')).toMatchObject({
      timestamp: 'Oct 11 2023 22:14:15',
      timestampUtc: '2023-10-11T22:14:15.000Z',
      hostname: 'router1',
      program: '%LINK-3-UPDOWN',
    });
    expect(parse('<30>2024-10-11T23:14:15.123456+01:00 host app[7]: precise')).toMatchObject({
      format: 'rfc3164',
      timestamp: '2024-10-11T23:14:15.123456+01:00',
      timestampUtc: '2024-10-11T22:14:15.123Z',
      program: 'app',
      processid: '7',
    });
  });

  it('rejects bad timestamps', () => {
    expect(parseError('Foo 11 22:14:15 h x: y')).toBe(
      'syslog: expected a timestamp like Oct 11 22:14:15 at column 1',
    );
    expect(parseError('Oct 11 22-14-15 h x: y')).toBe(
      'syslog: expected a timestamp like Oct 11 22:14:15 at column 8',
    );
    expect(parseError('Feb 30 22:14:15 h x: y')).toBe('syslog: invalid date or time at column 1');
    expect(parseError('<34>')).toBe('syslog: expected a timestamp at column 5');
  });
});

describe('RFC 5424', () => {
  it('reads a full line with structured data and a BOM before MSG', () => {
    const line =
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] \uFEFFAn application event log entry...';
    expect(parse(line)).toEqual({
      format: 'rfc5424',
      priority: 165,
      facility: 20,
      severity: 5,
      version: 1,
      timestamp: '2003-10-11T22:14:15.003Z',
      timestampUtc: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      program: 'evntslog',
      processid: '1234',
      msgid: 'ID47',
      structuredData: [
        {
          id: 'exampleSDID@32473',
          params: [
            ['iut', '3'],
            ['eventSource', 'Application'],
            ['eventID', '1011'],
          ],
        },
        { id: 'examplePriority@32473', params: [['class', 'high']] },
      ],
      structuredDataText:
        '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
      message: 'An application event log entry...',
    });
  });

  it('reads NILVALUEs as null, and a line that ends after the structured data', () => {
    expect(parse('<14>1 - - - - - -')).toEqual({
      ...none,
      format: 'rfc5424',
      priority: 14,
      facility: 1,
      severity: 6,
      version: 1,
    });
    expect(
      parse('<14>1 2003-08-24T05:14:15.000003-07:00 2001:db8::10 myproc 8710 - - %% time'),
    ).toMatchObject({
      timestampUtc: '2003-08-24T12:14:15.000Z',
      hostname: '2001:db8::10',
      processid: '8710',
      msgid: null,
      structuredData: null,
      message: '%% time',
    });
  });

  it('unescapes \\", \\\\ and \\] in PARAM-VALUEs and keeps any other backslash', () => {
    const entry = parse(
      '<14>1 - h a - - [x@1 q="say \\"hi\\"" b="a\\\\b" r="[1\\]" o="C:\\temp"][y@2 ip="::1" ip="10.0.0.1"] m',
    );
    expect(entry.structuredData).toEqual([
      {
        id: 'x@1',
        params: [
          ['q', 'say "hi"'],
          ['b', 'a\\b'],
          ['r', '[1]'],
          ['o', 'C:\\temp'],
        ],
      },
      {
        id: 'y@2',
        params: [
          ['ip', '::1'],
          ['ip', '10.0.0.1'],
        ],
      },
    ]);
    expect(JSON.parse(syslogToJson(entry)).structured_data).toEqual({
      'x@1': { q: 'say "hi"', b: 'a\\b', r: '[1]', o: 'C:\\temp' },
      'y@2': { ip: ['::1', '10.0.0.1'] },
    });
    expect(entry.message).toBe('m');
  });

  it('rejects malformed structured data and timestamps', () => {
    expect(parseError('<14>1 - h a - - [x@1 q="unterminated] m')).toBe(
      "syslog: expected '\"' closing a structured-data value at column 40",
    );
    expect(parseError('<14>1 - h a - - [x@1 q=1] m')).toBe("syslog: expected '\"' at column 24");
    // Structured data ends at the first element not directly followed by another: the rest is MSG.
    expect(parse('<14>1 - h a - - [x@1] [y@2]')).toMatchObject({
      structuredDataText: '[x@1]',
      message: '[y@2]',
    });
    expect(parseError('<14>1 - h a - - x')).toBe(
      "syslog: expected '-' or '[' (structured data) at column 17",
    );
    expect(parseError('<14>1 - h a - - -x')).toBe("syslog: expected ' ' before the message at column 18");
    expect(parseError('<14>1 2003-10-11 h a - - -')).toBe(
      'syslog: expected an RFC 3339 timestamp like 2003-10-11T22:14:15.003Z at column 7',
    );
    expect(parseError('<14>1 2003-10-11T22:14:15 h a - - -')).toBe(
      "syslog: expected 'Z' or a UTC offset like +02:00 at column 26",
    );
    expect(parseError('<14>1 2003-10-11T22:14:15.1234567Z h a - - -')).toBe(
      'syslog: expected 1 to 6 digits of fractional seconds at column 27',
    );
    expect(parseError('<14>1 - h a')).toBe('syslog: expected a space after an app-name at column 12');
  });
});

describe('PRI', () => {
  it('decodes facility and severity, with their names in the JSON', () => {
    expect(parse('<0>Oct 11 22:14:15 h k: x')).toMatchObject({ priority: 0, facility: 0, severity: 0 });
    expect(parse('<191>Oct 11 22:14:15 h k: x')).toMatchObject({ priority: 191, facility: 23, severity: 7 });
    const object = JSON.parse(syslogToJson(parse('<86>Oct 11 22:14:15 h k: x')));
    expect(object).toMatchObject({
      facility: 10,
      facility_name: 'authpriv',
      severity: 6,
      severity_name: 'info',
    });
    expect(JSON.parse(syslogToJson(parse('<191>Oct 11 22:14:15 h k: x')))).toMatchObject({
      facility_name: 'local7',
      severity_name: 'debug',
    });
    expect(Object.keys(object)).toEqual([...SYSLOG_JSON_KEYS]);
  });

  it('names every facility and severity as RFC 5424 tables 1 and 2 (syslog.conf names), on every path', () => {
    // Written out here, not read from SYSLOG_FACILITIES / SYSLOG_SEVERITIES: the test pins the names themselves.
    const facilities =
      'kern user mail daemon auth syslog lpr news uucp cron authpriv ftp ntp security console solaris-cron local0 local1 local2 local3 local4 local5 local6 local7'.split(
        ' ',
      );
    const severities = 'emerg alert crit err warning notice info debug'.split(' ');
    expect([...SYSLOG_FACILITIES]).toEqual(facilities);
    expect([...SYSLOG_SEVERITIES]).toEqual(severities);
    const facilityColumn = SYSLOG_CSV_COLUMNS.indexOf('facility_name');
    const severityColumn = SYSLOG_CSV_COLUMNS.indexOf('severity_name');
    const writer = new ByteWriter();
    for (let pri = 0; pri <= 191; pri++) {
      const names = [facilities[pri >> 3], severities[pri & 7]];
      for (const line of [
        `<${pri}>Oct 11 22:14:15 host prog[7]: a message`, // RFC 3164, fast path
        `<${pri}>1 2003-10-11T22:14:15.003Z host app 7 ID47 - a message`, // RFC 5424, fast path
        `<${pri}>Oct 11 22:14:15 host prog: tab\tand "quotes"`, // careful path (control character, quotes)
      ]) {
        const bytes = Buffer.from(line);
        const json = JSON.parse(syslogToJson(parse(line)));
        expect([json.facility_name, json.severity_name]).toEqual(names);
        writer.reset();
        writeSyslogJson(bytes, 0, bytes.length, writer, { referenceTime });
        const fast = JSON.parse(Buffer.from(writer.finish()).toString('utf8'));
        expect([fast.facility_name, fast.severity_name, fast.facility, fast.severity]).toEqual([
          ...names,
          pri >> 3,
          pri & 7,
        ]);
        writer.reset();
        writeSyslogCsv(bytes, 0, bytes.length, writer, { referenceTime });
        const csv = Buffer.from(writer.finish()).toString('utf8');
        expect(csv).toBe(syslogToCsv(parse(line)));
        const fields = csv.replace(/"[^"]*"/g, 'q').split(',');
        expect([fields[facilityColumn], fields[severityColumn]]).toEqual(names);
      }
    }
  });

  it('rejects out-of-range and malformed PRI', () => {
    expect(parseError('<192>Oct 11 22:14:15 h k: x')).toBe(
      'syslog: priority out of range (0-191) at column 2',
    );
    expect(parseError('<999>Oct 11 22:14:15 h k: x')).toBe(
      'syslog: priority out of range (0-191) at column 2',
    );
    expect(parseError('<1000>Oct 11 22:14:15 h k: x')).toBe("syslog: expected '>' at column 5");
    expect(parseError('<>Oct 11 22:14:15 h k: x')).toBe('syslog: expected a priority number at column 2');
    expect(parseError('<34Oct 11 22:14:15 h k: x')).toBe("syslog: expected '>' at column 4");
  });
});

describe('syslog records', () => {
  const writer = new ByteWriter();
  const record = (text: string) =>
    Buffer.from(syslogRecordToJson(Buffer.from(text, 'utf8'), writer, { referenceTime })).toString('utf8');

  it('writes one JSON line per line and names the failing line', () => {
    const out = record('<34>Oct 11 22:14:15 a su: one\r\n\n<34>Oct 11 22:14:16 b su: two\n');
    expect(
      out
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).hostname),
    ).toEqual(['a', 'b']);
    expect(() => record('<34>Oct 11 22:14:15 a su: one\n<500>x\n')).toThrow(
      'syslog: line 2: priority out of range (0-191) at column 2',
    );
    expect(() => record('')).toThrow('record: empty record');
    expect(() => syslogRecordToJson(Uint8Array.from([0xc3, 0x28]), writer)).toThrow(
      'record: data is not valid UTF-8',
    );
  });
});
