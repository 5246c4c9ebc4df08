/**
 * Differential tests of shared/kpl's decoder against aws-kinesis-agg (protobufjs underneath) on mutated
 * aggregates: truncated, reordered, with oversized length fields, with unknown fields under long tags. Both
 * must agree on what is de-aggregated (same records, keys and data, in order) and on what is not (aws-kinesis-agg
 * fails the record, or finds no records or a key index past its table; ours then gives the blob back whole as one
 * plain record).
 *
 * Known, deliberate differences, pinned here and in kpl-compat.test.ts: a record without an explicit hash key
 * index gets none from us and table[0] from aws-kinesis-agg; an aggregate with no records is an empty list to
 * aws-kinesis-agg and one plain record to us (KCL semantics).
 */
import { createHash } from 'node:crypto';
import agg, { type UserRecord as TheirRecord } from 'aws-kinesis-agg';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/lib/random';
import { aggregate, deaggregate } from '../../shared/kpl';

const MAGIC = [0xf3, 0x89, 0x9a, 0xc2];
const SEQ = '49590338271490256608559692538361571095921575989136588898';

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
const frame = (protobuf: ArrayLike<number>): Uint8Array => {
  const pb = Uint8Array.from(protobuf);
  return Uint8Array.from([...MAGIC, ...pb, ...createHash('md5').update(pb).digest()]);
};
const protobufOf = (blob: Uint8Array) => Array.from(blob.subarray(4, blob.length - 16));

/** A field as written: its tag, its number, and its whole encoding (tag + payload). */
interface Field {
  number: number;
  wire: number;
  bytes: number[];
  /** Start of the payload (after tag and, for wire type 2, length) within `bytes`. */
  payloadAt: number;
}

function readVarint(bytes: number[], pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
    shift += 7;
  }
}

/** Splits a well-formed message (varint and length-delimited fields only, as aggregate() writes) into fields. */
function fields(bytes: number[]): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    const wire = tag & 7;
    let end: number;
    let payloadAt: number;
    if (wire === 0) {
      payloadAt = afterTag;
      end = readVarint(bytes, afterTag)[1];
    } else {
      const [length, afterLength] = readVarint(bytes, afterTag);
      payloadAt = afterLength;
      end = afterLength + length;
    }
    out.push({
      number: Math.floor(tag / 8),
      wire,
      bytes: bytes.slice(start, end),
      payloadAt: payloadAt - start,
    });
    pos = end;
  }
  return out;
}

const lengthDelimited = (number: number, content: number[]) => [
  ...varint(number * 8 + 2),
  ...varint(content.length),
  ...content,
];

function theirDeaggregate(blob: Uint8Array): TheirRecord[] | Error {
  let result: TheirRecord[] | Error = new Error('no callback');
  agg.deaggregateSync(
    {
      data: Buffer.from(blob).toString('base64'),
      partitionKey: 'outer',
      sequenceNumber: SEQ,
      approximateArrivalTimestamp: 1,
      kinesisSchemaVersion: '1.0',
    },
    true,
    (err, records) => {
      result = err ?? records!;
    },
  );
  return result;
}

type Outcome = 'plain' | { pk: string; ehk: string | undefined; data: string }[];

/** What aws-kinesis-agg de-aggregates; 'plain' when it fails, finds nothing, or a key index misses its table. */
function theirOutcome(blob: Uint8Array): Outcome {
  const records = theirDeaggregate(blob);
  if (records instanceof Error || records.length === 0) return 'plain';
  if (records.some((r) => r.partitionKey === undefined)) return 'plain';
  return records.map((r) => ({
    pk: r.partitionKey,
    ehk: r.explicitPartitionKey,
    data: Buffer.from(r.data, 'base64').toString('hex'),
  }));
}

function ourOutcome(blob: Uint8Array): Outcome {
  const records = deaggregate({ data: blob, partitionKey: 'outer', sequenceNumber: SEQ });
  if (records.length === 1 && !records[0]!.aggregated) {
    expect(Buffer.from(records[0]!.data).equals(Buffer.from(blob))).toBe(true);
    return 'plain';
  }
  expect(records.map((r) => r.subSequenceNumber)).toEqual(records.map((_, i) => i));
  return records.map((r) => ({
    pk: r.partitionKey,
    ehk: r.explicitHashKey,
    data: Buffer.from(r.data).toString('hex'),
  }));
}

