import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AggregateInput,
  aggregate,
  deaggregate,
  KplInputError,
  type UserRecord,
} from '../../shared/kpl';

const MAGIC = [0xf3, 0x89, 0x9a, 0xc2];
const SEQ = '49590338271490256608559692538361571095921575989136588898';
const MAX_EHK = (2n ** 128n - 1n).toString();

// --- A tiny, independent protobuf writer for hand-built aggregates -------------------------------------------
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
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const bytesField = (field: number, content: ArrayLike<number>) => [
  ...tag(field, 2),
  ...varint(content.length),
  ...Array.from(content),
];
const stringField = (field: number, text: string) => bytesField(field, Buffer.from(text, 'utf8'));
const varintField = (field: number, value: number | bigint) => [...tag(field, 0), ...varint(value)];
const record = (
  pkIndex: number | null,
  ehkIndex: number | null,
  data: ArrayLike<number> | null,
  extra: number[] = [],
) =>
  bytesField(3, [
    ...(pkIndex === null ? [] : varintField(1, pkIndex)),
    ...(ehkIndex === null ? [] : varintField(2, ehkIndex)),
    ...(data === null ? [] : bytesField(3, data)),
    ...extra,
  ]);
/** magic | protobuf | md5(protobuf): a correctly framed blob, whatever the protobuf holds. */
const frame = (protobuf: ArrayLike<number>): Uint8Array => {
  const pb = Uint8Array.from(protobuf);
  return Uint8Array.from([...MAGIC, ...pb, ...createHash('md5').update(pb).digest()]);
};
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const input = (data: string | Uint8Array, extra: Partial<Parameters<typeof deaggregate>[0]> = {}) => ({
  data,
  partitionKey: 'outer-pk',
  sequenceNumber: SEQ,
  ...extra,
});
const expectPlain = (records: UserRecord[], bytes: Uint8Array) => {
  expect(records).toHaveLength(1);
  expect(records[0]!.aggregated).toBe(false);
  expect(records[0]!.subSequenceNumber).toBe(0);
  expect(records[0]!.partitionKey).toBe('outer-pk');
  expect(Buffer.from(records[0]!.data).equals(Buffer.from(bytes))).toBe(true);
};

describe('deaggregate: plain records', () => {
  it('returns a non-KPL record as one plain record with the input coordinates', () => {
    const records = deaggregate(
      input(Buffer.from('{"hello":"world"}').toString('base64'), {
        explicitHashKey: '12345',
        approximateArrivalTimestamp: 1_700_000_000.5,
      }),
    );
    expect(records).toEqual([
      {
        data: expect.any(Uint8Array),
        partitionKey: 'outer-pk',
        explicitHashKey: '12345',
        sequenceNumber: SEQ,
        subSequenceNumber: 0,
        aggregated: false,
        approximateArrivalTimestamp: 1_700_000_000.5,
      },
    ]);
    expect(text(records[0]!.data)).toBe('{"hello":"world"}');
  });

  it('omits optional fields the input does not have', () => {
    const [plain] = deaggregate(input('aGk='));
    expect(Object.keys(plain!).sort()).toEqual(
      ['aggregated', 'data', 'partitionKey', 'sequenceNumber', 'subSequenceNumber'].sort(),
    );
  });

  it('returns empty data as one plain record with empty data', () => {
    for (const data of ['', new Uint8Array(0)]) {
      const records = deaggregate(input(data));
      expectPlain(records, new Uint8Array(0));
    }
  });

  it('returns a Uint8Array input as a view of the same memory', () => {
    const backing = new Uint8Array(64).fill(7);
    const bytes = backing.subarray(10, 30);
    const [plain] = deaggregate(input(bytes));
    expect(plain!.data.buffer).toBe(backing.buffer);
    expect(plain!.data.byteOffset).toBe(10);
    expect(plain!.data.byteLength).toBe(20);
  });

  it('treats a blob shorter than magic + MD5 as plain, even with the magic', () => {
    for (let length = 4; length < 20; length++) {
      const bytes = Uint8Array.from([...MAGIC, ...new Array(length - 4).fill(0)]);
      expectPlain(deaggregate(input(bytes)), bytes);
    }
  });
});

