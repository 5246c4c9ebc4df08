/**
 * Cross-checks shared/kpl against the reference Node implementation, aws-kinesis-agg, in both directions:
 * our aggregates through its deaggregateSync, and its aggregates (RecordAggregator and aggregate()) through
 * our deaggregate. Known aws-kinesis-agg quirks are pinned down explicitly.
 */

import agg, {
  type AggInputRecord,
  type EncodedRecord,
  type UserRecord as TheirRecord,
} from 'aws-kinesis-agg';
import type { KinesisStreamRecordPayload } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/lib/random';
import { type AggregateInput, aggregate, deaggregate } from '../../shared/kpl';

const SEQ = '49590338271490256608559692538361571095921575989136588898';

/**
 * `integerLikeKeys: false` avoids keys that are JavaScript array indexes ('0' .. '4294967294'), which
 * aws-kinesis-agg's aggregator scrambles (see the pinned quirk below).
 */
function randomInputs(
  seed: number,
  count: number,
  maxData: number,
  integerLikeKeys = true,
): AggregateInput[] {
  const random = mulberry32(seed);
  const keys = [
    'alpha',
    'beta',
    'gämmä',
    '🔑-key',
    'k'.repeat(256),
    ...(integerLikeKeys ? ['7', '123'] : []),
  ];
  const hashKeys = [
    (2n ** 128n - 1n).toString(),
    '170141183460469231731687303715884105728',
    '4294967295',
    ...(integerLikeKeys ? ['0', '42'] : []),
  ];
  return Array.from({ length: count }, (_, i) => {
    const bytes = new Uint8Array(Math.floor(random() * maxData));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
    const record: AggregateInput = {
      // aws-kinesis-agg rejects empty data ("Record.Data field is mandatory" via !record.data on '').
      data: i % 3 === 0 ? `text ${i} ✓` : bytes.length > 0 ? bytes : new Uint8Array([i & 0xff]),
      partitionKey: random() < 0.5 ? keys[Math.floor(random() * keys.length)]! : `pk-${i}`,
    };
    if (random() < 0.4) record.explicitHashKey = hashKeys[Math.floor(random() * hashKeys.length)]!;
    return record;
  });
}

const bytesOf = (data: Uint8Array | string) =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : Buffer.from(data.buffer, data.byteOffset, data.length);

const payload = (data: Uint8Array | Buffer, partitionKey: string): KinesisStreamRecordPayload => ({
  data: Buffer.from(data).toString('base64'),
  partitionKey,
  sequenceNumber: SEQ,
  approximateArrivalTimestamp: 1_700_000_000,
  kinesisSchemaVersion: '1.0',
});

function theirDeaggregate(record: KinesisStreamRecordPayload): TheirRecord[] {
  let result: TheirRecord[] | undefined;
  let failure: Error | undefined;
  agg.deaggregateSync(record, true, (err, records) => {
    if (err) failure = err;
    else result = records;
  });
  if (failure) throw failure;
  return result!;
}

/** aws-kinesis-agg's RecordAggregator, driven synchronously (its callbacks fire inline). */
function theirAggregate(records: AggregateInput[]): EncodedRecord[] {
  const encoded: EncodedRecord[] = [];
  const aggregator = new agg.RecordAggregator();
  const inputs: AggInputRecord[] = records.map((r) => ({
    data: Buffer.from(bytesOf(r.data)),
    partitionKey: r.partitionKey,
    ...(r.explicitHashKey === undefined ? {} : { explicitHashKey: r.explicitHashKey }),
  }));
  aggregator.aggregateRecords(inputs, true, (err, record) => {
    if (err) throw err;
    encoded.push(record!);
  });
  return encoded;
}

describe('our aggregate -> aws-kinesis-agg deaggregateSync', () => {
  it('gives back the same records, keys and sub-sequence numbers', () => {
    for (const [seed, maxBytes] of [
      [1, 1_048_576],
      [2, 4_000],
      [3, 1_500],
    ] as const) {
      const inputs = randomInputs(seed, 300, 200);
      const aggregates = aggregate(inputs, { maxBytes });
      expect(aggregates.length).toBeGreaterThan(maxBytes < 10_000 ? 1 : 0);
      let next = 0;
      for (const a of aggregates) {
        const theirs = theirDeaggregate(payload(a.data, a.partitionKey));
        expect(theirs).toHaveLength(a.userRecordCount);
        // aws-kinesis-agg reports table[0] for records without an explicit hash key index: the first
        // explicit hash key in this aggregate (or undefined when its table is empty).
        const firstEhk = inputs
          .slice(next, next + a.userRecordCount)
          .find((r) => r.explicitHashKey)?.explicitHashKey;
        theirs.forEach((record, i) => {
          const original = inputs[next + i]!;
          expect(record.subSequenceNumber).toBe(i);
          expect(record.sequenceNumber).toBe(SEQ);
          expect(record.partitionKey).toBe(original.partitionKey);
          expect(Buffer.from(record.data, 'base64').equals(bytesOf(original.data))).toBe(true);
          expect(record.explicitPartitionKey).toBe(original.explicitHashKey ?? firstEhk);
        });
        next += a.userRecordCount;
      }
      expect(next).toBe(inputs.length);
    }
  });
});

