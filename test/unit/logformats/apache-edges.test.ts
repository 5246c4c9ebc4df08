/**
 * Apache lines at the edges the property tests reach only by chance: every error message with its column, on each
 * way in (parseApacheLine, the JSON record path, the CSV record path), and the boundaries of each field.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from '../../support/property-runs';
import { takesCsvFastPath, takesJsonFastPath } from '../../../shared/logformats/apache';
import {
  apacheRecordToCsv,
  apacheRecordToJson,
  apacheToJson,
  ByteWriter,
  LogParseError,
  parseApacheLine,
} from '../../../shared/logformats';

const writer = new ByteWriter();
const json = (line: string) => Buffer.from(apacheRecordToJson(Buffer.from(line), writer)).toString('utf8');
const csv = (line: string) => Buffer.from(apacheRecordToCsv(Buffer.from(line), writer)).toString('utf8');

/** The error each way in gives for `line`; they must agree. */
function errorOf(line: string): string {
  const messages = [() => parseApacheLine(line), () => json(line), () => csv(line)].map((run) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(LogParseError);
      return (error as Error).message;
    }
    return `no error for ${line}`;
  });
  expect(new Set(messages).size).toBe(1);
  return messages[0]!;
}

const TS = '[10/Oct/2000:13:55:36 -0700]';

describe('apache errors: message and column on every way in', () => {
  it('names the missing token or the missing space after it', () => {
    expect(errorOf('h')).toBe('apache: expected a space after a host at column 2');
    expect(errorOf(' - - x')).toBe('apache: expected a host at column 1');
    expect(errorOf('h -')).toBe('apache: expected a space after ident at column 4');
    expect(errorOf('h - ')).toBe('apache: expected authuser at column 5');
    expect(errorOf('h -  ')).toBe('apache: expected authuser at column 5');
    expect(errorOf('h - -')).toBe('apache: expected a space after authuser at column 6');
  });

  it("names what is missing around the timestamp: '[', ']', the space and the quote after it", () => {
    expect(errorOf('h - - ')).toBe("apache: expected '[' at column 7");
    expect(errorOf('h - - x')).toBe("apache: expected '[' at column 7");
    expect(errorOf('h - - [')).toBe("apache: expected ']' at column 8");
    expect(errorOf(`h - - ${TS}`)).toBe("apache: expected ' ' at column 35");
    expect(errorOf(`h - - ${TS}"GET / HTTP/1.1" 200 1`)).toBe("apache: expected ' ' at column 35");
    expect(errorOf(`h - - ${TS} `)).toBe("apache: expected '\"' at column 36");
  });

  it('names the status, the byte count and the unclosed quoted fields', () => {
    const request = `h - - ${TS} "GET / HTTP/1.1"`; // 51 characters
    expect(errorOf(`${request} 2000 1`)).toBe("apache: expected ' ' at column 56");
    expect(errorOf(`${request} 200 `)).toBe('apache: expected a byte count or - at column 57');
    expect(errorOf(`${request} 200 1234567890123456`)).toBe(
      'apache: expected a byte count or - at column 57',
    );
    expect(errorOf(`${request} 200 1 "r" "agent`)).toBe(
      "apache: expected '\"' closing the user agent at column 69",
    );
    // A backslash escapes the byte after it, even at the end of the line.
    expect(errorOf(`${request} 200 1 "r" "a\\`)).toBe(
      "apache: expected '\"' closing the user agent at column 66",
    );
    expect(errorOf(`h - - ${TS} "GET / HTTP/1.1\\"`)).toBe(
      "apache: expected '\"' closing the request at column 53",
    );
    expect(errorOf(`${request} 200 1 "r\\"`)).toBe("apache: expected '\"' closing the referrer at column 63");
  });

  it('names a malformed offset at its column: no space before it, no sign, a letter in it', () => {
    for (const zone of ['x-0700', ' *0700', ' +0a00', ' +000a', ' 0700 ']) {
      expect(errorOf(`h - - [10/Oct/2000:13:55:36${zone}] "GET / HTTP/1.1" 200 1`)).toBe(
        'apache: expected a UTC offset like -0700 at column 28',
      );
    }
  });
});

