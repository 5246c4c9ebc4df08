import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  APACHE_CSV_COLUMNS,
  apacheRecordToCsv,
  ByteWriter,
  csvField,
  csvRecord,
  parseApacheLine,
  parseSyslogLine,
  SYSLOG_CSV_COLUMNS,
  syslogRecordToCsv,
} from '../../../shared/logformats';

const writer = new ByteWriter();
const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/** A strict RFC 4180 reader (section 2), to check what the writer produces. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error('quote inside an unquoted field');
        field += text[i++];
      }
    }
    fields.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.startsWith('\r\n', i)) i += 2;
    else if (text[i] === '\n') i++;
    else throw new Error(`expected a record end at ${i}`);
    records.push(fields);
    fields = [];
    if (i >= text.length) return records;
  }
}

describe('RFC 4180 writer', () => {
  it('quotes only fields with a comma, quote, CR or LF, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField("it's ; fine")).toBe("it's ; fine");
    expect(csvField(42)).toBe('42');
    expect(csvRecord(['a', null, '', 'b,c'])).toBe('a,,"",' + '"b,c"\n');
    expect(csvRecord(['a', 'b'], '\r\n')).toBe('a,b\r\n');
  });

  it('round-trips any strings through a strict reader', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', ',', '"', '\r', '\n', ' ', 'é', '\\') }), {
          minLength: 1,
        }),
        fc.constantFrom('\n' as const, '\r\n' as const),
        (fields, ending) => {
          expect(readCsv(csvRecord(fields, ending))).toEqual([fields]);
        },
      ),
    );
  });
});

describe('apache CSV', () => {
  it('writes the documented columns, and never "undefined" or "null"', () => {
    const line =
      '2001:db8::1 - - [10/Oct/2000:13:55:36 -0700] "GET /q?a=\\"x,y\\" HTTP/1.1" 200 - "https://e.com/?a,b" "Agent \\"Q\\""';
    const out = utf8(
      apacheRecordToCsv(
        Buffer.from(`${line}\n10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5`),
        writer,
      ),
    );
    const rows = readCsv(out);
    expect(rows).toEqual([
      [
        '2001:db8::1',
        '-',
        '-',
        '10/Oct/2000:13:55:36 -0700',
        'GET /q?a=\\"x,y\\" HTTP/1.1',
        '200',
        '0',
        '2000-10-10T20:55:36.000Z',
        '-0700',
        'GET',
        '/q?a=\\"x,y\\"',
        'HTTP/1.1',
        'https://e.com/?a,b',
        'Agent \\"Q\\"',
      ],
      [
        '10.0.0.1',
        '-',
        '-',
        '10/Oct/2000:13:55:36 -0700',
        'GET / HTTP/1.1',
        '200',
        '5',
        '2000-10-10T20:55:36.000Z',
        '-0700',
        'GET',
        '/',
        'HTTP/1.1',
        '',
        '',
      ],
    ]);
    expect(rows[0]).toHaveLength(APACHE_CSV_COLUMNS.length);
    const entry = parseApacheLine(line);
    expect(rows[0]![4]).toBe(entry.request);
    expect(out).not.toMatch(/undefined|null/);
  });

  it('uses CRLF when asked', () => {
    const out = utf8(
      apacheRecordToCsv(
        Buffer.from('h - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5'),
        writer,
        '\r\n',
      ),
    );
    expect(out.endsWith(',,\r\n')).toBe(true);
  });
});

describe('syslog CSV', () => {
  const referenceTime = Date.UTC(2024, 9, 11, 22, 15, 0);

  it('writes the documented columns with empty fields for missing values', () => {
    const out = utf8(
      syslogRecordToCsv(
        Buffer.from(
          'Oct 11 22:14:15 web-1 sshd: no pid, no PRI\n<165>1 2003-10-11T22:14:15.003Z h app - ID47 [x@1 q="a \\"b\\", c"] msg, "quoted"\n',
        ),
        writer,
        { referenceTime },
      ),
    );
    expect(out).not.toMatch(/undefined|null/);
    expect(readCsv(out)).toEqual([
      [
        'Oct 11 22:14:15',
        'web-1',
        'sshd',
        '',
        'no pid, no PRI',
        '2024-10-11T22:14:15.000Z',
        'rfc3164',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
      ],
      [
        '2003-10-11T22:14:15.003Z',
        'h',
        'app',
        '',
        'msg, "quoted"',
        '2003-10-11T22:14:15.003Z',
        'rfc5424',
        '165',
        '20',
        'local4',
        '5',
        'notice',
        '1',
        'ID47',
        '[x@1 q="a \\"b\\", c"]',
      ],
    ]);
    expect(readCsv(out)[0]).toHaveLength(SYSLOG_CSV_COLUMNS.length);
    expect(parseSyslogLine('<14>1 - - - - - -').message).toBeNull();
  });
});