/** Checks agreement and returns the outcome kind, so a test can assert both kinds were exercised. */
function expectAgreement(blob: Uint8Array, label: string): 'plain' | 'aggregated' {
  const theirs = theirOutcome(blob);
  const ours = ourOutcome(blob);
  if (theirs === 'plain' || ours === 'plain') {
    expect(ours, label).toBe(theirs);
    return 'plain';
  }
  // aws-kinesis-agg gives table[0] to a record without an explicit hash key index; we give none.
  const firstEhk = theirs.find((r, i) => ours[i]?.ehk !== undefined)?.ehk;
  expect(
    ours.map((r) => ({ ...r, ehk: r.ehk ?? firstEhk })),
    label,
  ).toEqual(
    theirs.map((r, i) =>
      ours[i]?.ehk === undefined ? { ...r, ehk: r.ehk === undefined ? undefined : firstEhk } : r,
    ),
  );
  return 'aggregated';
}

/** Base aggregates: one record; several with shared keys; explicit hash keys on all; on some. */
function bases(): Uint8Array[] {
  const random = mulberry32(0xd1ff);
  const sets = [
    [{ data: 'one', partitionKey: 'pk' }],
    Array.from({ length: 6 }, (_, i) => ({ data: `record-${i}`, partitionKey: `pk-${i % 3}` })),
    Array.from({ length: 5 }, (_, i) => ({
      data: Buffer.from([i, 0xff, 0x80]),
      partitionKey: `k${i}`,
      explicitHashKey: String(2n ** 127n + BigInt(i)),
    })),
    Array.from({ length: 8 }, (_, i) => ({
      data: 'x'.repeat(Math.floor(random() * 200)),
      partitionKey: `p${Math.floor(random() * 4)}`,
      ...(i % 2 === 0 ? {} : { explicitHashKey: String(i * 1000) }),
    })),
  ];
  return sets.map((inputs) => aggregate(inputs)[0]!.data);
}

