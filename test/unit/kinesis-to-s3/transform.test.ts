import { describe, expect, it } from 'vitest';
import { toNdjsonLine, toNdjsonOutput } from '../../../functions/kinesis-to-s3/transform';
import { parseFieldFilter, parseProjection } from '../../../shared/kinesis/select';

const coordinates = {
  stream: 's',
  shardId: 'shardId-000000000000',
  sequenceNumber: '42',
  subSequenceNumber: 1,
  partitionKey: 'pk',
  approximateArrivalTimestamp: 1000,
};
const options = { format: 'json' as const, projection: [], filter: undefined, includeMetadata: false };

describe('toNdjsonLine', () => {
  it('writes JSON records on one line, even when they arrived pretty-printed', () => {
    const text = '{\n  "a": "line\\nbreak"\n}\n';
    expect(
      toNdjsonLine({ coordinates, data: new Uint8Array(), value: JSON.parse(text), text }, options),
    ).toBe('{   "a": "line\\nbreak" }');
  });

  it('filters, projects and adds metadata', () => {
    const settings = {
      ...options,
      projection: parseProjection(['id']),
      filter: parseFieldFilter('{"keep": [true]}'),
      includeMetadata: true,
    };
    expect(
      toNdjsonLine({ coordinates, data: new Uint8Array(), value: { id: 1, keep: false } }, settings),
    ).toBeUndefined();
    expect(
      JSON.parse(
        toNdjsonLine({ coordinates, data: new Uint8Array(), value: { id: 1, keep: true } }, settings)!,
      ),
    ).toEqual({
      id: 1,
      _kinesis: {
        shardId: 'shardId-000000000000',
        sequenceNumber: '42',
        subSequenceNumber: 1,
        partitionKey: 'pk',
        approximateArrivalTimestamp: 1000,
      },
    });
    expect(
      JSON.parse(
        toNdjsonLine(
          { coordinates, data: new Uint8Array(), value: 5 },
          { ...options, includeMetadata: true },
        )!,
      ).value,
    ).toBe(5);
  });

  it('wraps text and binary records', () => {
    expect(
      toNdjsonLine(
        { coordinates, data: new Uint8Array(), value: 'hi "there"' },
        { ...options, format: 'text' },
      ),
    ).toBe('{"data":"hi \\"there\\""}');
    const bytes = new Uint8Array([0, 255, 1]);
    expect(toNdjsonLine({ coordinates, data: bytes, value: bytes }, { ...options, format: 'binary' })).toBe(
      '{"dataBase64":"AP8B"}',
    );
  });
});

describe('FIELDS that select nothing', () => {
  const settings = { ...options, projection: parseProjection(['id']) };
  const line = (value: unknown) => () =>
    toNdjsonLine({ coordinates, data: new Uint8Array(), value, text: JSON.stringify(value) }, settings);

  it('say so when the record is an object without the fields', () => {
    expect(line({ other: 1 })).toThrow(
      'FIELDS selected nothing from the record (none of the paths exists in it)',
    );
  });

  it('say the record is not an object when it is null, an array, a number or a string', () => {
    for (const value of [null, [{ id: 1 }], 5, 'id']) {
      expect(line(value)).toThrow('FIELDS selects from JSON objects, and the record is not one');
    }
  });
});

describe('toNdjsonOutput', () => {
  it('wraps text and binary records as toNdjsonLine does, never as their raw bytes', () => {
    const text = Buffer.from('{"a":1}');
    expect(
      toNdjsonOutput(
        { coordinates, data: text, value: '{"a":1}', text: '{"a":1}' },
        { ...options, format: 'text' },
      ),
    ).toBe('{"data":"{\\"a\\":1}"}');
    expect(toNdjsonOutput({ coordinates, data: text, value: text }, { ...options, format: 'binary' })).toBe(
      `{"dataBase64":"${text.toString('base64')}"}`,
    );
  });

  it('writes a JSON record handed over without its bytes from its text', () => {
    expect(
      toNdjsonOutput({ coordinates, data: new Uint8Array(), value: { a: 1 }, text: '{"a": 1}' }, options),
    ).toBe('{"a": 1}');
  });
});
