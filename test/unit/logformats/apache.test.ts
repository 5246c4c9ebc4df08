import fc from 'fast-check';
import { runs } from '../../support/property-runs';
import { describe, expect, it, vi } from 'vitest';
import {
  APACHE_JSON_KEYS,
  type ApacheLogEntry,
  apacheRecordToJson,
  apacheToJson,
  ByteWriter,
  LogParseError,
  parseApacheLine,
} from '../../../shared/logformats';

const COMBINED =
  '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const recordJson = (record: string, writer = new ByteWriter()) =>
  text(apacheRecordToJson(Buffer.from(record, 'utf8'), writer));

function parseError(line: string): LogParseError {
  try {
    parseApacheLine(line);
  } catch (error) {
    expect(error).toBeInstanceOf(LogParseError);
    return error as LogParseError;
  }
  throw new Error(`expected a parse error for ${line}`);
}

describe('parseApacheLine', () => {
  it('reads the combined format (the Apache documentation example)', () => {
    expect(parseApacheLine(COMBINED)).toEqual<ApacheLogEntry>({
      host: '127.0.0.1',
      ident: '-',
      authuser: 'frank',
      datetime: '10/Oct/2000:13:55:36 -0700',
      timestamp: '2000-10-10T13:55:36.000-07:00',
      timestampUtc: '2000-10-10T20:55:36.000Z',
      timezone: '-0700',
      request: 'GET /apache_pb.gif HTTP/1.0',
      verb: 'GET',
      path: '/apache_pb.gif',
      protocol: 'HTTP/1.0',
      response: 200,
      bytes: 2326,
      referrer: 'http://www.example.com/start.html',
      agent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
    });
  });

  it('reads the common format: no referrer, no agent', () => {
    const entry = parseApacheLine('127.0.0.1 - - [10/Oct/2000:13:55:36 +0200] "POST /login HTTP/1.1" 302 0');
    expect(entry).toMatchObject({ referrer: null, agent: null, bytes: 0, response: 302, timezone: '+0200' });
    expect(entry.timestampUtc).toBe('2000-10-10T11:55:36.000Z');
    expect(entry.timestamp).toBe('2000-10-10T13:55:36.000+02:00');
  });

  it('accepts IPv6 hosts and hostnames, which the AWS blueprint regex ([\\d.]+) rejects', () => {
    expect(
      parseApacheLine('2001:db8::ff00:42:8329 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5').host,
    ).toBe('2001:db8::ff00:42:8329');
    expect(parseApacheLine('::1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5').host).toBe('::1');
    expect(
      parseApacheLine('crawler.example.net - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5').host,
    ).toBe('crawler.example.net');
  });

  it("reads a bytes value of '-' (no body) as 0", () => {
    const entry = parseApacheLine(
      '10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "HEAD / HTTP/1.1" 304 - "-" "curl/8"',
    );
    expect(entry).toMatchObject({ bytes: 0, response: 304, referrer: '-', agent: 'curl/8' });
  });

  it("keeps Apache's escaped quotes and backslashes in the request and the user agent", () => {
    const line =
      '10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /q?x=\\"a b\\" HTTP/1.1" 200 1 "-" "Agent \\"quoted\\" \\\\ end"';
    const entry = parseApacheLine(line);
    expect(entry.request).toBe('GET /q?x=\\"a b\\" HTTP/1.1');
    expect(entry.verb).toBe('GET');
    expect(entry.path).toBe('/q?x=\\"a b\\"');
    expect(entry.protocol).toBe('HTTP/1.1');
    expect(entry.agent).toBe('Agent \\"quoted\\" \\\\ end');
    expect(JSON.parse(apacheToJson(entry))).toMatchObject({ request: entry.request, agent: entry.agent });
  });

  it('splits unusual request lines: "-", HTTP/0.9, a target with spaces', () => {
    expect(parseApacheLine('h - - [10/Oct/2000:13:55:36 -0700] "-" 408 -')).toMatchObject({
      request: '-',
      verb: null,
      path: null,
      protocol: null,
    });
    expect(parseApacheLine('h - - [10/Oct/2000:13:55:36 -0700] "GET /old" 200 7')).toMatchObject({
      verb: 'GET',
      path: '/old',
      protocol: null,
    });
    expect(parseApacheLine('h - - [10/Oct/2000:13:55:36 -0700] "GET /a b HTTP/1.1" 400 7')).toMatchObject({
      verb: 'GET',
      path: '/a b',
      protocol: 'HTTP/1.1',
    });
  });

  it('reads a timestamp without offset as UTC, and ignores fields after the user agent', () => {
    const entry = parseApacheLine('h - - [10/Oct/2000:13:55:36] "GET / HTTP/1.1" 200 7 "r" "a" 1234 extra');
    expect(entry).toMatchObject({
      timezone: null,
      timestamp: '2000-10-10T13:55:36.000Z',
      timestampUtc: '2000-10-10T13:55:36.000Z',
      agent: 'a',
    });
    expect(parseApacheLine('h - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 7 "r"')).toMatchObject({
      referrer: 'r',
      agent: null,
    });
  });

  it('reports missing fields with the column, never the line', () => {
    expect(parseError('').message).toBe('apache: expected a host at column 1');
    expect(parseError('10.0.0.1').message).toBe('apache: expected a space after a host at column 9');
    expect(parseError('10.0.0.1  - [10/Oct/2000:13:55:36 -0700]').message).toBe(
      'apache: expected ident at column 10',
    );
    expect(parseError('10.0.0.1 - - 10/Oct/2000:13:55:36 -0700 "GET / HTTP/1.1" 200 1').message).toBe(
      "apache: expected '[' at column 14",
    );
    expect(parseError('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700').message).toBe(
      "apache: expected ']' at column 41",
    );
    expect(parseError('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] GET').message).toBe(
      "apache: expected '\"' at column 43",
    );
    expect(parseError('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1').message).toBe(
      "apache: expected '\"' closing the request at column 58",
    );
    expect(parseError('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1"').message).toBe(
      "apache: expected ' ' at column 59",
    );
    expect(parseError('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 20 1').message).toBe(
      'apache: expected a 3-digit status at column 60',
    );
    expect(parseError('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200').message).toBe(
      "apache: expected ' ' at column 63",
    );
    expect(parseError('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 x').message).toBe(
      'apache: expected a byte count or - at column 64',
    );
    expect(parseError('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 12ab').message).toBe(
      "apache: expected ' ' or the end of the line at column 66",
    );
    expect(parseError('h - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "ref').message).toBe(
      "apache: expected '\"' closing the referrer at column 63",
    );
  });

  it('rejects an empty timestamp even before any timestamp has been read', async () => {
    // A fresh module (as in a cold Lambda): its timestamp cache is empty and must not match an empty `[]`.
    vi.resetModules();
    const fresh = await import('../../../shared/logformats');
    const line = '1.2.3.4 - frank [] "GET /x HTTP/1.1" 200 5';
    expect(() => fresh.apacheRecordToJson(Buffer.from(line), new fresh.ByteWriter())).toThrow(
      /expected a timestamp like/,
    );
    expect(() => fresh.parseApacheLine(line)).toThrow(/expected a timestamp like/);
  });

  it('rejects invalid dates and offsets', () => {
    const at = (datetime: string) => parseError(`h - - [${datetime}] "GET / HTTP/1.1" 200 1`).message;
    expect(at('32/Oct/2000:13:55:36 -0700')).toBe('apache: invalid date or time at column 8');
    expect(at('29/Feb/2023:13:55:36 +0000')).toBe('apache: invalid date or time at column 8');
    expect(at('10/Oct/2000:24:00:00 +0000')).toBe('apache: invalid date or time at column 8');
    expect(at('10/oct/2000:13:55:36 -0700')).toBe(
      'apache: expected a timestamp like 10/Oct/2000:13:55:36 -0700 at column 8',
    );
    expect(at('2000-10-10T13:55:36Z')).toBe(
      'apache: expected a timestamp like 10/Oct/2000:13:55:36 -0700 at column 8',
    );
    expect(at('10/Oct/2000:13:55:36 +07:0')).toBe('apache: expected a UTC offset like -0700 at column 28');
    expect(at('10/Oct/2000:13:55:36 -0760')).toBe('apache: expected a UTC offset like -0700 at column 28');
    expect(at('10/Oct/2000:13:55:36 +2400')).toBe('apache: UTC offset beyond ±1800 at column 28');
    expect(at('10/Oct/2000:13:55:36 -1801')).toBe('apache: UTC offset beyond ±1800 at column 28');
    expect(parseApacheLine('h - - [10/Oct/2000:13:55:36 +1800] "GET / HTTP/1.1" 200 1').timestamp).toBe(
      '2000-10-10T13:55:36.000+18:00',
    );
    expect(parseApacheLine('h - - [10/Oct/2000:13:55:36 -0000] "GET / HTTP/1.1" 200 1').timestamp).toBe(
      '2000-10-10T13:55:36.000+00:00',
    );
    expect(parseApacheLine('h - - [10/Oct/2000:13:55:36 +0530] "GET / HTTP/1.1" 200 1')).toMatchObject({
      timestamp: '2000-10-10T13:55:36.000+05:30',
      timestampUtc: '2000-10-10T08:25:36.000Z',
    });
    expect(parseApacheLine('h - - [29/Feb/2024:23:59:60 +0000] "GET / HTTP/1.1" 200 1').timestampUtc).toBe(
      '2024-03-01T00:00:00.000Z',
    );
  });

  it('counts columns in characters, not bytes', () => {
    expect(parseError('hôst-é - - 10/Oct/2000:13:55:36 -0700 "GET /" 200 1').message).toBe(
      "apache: expected '[' at column 12",
    );
  });
});