describe('apache field boundaries', () => {
  const request = `h - - ${TS} "GET / HTTP/1.1" 200`;

  it('reads a byte count of up to 15 digits (exactly), and leading zeros as the number', () => {
    expect(parseApacheLine(`${request} 999999999999999`).bytes).toBe(999_999_999_999_999);
    expect(json(`${request} 999999999999999`)).toContain(',"bytes":999999999999999,');
    expect(csv(`${request} 999999999999999`)).toContain(',200,999999999999999,');
    for (const [logged, value] of [
      ['000', '0'],
      ['007', '7'],
      ['0', '0'],
      ['100', '100'],
    ] as const) {
      expect(json(`${request} ${logged}`)).toContain(`,"bytes":${value},`);
      expect(csv(`${request} ${logged}`)).toContain(`,200,${value},`);
      expect(parseApacheLine(`${request} ${logged}`).bytes).toBe(Number(value));
    }
  });
});

describe('apache JSON fast path', () => {
  const field = (...values: string[]) => fc.constantFrom(...values);

  it('property: takes every clean line (common or combined, any timestamp) and writes what the careful path writes', () => {
    const clean = fc
      .tuple(
        field('1.2.3.4', '2001:db8::7', 'crawl-66-249-1-2.googlebot.com', 'é.example', '#', 'a,b'),
        field('-', 'frank', '#'),
        field('-', 'svc-report', '~'),
        field(
          '10/Oct/2000:13:55:36 -0700',
          '11/Oct/2000:13:55:36 -0700',
          '10/Oct/2000:13:55:37 -0700',
          '29/Feb/2024:23:59:60 +1400',
          '01/Mar/2024:00:00:00 -1200',
          '31/Dec/9999:23:59:59 -0100',
          '01/Jan/2024:00:00:00',
          '01/Jan/2024:00:00:01',
        ),
        field(
          'GET / HTTP/1.1',
          'GET /a?b=c&d=!e HTTP/2.0',
          'GET /a b HTTP/1.1',
          'GET  HTTP/1.1',
          ' / HTTP/1.1',
          'GET / ',
          '  ',
          `GET /${'long-path'.repeat(12)} HTTP/1.1`,
          'GET /ünï HTTP/1.1',
        ),
        field('200', '304', '500', '100', '999'),
        field('-', '0', '2326', '007', '000', '999999999999999'),
        field(
          '',
          ' ',
          ' 77',
          ' "-" "curl/8.5.0"',
          ' "http://x/?a,b" "Mozilla/5.0 (X11, Linux) !"',
          ' "" ""',
          ' "ref"',
          ' "ref" ',
          ' "ref"x',
          ' "r" "a" 99',
          ' "r" "a"x',
        ),
      )
      .map(([h, l, u, t, r, s, b, rest]) => `${h} ${l} ${u} [${t}] "${r}" ${s} ${b}${rest}`);
    fc.assert(
      fc.property(fc.array(clean, { minLength: 1, maxLength: 4 }), (lines) => {
        for (const line of lines) {
          expect(takesJsonFastPath(line)).toBe(true);
          expect(json(line)).toBe(`${apacheToJson(parseApacheLine(line))}\n`);
        }
        expect(json(lines.join('\n'))).toBe(
          lines.map((line) => `${apacheToJson(parseApacheLine(line))}\n`).join(''),
        );
      }),
      { numRuns: runs(1500) },
    );
  });

  it('leaves to the careful path what it cannot write as copied: escapes, controls, no protocol, odd numbers', () => {
    const line = `h - - ${TS} "GET / HTTP/1.1" 200 1 "r" "a"`;
    for (const text of [
      line.replace('h ', 'h! '),
      line.replace('- - ', '-\t- - '),
      line.replace('GET / HTTP/1.1', 'GET /'),
      line.replace('GET / HTTP/1.1', '-'),
      line.replace('GET /', 'GET /\\"'),
      line.replace(' 200 ', ' 099 '),
      line.replace(' 200 ', ' 20x '),
      line.replace(' 1 "r"', ' 1234567890123456 "r"'),
      line.replace('"r"', '"r\\"x"'),
      line.replace('"a"', '"a\u0001"'),
      line.replace('"a"', '"a\\""'),
      `${line}\n${line}`,
    ]) {
      expect(takesJsonFastPath(text)).toBe(false);
      expect(takesCsvFastPath(text)).toBe(false);
    }
    expect(takesJsonFastPath(line)).toBe(true);
    expect(takesCsvFastPath(line)).toBe(true);
    // A backslash in a token needs escaping in JSON, not in CSV.
    const backslash = line.replace('h ', 'h\\ ');
    expect(takesJsonFastPath(backslash)).toBe(false);
    expect(takesCsvFastPath(backslash)).toBe(true);
    expect(json(backslash)).toContain('{"host":"h\\\\","ident"');
  });
});
