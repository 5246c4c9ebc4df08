/**
 * The Apache CSV writer on the bytes path (writeApacheCsv: a one-pass fast path straight into the output, the
 * careful parser for the rest) against the string path it replaced (each line decoded, parsed into an entry and
 * written by apacheToCsv through csvRecord): the same bytes for every record, and the same error, message included.
 */
import fc from 'fast-check';
import { runs } from '../../support/property-runs';
import { describe, expect, it } from 'vitest';
import { takesCsvFastPath } from '../../../shared/logformats/apache';
import { afterBom } from '../../../shared/logformats/bytes';
import {
  apacheRecordToCsv,
  apacheToCsv,
  ByteWriter,
  type CsvLineEnding,
  forEachLineIn,
  parseApacheLine,
  writeApacheCsv,
} from '../../../shared/logformats';

/**
 * The record path as it was before the bytes path: every line through the string parser and csvRecord, after a BOM
 * opening the record (dropped, as decoding the record drops it; a BOM anywhere else is text and kept).
 */
function reference(bytes: Buffer, start: number, end: number, lineEnding: CsvLineEnding): string {
  const writer = new ByteWriter();
  forEachLineIn(bytes, afterBom(bytes, start, end), end, (lineStart, lineEnd) =>
    writer.text(apacheToCsv(parseApacheLine(bytes.toString('utf8', lineStart, lineEnd)), lineEnding)),
  );
  return Buffer.from(writer.finish()).toString('utf8');
}

/** Either the CSV text or the error message. */
type Outcome = { csv: string } | { error: string };

function outcome(run: () => string): Outcome {
  try {
    return { csv: run() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const writer = new ByteWriter(4096);
const recordWriter = new ByteWriter(4096);

/**
 * writeApacheCsv over `record` lying inside a larger buffer (as the runner hands it over), between bytes that would
 * make a line parse if the writer read past either end of it, appended after an earlier record's output.
 */
function ours(record: string, lineEnding: CsvLineEnding, before: string, after: string): string {
  const bytes = Buffer.from(before + record + after, 'utf8');
  const start = Buffer.byteLength(before);
  const end = start + Buffer.byteLength(record);
  writer.reset();
  writer.text('earlier record\n');
  const earlier = writer.finish();
  try {
    writeApacheCsv(bytes, start, end, writer, lineEnding);
  } catch (error) {
    writer.discard();
    throw error;
  } finally {
    expect(Buffer.from(earlier).toString('utf8')).toBe('earlier record\n');
  }
  return Buffer.from(writer.finish()).toString('utf8');
}

const field = (...values: string[]) => fc.constantFrom(...values);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec', 'Foo'];
const two = (n: number) => String(n).padStart(2, '0');

/** Timestamps, valid or not: days and times out of range, leap days, offsets around ±1800, none, bad shapes. */
const datetime = fc.oneof(
  {
    weight: 4,
    arbitrary: field('10/Oct/2000:13:55:36 -0700', '10/Oct/2000:13:55:36', '29/Feb/2024:23:59:60 +0000'),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 12 }),
        fc.oneof(fc.constantFrom(0, 1, 1900, 2000, 2023, 2024, 9999), fc.integer({ min: 0, max: 9999 })),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 61 }),
        fc.oneof(
          fc.constant(''),
          fc
            .tuple(
              fc.constantFrom('+', '-'),
              fc.integer({ min: 0, max: 19 }),
              fc.integer({ min: 0, max: 60 }),
            )
            .map(([sign, hh, mm]) => ` ${sign}${two(hh)}${two(mm)}`),
        ),
      )
      .map(
        ([d, mo, y, h, mi, s, zone]) =>
          `${two(d)}/${MONTHS[mo]}/${String(y).padStart(4, '0')}:${two(h)}:${two(mi)}:${two(s)}${zone}`,
      ),
  },
  {
    weight: 1,
    arbitrary: field('', '10/Oct/2000 13:55:36 -0700', '10/Oct/2000:13:55:36 +07:00', '1/Oct/2000:13:55:36'),
  },
);