describe('deaggregate: aggregated records', () => {
  const users: AggregateInput[] = [
    { data: 'first', partitionKey: 'alpha' },
    { data: 'second', partitionKey: 'beta', explicitHashKey: '42' },
    { data: 'third', partitionKey: 'alpha' },
    { data: new Uint8Array([0, 255, 1]), partitionKey: 'ünïcødé-🔑', explicitHashKey: MAX_EHK },
  ];

  it('yields every sub-record in order with its keys, sequence and sub-sequence numbers', () => {
    const [agg] = aggregate(users);
    const records = deaggregate(
      input(Buffer.from(agg!.data).toString('base64'), { approximateArrivalTimestamp: 1.25 }),
    );
    expect(
      records.map((r) => [r.partitionKey, r.explicitHashKey, r.subSequenceNumber, r.aggregated]),
    ).toEqual([
      ['alpha', undefined, 0, true],
      ['beta', '42', 1, true],
      ['alpha', undefined, 2, true],
      ['ünïcødé-🔑', MAX_EHK, 3, true],
    ]);
    expect(records.map((r) => Buffer.from(r.data).toString('latin1'))).toEqual([
      'first',
      'second',
      'third',
      '\u0000\u00ff\u0001',
    ]);
    for (const r of records) {
      expect(r.sequenceNumber).toBe(SEQ);
      expect(r.approximateArrivalTimestamp).toBe(1.25);
    }
  });

  it('gives a sub-record without explicit_hash_key_index NO explicitHashKey (not table[0])', () => {
    const pb = [
      ...stringField(1, 'pk-a'),
      ...stringField(2, '111'),
      ...stringField(2, '222'),
      ...record(0, 1, Buffer.from('with ehk 222')),
      ...record(0, null, Buffer.from('without ehk')),
      ...record(0, 0, Buffer.from('with ehk 111')),
    ];
    const records = deaggregate(input(frame(pb)));
    expect(records.map((r) => r.explicitHashKey)).toEqual(['222', undefined, '111']);
    expect('explicitHashKey' in records[1]!).toBe(false);
    expect(records.map((r) => r.subSequenceNumber)).toEqual([0, 1, 2]);
  });

  it('accepts tables after records, and repeated fields with last-one-wins semantics', () => {
    const pb = [
      ...record(1, null, Buffer.from('x'), [...varintField(1, 0), ...bytesField(3, Buffer.from('y'))]),
      ...stringField(1, 'zero'),
      ...stringField(1, 'one'),
    ];
    const [r] = deaggregate(input(frame(pb)));
    expect(r!.aggregated).toBe(true);
    expect(r!.partitionKey).toBe('zero');
    expect(text(r!.data)).toBe('y');
  });

  it('skips unknown fields of every wire type and tags, in both messages', () => {
    const unknowns = [
      ...varintField(9, 2n ** 63n),
      ...tag(10, 1),
      ...[1, 2, 3, 4, 5, 6, 7, 8],
      ...tag(11, 5),
      ...[1, 2, 3, 4],
      ...bytesField(12, [9, 9, 9]),
      // group 13 { varint field 1; nested group 2 { } }
      ...tag(13, 3),
      ...varintField(1, 5),
      ...tag(2, 3),
      ...tag(2, 4),
      ...tag(13, 4),
    ];
    const tagMessage = [...stringField(1, 'key'), ...stringField(2, 'value')];
    const pb = [
      ...unknowns,
      ...stringField(1, 'pk'),
      ...record(0, null, Buffer.from('payload'), [
        ...bytesField(4, tagMessage),
        ...bytesField(4, stringField(1, 'k')),
      ]),
      ...record(0, null, Buffer.from('more'), unknowns),
      ...unknowns,
    ];
    const records = deaggregate(input(frame(pb)));
    expect(records.map((r) => [r.aggregated, text(r.data)])).toEqual([
      [true, 'payload'],
      [true, 'more'],
    ]);
  });

  it('returns sub-record data as views into the decoded buffer, not copies', () => {
    const [agg] = aggregate(users);
    const backing = new Uint8Array(agg!.data.length + 100);
    backing.set(agg!.data, 50);
    const blob = backing.subarray(50, 50 + agg!.data.length);
    const records = deaggregate(input(blob));
    expect(records).toHaveLength(4);
    for (const r of records) {
      expect(r.data.buffer).toBe(backing.buffer);
      const offset = r.data.byteOffset - 50;
      expect(Buffer.from(blob.subarray(offset, offset + r.data.length)).equals(Buffer.from(r.data))).toBe(
        true,
      );
    }
    // Writing through the input shows through the view.
    const first = records[0]!;
    backing[first.data.byteOffset] = 'F'.charCodeAt(0);
    expect(text(first.data)).toBe('First');

    // From base64: all sub-records share the one decoded buffer.
    const fromBase64 = deaggregate(input(Buffer.from(agg!.data).toString('base64')));
    const buffers = new Set(fromBase64.map((r) => r.data.buffer));
    expect(buffers.size).toBe(1);
    const offsets = fromBase64.map((r) => r.data.byteOffset);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
  });
});

