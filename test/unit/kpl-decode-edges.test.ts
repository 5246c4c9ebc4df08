/**
 * KPL decoder edges that mutation testing showed unpinned (npm run mutate kpl): tables and record lists past
 * the 4,096 entries the decoder's slot tables start with, a Record field with a multi-byte tag, varints of
 * 6 to 10 bytes, longer than 10 bytes or cut short after 5.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aggregate, deaggregate, type UserRecord } from '../../shared/kpl';

const MAGIC = [0xf3, 0x89, 0x9a, 0xc2];
const SEQ = '49590338271490256608559692538361571095921575989136588898';

// An independent protobuf writer (as in kpl.test.ts).
const varint = (value: number | bigint): number[] => {
  let v = BigInt(value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
};
/** `value` as a varint padded to `size` bytes with continuation bytes (legal: protobuf readers accept it). */
const paddedVarint = (value: number, size: number): number[] => {
  const out = varint(value);
  while (out.length < size) {
    out[out.length - 1]! |= 0x80;
    out.push(0);
  }
  return out;
};
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const bytesField = (field: number, content: ArrayLike<number>) => [
  ...tag(field, 2),
  ...varint(content.length),
  ...Array.from(content),
];
const stringField = (field: number, text: string) => bytesField(field, Buffer.from(text, 'utf8'));
const varintField = (field: number, value: number | bigint) => [...tag(field, 0), ...varint(value)];
const frame = (protobuf: ArrayLike<number>): Uint8Array => {
  const pb = Uint8Array.from(protobuf);
  return Uint8Array.from([...MAGIC, ...pb, ...createHash('md5').update(pb).digest()]);
};
const decode = (data: Uint8Array) => deaggregate({ data, partitionKey: 'outer', sequenceNumber: SEQ });
const text = (r: UserRecord) => Buffer.from(r.data).toString('utf8');
const expectPlain = (records: UserRecord[], blob: Uint8Array) => {
  expect(records).toHaveLength(1);
  expect(records[0]!.aggregated).toBe(false);
  expect(Buffer.from(records[0]!.data).equals(Buffer.from(blob))).toBe(true);
};
/** One valid sub-record with data 'ok' after a partition key table of one key: the base of the varint cases. */
const withRecord = (recordBody: number[]) => frame([...stringField(1, 'pk'), ...bytesField(3, recordBody)]);

describe('tables and record lists past the initial 4,096 slots', () => {
  it('decodes 5,000 sub-records with 5,000 distinct partition keys and 5,000 explicit hash keys', () => {
    const inputs = Array.from({ length: 5_000 }, (_, i) => ({
      data: `d${i}`,
      partitionKey: `pk-${i}`,
      explicitHashKey: String(10n ** 30n + BigInt(i)),
    }));
    const [blob, more] = aggregate(inputs, { maxBytes: 10_485_760 });
    expect(more).toBeUndefined();
    const records = decode(blob!.data);
    expect(records).toHaveLength(5_000);
    expect(records.every((r) => r.aggregated)).toBe(true);
    for (const i of [0, 4_095, 4_096, 4_097, 4_999]) {
      expect([
        text(records[i]!),
        records[i]!.partitionKey,
        records[i]!.explicitHashKey,
        records[i]!.subSequenceNumber,
      ]).toEqual([`d${i}`, `pk-${i}`, inputs[i]!.explicitHashKey, i]);
    }
    expect(records.map(text)).toEqual(inputs.map((r) => r.data));
  });

  it('decodes 70,000 sub-records (a one-off table beyond the retained size), then small aggregates as before', () => {
    const many = Array.from({ length: 70_000 }, (_, i) => ({ data: String(i % 10), partitionKey: 'k' }));
    const [blob] = aggregate(many, { maxBytes: 10_485_760 });
    const records = decode(blob!.data);
    expect(records).toHaveLength(70_000);
    expect(records[69_999]!.subSequenceNumber).toBe(69_999);
    expect(text(records[69_999]!)).toBe('9');
    expect(text(records[65_536]!)).toBe('6');
    // The next, smaller aggregates decode on their own: nothing of the big one is left behind.
    for (const size of [3, 5_000]) {
      const small = Array.from({ length: size }, (_, i) => ({ data: `s${i}`, partitionKey: `q${i}` }));
      const again = decode(aggregate(small, { maxBytes: 10_485_760 })[0]!.data);
      expect(again.map((r) => [text(r), r.partitionKey])).toEqual(small.map((r) => [r.data, r.partitionKey]));
    }
  });
});

