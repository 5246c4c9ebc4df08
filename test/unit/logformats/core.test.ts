/**
 * The small pieces every log blueprint stands on, tested directly (the parsers' tests reach them only through
 * well-formed log lines): the byte writer across chunk boundaries and invocations, columns in characters, JSON
 * string literals, records read as lines (terminators, empty lines, line numbers, byte ranges) and calendar
 * arithmetic at its boundaries, against Date.
 */
import fc from 'fast-check';
import { runs } from '../../support/property-runs';
import { describe, expect, it } from 'vitest';
import {
  afterBom,
  ascii,
  assertUtf8,
  ByteWriter,
  charColumn,
  notUtf8,
  textOf,
  withWriter,
} from '../../../shared/logformats/bytes';
import { csvField, csvRecord } from '../../../shared/logformats/csv';
import { LogParseError } from '../../../shared/logformats/errors';
import { jsonString, jsonStringOrNull } from '../../../shared/logformats/json';
import { decodeLines, forEachLine, forEachLineIn, mapLines } from '../../../shared/logformats/lines';
import {
  daysFromCivil,
  daysInMonth,
  digitsAt,
  digitsAtBytes,
  epochMs,
  isoUtc,
  monthOf,
} from '../../../shared/logformats/time';

const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const bytesOf = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

describe('afterBom', () => {
  it('skips exactly a whole UTF-8 BOM opening the range, and nothing else', () => {
    const bytes = Buffer.from('x\uFEFFab\uFEFF', 'utf8'); // 78 | ef bb bf | 61 62 | ef bb bf
    expect(afterBom(bytes, 1, bytes.length)).toBe(4);
    expect(afterBom(bytes, 1, 4)).toBe(4); // the BOM alone
    expect(afterBom(bytes, 1, 3)).toBe(1); // cut short: not a BOM
    expect(afterBom(bytes, 0, bytes.length)).toBe(0);
    expect(afterBom(bytes, 4, bytes.length)).toBe(4);
    expect(afterBom(bytes, 6, bytes.length)).toBe(9);
    for (const partial of [
      [0xef, 0xbb, 0x61],
      [0xef, 0x61, 0xbf],
      [0x61, 0xbb, 0xbf],
      [0xef, 0xbb, 0xbe],
    ]) {
      expect(afterBom(Uint8Array.from(partial), 0, 3)).toBe(0);
    }
  });
});

describe('UTF-8 and columns', () => {
  it('rejects a record that is not UTF-8 with a payload-free error', () => {
    expect(notUtf8()).toBeInstanceOf(LogParseError);
    expect(notUtf8().message).toBe('record: data is not valid UTF-8');
    expect(() => assertUtf8(new Uint8Array([0x61, 0xff]))).toThrow('record: data is not valid UTF-8');
    expect(() => assertUtf8(bytesOf('aé€😀'))).not.toThrow();
    expect(() => decodeLines(new Uint8Array([0xc3]))).toThrow('record: data is not valid UTF-8');
    expect(decodeLines(bytesOf('aé\n'))).toBe('aé\n');
  });

  it('counts columns in characters from the line start, stopping at the end of the bytes', () => {
    const bytes = bytesOf('x\naé€😀b');
    // a=2, é=3-4, €=5-7, 😀=8-11, b=12
    expect(charColumn(bytes, 2, 2)).toBe(1);
    expect(charColumn(bytes, 2, 3)).toBe(2);
    expect(charColumn(bytes, 2, 5)).toBe(3);
    expect(charColumn(bytes, 2, 8)).toBe(4);
    expect(charColumn(bytes, 2, 12)).toBe(5);
    expect(charColumn(bytes, 2, 13)).toBe(6);
    expect(charColumn(bytes, 2, 100)).toBe(6);
    expect(charColumn(bytes, 0, 2)).toBe(3);
    expect(textOf(bytes, 3, 8)).toBe('é€');
    expect([...ascii('a~\u00ff')]).toEqual([0x61, 0x7e, 0xff]);
  });
});