/** Tokens (%h %l %u) with what CSV must quote (comma, quote, CR), BOMs, escapes, controls, non-ASCII. */
const host = field(
  '1.2.3.4',
  '::1',
  '2001:db8::7',
  'host.example',
  'a,b',
  'a"b',
  'a\\b',
  'a!b',
  '!',
  '',
  'é.example',
  '\uFEFFh',
  '\uFEFF',
  '\uFF41.example',
  'a\tb',
  'a\rb',
  'h\u0000',
  '🦊',
);
const ident = field('-', 'frank', 'x,y', 'q"', '\uFEFFid', 'x!y', '#$%&', ',');
const authuser = field('-', 'u', '!', 'ana,b', '\uFEFF-', '"');

/** Request lines: commas in any of verb, path and protocol, empty parts, escapes, BOMs, controls, no protocol. */
const request = field(
  'GET / HTTP/1.1',
  'GET /a?b=c&d=!e HTTP/2.0',
  'GET /api/v2/orders?expand=price,stock HTTP/1.1',
  'GE,T / HTTP/1.1',
  'GET / HTTP/1,1',
  'G,ET /a,b HTT,P/1.1',
  'GET /a b,c HTTP/1.1',
  'GET  HTTP/1.1',
  ' / HTTP/1.1',
  'GET / ',
  ',',
  ', ,',
  'GET /',
  '-',
  '',
  'GET /\\"x,y\\" HTTP/1.1',
  'GET /\\\\ HTTP/1.1',
  'GET /ünï HTTP/1.1',
  'GET /\t HTTP/1.0',
  'GET /\r HTTP/1.0',
  '\uFEFFGET / HTTP/1.1',
  'GET \uFEFF/x HTTP/1.1',
  'GET /x \uFEFFHTTP/1.1',
  'GET \uFF41 HTTP/1.1',
  `GET /${'p'.repeat(70)},${'q'.repeat(10)} HTTP/1.1`,
  `GET /${'long-path'.repeat(12)} HTTP/1.1`,
);
const status = field('200', '404', '099', '2000', '20', 'abc', '500');
const size = field('-', '0', '007', '2326', '000', '1234567890123456', '999999999999999', '', '-1', '12a');
/** What follows %b: nothing, the combined format's two quoted fields (commas, empties, escapes), more fields. */
const tail = field(
  '',
  ' "-" "curl/8.5.0"',
  ' "https://www.example.com/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"',
  ' "http://x/?a,b" "Agent"',
  ' "" ""',
  ' ""',
  ' "ref"',
  ' "ref" ',
  ' "ref" "',
  ' "ref',
  ' "a\\"b" "c"',
  ' "r" "a,\\"q\\"" 1234',
  ' "r" "a" 1234 "extra"',
  ' "é" "ü 🦊,"',
  ' "a\tb" "c"',
  ' "a\rb" "c"',
  ' "\uFEFFref" "a"',
  ' "r" "\uFEFFagent"',
  ' "r" "a"\r',
  ' "!" "!,!"',
  ' ',
  ' 77',
  '\r',
  'x',
);

const line = fc
  .tuple(host, ident, authuser, datetime, request, status, size, tail)
  .map(([h, l, u, t, r, s, b, rest]) => `${h} ${l} ${u} [${t}] "${r}" ${s} ${b}${rest}`);

/** The same lines, sometimes cut short or given one stray character (CSV's and the parser's special ones). */
const mutated = fc.oneof(
  { weight: 3, arbitrary: line },
  fc.tuple(line, fc.nat()).map(([text, at]) => text.slice(0, at % (text.length + 1))),
  fc
    .tuple(
      line,
      fc.nat(),
      fc.constantFrom('"', '\\', ' ', '!', ',', ']', '[', '\r', '\u0000', '\u007f', 'é', '\uFEFF'),
    )
    .map(([text, at, c]) => text.slice(0, at % (text.length + 1)) + c + text.slice(at % (text.length + 1))),
);

