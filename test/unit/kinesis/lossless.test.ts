import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toNdjsonLine, toNdjsonOutput } from '../../../functions/kinesis-to-s3/transform';
import {
  hasMember,
  jsonLine,
  jsonLineBytes,
  projectText,
  RecordShapeError,
  withMember,
} from '../../../shared/kinesis/lossless';
import { processKinesisEvent } from '../../../shared/kinesis/runner';
import { parseProjection, project } from '../../../shared/kinesis/select';
import type { DeadLetterEntry, SinkItem } from '../../../shared/kinesis/types';
import { plainEvent } from '../../support/kinesis-events';

// ---- A generator of JSON *text* (not values): numbers JSON.stringify could never print, escapes, duplicates ----
const numberText = fc.oneof(
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc
    .tuple(fc.integer({ min: -1000, max: 1000 }), fc.stringMatching(/^\d{1,40}$/))
    .map(([whole, fraction]) => `${whole}.${fraction}`),
  fc.constantFrom(
    '1e400',
    '-0',
    '0.1000000000000000055511151231257827',
    '-1E-400',
    '12345678901234567890',
    '2.50',
  ),
);
const stringText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'binary', maxLength: 8 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('"\\u00e9"', '"\\/"', '"é"', '"😀"', '"\\ud83d\\ude00"', '"a\\"b\\\\"', '"\\\\"', '""'),
);
const space = fc.constantFrom('', ' ', '\t', '  ');
const keyText = fc.oneof(fc.constantFrom('"a"', '"b"', '"id"', '"_kinesis"', '"\\u0061"'), stringText);

const { json: jsonText } = fc.letrec<{ json: string }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    stringText,
    fc.constantFrom('true', 'false', 'null'),
    fc
      .array(fc.tuple(space, tie('json'), space), { maxLength: 4 })
      .map((items) => `[${items.map(([a, v, b]) => `${a}${v}${b}`).join(',')}]`),
    fc
      .array(fc.tuple(space, keyText, space, tie('json')), { maxLength: 5 })
      .map((members) => `{${members.map(([a, k, b, v]) => `${a}${k}${b}:${v}`).join(',')}}`),
  ),
}));
const objectText = fc
  .array(fc.tuple(space, keyText, space, jsonText), { maxLength: 6 })
  .map((members) => `{${members.map(([a, k, b, v]) => `${a}${k}${b}:${v}`).join(',')}}`);

const coordinates = {
  stream: 's',
  shardId: 'shardId-000000000000',
  sequenceNumber: '42',
  subSequenceNumber: 1,
  partitionKey: 'pk',
  approximateArrivalTimestamp: 1000,
};
const settings = { format: 'json' as const, projection: [], filter: undefined, includeMetadata: false };
const line = (text: string, options: Partial<Parameters<typeof toNdjsonLine>[1]> = {}) =>
  toNdjsonLine(
    { coordinates, data: Buffer.from(text), value: JSON.parse(text.replace(/^\uFEFF/, '')), text },
    { ...settings, ...options },
  );

/** Runs texts through the real runner (decode -> transform -> sink) and returns what the sink received. */
async function throughRunner(texts: string[], options: Partial<Parameters<typeof toNdjsonLine>[1]> = {}) {
  const written: SinkItem<string>[] = [];
  const dead: DeadLetterEntry[] = [];
  await processKinesisEvent(plainEvent(texts.map((text) => Buffer.from(text))), {
    format: 'json',
    transform: (record) => toNdjsonLine(record, { ...settings, ...options }),
    sink: {
      write: async (items) => {
        written.push(...items);
        return { failed: [] };
      },
    },
    deadLetter: {
      write: async (entries) => {
        dead.push(...entries);
      },
    },
  });
  return { lines: written.map((item) => item.value), dead };
}