describe('multi-byte tags and long varints', () => {
  it('reads a Record field whose tag takes two bytes (known field, padded tag; unknown field 16)', () => {
    const records = decode(
      withRecord([
        ...paddedVarint(1 * 8 + 0, 2), // partition_key_index, tag in two bytes
        0,
        ...varintField(16, 5), // unknown field 16: tag 0x80 0x01
        ...bytesField(3, Buffer.from('ok')),
      ]),
    );
    expect(records.map((r) => [text(r), r.partitionKey, r.aggregated])).toEqual([['ok', 'pk', true]]);
  });

  it('reads a top-level field whose tag takes two bytes', () => {
    const records = decode(
      frame([
        ...paddedVarint(1 * 8 + 2, 2),
        2,
        ...Buffer.from('pk'),
        ...bytesField(3, [...varintField(1, 0), ...bytesField(3, [0x41])]),
      ]),
    );
    expect(records.map((r) => [text(r), r.partitionKey])).toEqual([['A', 'pk']]);
  });

  it('accepts varints of 6 to 10 bytes, in lengths, indexes and unknown fields', () => {
    for (const size of [5, 6, 7, 9, 10]) {
      const records = decode(
        frame([
          ...tag(1, 2),
          ...paddedVarint(2, size),
          ...Buffer.from('pk'),
          ...bytesField(3, [
            ...tag(1, 0),
            ...paddedVarint(0, size),
            ...tag(3, 2),
            ...paddedVarint(2, size),
            ...Buffer.from('ok'),
            ...tag(9, 0),
            ...paddedVarint(300, size),
          ]),
          ...tag(99, 0),
          ...paddedVarint(2 ** 40, size),
        ]),
      );
      expect(
        records.map((r) => [text(r), r.partitionKey]),
        `size ${size}`,
      ).toEqual([['ok', 'pk']]);
    }
    // A full 64-bit unknown varint (10 bytes) is skipped.
    const records = decode(
      withRecord([
        ...varintField(1, 0),
        ...bytesField(3, Buffer.from('ok')),
        ...varintField(7, 2n ** 64n - 1n),
      ]),
    );
    expect(records.map(text)).toEqual(['ok']);
  });

  it('refuses a varint longer than 10 bytes (the blob comes back whole)', () => {
    for (const where of ['length', 'index', 'unknown', 'tag'] as const) {
      const eleven = paddedVarint(0, 11);
      const body =
        where === 'index'
          ? [...tag(1, 0), ...eleven, ...bytesField(3, Buffer.from('ok'))]
          : where === 'unknown'
            ? [...varintField(1, 0), ...bytesField(3, Buffer.from('ok')), ...tag(9, 0), ...eleven]
            : where === 'tag'
              ? [...varintField(1, 0), ...bytesField(3, Buffer.from('ok')), ...paddedVarint(9 * 8, 11), 0]
              : [...varintField(1, 0), ...tag(3, 2), ...paddedVarint(2, 11), ...Buffer.from('ok')];
      const blob = withRecord(body);
      expectPlain(decode(blob), blob);
    }
    // At top level too.
    const top = frame([
      ...stringField(1, 'pk'),
      ...bytesField(3, [...varintField(1, 0), ...bytesField(3, [1])]),
      ...tag(20, 0),
      ...paddedVarint(1, 11),
    ]);
    expectPlain(decode(top), top);
  });

  it('refuses a varint cut short after 1 to 9 bytes', () => {
    for (const size of [1, 2, 5, 6, 9]) {
      const cut = Array.from({ length: size }, () => 0xff); // every byte says "more follows"
      const inRecord = withRecord([
        ...varintField(1, 0),
        ...bytesField(3, Buffer.from('ok')),
        ...tag(9, 0),
        ...cut,
      ]);
      expectPlain(decode(inRecord), inRecord);
      const atTop = frame([
        ...stringField(1, 'pk'),
        ...bytesField(3, [...varintField(1, 0), ...bytesField(3, [1])]),
        ...tag(20, 0),
        ...cut,
      ]);
      expectPlain(decode(atTop), atTop);
      const asLength = frame([...stringField(1, 'pk'), ...tag(3, 2), ...cut]);
      expectPlain(decode(asLength), asLength);
    }
  });

  it('refuses a tag of 2^32 and indexes of 2^31 - 1 and 2^31 (no table is that long)', () => {
    const bigTag = withRecord([
      ...varintField(1, 0),
      ...bytesField(3, Buffer.from('ok')),
      ...varint(2n ** 32n),
      0,
    ]);
    expectPlain(decode(bigTag), bigTag);
    const bigTopTag = frame([
      ...stringField(1, 'pk'),
      ...bytesField(3, [...varintField(1, 0), ...bytesField(3, [1])]),
      ...varint(2n ** 32n),
      0,
    ]);
    expectPlain(decode(bigTopTag), bigTopTag);
    for (const index of [2 ** 31 - 1, 2 ** 31]) {
      const blob = withRecord([...varintField(1, index), ...bytesField(3, Buffer.from('ok'))]);
      expectPlain(decode(blob), blob);
    }
  });
});

