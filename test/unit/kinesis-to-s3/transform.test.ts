import { describe, expect, it } from 'vitest';
import { toNdjsonLine } from '../../../functions/kinesis-to-s3/transform';
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