describe('deaggregate: bad blobs come back whole as one plain record', () => {
  const [good] = aggregate([
    { data: 'one', partitionKey: 'a' },
    { data: 'two', partitionKey: 'b' },
  ]);
  const goodBytes = good!.data;

  it('bad MD5', () => {
    const bytes = Uint8Array.from(goodBytes);
    bytes[bytes.length - 1]! ^= 1;
    expectPlain(deaggregate(input(bytes)), bytes);
    expectPlain(deaggregate(input(Buffer.from(bytes).toString('base64'))), bytes);
  });

  it('bad magic', () => {
    for (let i = 0; i < 4; i++) {
      const bytes = Uint8Array.from(goodBytes);
      bytes[i]! ^= 0x10;
      expectPlain(deaggregate(input(bytes)), bytes);
    }
  });

  it('truncated at any length', () => {
    for (let length = 0; length < goodBytes.length; length++) {
      const bytes = goodBytes.slice(0, length);
      expectPlain(deaggregate(input(bytes)), bytes);
    }
  });

  const malformed: Record<string, number[]> = {
    'no records': [...stringField(1, 'pk')],
    'empty protobuf': [],
    'truncated varint tag': [...stringField(1, 'pk'), ...record(0, null, [1]), 0x80],
    'varint longer than 10 bytes': [...stringField(1, 'pk'), ...tag(9, 0), ...new Array(10).fill(0xff), 0x01],
    'length beyond the message': [...stringField(1, 'pk'), ...tag(3, 2), 50, ...varintField(1, 0)],
    'data length beyond the record': [
      ...stringField(1, 'pk'),
      ...bytesField(3, [...varintField(1, 0), 0x1a, 9, 1]),
    ],
    'partition key index out of range': [...stringField(1, 'pk'), ...record(1, null, [1])],
    'explicit hash key index out of range': [
      ...stringField(1, 'pk'),
      ...stringField(2, '1'),
      ...record(0, 1, [1]),
    ],
    'explicit hash key index with an empty table': [...stringField(1, 'pk'), ...record(0, 0, [1])],
    'huge index': [...stringField(1, 'pk'), ...record(2 ** 40, null, [1])],
    'missing partition_key_index': [...stringField(1, 'pk'), ...record(null, null, [1])],
    'missing data': [...stringField(1, 'pk'), ...record(0, null, null)],
    'tag without its required key': [
      ...stringField(1, 'pk'),
      ...record(0, null, [1], bytesField(4, stringField(2, 'v'))),
    ],
    'tag value with the wrong wire type': [
      ...stringField(1, 'pk'),
      ...record(0, null, [1], bytesField(4, [...stringField(1, 'k'), ...varintField(2, 1)])),
    ],
    'wrong wire type: table entry as varint': [...varintField(1, 3), ...record(0, null, [1])],
    'wrong wire type: records as varint': [...stringField(1, 'pk'), ...varintField(3, 1)],
    'wrong wire type: index as bytes': [
      ...stringField(1, 'pk'),
      ...bytesField(3, [...bytesField(1, [0]), ...bytesField(3, [1])]),
    ],
    'wrong wire type: data as varint': [
      ...stringField(1, 'pk'),
      ...bytesField(3, [...varintField(1, 0), ...varintField(3, 1)]),
    ],
    'field number 0': [...stringField(1, 'pk'), ...record(0, null, [1]), 0x02, 0x00],
    'stray end-group': [...stringField(1, 'pk'), ...record(0, null, [1]), ...tag(9, 4)],
    'unterminated group': [
      ...stringField(1, 'pk'),
      ...record(0, null, [1]),
      ...tag(9, 3),
      ...varintField(1, 1),
    ],
    'mismatched end-group': [...stringField(1, 'pk'), ...record(0, null, [1]), ...tag(9, 3), ...tag(8, 4)],
    'wire type 6': [...stringField(1, 'pk'), ...record(0, null, [1]), ...tag(9, 6)],
    'truncated fixed64': [...stringField(1, 'pk'), ...record(0, null, [1]), ...tag(9, 1), 1, 2, 3],
  };
  for (const [name, pb] of Object.entries(malformed)) {
    it(`well-framed but malformed protobuf: ${name}`, () => {
      const bytes = frame(pb);
      expectPlain(deaggregate(input(bytes)), bytes);
    });
  }

  it('groups nested deeper than 100 levels', () => {
    const open = Array.from({ length: 101 }, () => tag(9, 3)).flat();
    const close = Array.from({ length: 101 }, () => tag(9, 4)).flat();
    const deep = frame([...stringField(1, 'pk'), ...record(0, null, [1]), ...open, ...close]);
    expectPlain(deaggregate(input(deep)), deep);
    const ok = frame([...stringField(1, 'pk'), ...record(0, null, [1]), ...open.slice(1), ...close.slice(1)]);
    expect(deaggregate(input(ok))[0]!.aggregated).toBe(true);
  });
});