describe('malformed fields the decoder must refuse, and odd but valid ones it must accept', () => {
  const record = (body: number[]) => bytesField(3, body);
  const ok = [...varintField(1, 0), ...bytesField(3, Buffer.from('ok'))];
  const twoKeys = [...stringField(1, 'k0'), ...stringField(1, 'k1')];
  const plain = (protobuf: number[]) => {
    const blob = frame(protobuf);
    expectPlain(decode(blob), blob);
  };
  const records = (protobuf: number[]) =>
    decode(frame(protobuf)).map((r) => [r.aggregated, r.partitionKey, text(r)]);
  /** A tag of 2^32 + field * 8 + wire: what a reader keeping only 32 bits would take for a valid small tag. */
  const hugeTag = (field: number, wire: number) => varint(2n ** 32n + BigInt(field * 8 + wire));

  it('a tag of 2^32 or more, at top level, in a Record, in a Tag and in a group', () => {
    plain([...twoKeys, ...record(ok), ...hugeTag(5, 0), 1]);
    plain([...twoKeys, ...record([...ok, ...hugeTag(5, 0), 1])]);
    plain([...twoKeys, ...record([...ok, ...bytesField(4, [...stringField(1, 'k'), ...hugeTag(5, 0), 1])])]);
    plain([...twoKeys, ...record([...ok, ...tag(5, 3), ...hugeTag(6, 0), 1, ...tag(5, 4)])]);
  });

  it('field 0 anywhere, including inside a group and a Tag', () => {
    plain([...twoKeys, ...record([...ok, 0x00, 0x00])]);
    plain([...twoKeys, ...record([...ok, ...tag(5, 3), 0x00, 0x00, ...tag(5, 4)])]);
    plain([...twoKeys, ...record([...ok, ...bytesField(4, [...stringField(1, 'k'), 0x00, 0x00])])]);
  });

  it('a known field with the wrong wire type: index as bytes, data as a varint, Tag key as a varint', () => {
    plain([...twoKeys, ...record([...bytesField(1, [0]), ...bytesField(3, Buffer.from('ok'))])]);
    plain([...twoKeys, ...record([...varintField(1, 0), ...varintField(3, 5)])]);
    plain([...twoKeys, ...record([...ok, ...bytesField(4, [...varintField(1, 5)])])]);
    plain([...twoKeys, ...record([...ok, ...bytesField(4, [...stringField(1, 'k'), ...varintField(2, 5)])])]);
  });

  it('a field whose tag ends the Record or the message (no value follows)', () => {
    plain([...twoKeys, ...record([...bytesField(3, Buffer.from('ok')), ...tag(1, 0)])]);
    plain([...twoKeys, ...record([...varintField(1, 0), ...tag(3, 2)])]);
    plain([...twoKeys, ...record(ok), ...tag(1, 2)]);
  });

  it('a Record without partition_key_index or without data', () => {
    plain([...twoKeys, ...record([...bytesField(3, Buffer.from('ok'))])]);
    plain([...twoKeys, ...record([...varintField(1, 1)])]);
  });

  it('a malformed field inside a group or a Tag', () => {
    plain([...twoKeys, ...record([...ok, ...tag(5, 3), ...tag(6, 2), 9, 1, ...tag(5, 4)])]);
    plain([...twoKeys, ...record([...ok, ...bytesField(4, [...stringField(1, 'k'), ...tag(6, 2), 9, 1])])]);
    plain([...twoKeys, ...record([...ok, ...tag(5, 3), ...tag(6, 4)])]);
  });

  it('a valid Tag with a value and unknown fields of every wire type, and zero-valued varints', () => {
    const tagMessage = [
      ...stringField(1, 'k'),
      ...stringField(2, 'v'),
      ...varintField(3, 0),
      ...tag(4, 1),
      ...[1, 2, 3, 4, 5, 6, 7, 8],
      ...tag(5, 5),
      ...[1, 2, 3, 4],
      ...bytesField(6, []),
    ];
    expect(
      records([...twoKeys, ...record([...ok, ...bytesField(4, tagMessage), ...varintField(9, 0)])]),
    ).toEqual([[true, 'k0', 'ok']]);
  });

  it('lengths, sizes and indexes of 0 written in more than one byte', () => {
    const zero = paddedVarint(0, 2);
    expect(
      records([
        ...tag(1, 2),
        ...zero,
        ...stringField(1, 'k1'),
        ...record([...tag(1, 0), ...paddedVarint(1, 3), ...tag(3, 2), ...zero]),
        ...record([...tag(1, 0), ...zero, ...tag(3, 2), ...paddedVarint(1, 2), 0x41]),
      ]),
    ).toEqual([
      [true, 'k1', ''],
      [true, '', 'A'],
    ]);
  });

  it('a 10-byte varint keeps its top bits (2^56 is not 1)', () => {
    const index = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]; // 2^56
    plain([...twoKeys, ...record([...tag(1, 0), ...index, ...bytesField(3, Buffer.from('ok'))])]);
    plain([...twoKeys, ...record([...varintField(1, 0), ...tag(3, 2), ...index, 0x41])]);
  });

  it('a sub-record of an aggregate read without an arrival time has no approximateArrivalTimestamp key', () => {
    const [withEhk, without] = deaggregate({
      data: aggregate([
        { data: 'a', partitionKey: 'p', explicitHashKey: '7' },
        { data: 'b', partitionKey: 'p' },
      ])[0]!.data,
      partitionKey: 'outer',
      sequenceNumber: SEQ,
    });
    expect(Object.keys(withEhk!).sort()).toEqual(
      ['aggregated', 'data', 'explicitHashKey', 'partitionKey', 'sequenceNumber', 'subSequenceNumber'].sort(),
    );
    expect(Object.keys(without!).sort()).toEqual(
      ['aggregated', 'data', 'partitionKey', 'sequenceNumber', 'subSequenceNumber'].sort(),
    );
  });
});
