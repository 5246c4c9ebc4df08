/**
 * The Apache fast paths' guards, line after line as a batch meets them: the cached timestamp of the previous line
 * must not stand in for a different one, and a comma in one request part quotes that part alone. Each case is held
 * to the string path (parseApacheLine, then apacheToJson / apacheToCsv): the same bytes, or the same error.
 */
import { describe, expect, it } from 'vitest';
import {
  apacheToCsv,
  apacheToJson,
  ByteWriter,
  parseApacheLine,
  writeApacheCsv,
  writeApacheJson,
} from '../../../shared/logformats';

type Outcome = { text: string } | { error: string };

function outcome(run: () => string): Outcome {
  try {
    return { text: run() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Each line as its own record through the bytes path, in order (the fast paths keep the last timestamp). */
function bytesPath(lines: string[], format: 'json' | 'csv'): Outcome[] {
  return lines.map((line) =>
    outcome(() => {
      const writer = new ByteWriter(256);
      const bytes = Buffer.from(line);
      if (format === 'json') writeApacheJson(bytes, 0, bytes.length, writer);
      else writeApacheCsv(bytes, 0, bytes.length, writer);
      return Buffer.from(writer.finish()).toString('utf8');
    }),
  );
}

function stringPath(lines: string[], format: 'json' | 'csv'): Outcome[] {
  return lines.map((line) =>
    outcome(() => {
      const entry = parseApacheLine(line);
      return format === 'json' ? `${apacheToJson(entry)}\n` : apacheToCsv(entry);
    }),
  );
}

const after = (datetime: string, line: string) => [`h - - [${datetime}] "GET / HTTP/1.1" 200 1`, line];

describe.each(['json', 'csv'] as const)('apache %s fast path after a cached timestamp', (format) => {
  it.each([
    [
      'a 20-byte time not closed by ]',
      after('10/Oct/2000:13:55:36', 'h - - [10/Oct/2000:13:55:36X "GET / HTTP/1.1" 200 1'),
    ],
    [
      'a 26-byte time not closed by ]',
      after('10/Oct/2000:13:55:36 -0700', 'h - - [10/Oct/2000:13:55:36 -0700X "GET / HTTP/1.1" 200 1'),
    ],
    [
      'the same time without its [',
      after('10/Oct/2000:13:55:36 -0700', 'h - - X10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1'),
    ],
    [
      'a different time after it',
      after('10/Oct/2000:13:55:36 -0700', 'h - - [11/Oct/2000:01:02:03 +0200] "GET / HTTP/1.1" 200 1'),
    ],
    [
      'a time without offset after one with it',
      after('10/Oct/2000:13:55:36 -0700', 'h - - [10/Oct/2000:13:55:36] "GET / HTTP/1.1" 200 1'),
    ],
  ])('%s: as the string path', (_, lines) => {
    const ours = bytesPath(lines, format);
    expect(ours).toEqual(stringPath(lines, format));
    expect('text' in ours[0]!).toBe(true);
  });

  it('rejects a time not closed by ] even when it starts as the cached one', () => {
    const [, second] = bytesPath(
      after('10/Oct/2000:13:55:36', 'h - - [10/Oct/2000:13:55:36X "GET / HTTP/1.1" 200 1'),
      format,
    );
    expect(second).toEqual({ error: expect.stringContaining("expected ']'") });
  });
});

describe('apache CSV fast path: a comma in one request part quotes that part alone', () => {
  it.each([
    ['GE, /a HTTP/1.1', '"GE,",/a,HTTP/1.1'],
    ['GET /a, HTTP/1.1', 'GET,"/a,",HTTP/1.1'],
    ['GET /a ,HTTP/1.1', 'GET,/a,",HTTP/1.1"'],
  ])('%s', (request, fields) => {
    const lines = [`h - - [10/Oct/2000:13:55:36 -0700] "${request}" 200 1`];
    const [ours] = bytesPath(lines, 'csv');
    expect(ours).toEqual(stringPath(lines, 'csv')[0]);
    expect((ours as { text: string }).text).toContain(`,${fields},`);
  });
});

describe('apache JSON: a request that needs escaping, written where the writer must grow for it', () => {
  // The writer holds `before` bytes of an earlier record and exactly the room the line reserves: escaping the
  // request moves the record to a larger buffer, where positions start over (the verb and path were once written
  // unescaped there, as invalid JSON).
  it('writes the verb, path and protocol escaped wherever the record starts in the chunk', () => {
    const requests = [
      String.raw`G\x01T /a HTTP/1.1`,
      String.raw`GET /a\"b HTTP/1.1`,
      String.raw`GET /a HTTP/1.\\1`,
      'G\u0001T /a HTTP/1.1',
      String.raw`G\\T /p\\a\\t\\h HTTP/1.1`,
    ];
    const differ: string[] = [];
    for (const request of requests) {
      for (const agent of ['', 'A'.repeat(300)]) {
        const line = `h - - [10/Oct/2000:13:55:36 -0700] "${request}" 200 1 "r" "${agent}"`;
        const bytes = Buffer.from(line);
        const expected = `${apacheToJson(parseApacheLine(line))}\n`;
        for (let before = 0; before <= 64; before++) {
          const writer = new ByteWriter(2 * bytes.length + 512 + before);
          if (before > 0) {
            writer.copy(Buffer.alloc(before, 0x20), 0, before);
            writer.finish();
          }
          writeApacheJson(bytes, 0, bytes.length, writer);
          const out = Buffer.from(writer.finish()).toString('utf8');
          if (out !== expected) differ.push(`${request} / ${agent.length} / ${before}`);
        }
      }
    }
    expect(differ).toEqual([]);
  });
});
