/**
 * The record -> item conversion at its edges: whitespace JSON allows anywhere, surrogate pairs at the range limits,
 * zero with any exponent, nesting through objects, number-typed keys, key length limits, key template spelling,
 * projections, and the error each poison record is dead-lettered with (its class is the dead letter's errorName).
 */
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  checkNumber,
  type ItemOptions,
  jsonToItem,
  KeyValueError,
  NumberNotStorableError,
  parseKeySpec,
  toItem,
} from '../../../functions/kinesis-to-dynamodb/item';
import { coordinates, plain } from '../../support/dynamodb-items';

const options = (partition: string, sort?: string, over: Partial<ItemOptions> = {}): ItemOptions => ({
  partitionKey: parseKeySpec(partition),
  sortKey: sort === undefined ? undefined : parseKeySpec(sort),
  projection: [],
  metadata: {},
  ...over,
});

/** The error `run` throws (fails the test when it does not throw). */
function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('poison errors', () => {
  it('name their class, which becomes the dead letter errorName', () => {
    expect(thrown(() => jsonToItem('[1]')).name).toBe('RecordShapeError');
    expect(thrown(() => jsonToItem('{"n":1e400}')).name).toBe('NumberNotStorableError');
    expect(thrown(() => toItem('{}', coordinates, options('pk={id}'))).name).toBe('MissingKeyFieldError');
    expect(thrown(() => toItem('{"id":""}', coordinates, options('pk={id}'))).name).toBe('KeyValueError');
  });
});

describe('jsonToItem edges', () => {
  it('reads JSON with every kind of whitespace around every token', () => {
    const text = '\t{ "a" :\r\n1 ,\t"b"\r: [ 1 ,\t[ ] , { } ,"x" ] , "c" : { } , "d":{ "e" : true }\r\n}\t';
    expect(plain(jsonToItem(text))).toEqual({
      a: { N: '1' },
      b: [{ N: '1' }, [], {}, 'x'],
      c: {},
      d: { e: true },
    });
  });

  it('keeps exponents with an explicit sign', () => {
    expect(plain(jsonToItem('{"a":1e+5,"b":-2.5E-3}'))).toEqual({ a: { N: '1e+5' }, b: { N: '-2.5E-3' } });
  });

  it('counts nesting through objects as well as lists', () => {
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    expect(() => jsonToItem(deep(32))).not.toThrow();
    expect(() => jsonToItem(deep(33))).toThrow("the record nests deeper than DynamoDB's 32 levels");
  });

  it.each([
    ['\\ud800\\udc00', '\u{10000}'],
    ['\\udbff\\udfff', '\u{10ffff}'],
    ['\\ud83d\\ude00', '😀'],
    ['\\ue000\\uffff', '\ue000\uffff'],
    ['\\u00e9\\ud7ff', 'é\ud7ff'],
  ])('accepts the escaped pair or character %s', (escaped, value) => {
    expect(jsonToItem(`{"s":"${escaped}"}`)).toEqual({ s: value });
  });

  it.each([
    '\\ud800',
    '\\udfff',
    '\\udc00\\udc00',
    '\\ud800a',
    '\\ud800\\ud800',
    '\\ud800\\ue000',
    'x\\udbff',
  ])('refuses the lone surrogate in %s', (escaped) => {
    expect(() => jsonToItem(`{"s":"${escaped}"}`)).toThrow(
      'a string in the record holds a lone UTF-16 surrogate escape',
    );
  });
});

describe('checkNumber edges', () => {
  it.each(['0e-200', '0e400', '-0.000E+999', '00'])('accepts zero written as %s', (text) => {
    expect(() => checkNumber(text)).not.toThrow();
  });

  it.each(['1-1', '-', '1e', '1.', '.5', 'x1', '1x', '1e5e5'])(
    'refuses %s as not JSON number syntax',
    (text) => {
      expect(() => checkNumber(text)).toThrow(NumberNotStorableError);
      expect(() => checkNumber(text)).toThrow('a number is not in JSON number syntax');
    },
  );
});

describe('key templates: spelling', () => {
  it('says what a spec must look like', () => {
    for (const spec of ['pk', '=pk={id}', ':N={id}', ' ={id}'])
      expect(() => parseKeySpec(spec), spec).toThrow(
        'expected <attribute>=<template> or <attribute>:N=<template>',
      );
  });

  it('trims the attribute and placeholder names, and keeps text after the last placeholder', () => {
    const spec = parseKeySpec(' sk :N= { ts } ');
    expect(spec).toMatchObject({ attribute: 'sk', type: 'N' });
    expect(toItem('{"ts":12}', coordinates, options('pk={ts}', ' sk :N={ ts }')).sk).toEqual(
      new NumberValue('12'),
    );
    expect(toItem('{"id":"a"}', coordinates, options('pk={id}#x')).pk).toBe('a#x');
    expect(toItem('{"id":"a"}', coordinates, options('pk=x#{ $stream }/{id}:')).pk).toBe('x#orders/a:');
  });

  it('lists the coordinates a template can name', () => {
    expect(() => parseKeySpec('pk={$shard}')).toThrow(
      'unknown coordinate {$shard}; known: {$stream} {$shardId} {$sequenceNumber} {$subSequenceNumber} ' +
        '{$partitionKey} {$approximateArrivalTimestamp}',
    );
  });
});