describe('ByteWriter', () => {
  it('writes bytes, text and numbers, one view per record', () => {
    const writer = new ByteWriter(64);
    writer.bytes(ascii('id='));
    writer.uint(0);
    writer.text(',é');
    writer.copy(bytesOf('--xyz--'), 2, 5);
    const first = writer.finish();
    for (const n of [9, 10, 99, 100, 12345, 2 ** 50 - 1]) {
      writer.uint(n);
      writer.text(' ');
    }
    const second = writer.finish();
    expect(utf8(first)).toBe('id=0,éxyz');
    expect(utf8(second)).toBe(`9 10 99 100 12345 ${2 ** 50 - 1} `);
    expect(writer.recordStart).toBe(writer.pos);
  });

  it('writes a number that reaches past the end of a chunk whole', () => {
    const writer = new ByteWriter(16);
    writer.bytes(ascii('x'.repeat(14)));
    writer.uint(1234567);
    expect(utf8(writer.finish())).toBe(`${'x'.repeat(14)}1234567`);
  });

  it('forgets a discarded record, and ends one without a view', () => {
    const writer = new ByteWriter(64);
    writer.text('kept');
    writer.endRecord();
    const start = writer.recordStart;
    expect(start).toBe(4);
    writer.text('failed halfway');
    writer.discard();
    expect(writer.pos).toBe(start);
    writer.text('next');
    expect(utf8(writer.finish())).toBe('next');
  });

  it('keeps every view intact across many chunks, records moved whole into the next chunk', () => {
    const writer = new ByteWriter(16);
    const views: Uint8Array[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 60; i++) {
      // Written in pieces, so a record is often split by a chunk's end and moved.
      const text = `r${i}:` + 'abcdefghij'.slice(0, i % 11) + (i % 7 === 0 ? 'x'.repeat(40) : '');
      for (let at = 0; at < text.length; at += 3) writer.text(text.slice(at, at + 3));
      views.push(writer.finish());
      expected.push(text);
    }
    expect(views.map(utf8)).toEqual(expected);
  });

  it('reuses its chunks after a reset, and never hands out a chunk still in use', () => {
    // Chunks of 4 KiB and up are not carved from Node's shared pool: each has an ArrayBuffer of its own.
    const writer = new ByteWriter(4096);
    const record = (text: string) => {
      writer.bytes(ascii(text));
      return writer.finish();
    };
    const texts = Array.from({ length: 24 }, (_, i) => `${i}`.padStart(2000, '.'));
    const first = texts.map(record);
    writer.reset();
    const second = texts.map(record);
    expect(second.map(utf8)).toEqual(texts);
    // Two records per chunk. A warm writer writes into the chunks it already has (eight), not into new memory.
    const chunks = (views: Uint8Array[]) => [...new Set(views.map((v) => v.buffer))];
    expect(chunks(first)).toHaveLength(12);
    expect(chunks(second)).toHaveLength(12);
    // (The same ArrayBuffer objects: toEqual would compare their contents only.)
    const firstChunks = chunks(first);
    expect(chunks(second).map((chunk, k) => chunk === firstChunks[k])).toEqual([
      ...Array.from({ length: 8 }, () => true),
      ...Array.from({ length: 4 }, () => false),
    ]);
    // Past the retained ones, fresh memory.
    for (const chunk of chunks(second).slice(8)) expect(chunks(first)).not.toContain(chunk);
    // A huge record gets a chunk of its own, which is not kept: the ordinary chunk stays second.
    writer.reset();
    const a = record('a'.repeat(2000));
    const huge = record('h'.repeat(10_000));
    expect(utf8(a)).toBe('a'.repeat(2000));
    expect(utf8(huge)).toBe('h'.repeat(10_000));
    writer.reset();
    record('b'.repeat(2000));
    record('c'.repeat(2000));
    const small = record('s'.repeat(2000));
    expect(small.buffer).toBe(chunks(first)[1]);
  });

  it('replaces a retained chunk too small for a record, and keeps the views of the run right', () => {
    const writer = new ByteWriter(16);
    for (let i = 0; i < 3; i++) {
      writer.text('0123456789');
      writer.finish();
    }
    writer.reset();
    const views: Uint8Array[] = [];
    for (const text of ['abcdefghij', 'k'.repeat(30), 'lmnopqrstu', 'v']) {
      writer.text(text);
      views.push(writer.finish());
    }
    expect(views.map(utf8)).toEqual(['abcdefghij', 'k'.repeat(30), 'lmnopqrstu', 'v']);
  });

  it('gives each overlapping invocation a writer of its own, and reuses them once over', async () => {
    let outer: ByteWriter | undefined;
    let inner: ByteWriter | undefined;
    const result = await withWriter(async (a) => {
      outer = a;
      a.text('outer');
      await withWriter(async (b) => {
        inner = b;
        b.text('inner');
        expect(utf8(b.finish())).toBe('inner');
      });
      return utf8(a.finish());
    });
    expect(result).toBe('outer');
    expect(inner).not.toBe(outer);
    // The writer is back in the pool, reset, after a throw too.
    await expect(
      withWriter(async (w) => {
        w.text('partial');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const again = await withWriter(async (w) => {
      expect(w.pos).toBe(0);
      w.text('x');
      return [w, utf8(w.finish())] as const;
    });
    expect([outer, inner]).toContain(again[0]);
    expect(again[1]).toBe('x');
  });
});

describe('JSON string literals', () => {
  it('escapes quotes, backslashes and control characters, and nothing else', () => {
    expect(jsonString('plain é 😀 ~')).toBe('"plain é 😀 ~"');
    expect(jsonString('')).toBe('""');
    expect(jsonString('a"b')).toBe('"a\\"b"');
    expect(jsonString('a\\b')).toBe('"a\\\\b"');
    expect(jsonString('tab\tnl\n')).toBe('"tab\\tnl\\n"');
    expect(jsonString('\u001f\u0000')).toBe('"\\u001f\\u0000"');
    expect(jsonString('\u007f ')).toBe('"\u007f "');
    expect(jsonStringOrNull(null)).toBe('null');
    expect(jsonStringOrNull('n')).toBe('"n"');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 8 }), (value) => {
        expect(jsonString(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('CSV fields', () => {
  it('writes numbers and empty strings as they must be', () => {
    expect(csvField(0)).toBe('0');
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField('')).toBe('""');
    expect(csvField(null)).toBe('');
    expect(csvField('x"')).toBe('"x"""');
    expect(csvRecord([])).toBe('\n');
    expect(csvRecord([null])).toBe('\n');
    expect(csvRecord([1, 2], '\r\n')).toBe('1,2\r\n');
  });
});

describe('records as lines', () => {
  const upper = (line: string) => {
    if (line.startsWith('bad')) throw new LogParseError('test', 'cannot read', 3);
    if (line === 'boom') throw new TypeError('a bug');
    return `${line.toUpperCase()}|`;
  };
  const mapped = (text: string) => utf8(mapLines(text, upper, new ByteWriter(64)));
  const failure = (text: string) => {
    try {
      mapped(text);
    } catch (error) {
      return (error as Error).message;
    }
    return 'no error';
  };

  it('maps every non-empty line, LF or CRLF, last terminator optional', () => {
    expect(mapped('a')).toBe('A|');
    expect(mapped('a\nb')).toBe('A|B|');
    expect(mapped('a\r\nb\r\n')).toBe('A|B|');
    expect(mapped('\n\na\n\r\n\nb\n\n')).toBe('A|B|');
    expect(mapped('a\rb\r')).toBe('A\rB|');
    expect(mapped('\r\na')).toBe('A|');
  });

  it('rejects an empty record', () => {
    for (const text of ['', '\n', '\r\n', '\n\r\n\n', '\r'])
      expect(failure(text)).toBe('record: empty record');
  });

  it('names the line of a multi-line record that fails (counting empty lines), not that of a single line', () => {
    expect(failure('bad')).toBe('test: cannot read at column 3');
    expect(failure('bad\n')).toBe('test: cannot read at column 3');
    expect(failure('bad\r\n')).toBe('test: cannot read at column 3');
    expect(failure('bad\n\n')).toBe('test: line 1: cannot read at column 3');
    expect(failure('\nbad')).toBe('test: line 2: cannot read at column 3');
    expect(failure('a\n\nbad\nc')).toBe('test: line 3: cannot read at column 3');
    expect(failure('bad\nc')).toBe('test: line 1: cannot read at column 3');
    // Not a parse error: a bug, passed on as it is.
    expect(failure('a\nboom')).toBe('a bug');
  });

  it('keeps nothing of a record that failed', () => {
    const writer = new ByteWriter(64);
    expect(() => mapLines('a\nb\nbad', upper, writer)).toThrow(LogParseError);
    expect(utf8(mapLines('c', upper, writer))).toBe('C|');
  });

  it('visits the byte range of every non-empty line of a record inside a larger buffer, and no further', () => {
    const bytes = bytesOf('zz\nab\r\n\ncd\nyy\n');
    const seen: string[] = [];
    forEachLineIn(bytes, 3, 11, (start, end) => seen.push(`${start}-${end}:${textOf(bytes, start, end)}`));
    expect(seen).toEqual(['3-5:ab', '8-10:cd']);
    const one: string[] = [];
    forEachLineIn(bytes, 11, 13, (start, end) => one.push(textOf(bytes, start, end)));
    expect(one).toEqual(['yy']);
    expect(() => forEachLineIn(bytes, 6, 8, () => undefined)).toThrow('record: empty record');
    expect(() => forEachLineIn(bytes, 3, 3, () => undefined)).toThrow('record: empty record');
  });

  it('locates a failing line by number in a record of several, by the same rules', () => {
    const fail = (text: string) => {
      const bytes = bytesOf(text);
      try {
        forEachLine(bytes, (start, end) => void upper(textOf(bytes, start, end)));
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(fail('bad')).toBe('test: cannot read at column 3');
    expect(fail('bad\n')).toBe('test: cannot read at column 3');
    expect(fail('\nbad')).toBe('test: line 2: cannot read at column 3');
    expect(fail('a\r\n\r\nbad\n')).toBe('test: line 3: cannot read at column 3');
    expect(fail('bad\nok')).toBe('test: line 1: cannot read at column 3');
    expect(fail('ok\nboom')).toBe('a bug');
    expect(fail('a\nb')).toBe('no error');
    expect(() => forEachLine(new Uint8Array([0x0a, 0xff]), () => undefined)).toThrow(
      'record: data is not valid UTF-8',
    );
    // The range given to a single-line record inside a buffer is located like a whole one.
    const bytes = bytesOf('x\nbad\ny');
    expect(() => forEachLineIn(bytes, 2, 6, (s, e) => void upper(textOf(bytes, s, e)))).toThrow(
      /^test: cannot read at column 3$/,
    );
  });
});

describe('calendar arithmetic', () => {
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const month = (name: string) => monthOf(name.charCodeAt(0), name.charCodeAt(1), name.charCodeAt(2));

  it('knows the twelve English abbreviations as logged, and nothing else', () => {
    expect(MONTHS.map(month)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const other of ['jan', 'JAN', 'Jam', 'Dez', 'Mai', 'Okt', 'Sept'.slice(1), 'xxx'])
      expect(month(other)).toBe(0);
  });

  it('reads fixed-width digits, refusing anything else or anything out of range', () => {
    expect(digitsAt('a2024b', 1, 4)).toBe(2024);
    expect(digitsAt('0009', 0, 4)).toBe(9);
    expect(digitsAt('12', 0, 2)).toBe(12);
    expect(digitsAt('12', 0, 3)).toBe(-1);
    expect(digitsAt('12', 1, 2)).toBe(-1);
    expect(digitsAt('12', -1, 2)).toBe(-1);
    expect(digitsAt('1/', 0, 2)).toBe(-1); // '/' is just below '0'
    expect(digitsAt('1:', 0, 2)).toBe(-1); // ':' is just above '9'
    expect(digitsAt('x', 0, 0)).toBe(0);
    const bytes = bytesOf('x2024:59');
    expect(digitsAtBytes(bytes, 1, 4, 8)).toBe(2024);
    expect(digitsAtBytes(bytes, 6, 2, 8)).toBe(59);
    expect(digitsAtBytes(bytes, 6, 2, 7)).toBe(-1);
    expect(digitsAtBytes(bytes, 4, 2, 8)).toBe(-1);
    expect(digitsAtBytes(bytesOf('/0'), 0, 2, 2)).toBe(-1);
    expect(digitsAtBytes(bytesOf('9:'), 0, 2, 2)).toBe(-1);
  });

  it('knows the length of every month, leap years included', () => {
    const lengths = (year: number) => Array.from({ length: 12 }, (_, m) => daysInMonth(year, m + 1));
    expect(lengths(2023)).toEqual([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(2100, 2)).toBe(28);
  });

  it('counts days and milliseconds as Date does, over the whole range of years', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2000, 3, 1)).toBe(11017);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 999 }),
        (year, m, day, hour, minute, second, ms) => {
          const date = new Date(0);
          date.setUTCFullYear(year, m - 1, day);
          date.setUTCHours(hour, minute, second, ms);
          const valid = date.getUTCDate() === day;
          expect(epochMs(year, m, day, hour, minute, second, ms)).toBe(valid ? date.getTime() : null);
          if (valid) expect(daysFromCivil(year, m, day)).toBe(Math.floor(date.getTime() / 86_400_000));
        },
      ),
      { numRuns: runs(2000) },
    );
  });

  it('refuses every field out of range, lets a leap second roll over, and writes ISO time', () => {
    expect(epochMs(2024, 2, 29, 0, 0, 0)).toBe(Date.UTC(2024, 1, 29));
    expect(epochMs(2023, 2, 29, 0, 0, 0)).toBeNull();
    expect(epochMs(0, 1, 1, 0, 0, 0)).toBeNull();
    expect(epochMs(1, 1, 1, 0, 0, 0)).toBe(Date.parse('0001-01-01T00:00:00Z'));
    expect(epochMs(9999, 12, 31, 23, 59, 59, 999)).toBe(Date.parse('9999-12-31T23:59:59.999Z'));
    expect(epochMs(10000, 1, 1, 0, 0, 0)).toBeNull();
    expect(epochMs(2024, 0, 1, 0, 0, 0)).toBeNull();
    expect(epochMs(2024, 13, 1, 0, 0, 0)).toBeNull();
    expect(epochMs(2024, 1, 0, 0, 0, 0)).toBeNull();
    expect(epochMs(2024, 4, 31, 0, 0, 0)).toBeNull();
    expect(epochMs(2024, 1, 31, 24, 0, 0)).toBeNull();
    expect(epochMs(2024, 1, 31, 23, 60, 0)).toBeNull();
    expect(epochMs(2024, 1, 31, 23, 59, 61)).toBeNull();
    expect(epochMs(2024, 12, 31, 23, 59, 60)).toBe(Date.UTC(2025, 0, 1));
    expect(epochMs(2024, 12, 31, 23, 59, 59)).toBe(Date.UTC(2024, 11, 31, 23, 59, 59));
    expect(isoUtc(Date.UTC(2000, 9, 10, 20, 55, 36, 7))).toBe('2000-10-10T20:55:36.007Z');
  });
});