describe('deaggregate: base64 validation', () => {
  const bad: Record<string, string> = {
    'URL-safe minus': 'ab-d',
    'URL-safe underscore': 'ab_d',
    whitespace: 'aGVs bG8=',
    newline: 'aGVs\nbG8=',
    'padding in the middle': 'aGk=aGk=',
    'three padding characters': 'a===',
    'padding with a wrong length': 'aGk=a',
    'dangling single character': 'aGVsb',
    'non-ASCII': 'aGVsbG8é',
    asterisk: 'aGV*bG8=',
  };
  for (const [name, data] of Object.entries(bad)) {
    it(`throws KplInputError with coordinates for ${name}`, () => {
      let error: unknown;
      try {
        deaggregate(input(data, { partitionKey: 'pk-9' }));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KplInputError);
      const kpl = error as KplInputError;
      expect(kpl.name).toBe('KplInputError');
      expect(kpl.sequenceNumber).toBe(SEQ);
      expect(kpl.partitionKey).toBe('pk-9');
      expect(kpl.message).toContain(SEQ);
      expect(kpl.reason.length).toBeGreaterThan(0);
    });
  }

  it('names the offending character', () => {
    expect(() => deaggregate(input('ab-d'))).toThrow(/invalid character '-' at offset 2/);
  });

  it('accepts padded and unpadded standard base64', () => {
    for (const [data, expected] of [
      ['aGVsbG8=', 'hello'],
      ['aGVsbG8', 'hello'],
      ['aGk=', 'hi'],
      ['aGk', 'hi'],
      ['aA==', 'h'],
      ['aA', 'h'],
      ['+/+/', '\u00fb\u00ff\u00bf'],
    ] as const) {
      const [r] = deaggregate(input(data));
      expect(Buffer.from(r!.data).toString('latin1')).toBe(expected);
    }
  });

  it('throws TypeError for data that is neither a string nor bytes', () => {
    expect(() => deaggregate(input(42 as unknown as string))).toThrow(TypeError);
  });
});