describe('key templates: values', () => {
  it('finds no field inside a string, a list, a number, or below null', () => {
    const record = '{"s":"str","l":[5],"n":5,"z":null,"b":true}';
    for (const path of ['s.length', 'l.0', 'l.length', 'n.value', 'z.x', 'b.x'])
      expect(() => toItem(record, coordinates, options(`pk={${path}}`)), path).toThrow(
        `the partition key field "${path}" is missing`,
      );
  });

  it('names what a non-scalar key field is', () => {
    expect(() => toItem('{"id":[1]}', coordinates, options('pk={id}'))).toThrow(
      'the partition key field "id" is a list, not a string, number or boolean',
    );
    expect(() => toItem('{"id":"a","t":{}}', coordinates, options('pk={id}', 'sk={t}'))).toThrow(
      'the sort key field "t" is an object, not a string, number or boolean',
    );
  });

  it.each(['12', '12.5', '1e5', '1e+10', '-3E-2', '100'])('accepts a number key rendered as %s', (text) => {
    const item = toItem(`{"id":"a","t":"${text}"}`, coordinates, options('pk={id}', 'sk:N={t}'));
    expect(item.sk).toEqual(new NumberValue(text));
  });

  it.each(['x1', '1x', '1.', '--1', '1e', '1e+', 'abc', '1.5.5'])(
    'refuses a number key rendered as %s, naming the key',
    (text) => {
      const run = () => toItem(`{"id":"a","t":"${text}"}`, coordinates, options('pk={id}', 'sk:N={t}'));
      expect(run).toThrow(KeyValueError);
      expect(run).toThrow('the sort key "sk" (type N) rendered to something that is not a number');
    },
  );

  it('refuses a number key DynamoDB cannot store', () => {
    expect(() => toItem('{"id":"a","t":"1e400"}', coordinates, options('pk={id}', 'sk:N={t}'))).toThrow(
      NumberNotStorableError,
    );
  });

  it('allows 2048 bytes in a partition key and 1024 in a sort key, counted in UTF-8', () => {
    const record = (pk: string, sk: string) => `{"pk":"${pk}","sk":"${sk}"}`;
    const o = options('id={pk}', 'at={sk}');
    expect(toItem(record('x'.repeat(2048), 'y'.repeat(1024)), coordinates, o).id).toHaveLength(2048);
    expect(() => toItem(record('x'.repeat(2049), 'y'), coordinates, o)).toThrow(
      'the partition key "id" is 2049 bytes; DynamoDB allows 2048',
    );
    expect(() => toItem(record('x', 'y'.repeat(1025)), coordinates, o)).toThrow(
      'the sort key "at" is 1025 bytes; DynamoDB allows 1024',
    );
    expect(() => toItem(record('x', 'é'.repeat(513)), coordinates, o)).toThrow('is 1026 bytes');
  });
});

describe('the whole item', () => {
  it('projects top-level fields, several fields of one map, and leaves out what is missing', () => {
    const item = toItem(
      '{"id":"a","top":1,"m":{"x":1,"y":{"z":2},"w":3},"n":null}',
      coordinates,
      options('pk={id}', undefined, {
        projection: [['top'], ['m', 'x'], ['m', 'y', 'z'], ['nope'], ['nope', 'deeper'], ['n', 'x']],
      }),
    );
    expect(plain(item)).toStrictEqual({
      top: { N: '1' },
      m: { x: { N: '1' }, y: { z: { N: '2' } } },
      pk: 'a',
    });
  });

  it('accepts a record field that already holds the same value as a key or metadata attribute', () => {
    const item = toItem('{"id":"a","pk":"a","_sub":2,"_stream":"orders"}', coordinates, {
      ...options('pk={id}'),
      metadata: { subSequenceNumber: '_sub', stream: '_stream' },
    });
    expect(plain(item)).toEqual({ id: 'a', pk: 'a', _sub: { N: '2' }, _stream: 'orders' });
  });

  it('refuses to change a field of the same name to another value or type, naming what was to be written', () => {
    expect(() =>
      toItem('{"id":"a","_sub":3}', coordinates, {
        ...options('pk={id}'),
        metadata: { subSequenceNumber: '_sub' },
      }),
    ).toThrow(
      'the record already has a top-level field "_sub" with another value, the name the metadata is written under',
    );
    // The number 5 and the key string "5" are not the same attribute value.
    expect(() => toItem('{"pk":5}', coordinates, options('pk={pk}'))).toThrow(
      'the record already has a top-level field "pk" with another value, the name the partition key is written under',
    );
    expect(() => toItem('{"id":"a","sk":true}', coordinates, options('pk={id}', 'sk={sk}'))).toThrow(
      'the record already has a top-level field "sk" with another value, the name the sort key is written under',
    );
  });

  it('writes only the metadata attributes that are named', () => {
    const item = toItem('{"id":"a"}', coordinates, {
      ...options('pk={id}'),
      metadata: { stream: undefined, approximateArrivalTimestamp: '_at', partitionKey: '_pk' },
    });
    expect(plain(item)).toStrictEqual({ id: 'a', pk: 'a', _at: { N: '1764000000000' }, _pk: 'p' });
  });
});