describe('lossless JSON records (kinesis-to-s3)', () => {
  it('writes the bytes that arrived: big integers, long decimals, 1e400, -0, duplicate keys, escapes', async () => {
    const texts = [
      '{"id":12345678901234567890}',
      '{"p":0.1000000000000000055511151231257827}',
      '{"x":1e400,"y":-0}',
      '{"a":1,"a":2}',
      '{"s":"\\u00e9\\/\\ud83d\\ude00","t":"é"}',
      '[1, 2 ,3]',
      '12345678901234567890',
    ];
    const { lines, dead } = await throughRunner(texts);
    expect(dead).toEqual([]);
    expect(lines).toEqual(texts);
  });

  it('property: any JSON text survives the round trip byte for byte when nothing is configured', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jsonText, { minLength: 1, maxLength: 5 }), async (texts) => {
        const { lines, dead } = await throughRunner(texts);
        expect(dead).toEqual([]);
        expect(lines).toEqual(texts);
      }),
      { numRuns: 300 },
    );
  });

  it('only touches whitespace the line framing needs: a trailing newline, line breaks of pretty-printed JSON', () => {
    expect(jsonLine('{"a":1}\n')).toBe('{"a":1}');
    expect(jsonLine('{\n  "a": "line\\nbreak",\r\n  "b": 1.50\n}\n')).toBe(
      '{   "a": "line\\nbreak",    "b": 1.50 }',
    );
  });

  it('drops a JSON record`s leading byte order mark (RFC 8259 lets parsers ignore it; NDJSON readers choke on it)', async () => {
    expect((await throughRunner(['\uFEFF{"bom":1}'])).lines).toEqual(['{"bom":1}']);
  });

  it('keeps a text record`s byte order mark (text mode)', async () => {
    const written: string[] = [];
    await processKinesisEvent(plainEvent([Buffer.from('\uFEFFhello')]), {
      format: 'text',
      transform: (record) => toNdjsonLine(record, { ...settings, format: 'text' }),
      sink: {
        write: async (items) => {
          written.push(...items.map((item) => item.value));
          return { failed: [] };
        },
      },
      deadLetter: { write: async () => undefined },
    });
    expect(JSON.parse(written[0]!).data).toBe('\uFEFFhello');
  });

  it('projects by raw slices: selected numbers keep their exact text', () => {
    const text = '{"id": 12345678901234567890, "user": {"name": "é", "score": 0.10, "x": 1}, "skip": -0}';
    expect(line(text, { projection: parseProjection(['id', 'user.score', 'user.name', 'missing']) })).toBe(
      '{"id":12345678901234567890,"user":{"score":0.10,"name":"é"}}',
    );
    // A path that is a prefix of another keeps the whole value; the last of duplicate keys wins (as in JSON.parse).
    expect(projectText('{"a":{"b":1,"c":2},"a":{"b":3,"c":4}}', [['a', 'b'], ['a']])).toBe(
      '{"a":{"b":3,"c":4}}',
    );
  });

  it('property: projection selects what JSON.parse-based projection selects, from the original text', () => {
    fc.assert(
      fc.property(
        objectText,
        fc.array(fc.array(fc.constantFrom('a', 'b', 'id', 'zz'), { minLength: 1, maxLength: 3 }), {
          minLength: 1,
          maxLength: 3,
        }),
        (text, paths) => {
          const expected = project(JSON.parse(text), paths) as Record<string, unknown>;
          const projected = projectText(text, paths);
          if (Object.keys(expected).length === 0) expect(projected).toBeUndefined();
          else expect(JSON.parse(projected!)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('dead-letters a record the projection selects nothing from, with the reason', async () => {
    const { lines, dead } = await throughRunner(['{"other":1}', '{"id":2}', '[1]'], {
      projection: parseProjection(['id']),
    });
    expect(lines).toEqual(['{"id":2}']);
    expect(dead.map((entry) => [entry.errorName, entry.reason])).toEqual([
      ['RecordShapeError', 'FIELDS selected nothing from the record (none of the paths exists in it)'],
      ['RecordShapeError', 'FIELDS selects from JSON objects, and the record is not one'],
    ]);
  });

  it('appends metadata without re-serialising, and refuses to overwrite a user field of that name', async () => {
    const { lines, dead } = await throughRunner(
      ['{"n":12345678901234567890}', '{}', '7', '{"_kinesis":"mine"}'],
      { includeMetadata: true },
    );
    expect(lines[0]).toMatch(/^\{"n":12345678901234567890,"_kinesis":\{"shardId":"shardId-\d+",/);
    expect(JSON.parse(lines[1]!)).toHaveProperty('_kinesis.sequenceNumber');
    expect(lines[2]).toMatch(/^\{"value":7,"_kinesis":\{/);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toBe(
      'the record already has a top-level field "_kinesis", the name the metadata is written under',
    );
    // A configured name avoids the collision.
    expect(line('{"_kinesis":"mine"}', { includeMetadata: true, metadataField: '_meta' })).toMatch(
      /^\{"_kinesis":"mine","_meta":\{/,
    );
    expect(() => withMember('{"a":1,"_k":2}', '_k', '1')).toThrow(RecordShapeError);
  });

  it('property: metadata is one more member, the rest unchanged', () => {
    fc.assert(
      fc.property(objectText, (text) => {
        fc.pre(!hasMember(text, '_m'));
        const out = withMember(text, '_m', '{"k":1}');
        expect(out.startsWith(text.slice(0, -1))).toBe(true);
        expect(JSON.parse(out)).toEqual({ ...JSON.parse(text), _m: { k: 1 } });
      }),
      { numRuns: 300 },
    );
  });
});

describe('the handler`s default path: the record`s own bytes, never decoded (toNdjsonOutput)', () => {
  const framing = fc.tuple(
    fc.boolean(),
    fc.constantFrom('', ' ', '\n', '\r\n', '\t '),
    fc.constantFrom('', '\n', ' \r\n', '\t'),
  );
  const pretty = (text: string) => text.replace(/,/g, ',\n  ').replace(/:\[/g, ':\r\n[');

  it('property: the bytes written are jsonLine of the text the eager decode gives, for any JSON text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(jsonText, framing, fc.boolean()), { minLength: 1, maxLength: 5 }),
        async (records) => {
          const texts = records.map(([text, [bom, before, after], spread]) => {
            const body = spread && !/"[^"]*,/.test(text) ? pretty(text) : text;
            return `${bom ? '\uFEFF' : ''}${before}${body}${after}`;
          });
          const written: Array<string | Uint8Array> = [];
          await processKinesisEvent(plainEvent(texts.map((text) => Buffer.from(text))), {
            format: 'json',
            transform: (record) => toNdjsonOutput(record, settings),
            sink: {
              write: async (items) => {
                written.push(...items.map((item) => item.value));
                return { failed: [] };
              },
            },
            deadLetter: { write: async () => undefined },
          });
          expect(written.every((line) => line instanceof Uint8Array)).toBe(true);
          expect(written.map((line) => Buffer.from(line as Uint8Array).toString('utf8'))).toEqual(
            texts.map((text) => jsonLine(text.replace(/^\uFEFF/, ''))),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes the string path when FIELDS, FILTER or metadata need the text', () => {
    const record = { coordinates, data: Buffer.from('{"id":1}'), value: { id: 1 }, text: '{"id":1}' };
    expect(toNdjsonOutput(record, settings)).toBeInstanceOf(Uint8Array);
    expect(toNdjsonOutput(record, { ...settings, projection: parseProjection(['id']) })).toBe('{"id":1}');
    expect(typeof toNdjsonOutput(record, { ...settings, includeMetadata: true })).toBe('string');
  });
});

describe('lossless helpers on the edges the properties rarely reach', () => {
  const bytes = (text: string) => Buffer.from(text, 'utf8');
  const textOf = (data: Uint8Array) => Buffer.from(data).toString('utf8');

  it('returns an ordinary record`s bytes as they are: no copy, and a UTF-8 byte 0xBF at offset 2 is no BOM', () => {
    const plain = bytes('{"a":1}');
    expect(jsonLineBytes(plain)).toBe(plain);
    const yuml = bytes('"ÿ"'); // 22 C3 BF 22
    expect(jsonLineBytes(yuml)).toBe(yuml);
    expect(textOf(jsonLineBytes(bytes('\uFEFF ["ÿ"] \n')))).toBe('["ÿ"]');
  });

  it('turns a lone CR between tokens into a space, wherever it is', () => {
    expect(textOf(jsonLineBytes(bytes('{"a":\r1}')))).toBe('{"a": 1}');
    expect(textOf(jsonLineBytes(bytes('{\r"a":1}')))).toBe('{ "a":1}');
    expect(textOf(jsonLineBytes(bytes('{\n"a":1}')))).toBe('{ "a":1}');
    expect(jsonLine('{"a":\r1}')).toBe('{"a": 1}');
  });

  it('projects values whose strings hold commas, braces and brackets', () => {
    expect(projectText('{"a":"x, y}]","b":1}', [['a'], ['b']])).toBe('{"a":"x, y}]","b":1}');
    expect(projectText('{"a":{"s":"}{]["},"b":2}', [['b'], ['a']])).toBe('{"b":2,"a":{"s":"}{]["}}');
    expect(projectText('{"a":{"s":"}","t":{"u":3}},"b":2}', [['a', 't', 'u']])).toBe('{"a":{"t":{"u":3}}}');
  });

  it('finds no member in an empty object or in what is not an object', () => {
    expect(hasMember('{}', '')).toBe(false);
    expect(hasMember('{ }', 'a')).toBe(false);
    expect(withMember('{}', '', '1')).toBe('{"":1}');
    expect(withMember('{ }', 'k', '1')).toBe('{ "k":1}');
    expect(hasMember('["a", 1]', 'a')).toBe(false);
    expect(hasMember(' {"a": 1}', 'a')).toBe(true);
    expect(projectText('["a", 1]', [['a']])).toBeUndefined();
    expect(
      projectText('{"a":{},"b":{"c":1}}', [
        ['a', 'c'],
        ['b', 'c'],
      ]),
    ).toBe('{"b":{"c":1}}');
  });
});
