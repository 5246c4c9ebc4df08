import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkNumber,
  jsonToItem,
  MissingKeyFieldError,
  NumberNotStorableError,
  parseKeySpec,
  RecordShapeError,
  toItem,
} from '../../../functions/kinesis-to-dynamodb/item';
import { coordinates, plain } from '../../support/dynamodb-items';
import { itemSize, streamPosition } from '../../../shared/sinks/dynamodb';

describe('jsonToItem', () => {
  it('keeps every number as its exact text, and strings, nesting, empty strings, null and booleans as they are', () => {
    const text =
      ' {"big": 12345678901234567890, "f": 0.1000000000000000055511151231257827, "neg": -0, "e": 1E5, ' +
      '"s": "", "esc": "a\\"b\\u00e9\\n", "n": {"l": [1, [], {}, null, true, false, "x"]}, "__proto__": 1}\n';
    expect(plain(jsonToItem(text))).toEqual({
      big: { N: '12345678901234567890' },
      f: { N: '0.1000000000000000055511151231257827' },
      neg: { N: '-0' },
      e: { N: '1E5' },
      s: '',
      esc: 'a"b\u00e9\n',
      n: { l: [{ N: '1' }, [], {}, null, true, false, 'x'] },
      ['__proto__']: { N: '1' },
    });
  });

  it('agrees with JSON.parse on the structure of any JSON object (numbers compared by value)', () => {
    const numbersAsValues = (value: unknown): unknown =>
      value instanceof NumberValue
        ? Number(value.toString())
        : Array.isArray(value)
          ? value.map(numbersAsValues)
          : value !== null && typeof value === 'object'
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, numbersAsValues(v)]))
            : value;
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 5, noUnicodeString: false }), { maxKeys: 8 }),
        fc.boolean(),
        (object, pretty) => {
          const text = JSON.stringify(object, null, pretty ? 2 : undefined);
          let item;
          try {
            item = jsonToItem(text);
          } catch (error) {
            // Only what DynamoDB cannot hold (5e-324, a lone surrogate), never anything else.
            expect([RecordShapeError, NumberNotStorableError].some((type) => error instanceof type)).toBe(
              true,
            );
            return;
          }
          expect(numbersAsValues(item)).toEqual(JSON.parse(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses what DynamoDB cannot hold faithfully, with a reason that quotes no payload', () => {
    expect(() => jsonToItem('[1,2]')).toThrow(RecordShapeError);
    expect(() => jsonToItem('"secret"')).toThrow('the record is not a JSON object');
    expect(() => jsonToItem('{"a":1,"a":2}')).toThrow(/two members with the same name/);
    expect(() => jsonToItem('{"a":"\\ud800"}')).toThrow(/lone UTF-16 surrogate/);
    expect(jsonToItem('{"a":"\\ud83d\\ude00"}')).toEqual({ a: '😀' });
    const deep = (n: number) => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`;
    expect(() => jsonToItem(deep(31))).not.toThrow();
    expect(() => jsonToItem(deep(32))).toThrow(/deeper than DynamoDB's 32 levels/);
    // Text JSON.parse would refuse never reaches the converter; if it did, it ends with an error, not a hang.
    for (const cut of ['{"a":"x', '{"a', '{"a":1', '{"a":[1,'])
      expect(() => jsonToItem(cut), cut).toThrow(/ends inside a string|not in JSON number syntax/);
    // Deeper than the stack allows: still a clear error, not a RangeError.
    expect(() => jsonToItem(deep(200_000))).toThrow(RecordShapeError);
  });
});

describe('checkNumber (DynamoDB: 38 significant digits, 1e-130 .. 9.99e125)', () => {
  it.each([
    '0',
    '-0',
    '0.000',
    '12345678901234567890123456789012345678',
    '1234567890123456789012345678901234567800000',
    '0.00012345678901234567890123456789012345678',
    '9.9999999999999999999999999999999999999e125',
    '1e-130',
    '100e-132',
    '-1E+125',
  ])('accepts %s', (text) => expect(() => checkNumber(text)).not.toThrow());

  it.each([
    ['123456789012345678901234567890123456789', /39 significant digits/],
    ['1.00000000000000000000000000000000000001', /39 significant digits/],
    ['1e126', /larger in magnitude/],
    ['1e400', /larger in magnitude/],
    ['-10e125', /larger in magnitude/],
    ['1e-131', /smaller in magnitude/],
    ['0.1e-130', /smaller in magnitude/],
  ])('refuses %s', (text, reason) => {
    expect(() => checkNumber(text)).toThrow(NumberNotStorableError);
    expect(() => checkNumber(text)).toThrow(reason);
  });
});

describe('key templates', () => {
  it('parses name=template, typed keys and both placeholder spellings', () => {
    expect(parseKeySpec('pk={deviceId}')).toMatchObject({ attribute: 'pk', type: 'S' });
    expect(parseKeySpec('sk:N=${ts}')).toMatchObject({ attribute: 'sk', type: 'N' });
    expect(() => parseKeySpec('pk')).toThrow(TypeError);
    expect(() => parseKeySpec('pk=constant')).toThrow(/names no field or coordinate/);
    expect(() => parseKeySpec('pk={$shard}')).toThrow(/unknown coordinate \{\$shard\}/);
    expect(() => parseKeySpec('pk={a..b}')).toThrow(/empty segment/);
    expect(() => parseKeySpec('pk={a}}')).toThrow(/not part of a \{field\} placeholder/);
  });

  const options = (partition: string, sort?: string) => ({
    partitionKey: parseKeySpec(partition),
    sortKey: sort === undefined ? undefined : parseKeySpec(sort),
    projection: [],
    metadata: {},
  });

  it('renders fields (numbers by their text) and coordinates', () => {
    const item = toItem(
      '{"device":{"id":"d-1"},"ts":1764000000123,"ok":true}',
      coordinates,
      options('pk={device.id}#{ok}', 'sk={ts}/{$shardId}/{$subSequenceNumber}'),
    );
    expect(item.pk).toBe('d-1#true');
    expect(item.sk).toBe('1764000000123/shardId-000000000001/2');
    const typed = toItem('{"id":"a","ts":1.50}', coordinates, options('pk={id}', 'sk:N={ts}'));
    expect(plain(typed.sk)).toEqual({ N: '1.50' });
  });

  it('makes a record poison when a key field is missing, not scalar, or renders a key DynamoDB refuses', () => {
    const o = options('pk={deviceId}');
    expect(() => toItem('{"x":1}', coordinates, o)).toThrow(MissingKeyFieldError);
    expect(() => toItem('{"x":1}', coordinates, o)).toThrow('the partition key field "deviceId" is missing');
    expect(() => toItem('{"deviceId":null}', coordinates, o)).toThrow(/is null, not a string/);
    expect(() => toItem('{"deviceId":{"a":1}}', coordinates, o)).toThrow(/is an object/);
    expect(() => toItem('{"deviceId":""}', coordinates, o)).toThrow(/rendered empty/);
    expect(() => toItem(`{"deviceId":"${'x'.repeat(2049)}"}`, coordinates, o)).toThrow(
      /2049 bytes; DynamoDB allows 2048/,
    );
    expect(() =>
      toItem('{"deviceId":"a","ts":"soon"}', coordinates, options('pk={deviceId}', 'sk:N={ts}')),
    ).toThrow(/not a number/);
  });

  it('never overwrites a record field with a key or metadata attribute of another value', () => {
    expect(toItem('{"deviceId":"a"}', coordinates, options('deviceId={deviceId}')).deviceId).toBe('a');
    expect(() => toItem('{"pk":"mine","id":"a"}', coordinates, options('pk={id}'))).toThrow(
      /already has a top-level field "pk" with another value/,
    );
    expect(() =>
      toItem('{"id":"a","_stream":"x"}', coordinates, {
        ...options('pk={id}'),
        metadata: { stream: '_stream' },
      }),
    ).toThrow(/"_stream"/);
  });

  it('projects fields after rendering keys from the whole record, and adds coordinate attributes', () => {
    const item = toItem('{"id":"a","keep":{"x":1,"y":2},"drop":3}', coordinates, {
      ...options('pk={id}'),
      projection: [['keep', 'x'], ['missing']],
      metadata: { sequenceNumber: '_seq', subSequenceNumber: '_sub' },
    });
    expect(plain(item)).toEqual({
      keep: { x: { N: '1' } },
      pk: 'a',
      _seq: coordinates.sequenceNumber,
      _sub: { N: '2' },
    });
  });
});

describe('item size (as DynamoDB counts it: attribute names + values, UTF-8)', () => {
  it('counts strings in UTF-8, numbers by significant digits, maps and lists with their overhead', () => {
    expect(itemSize({ a: 'é' })).toBe(1 + 2);
    expect(itemSize({ n: new NumberValue('12345') })).toBe(1 + 3 + 1);
    expect(itemSize({ n: new NumberValue('-000120.0500') })).toBe(1 + 3 + 1); // 12005: 5 significant digits
    expect(itemSize({ b: true, z: null })).toBe(2 + 2);
    expect(itemSize({ m: { ab: 'x' } })).toBe(1 + 3 + 1 + 2 + 1);
    expect(itemSize({ l: ['x', 'yy'] })).toBe(1 + 3 + (1 + 1) + (1 + 2));
    // The lib marshals what we measured.
    expect(marshall({ n: new NumberValue('1.50') })).toEqual({ n: { N: '1.50' } });
  });
});

describe('streamPosition', () => {
  it('sorts as the stream does: by sequence number (any length), then subsequence number', () => {
    const positions = [
      { sequenceNumber: '9', subSequenceNumber: 0 },
      { sequenceNumber: '10', subSequenceNumber: 0 },
      { sequenceNumber: '10', subSequenceNumber: 2 },
      { sequenceNumber: '10', subSequenceNumber: 10 },
      { sequenceNumber: '49658520563826370318512419245617917437484032022312157186', subSequenceNumber: 0 },
    ].map(streamPosition);
    expect([...positions].sort()).toEqual(positions);
  });
});
