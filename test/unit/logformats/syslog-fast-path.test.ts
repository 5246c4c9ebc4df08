/**
 * The syslog bytes path (writeSyslogJson / writeSyslogCsv: a one-pass fast path for clean lines, the careful
 * parser for everything else) against the careful parser alone: same bytes out for every line, same error
 * message for every bad one, on random clean and dirty lines of both RFCs.
 */
import fc from 'fast-check';
import { runs as propertyRuns } from '../../support/property-runs';
import { describe, expect, it } from 'vitest';
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

const writer = new ByteWriter(4096);
// Bytes around the record in its buffer: a scanner that read past the record's end would see them.
const AROUND = Buffer.from(' 2024 11 22:14:15 h: [x@1 a="b"] ,"\\\n');

type Format = 'json' | 'csv' | 'crlf';

const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text;

/** The bytes path's output for `text` as one record lying inside a larger buffer, or its error message. */
function bytesPath(text: string, format: Format, referenceTime: number): string {
  const record = Buffer.from(text, 'utf8');
  const buffer = Buffer.concat([AROUND, record, AROUND]);
  const start = AROUND.length;
  const end = start + record.length;
  try {
    if (format === 'json') writeSyslogJson(buffer, start, end, writer, { referenceTime });
    else writeSyslogCsv(buffer, start, end, writer, { referenceTime }, format === 'csv' ? '\n' : '\r\n');
  } catch (error) {
    writer.discard();
    return `error: ${(error as Error).message}`;
  }
  return Buffer.from(writer.finish()).toString('utf8');
}

/** The careful parser's output for a one-line record, or its error message. */
function carefulLine(text: string, format: Format, referenceTime: number): string {
  // A BOM opening the record is dropped with the record's decoding (syslogRecordToJson's TextDecoder), not the line's.
  const line = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (line === '') return 'error: record: empty record';
  try {
    const entry = parseSyslogLine(line, { referenceTime });
    return format === 'json'
      ? `${syslogToJson(entry)}\n`
      : syslogToCsv(entry, format === 'csv' ? '\n' : '\r\n');
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

// Arrival times: mid-October 2024, New Year (a December line is last year's), a leap day, and 9999.
const REFERENCE_TIMES = [
  Date.UTC(2024, 9, 11, 22, 15, 0),
  Date.UTC(2025, 0, 1, 0, 0, 5),
  Date.UTC(2024, 1, 29, 12, 0, 0),
  Date.UTC(2023, 2, 1, 0, 0, 0),
  Date.UTC(9999, 11, 31, 23, 0, 0),
];

const field = (...values: string[]) => fc.constantFrom(...values);
/** Good values six times as often as near misses. */
const mostly = (good: string[], bad: string[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...good), weight: 6 },
    { arbitrary: fc.constantFrom(...bad), weight: 1 },
  );
const pri = mostly(
  ['', '<34>', '<0>', '<191>', '<13>', '<034>'],
  ['<192>', '<999>', '<1000>', '<>', '<3', '<a>'],
);

const message = fc.oneof(
  {
    weight: 6,
    arbitrary: field(
      "'su root' failed for lonvick on /dev/pts/8",
      'Accepted publickey for ubuntu from 2001:db8::5 port 52814 ssh2',
      'GET "/index.html" 200, 512 bytes',
      'tab\there',
      'back\\slash',
      'ctl \u0001\u001f\u007f\u0008\u000c',
      'cr\rin the middle',
      'ünïcödé 🦊 журнал',
      '\uFEFFbom first',
      'a: b: c',
      '[x@1 a="b"]',
      ' leading space',
      '-',
    ),
  },
  { weight: 1, arbitrary: field('', '\uFEFF') },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }).filter((s) => !s.includes('\n')) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => 'long, "long" '.repeat(n)) },
);

const timestamp3164 = mostly(
  [
    'Oct 11 22:14:15',
    'Oct  1 06:30:00',
    'Oct 1 06:30:00',
    'Oct 01 06:30:00',
    'Dec 31 23:59:59',
    'Jan  1 00:00:01',
    'Feb 29 12:00:00',
    'Feb 28 23:59:60',
    'Oct 11 22:14:15.250',
    'Oct 11 22:14:15,5',
    'Oct 11 22:14:15.1234567',
    'Oct 11 2023 22:14:15',
    '2024-10-11T23:14:15.123456+01:00',
    '2024-10-11T22:14:15Z',
  ],
  [
    'Feb 29 2023 00:00:00',
    'Oct 11 22-14-15',
    'Foo 11 22:14:15',
    'Oct 32 22:14:15',
    'Oct 0 22:14:15',
    'oct 11 22:14:15',
    'Oct 11 24:00:00',
    'Oct 11 22:14',
    'Oct 11 22:14:15x',
    '2024-10-11T22:14:15',
  ],
);

