import { describe, expect, it } from 'vitest';
import type { RecordCoordinates, SinkItem } from '../../../shared/kinesis/types';
import { compileKeyTemplate, DEFAULT_KEY_TEMPLATE, recordPosition } from '../../../shared/sinks/key-template';
import { planObjects } from '../../../shared/sinks/s3-ndjson';

const at = (sequenceNumber: string, subSequenceNumber = 0): RecordCoordinates => ({
  stream: 'orders',
  shardId: 'shardId-000000000001',
  sequenceNumber,
  subSequenceNumber,
  partitionKey: 'pk',
  approximateArrivalTimestamp: Date.UTC(2026, 0, 2, 3, 4, 5),
});

describe('key template', () => {
  it('renders the default template from the first record arrival time and positions', () => {
    const key = compileKeyTemplate(DEFAULT_KEY_TEMPLATE)({
      prefix: 'data',
      ext: '.gz',
      first: at('100'),
      last: at('200', 3),
    });
    expect(key).toBe('data/2026/01/02/03/orders-shardId-000000000001-100-200_3.ndjson.gz');
  });

  it('drops a leading slash when the prefix is empty', () => {
    expect(
      compileKeyTemplate('{prefix}/{shardId}/{firstSeq}')({
        prefix: '',
        ext: '',
        first: at('1'),
        last: at('1'),
      }),
    ).toBe('shardId-000000000001/1');
  });

  it('rejects unknown tokens and templates that could collide', () => {
    expect(() => compileKeyTemplate('{prefix}/{yyyy}/{shard}/{firstSeq}')).toThrow(/unknown token \{shard\}/);
    expect(() => compileKeyTemplate('{prefix}/{yyyy}/{MM}.json')).toThrow(
      /must contain \{shardId\} and \{firstSeq\}/,
    );
  });

  it('positions are unique per user record', () => {
    expect(recordPosition(at('5'))).toBe('5');
    expect(recordPosition(at('5', 2))).toBe('5_2');
  });
});

describe('planObjects', () => {
  const items = (sizes: number[]): SinkItem<string>[] =>
    sizes.map((size, i) => ({ coordinates: at(String(i)), value: 'x'.repeat(size) }));
  const keyFor = (first: SinkItem<string>, last: SinkItem<string>) =>
    `${first.coordinates.sequenceNumber}-${last.coordinates.sequenceNumber}`;

  it('packs lines (plus newline) up to the cap exactly', () => {
    // 9 bytes per line with its newline: three fit in 27, the fourth starts a new object.
    expect(planObjects(items([8, 8, 8, 8]), 27, keyFor)).toEqual([
      { start: 0, end: 3, key: '0-2' },
      { start: 3, end: 4, key: '3-3' },
    ]);
  });

  it('gives a line larger than the cap an object of its own', () => {
    expect(planObjects(items([2, 100, 2]), 10, keyFor).map((o) => o.key)).toEqual(['0-0', '1-1', '2-2']);
  });

  it('counts bytes, not characters', () => {
    const multiByte: SinkItem<string>[] = [
      { coordinates: at('0'), value: 'é'.repeat(4) }, // 8 bytes + newline
      { coordinates: at('1'), value: 'a' },
    ];
    expect(planObjects(multiByte, 10, keyFor)).toHaveLength(2);
    expect(planObjects(multiByte, 11, keyFor)).toHaveLength(1);
  });

  it('plans nothing for no items', () => {
    expect(planObjects([], 10, keyFor)).toEqual([]);
  });
});