describe('apache JSON output', () => {
  const lines = [
    COMBINED,
    '::1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 -',
    'h - - [10/Oct/2000:13:55:36] "-" 408 -',
    'h - - [10/Oct/2000:13:55:36 -0700] "GET /tab\there HTTP/1.1" 200 1 "ref\u0001" "\\"ag\\" ent"',
    'h"q - u\\x [10/Oct/2000:13:55:36 -0700] "GET /ünïcödé HTTP/1.1" 200 1 "-" "Mözilla 🦊"',
    'h - - [10/Oct/2000:13:55:36 -0700] "GET /a\\"b HTTP/1.1" 200 1',
  ];

  it('writes the same bytes from the record path as apacheToJson does from an entry', () => {
    for (const line of lines) {
      expect(recordJson(line)).toBe(`${apacheToJson(parseApacheLine(line))}\n`);
    }
  });

  it('property: the fast path and the careful one agree on any line, down to the error message', () => {
    // Lines assembled from well-formed fields and the near misses around them (escapes, `!`, control and
    // non-ASCII characters, leading zeros, missing or extra fields), then sometimes cut or given one stray
    // character. A line the fast path writes must come out as the careful parser plus apacheToJson write it;
    // a line the careful parser rejects must be rejected with the same message.
    const field = (...values: string[]) => fc.constantFrom(...values);
    const line = fc
      .tuple(
        field('1.2.3.4', '::1', '2001:db8::7', 'host.example', 'a!b', 'a"b', 'a\\b', '', 'é.example', 'a\tb'),
        field('-', 'frank', 'x!y', 'q"'),
        field('-', 'u', '!'),
        field(
          '10/Oct/2000:13:55:36 -0700',
          '10/Oct/2000:13:55:37 -0700',
          '10/Oct/2000:13:55:36',
          '31/Feb/2000:00:00:00 +0000',
          '10/Oct/2000:13:55:36 -0760',
          '10/Oct/2000 13:55:36 -0700',
        ),
        field(
          'GET / HTTP/1.1',
          'POST /a?b=c&d=!e HTTP/2.0',
          'GET /a b HTTP/1.1',
          'GET  / HTTP/1.1',
          'GET /',
          '-',
          '',
          'GET /\\"x HTTP/1.1',
          'GET /ünï HTTP/1.1',
          'GET /\t HTTP/1.0',
        ),
        field('200', '404', '099', '2000', '20', 'abc'),
        field('-', '0', '007', '2326', '1234567890123456', ''),
        field(
          '',
          ' "-" "curl/8.5.0"',
          ' "http://x/" "Mozilla/5.0 (X11; Linux x86_64)"',
          ' "" ""',
          ' "ref"',
          ' "ref" ',
          ' "a\\"b" "c"',
          ' "r" "a" 1234 "extra"',
          ' "é" "ü 🦊"',
          ' "a\tb" "c"',
          ' ',
          ' 77',
        ),
      )
      .map(([h, l, u, t, r, s, b, tail]) => `${h} ${l} ${u} [${t}] "${r}" ${s} ${b}${tail}`);
    const mutated = fc.oneof(
      line,
      fc.tuple(line, fc.nat()).map(([text, at]) => text.slice(0, at % (text.length + 1))),
      fc
        .tuple(line, fc.nat(), fc.constantFrom('"', '\\', ' ', '!', ']', '\u0000', '\u007f', 'é'))
        .map(
          ([text, at, c]) => text.slice(0, at % (text.length + 1)) + c + text.slice(at % (text.length + 1)),
        ),
    );
    // (An empty line is a record-level matter: "empty record", tested with the record rules.)
    fc.assert(
      fc.property(
        mutated.filter((text) => text !== ''),
        (text) => {
          let careful: string;
          try {
            careful = `${apacheToJson(parseApacheLine(text))}\n`;
          } catch (error) {
            expect(() => recordJson(text)).toThrow((error as Error).message);
            return;
          }
          expect(recordJson(text)).toBe(careful);
        },
      ),
      { numRuns: runs(3000) },
    );
    // Records of several such lines (LF or CRLF, a final newline or not): line by line, or the first failing
    // line's error, located.
    const record = fc.tuple(
      fc.array(mutated, { minLength: 1, maxLength: 3 }),
      fc.constantFrom('\n', '\r\n'),
      fc.constantFrom('', '\n', '\r\n'),
    );
    fc.assert(
      fc.property(record, ([lines, separator, final]) => {
        const text = lines.join(separator) + final;
        const present = lines
          .map((line, i) => [line.replace(/\r$/, ''), i + 1] as const)
          .filter(([l]) => l !== '');
        if (present.length === 0 || lines.some((line) => line.includes('\n'))) return;
        let expected = '';
        for (const [line, number] of present) {
          try {
            expected += `${apacheToJson(parseApacheLine(line))}\n`;
          } catch (error) {
            const message = (error as Error).message;
            // A record that is one line (with or without its terminator) reports no line number.
            const newline = text.indexOf('\n');
            const single = newline < 0 || newline === text.length - 1;
            const located = single ? message : message.replace(/^apache: /, `apache: line ${number}: `);
            expect(() => recordJson(text)).toThrow(located);
            return;
          }
        }
        expect(recordJson(text)).toBe(expected);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('writes valid JSON with every key, in the documented order', () => {
    for (const line of lines) {
      const object = JSON.parse(recordJson(line));
      expect(Object.keys(object)).toEqual([...APACHE_JSON_KEYS]);
      const entry = parseApacheLine(line);
      // The two timestamps are the same instant.
      expect(Date.parse(object['@timestamp'])).toBe(Date.parse(object['@timestamp_utc']));
      expect(object).toEqual({
        host: entry.host,
        ident: entry.ident,
        authuser: entry.authuser,
        '@timestamp': entry.timestamp,
        timezone: entry.timezone,
        '@timestamp_utc': entry.timestampUtc,
        request: entry.request,
        verb: entry.verb,
        path: entry.path,
        protocol: entry.protocol,
        response: entry.response,
        bytes: entry.bytes,
        referrer: entry.referrer,
        agent: entry.agent,
      });
    }
  });

  it('writes the exact object for the documentation example', () => {
    expect(recordJson(COMBINED)).toBe(
      '{"host":"127.0.0.1","ident":"-","authuser":"frank","@timestamp":"2000-10-10T13:55:36.000-07:00",' +
        '"timezone":"-0700","@timestamp_utc":"2000-10-10T20:55:36.000Z",' +
        '"request":"GET /apache_pb.gif HTTP/1.0","verb":"GET","path":"/apache_pb.gif","protocol":"HTTP/1.0",' +
        '"response":200,"bytes":2326,"referrer":"http://www.example.com/start.html",' +
        '"agent":"Mozilla/4.08 [en] (Win98; I ;Nav)"}\n',
    );
  });

  it('reads records of several lines (LF or CRLF, optional final newline, empty lines skipped)', () => {
    const a = 'a - - [10/Oct/2000:13:55:36 -0700] "GET /1 HTTP/1.1" 200 1';
    const b = 'b - - [10/Oct/2000:13:55:37 -0700] "GET /2 HTTP/1.1" 200 2';
    const expected = recordJson(a) + recordJson(b);
    expect(recordJson(`${a}\n${b}`)).toBe(expected);
    expect(recordJson(`${a}\r\n${b}\r\n`)).toBe(expected);
    expect(recordJson(`${a}\n\n${b}\n\n`)).toBe(expected);
  });

  it('rejects a record whose any line fails, naming the line, and writes nothing for it', () => {
    const writer = new ByteWriter();
    const good = 'a - - [10/Oct/2000:13:55:36 -0700] "GET /1 HTTP/1.1" 200 1';
    const first = recordJson(good, writer);
    expect(() => recordJson(`${good}\n\nnot a log line\n${good}`, writer)).toThrow(
      "apache: line 3: expected '[' at column 11",
    );
    expect(() => recordJson('not a log line\n', writer)).toThrow("apache: expected '[' at column 11");
    expect(() => recordJson('', writer)).toThrow('record: empty record');
    expect(() => recordJson('\n\r\n\n', writer)).toThrow('record: empty record');
    expect(() => apacheRecordToJson(Uint8Array.from([0x61, 0xff, 0x0a]), writer)).toThrow(
      'record: data is not valid UTF-8',
    );
    expect(recordJson(good, writer)).toBe(first);
  });

  it('keeps a BOM opening a field (it is text) and drops one opening the record, on the fast and careful paths', () => {
    const withBom = COMBINED.replace('/apache_pb', '\uFEFF/apache_pb').replace('Mozilla', '\uFEFFMozilla');
    // A backslash escape in the agent sends the line to the careful path; the clean one takes the fast path.
    const careful = withBom.replace('Nav)', 'Nav\\t)');
    for (const line of [withBom, careful]) {
      const json = JSON.parse(recordJson(line));
      expect(json.path).toBe('\uFEFF/apache_pb.gif');
      expect(json.agent.startsWith('\uFEFFMozilla/4.08')).toBe(true);
      expect(recordJson(`\uFEFF${line}`)).toBe(recordJson(line));
      // Opening the second line, it is that line's host's first character.
      const [, second] = recordJson(`${line}\n\uFEFF${line}`).trimEnd().split('\n');
      expect(JSON.parse(second!).host).toBe('\uFEFF127.0.0.1');
    }
    expect(() => recordJson('\uFEFF')).toThrow('record: empty record');
  });

  it('reuses its chunks after reset, writing the same bytes again', () => {
    const writer = new ByteWriter(256);
    const lines = Array.from(
      { length: 20 },
      (_, i) => `10.0.0.${i} - - [10/Oct/2000:13:55:36 -0700] "GET /${i} HTTP/1.1" 200 ${i}`,
    );
    const first = lines.map((line) => text(apacheRecordToJson(Buffer.from(line), writer)));
    writer.reset();
    const second = lines.map((line) => text(apacheRecordToJson(Buffer.from(line), writer)));
    expect(second).toEqual(first);
    expect(first[7]).toBe(`${apacheToJson(parseApacheLine(lines[7]!))}\n`);
  });

  it('keeps producing correct output when records outgrow the retained chunks', () => {
    const writer = new ByteWriter(64);
    const line = (i: number) =>
      `h - - [10/Oct/2000:13:55:36 -0700] "GET /${'y'.repeat(i * 13)} HTTP/1.1" 200 ${i}`;
    for (let round = 0; round < 3; round++) {
      writer.reset();
      const outputs = Array.from({ length: 40 }, (_, i) => apacheRecordToJson(Buffer.from(line(i)), writer));
      outputs.forEach((output, i) => {
        expect(text(output)).toBe(`${apacheToJson(parseApacheLine(line(i)))}\n`);
      });
    }
  });

  it('hands out views that later records never overwrite, across chunk boundaries', () => {
    const writer = new ByteWriter(1024);
    const line = (i: number) =>
      `10.0.0.${i} - - [10/Oct/2000:13:55:36 -0700] "GET /${'x'.repeat(i * 7)} HTTP/1.1" 200 ${i}`;
    const outputs = Array.from({ length: 60 }, (_, i) => apacheRecordToJson(Buffer.from(line(i)), writer));
    outputs.forEach((output, i) => {
      expect(text(output)).toBe(`${apacheToJson(parseApacheLine(line(i)))}\n`);
    });
  });
});
