/**
 * Apache lines at the edges the property tests reach only by chance: every error message with its column, on each
 * way in (parseApacheLine, the JSON record path, the CSV record path), and the boundaries of each field.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { runs } from '../../support/property-runs';
import { takesCsvFastPath, takesJsonFastPath } from '../../../shared/logformats/apache';
import {
  apacheRecordToCsv,
  apacheRecordToJson,
  apacheToCsv,
  apacheToJson,
  ByteWriter,
  LogParseError,
  parseApacheLine,
  writeApacheCsv,
  writeApacheJson,
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

  it('takes no token to end before a byte that is not a space, nor an empty token, on any path', () => {
    const rest = `${TS} "GET / HTTP/1.1" 200 1`;
    expect(errorOf(` - - ${rest}`)).toBe('apache: expected a host at column 1');
    expect(errorOf(`h  - ${rest}`)).toBe('apache: expected ident at column 3');
    expect(errorOf(`h -  ${rest}`)).toBe('apache: expected authuser at column 5');
    for (const c of ['!', '"', '\t', ',', '\\']) {
      // A token holding c, where a fast path that stopped at c would find the next token and the timestamp.
      for (const line of [`h${c}- - ${rest}`, `h -${c}- ${rest}`, `h - -${c}${rest}`]) {
        expect(errorOf(line)).toMatch(/^apache: expected '\[' at column \d+$/);
      }
    }
  });

  it("takes no timestamp without its '[' and ']', even the cached one", () => {
    const line = `h - - ${TS} "GET / HTTP/1.1" 200 1`;
    for (const ts of ['[10/Oct/2000:13:55:36 -0700]', '[10/Oct/2000:13:55:36]']) {
      const cached = line.replace(TS, ts);
      json(cached);
      csv(cached);
      expect(errorOf(cached.replace('[', '('))).toBe("apache: expected '[' at column 7");
      // (The timestamp read again for the error; then cached again for the next line.)
      json(cached);
      // A new timestamp too (no ']' anywhere: the careful path reports the end of the line).
      const later = cached.replace(':36', ':37').replace(']', ')');
      expect(errorOf(later)).toBe(`apache: expected ']' at column ${later.length + 1}`);
      json(cached);
      expect(errorOf(cached.replace(']', ')'))).toBe(`apache: expected ']' at column ${cached.length + 1}`);
    }
  });

  it("names what is missing around the timestamp: '[', ']', the space and the quote after it", () => {
    expect(errorOf('h - - ')).toBe("apache: expected '[' at column 7");
    expect(errorOf('h - - x')).toBe("apache: expected '[' at column 7");
    expect(errorOf('h - - [')).toBe("apache: expected ']' at column 8");
    expect(errorOf(`h - - ${TS}`)).toBe("apache: expected ' ' at column 35");
    expect(errorOf(`h - - ${TS}"GET / HTTP/1.1" 200 1`)).toBe("apache: expected ' ' at column 35");
    expect(errorOf(`h - - ${TS}x"GET / HTTP/1.1" 200 1`)).toBe("apache: expected ' ' at column 35");
    expect(errorOf(`h - - ${TS} GET / HTTP/1.1" 200 1`)).toBe("apache: expected '\"' at column 36");
    expect(errorOf(`h - - ${TS}  "GET / HTTP/1.1" 200 1`)).toBe("apache: expected '\"' at column 36");
    expect(errorOf(`h - - ${TS} `)).toBe("apache: expected '\"' at column 36");
  });

  it('names the status, the byte count and the unclosed quoted fields', () => {
    const request = `h - - ${TS} "GET / HTTP/1.1"`; // 51 characters
    expect(errorOf(`${request}x 200 1`)).toBe("apache: expected ' ' at column 52");
    expect(errorOf(`${request}x200 1`)).toBe("apache: expected ' ' at column 52");
    for (const status of [':00', '/00', '2:0', '2/0', '20:', '20/']) {
      expect(errorOf(`${request} ${status} 1`)).toBe('apache: expected a 3-digit status at column 53');
    }
    expect(errorOf(`${request} 200 12ab`)).toBe("apache: expected ' ' or the end of the line at column 59");
    expect(errorOf(`${request} 200 -1`)).toBe("apache: expected ' ' or the end of the line at column 58");
    // A request that ends in a control character or a backslash instead of its quote.
    for (const c of ['\t', '\\', '\u0000']) {
      expect(errorOf(`h - - ${TS} "GET / HTTP/1.1${c} 200 1`)).toBe(
        `apache: expected '"' closing the request at column ${`h - - ${TS} "GET / HTTP/1.1${c} 200 1`.length + 1}`,
      );
    }
    expect(errorOf(`${request} 200x1`)).toBe("apache: expected ' ' at column 56");
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
    expect(errorOf(`${request} 200 1 "ref`)).toBe("apache: expected '\"' closing the referrer at column 63");
    expect(errorOf(`${request} 200 1 "ref" "a`)).toBe(
      "apache: expected '\"' closing the user agent at column 67",
    );
  });

  it('names a malformed offset at its column: no space before it, no sign, a letter in it', () => {
    for (const zone of ['x-0700', ' *0700', ' +0a00', ' +000a', ' 0700 ']) {
      expect(errorOf(`h - - [10/Oct/2000:13:55:36${zone}] "GET / HTTP/1.1" 200 1`)).toBe(
        'apache: expected a UTC offset like -0700 at column 28',
      );
    }
  });
});

describe('apache request line', () => {
  it('escapes what needs it in any of verb, path and protocol, on its own or with the others', () => {
    for (const [verb, path, protocol] of [
      ['GET', '/', 'HTTP/1.1\u0001'],
      ['GET', '/', 'HTTP/1.1\\"'],
      ['G\tET', '/', 'HTTP/1.1'],
      ['GET', '/\\\\', 'HTTP/1.1'],
      ['GET', '/a\u001fb c', 'HTTP/1.1\u007f\u0000'],
    ]) {
      const request = `${verb} ${path} ${protocol}`;
      const line = `h - - ${TS} "${request}" 200 1`;
      for (const text of [json(line), `${apacheToJson(parseApacheLine(line))}\n`]) {
        expect(JSON.parse(text)).toMatchObject({ request, verb, path, protocol });
      }
      expect(parseApacheLine(line)).toMatchObject({ request, verb, path, protocol });
    }
  });
});

describe('apache tokens', () => {
  it('escapes a backslash or a quote in host, ident and authuser', () => {
    for (const [host, ident, authuser] of [
      ['h\\', '-', '-'],
      ['h', '-\\x', '-'],
      ['h', '-', 'u\\y'],
      ['h"', 'i"', 'u"'],
    ]) {
      const line = `${host} ${ident} ${authuser} ${TS} "GET / HTTP/1.1" 200 1`;
      expect(JSON.parse(json(line))).toMatchObject({ host, ident, authuser });
      expect(parseApacheLine(line)).toMatchObject({ host, ident, authuser });
    }
  });
});

describe('apache referrer and agent', () => {
  it('reads an agent only after the referrer, a space and a quote; anything else after the referrer is ignored', () => {
    const common = `h - - ${TS} "GET / HTTP/1.1" 200 1`;
    for (const [tail, referrer, agent] of [
      [' "r" "a"', 'r', 'a'],
      [' "r"x"a"', 'r', null],
      [' "r" x"a"', 'r', null],
      [' "r"  "a"', 'r', null],
      [' "r" ', 'r', null],
      [' "r"', 'r', null],
      [' x "r" "a"', null, null],
      ['  "r" "a"', null, null],
    ] as const) {
      const line = `${common}${tail}`;
      expect(parseApacheLine(line)).toMatchObject({ referrer, agent });
      expect(JSON.parse(json(line))).toMatchObject({ referrer, agent });
      expect(csv(line)).toBe(`${csv(common).slice(0, -3)},${referrer ?? ''},${agent ?? ''}\n`);
    }
  });
});

describe('apache timestamp validation', () => {
  it('calls a date of zeros an invalid date, not a malformed timestamp', () => {
    for (const dt of ['00/Jan/0000:00:00:00', '00/Jan/0000:00:00:00 +0000', '00/Jan/2000:00:00:00']) {
      expect(errorOf(`h - - [${dt}] "GET / HTTP/1.1" 200 1`)).toBe(
        'apache: invalid date or time at column 8',
      );
    }
  });
});

describe('apache leap seconds', () => {
  it('rolls a leap second into the next minute, hour and day, and the month only after its last day', () => {
    for (const [dt, timestamp] of [
      ['30/Jan/2024:23:59:60', '2024-01-31T00:00:00.000Z'],
      ['28/Feb/2024:23:59:60', '2024-02-29T00:00:00.000Z'],
      ['28/Feb/2023:23:59:60', '2023-03-01T00:00:00.000Z'],
      ['29/Apr/2024:23:59:60', '2024-04-30T00:00:00.000Z'],
      ['30/Nov/2024:23:59:60', '2024-12-01T00:00:00.000Z'],
      ['10/Oct/2000:13:59:60', '2000-10-10T14:00:00.000Z'],
      ['10/Oct/2000:13:55:60', '2000-10-10T13:56:00.000Z'],
    ]) {
      expect(parseApacheLine(`h - - [${dt}] "GET / HTTP/1.1" 200 1`)).toMatchObject({
        timestamp,
        timestampUtc: timestamp,
      });
      expect(json(`h - - [${dt}] "GET / HTTP/1.1" 200 1`)).toContain(`"@timestamp":"${timestamp}"`);
    }
  });
});

describe('apache field boundaries', () => {
  const request = `h - - ${TS} "GET / HTTP/1.1" 200`;

  it("reads any three digits as the status, 000 and a leading zero included (as AWS's \\d{3})", () => {
    for (const [status, value] of [
      ['000', 0],
      ['099', 99],
      ['200', 200],
      ['999', 999],
    ] as const) {
      const line = `h - - ${TS} "GET / HTTP/1.1" ${status} 1`;
      expect(parseApacheLine(line).response).toBe(value);
      expect(json(line)).toContain(`,"response":${value},`);
      expect(csv(line)).toContain(`,GET / HTTP/1.1,${value},1,`);
    }
  });

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
        field('-', 'svc-report', '~', '#'),
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
          "GET /a#b$%&'()*+,-./:;<=>?@[]^_`{|}~ HTTP/1.1",
        ),
        field('200', '304', '500', '100', '999'),
        field('-', '0', '2326', '007', '000', '999999999999999'),
        field(
          '',
          ' ',
          ' 77',
          ' "-" "curl/8.5.0"',
          ' "http://x/?a,b" "Mozilla/5.0 (X11, Linux) !"',
          ' "r e!f#$%&\'()*+,-./:;<=>?@[]^_`{|}~" "a#$%&\'()*+,-./:;<=>?@[]^_`{|}~"',
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
    // Printable ASCII (all but the quote and the backslash) in request, referrer and agent: both fast paths.
    const printable = "#$%&'()*+-./:;<=>?@[]^_`{|}~!";
    const busy = line
      .replace('GET /', `GET /${printable}`)
      .replace('"r"', `"r${printable}"`)
      .replace('"a"', `"a${printable}"`);
    expect(takesJsonFastPath(busy)).toBe(true);
    expect(takesCsvFastPath(busy)).toBe(true);
    // A backslash in a token needs escaping in JSON, not in CSV.
    const backslash = line.replace('h ', 'h\\ ');
    expect(takesJsonFastPath(backslash)).toBe(false);
    expect(takesCsvFastPath(backslash)).toBe(true);
    expect(json(backslash)).toContain('{"host":"h\\\\","ident"');
  });
});

describe('apache timestamp cache', () => {
  const A = '10/Oct/2000:13:55:36 -0700';
  const lineAt = (dt: string) => `h - - [${dt}] "GET / HTTP/1.1" 200 1 "r" "a"`;
  const fresh = '01/Jan/1999:00:00:00';

  it('never takes a timestamp that differs from the cached one in a single character for it', () => {
    // Every character of A changed to another that keeps the timestamp valid, and A without its offset.
    const variants = [
      '20/Oct/2000:13:55:36 -0700',
      '11/Oct/2000:13:55:36 -0700',
      '10/Nov/2000:13:55:36 -0700',
      '10/Oct/2000:13:55:36 -0700'.replace('Oct', 'Ocu'),
      '10/Oct/3000:13:55:36 -0700',
      '10/Oct/2001:13:55:36 -0700',
      '10/Oct/2000:03:55:36 -0700',
      '10/Oct/2000:13:54:36 -0700',
      '10/Oct/2000:13:55:35 -0700',
      '10/Oct/2000:13:55:36 +0700',
      '10/Oct/2000:13:55:36 -1700',
      '10/Oct/2000:13:55:36 -0701',
      '10/Oct/2000:13:55:36',
    ];
    for (const dt of variants) {
      let expected: { json: string; csv: string; parsed: unknown } | string;
      try {
        json(lineAt(fresh));
        expected = { json: json(lineAt(dt)), csv: (json(lineAt(fresh)), csv(lineAt(dt))), parsed: null };
        json(lineAt(fresh));
        expected.parsed = parseApacheLine(lineAt(dt));
      } catch (error) {
        expected = (error as Error).message;
      }
      const after = (run: () => unknown) => {
        json(lineAt(A));
        try {
          return run();
        } catch (error) {
          return (error as Error).message;
        }
      };
      if (typeof expected === 'string') {
        expect(after(() => json(lineAt(dt)))).toBe(expected);
        expect(after(() => csv(lineAt(dt)))).toBe(expected);
        expect(after(() => parseApacheLine(lineAt(dt)))).toBe(expected);
      } else {
        expect(after(() => json(lineAt(dt)))).toBe(expected.json);
        expect(after(() => csv(lineAt(dt)))).toBe(expected.csv);
        expect(after(() => parseApacheLine(lineAt(dt)))).toEqual(expected.parsed);
        // (It is another instant or another offset: the output differs from A's.)
        expect(expected.json).not.toBe(after(() => json(lineAt(A))));
      }
    }
  });

  it('keeps the cached timestamp after a line whose timestamp is rejected', () => {
    const first = json(lineAt(A));
    expect(() => json(lineAt('31/Apr/2000:13:55:36 -0700'))).toThrow('invalid date or time');
    expect(() => json(lineAt('10/Oct/2000:13:55:36 +1900'))).toThrow('UTC offset beyond');
    expect(json(lineAt(A))).toBe(first);
    expect(parseApacheLine(lineAt(A)).timestampUtc).toBe('2000-10-10T20:55:36.000Z');
  });
});

describe('apache year 10000 (a leap second or a negative offset on 31/Dec/9999)', () => {
  const lineAt = (dt: string) => `h - - [${dt}] "GET / HTTP/1.1" 200 1`;
  const cases = [
    // [logged, @timestamp, timezone, @timestamp_utc]
    ['31/Dec/9999:23:59:60', '+010000-01-01T00:00:00.000Z', null, '+010000-01-01T00:00:00.000Z'],
    [
      '31/Dec/9999:23:59:60 -0000',
      '+010000-01-01T00:00:00.000+00:00',
      '-0000',
      '+010000-01-01T00:00:00.000Z',
    ],
    ['31/Dec/9999:23:59:60 +0130', '+010000-01-01T00:00:00.000+01:30', '+0130', '9999-12-31T22:30:00.000Z'],
    ['31/Dec/9999:22:00:00 -0230', '9999-12-31T22:00:00.000-02:30', '-0230', '+010000-01-01T00:30:00.000Z'],
  ] as const;

  it('writes the expanded year on every way in, with the offset or Z, and timezone null without one', () => {
    for (const [dt, timestamp, timezone, timestampUtc] of cases) {
      // After an ordinary line, so that the block is built anew.
      json(lineAt('10/Oct/2000:13:55:36 -0700'));
      expect(json(lineAt(dt))).toBe(
        `{"host":"h","ident":"-","authuser":"-","@timestamp":"${timestamp}","timezone":${timezone === null ? 'null' : `"${timezone}"`},` +
          `"@timestamp_utc":"${timestampUtc}","request":"GET / HTTP/1.1","verb":"GET","path":"/","protocol":"HTTP/1.1",` +
          `"response":200,"bytes":1,"referrer":null,"agent":null}\n`,
      );
      // The same block, now cached, read back as the entry's strings and as CSV columns.
      expect(parseApacheLine(lineAt(dt))).toMatchObject({ datetime: dt, timestamp, timezone, timestampUtc });
      expect(csv(lineAt(dt))).toBe(
        `h,-,-,${dt},GET / HTTP/1.1,200,1,${timestampUtc},${timezone ?? ''},GET,/,HTTP/1.1,,\n`,
      );
      json(lineAt('10/Oct/2000:13:55:36 -0700'));
      expect(parseApacheLine(lineAt(dt))).toMatchObject({ timestamp, timezone, timestampUtc });
    }
  });
});

describe('apache CSV edges', () => {
  const common = `h - - ${TS} "GET / HTTP/1.1" 200 1`;

  it('rejects a record that is not UTF-8, naming no line', () => {
    const out = new ByteWriter();
    for (const bytes of [
      [0x61, 0xff, 0x0a],
      [0xc3],
      [...Buffer.from(`h - - ${TS} "GET /`), 0xe9, ...Buffer.from(' HTTP/1.1" 200 1')],
    ]) {
      expect(() => apacheRecordToCsv(Uint8Array.from(bytes), out)).toThrow('record: data is not valid UTF-8');
      expect(() => apacheRecordToJson(Uint8Array.from(bytes), out)).toThrow(
        'record: data is not valid UTF-8',
      );
    }
  });

  it('ends records with LF by default (apacheToCsv, writeApacheCsv)', () => {
    expect(apacheToCsv(parseApacheLine(common))).toMatch(/,HTTP\/1\.1,,\n$/);
    const out = new ByteWriter();
    writeApacheCsv(Buffer.from(common), 0, Buffer.byteLength(common), out);
    expect(Buffer.from(out.finish()).toString('utf8')).toBe(apacheToCsv(parseApacheLine(common), '\n'));
  });

  it('writes each line of a record of several common-format lines', () => {
    const second = common.replace('GET /', 'GET /2');
    expect(csv(`${common}\n${second}\n`)).toBe(
      apacheToCsv(parseApacheLine(common)) + apacheToCsv(parseApacheLine(second)),
    );
    expect(csv(`${common} "r"\n${second} "r" "a"`)).toBe(
      apacheToCsv(parseApacheLine(`${common} "r"`)) + apacheToCsv(parseApacheLine(`${second} "r" "a"`)),
    );
  });

  it('writes long fields (over 64 bytes) with and without a comma, quoted only with one', () => {
    const long = 'x'.repeat(70);
    for (const [referrer, agent] of [
      [long, `Mozilla/5.0 ${long}`],
      [`${long},`, `Mozilla/5.0 (${long}, like Gecko)`],
      ['', long],
    ] as const) {
      const line = `${common} "${referrer}" "${agent}"`;
      const quote = (v: string) => (v === '' || v.includes(',') ? `"${v}"` : v);
      expect(takesCsvFastPath(line)).toBe(true);
      expect(csv(line)).toBe(
        `h,-,-,10/Oct/2000:13:55:36 -0700,GET / HTTP/1.1,200,1,2000-10-10T20:55:36.000Z,-0700,GET,/,HTTP/1.1,${quote(referrer)},${quote(agent)}\n`,
      );
    }
  });
});

describe('apache careful path timestamp cache', () => {
  it('rejects a timestamp of the cached length that differs from the cached one everywhere', () => {
    json(`h - - ${TS} "GET / HTTP/1.1" 200 1`);
    const unlike = '01-Jan-1999 01.01.01x+1111'; // 26 characters, none where 10/Oct/2000:13:55:36 -0700 has it
    expect(unlike).toHaveLength(26);
    expect(errorOf(`h - - [${unlike}] "GET / HTTP/1.1" 200 1`)).toBe(
      'apache: expected a timestamp like 10/Oct/2000:13:55:36 -0700 at column 8',
    );
  });
});

describe('apache records whose first line has trailing fields', () => {
  it('writes every line of the record, on the JSON and the CSV path', () => {
    const common = `h - - ${TS} "GET / HTTP/1.1" 200 1`;
    const next = common.replace('GET /', 'GET /next');
    for (const first of [
      `${common} 77`,
      `${common} `,
      `${common} "r"x`,
      `${common} "r" 9`,
      `${common} "r" "a" 99`,
    ]) {
      for (const separator of ['\n', '\r\n']) {
        const record = `${first}${separator}${next}`;
        expect(json(record)).toBe(
          `${apacheToJson(parseApacheLine(first))}\n${apacheToJson(parseApacheLine(next))}\n`,
        );
        expect(csv(record)).toBe(apacheToCsv(parseApacheLine(first)) + apacheToCsv(parseApacheLine(next)));
      }
    }
  });
});

describe('apache output room', () => {
  it('keeps room for a long request (written twice), after a token that grew sixfold when escaped or not', () => {
    const c = '\u0001'.repeat(100);
    const path = `/${'p'.repeat(2000)}`;
    for (const line of [
      `h${c} - - ${TS} "GET ${path} HTTP/1.1" 200 1`,
      `h -${c} - ${TS} "GET ${path} HTTP/1.1" 200 1`,
      `h - -${c} ${TS} "GET ${path} HTTP/1.1" 200 1 "r" "a"`,
      `h${c} - - [31/Dec/9999:23:59:60 -0100] "GET ${path} HTTP/1.1" 200 1`,
      // A clean one, for the fast path.
      `h - - ${TS} "GET ${path} HTTP/1.1" 200 1 "r" "a"`,
    ]) {
      const expected = `${apacheToJson(parseApacheLine(line))}\n`;
      const bytes = Buffer.from(line);
      // Writers whose chunk holds the room reserved for the line (twice its length and 512) and a little more.
      for (let size = 2 * bytes.length + 512; size < 2 * bytes.length + 1400; size += 16) {
        expect(Buffer.from(apacheRecordToJson(bytes, new ByteWriter(size))).toString('utf8')).toBe(expected);
      }
      // As the second line of a record, after a short clean one (each line makes room for itself).
      const first = `h - - ${TS} "GET / HTTP/1.1" 200 1`;
      const record = Buffer.from(`${first}\n${line}\n${first}`);
      const firstJson = `${apacheToJson(parseApacheLine(first))}\n`;
      for (let size = 2 * bytes.length; size < 2 * bytes.length + 1400; size += 16) {
        expect(Buffer.from(apacheRecordToJson(record, new ByteWriter(size))).toString('utf8')).toBe(
          firstJson + expected + firstJson,
        );
      }
    }
  });
});

describe('apache records over 64 KiB (written line by line)', () => {
  it('makes room for each line, clean or not, in a writer of any chunk size', () => {
    const lines = Array.from({ length: 40 }, (_, i) => {
      const line = `h${i} - - ${TS} "GET /${'p'.repeat(2000)} HTTP/1.1" 200 ${i} "r" "a"`;
      return i % 3 === 2 ? line.replace('"a"', '"a\\"\u0001"') : line;
    });
    const record = Buffer.from(lines.join('\n'));
    expect(record.length).toBeGreaterThan(64 * 1024);
    const expectedJson = lines.map((line) => `${apacheToJson(parseApacheLine(line))}\n`).join('');
    const expectedCsv = lines.map((line) => apacheToCsv(parseApacheLine(line))).join('');
    for (const size of [1024, 4096, 5000, 70_000]) {
      expect(Buffer.from(apacheRecordToJson(record, new ByteWriter(size))).toString('utf8')).toBe(
        expectedJson,
      );
      expect(Buffer.from(apacheRecordToCsv(record, new ByteWriter(size))).toString('utf8')).toBe(expectedCsv);
    }
  });
});

describe('apache one-line records', () => {
  it('keep their last byte whatever follows the record in its buffer', () => {
    for (const line of [
      `h - - ${TS} "GET / HTTP/1.1" 200 2326`,
      `h - - ${TS} "GET / HTTP/1.1" 200 1 "r" "a" 99`,
    ]) {
      for (const after of ['', 'x\n', '\n\n', '\n']) {
        const bytes = Buffer.from(`${line}${after}`);
        const out = new ByteWriter();
        writeApacheJson(bytes, 0, line.length, out);
        expect(Buffer.from(out.finish()).toString('utf8')).toBe(`${apacheToJson(parseApacheLine(line))}\n`);
        writeApacheCsv(bytes, 0, line.length, out);
        expect(Buffer.from(out.finish()).toString('utf8')).toBe(apacheToCsv(parseApacheLine(line)));
      }
    }
  });
});

describe('apache careful path output room', () => {
  it('parses a line of about 32 KiB, whose request is written twice, in a fresh module', async () => {
    // A cold start: the careful path's scratch writer has its first size (64 KiB) and must make room for the line.
    vi.resetModules();
    const fresh = await import('../../../shared/logformats');
    // (The timestamp cached first: a new one makes room for the rest of the line by itself.)
    expect(fresh.parseApacheLine(`h - - ${TS} "GET / HTTP/1.1" 200 1`).path).toBe('/');
    for (const length of [32_900, 32_600, 32_700, 32_800, 33_000, 33_100, 40_000]) {
      const head = `h - - ${TS} "GET /`;
      const tail = ' HTTP/1.1" 200 1';
      const path = 'p'.repeat(length - head.length - tail.length);
      const line = `${head}${path}${tail}`;
      expect(line).toHaveLength(length);
      expect(fresh.parseApacheLine(line)).toMatchObject({ path: `/${path}`, protocol: 'HTTP/1.1', bytes: 1 });
    }
  });
});

describe('apache records inside a larger buffer', () => {
  it('reads a record cut anywhere as that cut line, whatever the buffer holds after it (JSON and CSV)', () => {
    const lines = [
      `h - - ${TS} "GET /a b HTTP/1.1" 200 2326 "http://r/" "Mozilla/5.0 (X11)"`,
      `h - - ${TS} "GET /\\"q HTTP/1.1" 404 - "r\\"" "a\\\\"`,
      `h\\"x - - [10/Oct/2000:13:55:36] "-" 200 1 "r" "a" 99`,
      `h - - [31/Dec/9999:23:59:60 -0100] "GET /" 200 0 "" ""`,
      `h - - ${TS} "GET / HTTP/1.1" 200 - "r" "a"`,
    ];
    const out = new ByteWriter();
    const outcome = (run: () => void) => {
      try {
        run();
        return Buffer.from(out.finish()).toString('utf8');
      } catch (error) {
        out.discard();
        return (error as Error).message;
      }
    };
    for (const line of lines) {
      // The line, then more of it: bytes after the record that would complete it if they were read.
      const bytes = Buffer.from(`${line} "x" "y"\n${line}`);
      for (let end = 1; end <= line.length; end++) {
        const cut = line.slice(0, end);
        expect(outcome(() => writeApacheJson(bytes, 0, end, out))).toBe(
          outcome(() => out.text(`${apacheToJson(parseApacheLine(cut))}\n`)),
        );
        expect(outcome(() => writeApacheCsv(bytes, 0, end, out))).toBe(
          outcome(() => out.text(apacheToCsv(parseApacheLine(cut)))),
        );
      }
    }
  });
});
