/**
 * The decoding helpers Firehose transforms call (shared/firehose/decode.ts): what they return, and the typed
 * errors (with reasons that never quote the payload) a bad record turns into ProcessingFailed with.
 */
import { describe, expect, it } from 'vitest';
import { InvalidJsonError, InvalidUtf8Error } from '../../../shared/firehose/errors';
import { decodeUtf8, encodeUtf8, parseJsonLine, parseJsonRecord } from '../../../shared/firehose/decode';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** The error `run` throws, checked to be `type`. */
function thrown<T>(run: () => unknown, type: new (...args: never[]) => T): T {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as T;
  }
  throw new Error('nothing was thrown');
}

describe('decodeUtf8 / encodeUtf8', () => {
  it('decodes UTF-8, dropping one leading byte order mark', () => {
    expect(decodeUtf8(bytes('aé😀'))).toBe('aé😀');
    expect(decodeUtf8(bytes('\uFEFFa\uFEFF'))).toBe('a\uFEFF');
    expect(decodeUtf8(new Uint8Array(0))).toBe('');
    expect(Array.from(encodeUtf8('aé'))).toEqual([0x61, 0xc3, 0xa9]);
  });

  it('refuses malformed UTF-8 with InvalidUtf8Error instead of replacing it', () => {
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0x61, 0xc0, 0xaf]]) {
      const error = thrown(() => decodeUtf8(Uint8Array.from(bad)), InvalidUtf8Error);
      expect(error.name).toBe('InvalidUtf8Error');
      expect(error.reason).toBe('data is not valid UTF-8');
    }
  });
});

describe('parseJsonRecord', () => {
  it('parses one JSON document with surrounding whitespace', () => {
    expect(parseJsonRecord(bytes(' {"a": [1, "é"]}\n'))).toEqual({ a: [1, 'é'] });
    expect(parseJsonRecord(bytes('\uFEFF0'))).toBe(0);
  });

  it('says an empty or blank record is empty', () => {
    for (const text of ['', ' ', '\n\t\r\n']) {
      const error = thrown(() => parseJsonRecord(bytes(text)), InvalidJsonError);
      expect(error.name).toBe('InvalidJsonError');
      expect(error.reason).toBe('empty record: expected a JSON document');
    }
  });

  it('gives where the JSON breaks, never the text around it', () => {
    const cases: Array<[string, string]> = [
      ['{"secret": "s3cr3t"} trailing', 'invalid JSON at position 21'],
      ['{"secret": "s3cr3t", }', 'invalid JSON at position 21'],
      ['{"secret": tru}', 'invalid JSON'],
      ['s3cr3t', 'invalid JSON'],
    ];
    for (const [text, reason] of cases) {
      const error = thrown(() => parseJsonRecord(bytes(text)), InvalidJsonError);
      expect(error.reason).toBe(reason);
      expect(error.message).not.toContain('s3cr3t');
      expect(error.cause).toBeInstanceOf(SyntaxError);
    }
    expect(thrown(() => parseJsonRecord(Uint8Array.from([0x7b, 0xff, 0x7d])), InvalidUtf8Error).reason).toBe(
      'data is not valid UTF-8',
    );
  });
});

describe('parseJsonLine', () => {
  it('keeps the original text, trimmed and on one line, next to the value', () => {
    expect(parseJsonLine(bytes('  {"id": 12345678901234567890, "s": "\\n"}\n'))).toEqual({
      value: { id: 12345678901234567000, s: '\n' }, // the value rounds; the text keeps every digit
      text: '{"id": 12345678901234567890, "s": "\\n"}',
    });
    expect(parseJsonLine(bytes('{\r\n  "a": 1,\r\n\r\n  "b": [2,\n3]\r}\n'))).toEqual({
      value: { a: 1, b: [2, 3] },
      text: '{  "a": 1,  "b": [2,3]}',
    });
  });

  it('rejects what parseJsonRecord rejects', () => {
    expect(thrown(() => parseJsonLine(bytes(' \n ')), InvalidJsonError).reason).toBe(
      'empty record: expected a JSON document',
    );
    expect(thrown(() => parseJsonLine(bytes('{"a":1}x')), InvalidJsonError).reason).toBe(
      'invalid JSON at position 7',
    );
    expect(thrown(() => parseJsonLine(Uint8Array.from([0x22, 0xff, 0x22])), InvalidUtf8Error).name).toBe(
      'InvalidUtf8Error',
    );
  });
});