describe('aggregate', () => {
  /** The accounted size of an aggregate: its data plus the UTF-8 bytes of its partition key. */
  const accounted = (agg: { data: Uint8Array; partitionKey: string }) =>
    agg.data.length + Buffer.byteLength(agg.partitionKey);

  it('routes by the first record and counts user records', () => {
    const [agg, ...rest] = aggregate([
      { data: 'a', partitionKey: 'first', explicitHashKey: '7' },
      { data: 'b', partitionKey: 'second', explicitHashKey: '8' },
    ]);
    expect(rest).toEqual([]);
    expect(agg).toMatchObject({ partitionKey: 'first', explicitHashKey: '7', userRecordCount: 2 });
    const [noEhk] = aggregate([
      { data: 'a', partitionKey: 'first' },
      { data: 'b', partitionKey: 'second', explicitHashKey: '8' },
    ]);
    expect('explicitHashKey' in noEhk!).toBe(false);
  });

  it('returns nothing for no records', () => {
    expect(aggregate([])).toEqual([]);
  });

  it('dedupes partition keys and explicit hash keys into the tables', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({
      data: `record ${i}`,
      partitionKey: i % 2 ? 'odd' : 'even',
      explicitHashKey: '340282366920938463463374607431768211455',
    }));
    const [agg] = aggregate(many);
    const table = Buffer.from(agg!.data).toString('latin1');
    expect(table.split('odd').length - 1).toBe(1);
    expect(table.split('even').length - 1).toBe(1);
    expect(table.split('340282366920938463463374607431768211455').length - 1).toBe(1);
    expect(deaggregate(input(agg!.data)).map((r) => text(r.data))).toEqual(many.map((m) => m.data));
  });

  it('encodes string data as UTF-8', () => {
    const [agg] = aggregate([{ data: 'héllo 🌍', partitionKey: 'k' }]);
    expect(text(deaggregate(input(agg!.data))[0]!.data)).toBe('héllo 🌍');
  });

  it('fits an aggregate of exactly maxBytes, and splits or throws one byte over', () => {
    const users = [
      { data: new Uint8Array(150).fill(1), partitionKey: 'key-one' },
      { data: new Uint8Array(300).fill(2), partitionKey: 'key-two', explicitHashKey: '99' },
      { data: new Uint8Array(129).fill(3), partitionKey: 'key-one' },
    ];
    const [whole] = aggregate(users);
    const exact = accounted(whole!);
    // Exactly maxBytes: one aggregate.
    const fits = aggregate(users, { maxBytes: exact });
    expect(fits).toHaveLength(1);
    expect(accounted(fits[0]!)).toBe(exact);
    // One byte less room: the last record moves to a second aggregate.
    const split = aggregate(users, { maxBytes: exact - 1 });
    expect(split.map((a) => a.userRecordCount)).toEqual([2, 1]);
    for (const a of split) expect(accounted(a)).toBeLessThanOrEqual(exact - 1);

    // A single record: exactly maxBytes fits, one byte over throws a RangeError naming it.
    const single = [{ data: new Uint8Array(1000), partitionKey: 'p' }];
    const alone = accounted(aggregate(single)[0]!);
    expect(aggregate(single, { maxBytes: alone })).toHaveLength(1);
    expect(() => aggregate([...users, ...single], { maxBytes: alone - 1 })).toThrow(RangeError);
    expect(() => aggregate([...users, ...single], { maxBytes: alone - 1 })).toThrow(
      `record 3 (1000 data bytes, 1 partition key bytes) needs ${alone} bytes alone, more than maxBytes ${alone - 1}`,
    );
  });

  it('sizes exactly across varint boundaries (every maxBytes from 200 to 700)', () => {
    for (let maxBytes = 200; maxBytes <= 700; maxBytes++) {
      // The largest single record that fits: its aggregate uses exactly maxBytes, or maxBytes - 1 when one
      // more data byte would grow a length varint by a byte (and so need maxBytes + 1).
      let low = 0;
      let high = maxBytes;
      while (low < high) {
        const mid = (low + high + 1) >> 1;
        try {
          aggregate([{ data: new Uint8Array(mid), partitionKey: 'pk' }], { maxBytes });
          low = mid;
        } catch {
          high = mid - 1;
        }
      }
      const [agg] = aggregate([{ data: new Uint8Array(low), partitionKey: 'pk' }], { maxBytes });
      const size = accounted(agg!);
      if (size !== maxBytes) {
        expect(size).toBe(maxBytes - 1);
        const [next] = aggregate([{ data: new Uint8Array(low + 1), partitionKey: 'pk' }]);
        expect(accounted(next!)).toBe(maxBytes + 1);
      }
    }
  });

  it('counts the aggregate partition key in UTF-8 bytes', () => {
    const pk = '🔑'.repeat(10); // 20 UTF-16 units, 40 bytes
    const users = [{ data: 'x'.repeat(300), partitionKey: pk }];
    const [agg] = aggregate(users);
    const size = accounted(agg!);
    expect(size).toBe(agg!.data.length + 40);
    expect(aggregate(users, { maxBytes: size })).toHaveLength(1);
    expect(() => aggregate(users, { maxBytes: size - 1 })).toThrow(RangeError);
  });

  it('defaults to 1 MiB and allows up to 10 MiB', () => {
    const big = { data: new Uint8Array(1_048_576), partitionKey: 'big' };
    expect(() => aggregate([big])).toThrow(/record 0/);
    const [agg] = aggregate([big], { maxBytes: 10_485_760 });
    expect(agg!.data.length).toBeGreaterThan(1_048_576);
    const halves = aggregate(
      [
        { data: new Uint8Array(600_000), partitionKey: 'a' },
        { data: new Uint8Array(600_000), partitionKey: 'a' },
      ],
      {},
    );
    expect(halves.map((a) => a.userRecordCount)).toEqual([1, 1]);
    for (const a of halves) expect(accounted(a)).toBeLessThanOrEqual(1_048_576);
  });

  it('validates maxBytes', () => {
    for (const maxBytes of [199, 10_485_761, 0, -1, 1000.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => aggregate([], { maxBytes })).toThrow(RangeError);
    }
    expect(aggregate([{ data: 'x', partitionKey: 'k' }], { maxBytes: 200 })).toHaveLength(1);
    expect(aggregate([{ data: 'x', partitionKey: 'k' }], { maxBytes: 10_485_760 })).toHaveLength(1);
  });

  it('validates partition keys, explicit hash keys and data with TypeError', () => {
    const bad: AggregateInput[] = [
      { data: 'x', partitionKey: '' },
      { data: 'x', partitionKey: 'k'.repeat(257) },
      { data: 'x', partitionKey: 'lone \ud800 surrogate' },
      { data: 'x', partitionKey: 42 as unknown as string },
      { data: 'x', partitionKey: 'k', explicitHashKey: '' },
      { data: 'x', partitionKey: 'k', explicitHashKey: '-1' },
      { data: 'x', partitionKey: 'k', explicitHashKey: '01' },
      { data: 'x', partitionKey: 'k', explicitHashKey: '1e3' },
      { data: 'x', partitionKey: 'k', explicitHashKey: ' 1' },
      { data: 'x', partitionKey: 'k', explicitHashKey: (2n ** 128n).toString() },
      { data: 'x', partitionKey: 'k', explicitHashKey: '9'.repeat(40) },
      { data: 42 as unknown as string, partitionKey: 'k' },
      { data: null as unknown as string, partitionKey: 'k' },
    ];
    for (const record of bad) {
      expect(() => aggregate([{ data: 'ok', partitionKey: 'ok' }, record]), JSON.stringify(record)).toThrow(
        /record 1/,
      );
      expect(() => aggregate([record])).toThrow(TypeError);
    }
    expect(() => aggregate([null as unknown as AggregateInput])).toThrow(TypeError);
    const ok = aggregate([
      { data: 'x', partitionKey: 'k'.repeat(256), explicitHashKey: MAX_EHK },
      { data: 'x', partitionKey: '🔑'.repeat(128), explicitHashKey: '0' },
    ]);
    expect(deaggregate(input(ok[0]!.data)).map((r) => r.explicitHashKey)).toEqual([MAX_EHK, '0']);
  });

  it('accepts any iterable, including a generator', () => {
    function* gen() {
      for (let i = 0; i < 3; i++) yield { data: `g${i}`, partitionKey: `k${i}` };
    }
    const [agg] = aggregate(gen());
    expect(deaggregate(input(agg!.data)).map((r) => text(r.data))).toEqual(['g0', 'g1', 'g2']);
  });
});