/** Bytes around the record in its buffer: nothing, or what a line would continue with. */
const surround = fc.tuple(
  field('', 'x', '1.2.3.4 - - [', '\n', '\uFEFF'),
  field('', ']', '"', ' 200 1', '0 "r" "a"', '\n', 'HTTP/1.1" 200 5\n', ','),
);

const lineEnding = fc.constantFrom<CsvLineEnding>('\n', '\r\n');

function expectSame(record: string, ending: CsvLineEnding, before: string, after: string): void {
  const bytes = Buffer.from(record, 'utf8');
  const expected = outcome(() => reference(bytes, 0, bytes.length, ending));
  const actual = outcome(() => ours(record, ending, before, after));
  if ('csv' in expected) expect(actual).toEqual(expected);
  // The record path (UTF-8 check, its own writer) says the same.
  expect(outcome(() => Buffer.from(apacheRecordToCsv(bytes, recordWriter, ending)).toString('utf8'))).toEqual(
    expected,
  );
}

describe('writeApacheCsv (bytes path) against the string path', () => {
  it('property: one-line records, valid or not, in any buffer: the same bytes or the same error', () => {
    fc.assert(
      fc.property(
        mutated,
        fc.constantFrom('', '\n', '\r\n'),
        lineEnding,
        surround,
        (text, final, ending, [before, after]) => expectSame(text + final, ending, before, after),
      ),
      { numRuns: runs(6000) },
    );
  });

  it('property: records of several lines (LF or CRLF, empty lines, a final newline or not)', () => {
    const record = fc
      .tuple(
        fc.array(fc.oneof({ weight: 4, arbitrary: mutated }, fc.constant('')), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom('', '\n', '\r\n'),
      )
      .map(([lines, separator, final]) => lines.join(separator) + final);
    fc.assert(
      fc.property(record, lineEnding, surround, (text, ending, [before, after]) =>
        expectSame(text, ending, before, after),
      ),
      { numRuns: runs(3000) },
    );
  });

  it('property: valid lines only (the fast path takes almost all of them), runs of them in one record', () => {
    const valid = fc
      .tuple(
        field('1.2.3.4', '2001:db8::7', 'crawl-66-249-1-2.googlebot.com', 'é.example'),
        field('-', 'frank'),
        field('-', 'svc-report'),
        field(
          '10/Oct/2000:13:55:36 -0700',
          '29/Feb/2024:23:59:60 +1400',
          '01/Mar/2024:00:00:00 -1200',
          '31/Dec/9999:23:59:59 -0100',
          '01/Jan/2024:00:00:00',
        ),
        request.filter((r) => /^[A-Z,]+ \S+ \S+$/.test(r) && !/[\\\r\t\uFEFF\uFF41]/.test(r)),
        field('200', '304', '500'),
        field('-', '0', '2326', '007'),
        field(
          '',
          ' "-" "curl/8.5.0"',
          ' "http://x/?a,b" "Mozilla/5.0 (X11, Linux)"',
          ' "" ""',
          ' "ref"',
          ' "r" "a" 99',
        ),
      )
      .map(([h, l, u, t, r, s, b, rest]) => `${h} ${l} ${u} [${t}] "${r}" ${s} ${b}${rest}`);
    fc.assert(
      fc.property(fc.array(valid, { minLength: 1, maxLength: 4 }), lineEnding, (lines, ending) => {
        for (const text of lines) expect(takesCsvFastPath(text)).toBe(true);
        const record = lines.join('\n');
        const bytes = Buffer.from(record, 'utf8');
        expect(ours(record, ending, '', '')).toBe(`${reference(bytes, 0, bytes.length, ending)}`);
      }),
      { numRuns: runs(1500) },
    );
  });
});

describe('writeApacheCsv fast path', () => {
  const COMBINED =
    '2001:db8::1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a?b=1,2 HTTP/1.1" 200 - "http://e.com/" "Mozilla/5.0 (KHTML, like Gecko)"';

  it('writes the documented columns, quoting the fields with a comma', () => {
    expect(takesCsvFastPath(COMBINED)).toBe(true);
    expect(ours(COMBINED, '\n', '', '')).toBe(
      '2001:db8::1,-,frank,10/Oct/2000:13:55:36 -0700,"GET /a?b=1,2 HTTP/1.1",200,0,2000-10-10T20:55:36.000Z,' +
        '-0700,GET,"/a?b=1,2",HTTP/1.1,http://e.com/,"Mozilla/5.0 (KHTML, like Gecko)"\n',
    );
    expect(ours('h - - [10/Oct/2000:13:55:36] "GET / HTTP/1.1" 404 007\r\n', '\r\n', '', '')).toBe(
      'h,-,-,10/Oct/2000:13:55:36,GET / HTTP/1.1,404,7,2000-10-10T13:55:36.000Z,,GET,/,HTTP/1.1,,\r\n',
    );
    expect(ours('h - - [10/Oct/2000:13:55:36 +0000] "GET  HTTP/1.1" 200 1 "" ""', '\n', '', '')).toBe(
      'h,-,-,10/Oct/2000:13:55:36 +0000,GET  HTTP/1.1,200,1,2000-10-10T13:55:36.000Z,+0000,GET,"",HTTP/1.1,"",""\n',
    );
  });

  it('leaves to the careful path what it must: quotes, escapes, tokens with a comma', () => {
    for (const text of [
      COMBINED.replace('frank', 'fr,ank'),
      COMBINED.replace('Mozilla', '\\"Mozilla\\"'),
      COMBINED.replace('GET /a?b=1,2 HTTP/1.1', '-'),
      COMBINED.replace('" 200 ', '" 099 '),
    ]) {
      expect(takesCsvFastPath(text)).toBe(false);
      const bytes = Buffer.from(text, 'utf8');
      expect(ours(text, '\n', '', '')).toBe(`${reference(bytes, 0, bytes.length, '\n')}`);
    }
  });

  it('keeps a BOM opening a field (it is text), drops one opening the record, on either path', () => {
    for (const text of [
      COMBINED.replace('/a?b', '\uFEFF/a?b'),
      COMBINED.replace('Mozilla', '\uFEFFMozilla'),
    ]) {
      expect(takesCsvFastPath(text)).toBe(true);
    }
    expect(ours(COMBINED.replace('/a?b', '\uFEFF/a?b'), '\n', '', '')).toContain(',"\uFEFF/a?b=1,2",');
    expect(ours(COMBINED.replace('Mozilla', '\uFEFFMozilla'), '\n', '', '')).toContain(
      ',"\uFEFFMozilla/5.0 (',
    );
    // The careful path (a quote in the agent sends the line there) keeps it too.
    const careful = COMBINED.replace('/a?b', '\uFEFF/a?b').replace('Mozilla', '\\"Mozilla');
    expect(takesCsvFastPath(careful)).toBe(false);
    expect(ours(careful, '\n', '', '')).toContain(',"\uFEFF/a?b=1,2",');
    // A BOM opening the record is not part of the first line's host; one opening a later line is.
    expect(ours(`\uFEFF${COMBINED}`, '\n', '', '')).toBe(ours(COMBINED, '\n', '', ''));
    expect(ours(`\uFEFF${careful}`, '\n', '', '')).toBe(ours(careful, '\n', '', ''));
    expect(ours(`${COMBINED}\n\uFEFF${careful}`, '\n', '', '')).toContain('\n\uFEFF2001:db8::1,-,frank,');
  });
});
