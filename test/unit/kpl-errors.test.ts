/**
 * What aggregate() and deaggregate() say when the input is wrong: the exact messages name the record by index
 * and the rule it breaks (never its data), so a producer can find and fix it.
 */
import { describe, expect, it } from 'vitest';
import { type AggregateInput, aggregate, deaggregate } from '../../shared/kpl';

describe('KPL input errors', () => {
  it('names the record and the rule it breaks', () => {
    const ok = { data: 'x', partitionKey: 'k' };
    const cases: Array<[unknown, string]> = [
      [null, 'aggregate: record 1 is not an object'],
      ['text', 'aggregate: record 1 is not an object'],
      [
        { data: 'x', partitionKey: '' },
        'aggregate: record 1 partitionKey must be a string of 1 to 256 characters',
      ],
      [
        { data: 'x', partitionKey: 'k'.repeat(257) },
        'aggregate: record 1 partitionKey must be a string of 1 to 256 characters',
      ],
      [
        { data: 'x', partitionKey: 'a\udc00' },
        'aggregate: record 1 partitionKey holds a lone surrogate (not valid Unicode)',
      ],
      [
        { data: 'x', partitionKey: 'k', explicitHashKey: 7 },
        'aggregate: record 1 explicitHashKey must be a decimal integer from 0 to 2^128 - 1 without leading zeros',
      ],
      [
        { data: 'x', partitionKey: 'k', explicitHashKey: '340282366920938463463374607431768211456' },
        'aggregate: record 1 explicitHashKey must be a decimal integer from 0 to 2^128 - 1 without leading zeros',
      ],
      [{ data: [1, 2], partitionKey: 'k' }, 'aggregate: record 1 data must be a Uint8Array or a string'],
    ];
    for (const [record, message] of cases) {
      expect(() => aggregate([ok, record as AggregateInput]), message).toThrow(new TypeError(message));
    }
  });

  it('says what maxBytes may be', () => {
    for (const maxBytes of [199, 10_485_761, 1000.5]) {
      expect(() => aggregate([], { maxBytes })).toThrow(
        new RangeError(
          `aggregate: maxBytes must be an integer from 200 to 10485760 (10 MiB), got ${maxBytes}`,
        ),
      );
    }
  });

  it('accepts explicit hash keys up to 2^128 - 1 of any length, and refuses 39 digits above it', () => {
    for (const key of [
      '9',
      '99999999999999999999999999999999999999',
      '340282366920938463463374607431768211455',
    ]) {
      expect(aggregate([{ data: 'x', partitionKey: 'k', explicitHashKey: key }])[0]!.explicitHashKey).toBe(
        key,
      );
    }
    for (const key of ['340282366920938463463374607431768211456', '400000000000000000000000000000000000000'])
      expect(() => aggregate([{ data: 'x', partitionKey: 'k', explicitHashKey: key }])).toThrow(TypeError);
  });

  it('deaggregate refuses data that is neither base64 text nor bytes, by name', () => {
    expect(() =>
      deaggregate({ data: 42 as unknown as string, partitionKey: 'k', sequenceNumber: '1' }),
    ).toThrow(new TypeError('deaggregate: record.data must be a base64 string or a Uint8Array'));
  });
});