describe('aws-kinesis-agg and ours agree on mutated aggregates', () => {
  it('the unmodified bases de-aggregate the same', () => {
    for (const blob of bases()) expect(expectAgreement(blob, 'base')).toBe('aggregated');
  });

  it('truncated protobuf (re-framed with a correct MD5), at every length', () => {
    const seen = new Set<string>();
    for (const blob of bases()) {
      const pb = protobufOf(blob);
      for (let length = 0; length < pb.length; length++)
        seen.add(expectAgreement(frame(pb.slice(0, length)), `cut at ${length}`));
    }
    expect([...seen].sort()).toEqual(['aggregated', 'plain']);
  });

  it('truncated blobs (not re-framed: the MD5 is then wrong)', () => {
    for (const blob of bases()) {
      for (let length = 20; length < blob.length; length += 7)
        expect(expectAgreement(blob.slice(0, length), `blob cut at ${length}`)).toBe('plain');
    }
  });

  it('top-level fields reordered (tables after records, records shuffled) and Record fields reordered', () => {
    const random = mulberry32(42);
    let checked = 0;
    for (const blob of bases()) {
      for (let round = 0; round < 25; round++) {
        const top = fields(protobufOf(blob)).map((f) => {
          if (f.number !== 3) return f.bytes;
          const inner = fields(f.bytes.slice(f.payloadAt));
          inner.sort(() => random() - 0.5);
          return lengthDelimited(
            3,
            inner.flatMap((g) => g.bytes),
          );
        });
        top.sort(() => random() - 0.5);
        expect(expectAgreement(frame(top.flat()), `round ${round}`)).toBe('aggregated');
        checked++;
      }
    }
    expect(checked).toBe(100);
  });

  it('a length field claiming more bytes than the message holds, at top level and in a Record', () => {
    let checked = 0;
    for (const blob of bases()) {
      const top = fields(protobufOf(blob));
      const total = top.reduce((n, f) => n + f.bytes.length, 0);
      let offset = 0;
      top.forEach((field, index) => {
        const before = top.slice(0, index).flatMap((f) => f.bytes);
        const after = top.slice(index + 1).flatMap((f) => f.bytes);
        const tagBytes = varint(field.number * 8 + field.wire);
        // What follows this field's length prefix, to the end of the message.
        const rest = total - offset - tagBytes.length - (field.payloadAt - tagBytes.length);
        for (const extra of [1, 1_000, 2 ** 31, 2 ** 40]) {
          const grown = [...tagBytes, ...varint(rest + extra), ...field.bytes.slice(field.payloadAt)];
          expect(expectAgreement(frame([...before, ...grown, ...after]), `field ${index} +${extra}`)).toBe(
            'plain',
          );
          checked++;
        }
        if (field.number === 3) {
          // The Record's data field (moved last in the Record) claims more than the whole message holds.
          const inner = fields(field.bytes.slice(field.payloadAt));
          const data = inner.find((g) => g.number === 3)!;
          const body = [
            ...inner.filter((g) => g !== data).flatMap((g) => g.bytes),
            ...varint(3 * 8 + 2),
            ...varint(total + 1),
            ...data.bytes.slice(data.payloadAt),
          ];
          expect(
            expectAgreement(frame([...before, ...lengthDelimited(3, body), ...after]), `record ${index}`),
          ).toBe('plain');
          checked++;
        }
        offset += field.bytes.length;
      });
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('pinned difference: a Record field running past the Record (but not the message) is read on by aws-kinesis-agg', () => {
    // protobufjs bounds a nested message's loop by its length but not the fields inside it: data that runs past
    // the Record's end is read from the following bytes. Ours (like protobuf-java) refuses the message.
    // Table ['p'], then Record { pk 0, data 'r0', then a data tag } claiming 7 bytes where its content is 6 + the
    // next Record's tag: aws-kinesis-agg reads the second data field's length (6) and bytes from the next Record.
    const blob = frame(Buffer.from('0a0170' + '1a07' + '08001a027230' + '1a' + '0608001a027231', 'hex'));
    const theirs = theirOutcome(blob);
    expect(theirs).toEqual([{ pk: 'p', ehk: undefined, data: '08001a027231' }]);
    expect(ourOutcome(blob)).toBe('plain');
  });

  it('unknown fields with long tags (field numbers up to 2^29 - 1, every wire type) anywhere', () => {
    const random = mulberry32(7);
    const unknown = (): number[] => {
      // Field 4 is known in a Record (its tags), so unknown numbers start at 5.
      const number = [5, 15, 16, 2_047, 2_048, 262_143, 262_144, 2 ** 29 - 1][Math.floor(random() * 8)]!;
      switch (Math.floor(random() * 4)) {
        case 0:
          return [...varint(number * 8), ...varint(BigInt(Math.floor(random() * 2 ** 32)) * 2n ** 31n)];
        case 1:
          return [...varint(number * 8 + 1), 1, 2, 3, 4, 5, 6, 7, 8];
        case 2:
          return lengthDelimited(
            number,
            Array.from({ length: Math.floor(random() * 300) }, (_, i) => i & 0xff),
          );
        default:
          return [...varint(number * 8 + 5), 9, 9, 9, 9];
      }
    };
    let checked = 0;
    for (const blob of bases()) {
      for (let round = 0; round < 25; round++) {
        const pb = fields(protobufOf(blob)).flatMap((f) => {
          const body =
            f.number === 3
              ? lengthDelimited(
                  3,
                  fields(f.bytes.slice(f.payloadAt)).flatMap((g) =>
                    random() < 0.5 ? [...unknown(), ...g.bytes] : [...g.bytes, ...unknown()],
                  ),
                )
              : f.bytes;
          return random() < 0.5 ? [...unknown(), ...body] : body;
        });
        expect(expectAgreement(frame([...pb, ...unknown()]), `round ${round}`)).toBe('aggregated');
        checked++;
      }
    }
    expect(checked).toBe(100);
  });

  it('pinned difference: an aggregate with no records', () => {
    const blob = frame(lengthDelimited(1, [...Buffer.from('pk')]));
    expect(theirDeaggregate(blob)).toEqual([]);
    expect(ourOutcome(blob)).toBe('plain');
  });
});