const word = mostly(
  ['mymachine', 'web-1', 'fe80::1', '10.0.0.5', 'host.example.com', 'hôst'],
  ['a"b', 'a,b', 'a\\b', 'a\tb'],
);
const tag = mostly(
  ['su:', 'sshd[4242]:', 'CRON[1011]:', '%LINK-3-UPDOWN:', 'kernel', ''],
  ['app[]:', 'app[1 2]:', 'app[x]y:', 'ap"p:', 'a,pp[7]:', 'su:x', 'p[1"]:'],
);

const line3164 = fc
  .tuple(pri, timestamp3164, fc.option(word, { nil: undefined }), tag, message, fc.nat(9))
  .map(([p, t, host, tg, msg, shape]) => {
    // Most lines are complete; some end after the timestamp, the hostname or the tag.
    if (shape === 0) return `${p}${t}`;
    if (shape === 1) return `${p}${t} ${host ?? 'h'}`;
    const head = [t, host, tg].filter((part) => part !== undefined && part !== '').join(' ');
    return shape === 2 ? `${p}${head}` : `${p}${head} ${msg}`;
  });

const timestamp5424 = mostly(
  [
    '-',
    '2003-10-11T22:14:15.003Z',
    '2003-10-11T22:14:15Z',
    '2003-08-24T05:14:15.000003-07:00',
    '2024-10-12T00:14:18+02:00',
    '2024-02-29T23:59:60.5+14:00',
    '0001-01-01T00:30:00+01:00',
    '9999-12-31T23:30:00-01:00',
  ],
  [
    '2003-10-11T22:14:15.1234567Z',
    '2003-10-11T22:14:15',
    '2003-10-11 22:14:15Z',
    '2003-02-30T22:14:15Z',
    '2003-10-11T22:14:15+24:00',
    '2003-10-11t22:14:15z',
    '2003-10-11T22:14:15.Z',
  ],
);
const token = mostly(
  ['-', 'mymachine.example.com', 'evntslog', '1234', 'ID47', '2001:db8::10', 'hôst'],
  ['a"b', 'x,y', '', 'a\\b'],
);
const sdElement = mostly(
  [
    '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]',
    '[timeQuality tzKnown="1" isSynced="1"]',
    '[meta sequenceId="42"]',
    '[empty]',
    '[u v="ünï 🦊"]',
    '[c v="a,b"]',
    '[e v=""]',
  ],
  [
    '[origin ip="192.0.2.1" ip="2001:db8::1"]',
    '[x@1 q="say \\"hi\\"" b="a\\\\b" r="[1\\]" o="C:\\temp"]',
    '[t v="tab\there"]',
    '[x@1 q=1]',
    '[x@1 q="unterminated',
    '[x@1',
    '[x@1 ="v"]',
    '[a\\b c="d"]',
    '[meta sequenceId="42"]',
  ],
);
const sd = fc.oneof(
  { weight: 1, arbitrary: field('-', 'x', '-x', '') },
  { weight: 3, arbitrary: fc.array(sdElement, { minLength: 1, maxLength: 3 }).map((e) => e.join('')) },
);

const line5424 = fc
  .tuple(
    pri,
    mostly(['1', '2', '10', '999'], ['01', '1000']),
    timestamp5424,
    fc.tuple(token, token, token, token),
    sd,
    fc.option(message, { nil: undefined }),
  )
  .map(
    ([p, v, t, [h, a, pid, mid], s, msg]) =>
      `${p}${v} ${t} ${h} ${a} ${pid} ${mid} ${s}${msg === undefined ? '' : ` ${msg}`}`,
  );

const clean = fc.oneof(line3164, line5424);
// Sometimes cut short, or given one stray character.
const line = fc.oneof(
  { weight: 4, arbitrary: clean },
  fc.tuple(clean, fc.nat()).map(([text, at]) => text.slice(0, at % (text.length + 1))),
  fc
    .tuple(
      clean,
      fc.nat(),
      fc.constantFrom('"', '\\', ' ', ',', ':', '[', ']', '\t', 'é', '\uFEFF', '<', '-'),
    )
    .map(([text, at, c]) => text.slice(0, at % (text.length + 1)) + c + text.slice(at % (text.length + 1))),
);