describe('aws-kinesis-agg aggregation -> our deaggregate', () => {
  it('RecordAggregator aggregates decode to the same records (and no table[0] explicit hash keys)', () => {
    const inputs = randomInputs(7, 4_000, 1_500, false);
    const encoded = theirAggregate(inputs);
    expect(encoded.length).toBeGreaterThan(1);
    const ours = encoded.flatMap((e) => {
      const records = deaggregate({ data: e.data, partitionKey: e.partitionKey, sequenceNumber: SEQ });
      expect(records.every((r) => r.aggregated)).toBe(true);
      expect(records.map((r) => r.subSequenceNumber)).toEqual(records.map((_, i) => i));
      return records;
    });
    expect(ours).toHaveLength(inputs.length);
    ours.forEach((record, i) => {
      const original = inputs[i]!;
      expect(record.partitionKey).toBe(original.partitionKey);
      expect(record.explicitHashKey).toBe(original.explicitHashKey);
      expect('explicitHashKey' in record).toBe(original.explicitHashKey !== undefined);
      expect(Buffer.from(record.data).equals(bytesOf(original.data))).toBe(true);
    });
  });

  it('aggregate() (async queue API) output decodes from base64 as in a Lambda event', async () => {
    const inputs = randomInputs(8, 500, 5_000, false);
    const encoded: EncodedRecord[] = [];
    await new Promise<void>((resolve, reject) => {
      agg.aggregate(
        inputs.map((r) => ({ ...r, data: Buffer.from(bytesOf(r.data)) })),
        (record, done) => {
          encoded.push(record);
          done();
        },
        () => resolve(),
        (error) => reject(error),
      );
    });
    const ours = encoded.flatMap((e) =>
      deaggregate({
        data: Buffer.from(e.data).toString('base64'),
        partitionKey: e.partitionKey,
        sequenceNumber: SEQ,
      }),
    );
    expect(ours.map((r) => [r.partitionKey, r.explicitHashKey, Buffer.from(r.data).toString('hex')])).toEqual(
      inputs.map((r) => [r.partitionKey, r.explicitHashKey, bytesOf(r.data).toString('hex')]),
    );
  });
});

describe('aws-kinesis-agg quirks (pinned)', () => {
  it('its aggregator scrambles integer-like partition keys and explicit hash keys (Object.keys order)', () => {
    // Its key tables are plain objects: Object.keys() lists array-index keys ('7', '123') first, in numeric
    // order, while the indexes stored in the records follow insertion order.
    const inputs = [
      { data: 'a', partitionKey: 'user-x' },
      { data: 'b', partitionKey: '123' },
      { data: 'c', partitionKey: '7', explicitHashKey: (2n ** 100n).toString() },
      { data: 'd', partitionKey: '7', explicitHashKey: '42' },
    ];
    const [encoded] = theirAggregate(inputs);
    const decoded = deaggregate({ data: encoded!.data, partitionKey: 'x', sequenceNumber: SEQ });
    expect(decoded.map((r) => [Buffer.from(r.data).toString(), r.partitionKey, r.explicitHashKey])).toEqual([
      ['a', '7', undefined],
      ['b', '123', undefined],
      ['c', 'user-x', '42'],
      ['d', 'user-x', (2n ** 100n).toString()],
    ]);
    // Ours keeps insertion order.
    const [ours] = aggregate(inputs);
    const back = deaggregate({ data: ours!.data, partitionKey: 'x', sequenceNumber: SEQ });
    expect(back.map((r) => [r.partitionKey, r.explicitHashKey])).toEqual(
      inputs.map((r) => [r.partitionKey, r.explicitHashKey]),
    );
  });

  it('deaggregateSync reports table[0] as the explicit hash key of a record that has none', () => {
    const [a] = aggregate([
      { data: 'with', partitionKey: 'a', explicitHashKey: '12345' },
      { data: 'without', partitionKey: 'b' },
    ]);
    const theirs = theirDeaggregate(payload(a!.data, a!.partitionKey));
    expect(theirs.map((r) => r.explicitPartitionKey)).toEqual(['12345', '12345']);
    const ours = deaggregate({ data: a!.data, partitionKey: 'a', sequenceNumber: SEQ });
    expect(ours.map((r) => r.explicitHashKey)).toEqual(['12345', undefined]);
  });

  it('deaggregateSync fails the whole record on a bad checksum where we pass it through whole', () => {
    const [a] = aggregate([{ data: 'x', partitionKey: 'a' }]);
    const corrupt = Uint8Array.from(a!.data);
    corrupt[corrupt.length - 1]! ^= 0xff;
    expect(() => theirDeaggregate(payload(corrupt, 'a'))).toThrow(/Invalid record checksum/);
    const ours = deaggregate({ data: corrupt, partitionKey: 'a', sequenceNumber: SEQ });
    expect(ours).toHaveLength(1);
    expect(ours[0]!.aggregated).toBe(false);
    expect(Buffer.from(ours[0]!.data).equals(Buffer.from(corrupt))).toBe(true);
  });

  it('RecordAggregator takes the first record explicit hash key only, with a capitalised property', () => {
    const encoded = theirAggregate([
      { data: 'a', partitionKey: 'first' },
      { data: 'b', partitionKey: 'second', explicitHashKey: '5' },
    ]);
    expect(encoded[0]!.partitionKey).toBe('first');
    // It looks for any record with a key, then reads records[0]'s (undefined here) under `ExplicitHashKey`.
    expect('ExplicitHashKey' in encoded[0]!).toBe(false);
    const [ours] = aggregate([
      { data: 'a', partitionKey: 'first' },
      { data: 'b', partitionKey: 'second', explicitHashKey: '5' },
    ]);
    expect('explicitHashKey' in ours!).toBe(false);
  });
});