describe('syslog bytes path', () => {
  it('property: fast path and careful parser agree on any line, JSON and CSV, down to the error message', () => {
    let fast = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        // (A character inserted inside a surrogate pair makes text no UTF-8 record can hold: left out.)
        line.filter(
          (text) => text !== '' && !text.includes('\n') && !text.endsWith('\r') && wellFormed(text),
        ),
        fc.constantFrom(...REFERENCE_TIMES),
        (text, referenceTime) => {
          if (!carefulLine(text, 'json', referenceTime).startsWith('error: ')) {
            runs++;
            if (takesFastPath(text, referenceTime)) fast++;
          }
          for (const format of ['json', 'csv', 'crlf'] as const) {
            expect(bytesPath(text, format, referenceTime)).toBe(carefulLine(text, format, referenceTime));
          }
        },
      ),
      { numRuns: propertyRuns(4000) },
    );
    // The comparison means something only if the fast path writes most of the valid lines itself.
    expect(fast / runs).toBeGreaterThan(0.5);
  });

  it('property: records of several lines, a BOM opening the record, empty lines: as the careful record path', () => {
    const record = fc.tuple(
      fc.boolean(),
      fc.array(fc.oneof(clean, fc.constant('')), { minLength: 1, maxLength: 4 }),
      fc.constantFrom('\n', '\r\n'),
      fc.constantFrom('', '\n', '\r\n'),
    );
    fc.assert(
      fc.property(
        record,
        fc.constantFrom(...REFERENCE_TIMES),
        ([bom, lines, separator, final], referenceTime) => {
          const text = (bom ? '\uFEFF' : '') + lines.join(separator) + final;
          if (lines.some((l) => l.includes('\n'))) return;
          for (const format of ['json', 'csv', 'crlf'] as const) {
            expect(bytesPath(text, format, referenceTime)).toBe(carefulRecord(text, format, referenceTime));
          }
        },
      ),
      { numRuns: propertyRuns(1500) },
    );
  });

  it('takes clean lines of both RFCs itself', () => {
    const referenceTime = REFERENCE_TIMES[0]!;
    for (const text of [
      "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
      'Oct  1 06:30:00.250 web-1 sshd[4242]: Accepted publickey',
      '<13>Oct 11 22:14:15 su: no hostname',
      '<13>Oct 11 22:14:15 host just a message: with a colon, and "quotes"',
      '<30>2024-10-11T23:14:15.123456+01:00 host app[7]: precise',
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"][meta sequenceId="1"] \uFEFFAn application event',
      '<14>1 - - - - - -',
      'Oct 11 22:14:15 h su:',
      '<14>1 - h a - - - ',
      '<14>1 2003-08-24T05:14:15.000003-07:00 2001:db8::10 myproc 8710 - - %% time',
    ]) {
      expect(takesFastPath(text, referenceTime), text).toBe(true);
    }
    for (const text of [
      '<14>1 - h a - - [x@1 q="say \\"hi\\""] escaped structured data',
      '<14>1 - h a - - [origin ip="192.0.2.1" ip="2001:db8::1"] repeated names',
      'Oct 11 22:14:15 a"b su: x',
      '<192>Oct 11 22:14:15 h k: x',
    ]) {
      expect(takesFastPath(text, referenceTime), text).toBe(false);
    }
  });
});

/** The careful record path (the record decoded to a string, the careful parser per line), or its error message. */
function carefulRecord(text: string, format: Format, referenceTime: number): string {
  const w = new ByteWriter(4096);
  const bytes = Buffer.from(text, 'utf8');
  try {
    const out =
      format === 'json'
        ? syslogRecordToJson(bytes, w, { referenceTime })
        : syslogRecordToCsv(bytes, w, { referenceTime }, format === 'csv' ? '\n' : '\r\n');
    return Buffer.from(out).toString('utf8');
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

describe('LogParseError', () => {
  it('captures no stack trace: a bad line is data, and a stack cost ~20x parsing the line', () => {
    const error = (() => {
      try {
        parseSyslogLine('<192>Oct 11 22:14:15 h k: x');
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a parse error');
    })();
    expect(error.message).toBe('syslog: priority out of range (0-191) at column 2');
    expect(error.stack).not.toMatch(/\n\s+at /);
    // The limit is restored for every other error.
    expect(new Error('x').stack).toMatch(/\n\s+at /);
  });
});
