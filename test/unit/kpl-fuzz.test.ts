/**
 * Fuzz and property tests for shared/kpl.
 *
 * - Raw mutations (byte flips, insertions, deletions, truncations) of valid aggregates: the MD5 no longer
 *   matches, so each must come back whole as one plain record.
 * - Re-framed mutations: the protobuf is mutated and the MD5 recomputed, so the decoder itself faces the
 *   garbage; its result is compared with a deliberately simple reference decoder written here (BigInt
 *   varints, recursive, no fast paths).
 * - Property: aggregate() of random records under random limits respects maxBytes, packs greedily and
 *   round-trips exactly through deaggregate().
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/lib/random';
import { type AggregateInput, aggregate, deaggregate, type UserRecord } from '../../shared/kpl';

const MAGIC = [0xf3, 0x89, 0x9a, 0xc2];
const SEQ = '1';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest();
const frame = (protobuf: Uint8Array): Uint8Array => {
  const out = new Uint8Array(protobuf.length + 20);
  out.set(MAGIC, 0);
  out.set(protobuf, 4);
  out.set(md5(protobuf), protobuf.length + 4);
  return out;
};
const bytesOf = (data: Uint8Array | string) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

// --- Reference decoder ---------------------------------------------------------------------------------------

class Malformed extends Error {}

interface RefRecord {
  pk: number;
  ehk: number | null;
  start: number;
  end: number;
}

/** Straightforward protobuf reader over bytes[pos, end), throwing Malformed on any problem. */
class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  varint(): bigint {
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed('truncated varint');
      const byte = this.bytes[this.pos++]!;
      result |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if ((byte & 0x80) === 0) return result;
    }
    throw new Malformed('varint too long');
  }

  tag(): { field: number; wire: number } {
    const tag = this.varint();
    if (tag > 0xffffffffn) throw new Malformed('tag too large');
    const field = Number(tag >> 3n);
    if (field === 0) throw new Malformed('field 0');
    return { field, wire: Number(tag & 7n) };
  }

  lengthDelimited(): [number, number] {
    const length = this.varint();
    if (length > BigInt(this.end - this.pos)) throw new Malformed('length past end');
    const start = this.pos;
    this.pos += Number(length);
    return [start, this.pos];
  }

  skip(field: number, wire: number, depth: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (this.end - this.pos < size) throw new Malformed('truncated fixed');
      this.pos += size;
    } else if (wire === 2) this.lengthDelimited();
    else if (wire === 3) {
      if (depth >= 100) throw new Malformed('groups too deep');
      for (;;) {
        if (this.pos >= this.end) throw new Malformed('unterminated group');
        const inner = this.tag();
        if (inner.wire === 4) {
          if (inner.field !== field) throw new Malformed('mismatched end group');
          return;
        }
        this.skip(inner.field, inner.wire, depth + 1);
      }
    } else throw new Malformed(`wire type ${wire}`);
  }
}

function refTag(bytes: Uint8Array, start: number, end: number): void {
  const reader = new Reader(bytes, start, end);
  let hasKey = false;
  while (reader.pos < end) {
    const { field, wire } = reader.tag();
    if ((field === 1 || field === 2) && wire !== 2) throw new Malformed('tag field wire type');
    if (field === 1) hasKey = true;
    reader.skip(field, wire, 0);
  }
  if (!hasKey) throw new Malformed('tag without key');
}

function refRecord(bytes: Uint8Array, start: number, end: number): RefRecord {
  const reader = new Reader(bytes, start, end);
  let pk: bigint | null = null;
  let ehk: bigint | null = null;
  let data: [number, number] | null = null;
  while (reader.pos < end) {
    const { field, wire } = reader.tag();
    if (field === 1 || field === 2) {
      if (wire !== 0) throw new Malformed('index wire type');
      const value = reader.varint();
      if (field === 1) pk = value;
      else ehk = value;
    } else if (field === 3 || field === 4) {
      if (wire !== 2) throw new Malformed('bytes wire type');
      const span = reader.lengthDelimited();
      if (field === 3) data = span;
      else refTag(bytes, span[0], span[1]);
    } else reader.skip(field, wire, 0);
  }
  if (pk === null || data === null) throw new Malformed('missing required field');
  // Indexes are range-checked later; anything this large cannot be in range.
  const clamp = (v: bigint) => (v > 0x7fffffffn ? Number.MAX_SAFE_INTEGER : Number(v));
  return { pk: clamp(pk), ehk: ehk === null ? null : clamp(ehk), start: data[0], end: data[1] };
}

/** The KCL's semantics, the simple way: null means "keep the blob whole as one plain record". */
function refDecode(blob: Uint8Array): { pk: string; ehk?: string; start: number; end: number }[] | null {
  if (blob.length < 20 || MAGIC.some((m, i) => blob[i] !== m)) return null;
  const end = blob.length - 16;
  if (!same(md5(blob.subarray(4, end)), blob.subarray(end))) return null;
  const pkTable: string[] = [];
  const ehkTable: string[] = [];
  const records: RefRecord[] = [];
  const decoder = new TextDecoder();
  try {
    const reader = new Reader(blob, 4, end);
    while (reader.pos < end) {
      const { field, wire } = reader.tag();
      if (field <= 3) {
        if (wire !== 2) throw new Malformed('top-level wire type');
        const [s, e] = reader.lengthDelimited();
        if (field === 1) pkTable.push(decoder.decode(blob.subarray(s, e)));
        else if (field === 2) ehkTable.push(decoder.decode(blob.subarray(s, e)));
        else records.push(refRecord(blob, s, e));
      } else reader.skip(field, wire, 0);
    }
  } catch (error) {
    if (error instanceof Malformed) return null;
    throw error;
  }
  if (records.length === 0) return null;
  if (records.some((r) => r.pk >= pkTable.length || (r.ehk !== null && r.ehk >= ehkTable.length)))
    return null;
  return records.map((r) => ({
    pk: pkTable[r.pk]!,
    ...(r.ehk === null ? {} : { ehk: ehkTable[r.ehk]! }),
    start: r.start,
    end: r.end,
  }));
}

// --- Corpus --------------------------------------------------------------------------------------------------

const varint = (value: number) => {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const field = (tag: number, content: ArrayLike<number>) => [
  tag,
  ...varint(content.length),
  ...Array.from(content),
];

function randomInputs(random: () => number, count: number): AggregateInput[] {
  const keys = ['a', 'bb', 'ключ', '🔑', 'k'.repeat(130), '7'];
  return Array.from({ length: count }, (_, i) => {
    const data = new Uint8Array(Math.floor(random() * 48));
    for (let j = 0; j < data.length; j++) data[j] = Math.floor(random() * 256);
    const input: AggregateInput = {
      data: random() < 0.2 ? `text-${i}-é` : data,
      partitionKey: random() < 0.5 ? keys[Math.floor(random() * keys.length)]! : `pk-${i}-${random()}`,
    };
    if (random() < 0.3) input.explicitHashKey = String(Math.floor(random() * 1e15));
    return input;
  });
}

interface Sample {
  blob: Uint8Array;
  inputs: AggregateInput[];
}

/** Valid aggregates: ours, plus hand-built ones with tags, unknown fields and tables after records. */
function corpus(random: () => number): Sample[] {
  const samples: Sample[] = [];
  for (let i = 0; i < 40; i++) {
    const inputs = randomInputs(random, 1 + Math.floor(random() * 12));
    const [agg] = aggregate(inputs, { maxBytes: 10_485_760 });
    samples.push({ blob: agg!.data, inputs });
  }
  for (let i = 0; i < 10; i++) {
    const datas = Array.from({ length: 1 + (i % 4) }, (_, j) => Buffer.from(`hand-${i}-${j}`));
    const tagMessage = [...field(0x0a, Buffer.from('tag-key')), ...field(0x12, Buffer.from('v'))];
    const records = datas.map((d, j) =>
      field(0x1a, [
        0x08,
        j % 2,
        ...(j === 1 ? [0x10, 0] : []),
        ...field(0x1a, d),
        ...field(0x22, tagMessage),
      ]),
    );
    const tables = [...field(0x0a, Buffer.from('pk-even')), ...field(0x0a, Buffer.from('pk-odd'))];
    const ehkTable = field(0x12, Buffer.from('12345'));
    const unknown = [0x48, 0x96, 0x01, 0x55, 1, 2, 3, 4]; // field 9 varint 150, field 10 fixed32
    const pb =
      i % 2
        ? [...records.flat(), ...unknown, ...tables, ...ehkTable]
        : [...tables, ...ehkTable, ...unknown, ...records.flat()];
    samples.push({
      blob: frame(Uint8Array.from(pb)),
      inputs: datas.map((d, j) => ({
        data: d,
        partitionKey: j % 2 ? 'pk-odd' : 'pk-even',
        ...(j === 1 ? { explicitHashKey: '12345' } : {}),
      })),
    });
  }
  return samples;
}

function mutate(random: () => number, source: Uint8Array): Uint8Array {
  let bytes = Array.from(source);
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) {
    const kind = random();
    const at = Math.floor(random() * (bytes.length + 1));
    if (kind < 0.4 && bytes.length > 0) {
      const i = Math.min(at, bytes.length - 1);
      bytes[i] = bytes[i]! ^ (1 + Math.floor(random() * 255));
    } else if (kind < 0.6) {
      // Insert a random byte, or a "structural" one (tags, continuation bytes, lengths).
      const interesting = [0x00, 0x08, 0x0a, 0x10, 0x12, 0x1a, 0x22, 0x7f, 0x80, 0xff, 0x0b, 0x0c, 0x0e];
      bytes.splice(
        at,
        0,
        random() < 0.5 ? Math.floor(random() * 256) : interesting[Math.floor(random() * 13)]!,
      );
    } else if (kind < 0.85 && bytes.length > 0) {
      bytes.splice(Math.min(at, bytes.length - 1), 1 + Math.floor(random() * 3));
    } else {
      bytes = bytes.slice(0, Math.floor(random() * bytes.length));
    }
  }
  return Uint8Array.from(bytes);
}

function expectRoundTrip(records: UserRecord[], inputs: AggregateInput[]): void {
  expect(records).toHaveLength(inputs.length);
  records.forEach((r, i) => {
    expect(r.aggregated).toBe(true);
    expect(r.subSequenceNumber).toBe(i);
    expect(r.partitionKey).toBe(inputs[i]!.partitionKey);
    expect(r.explicitHashKey).toBe(inputs[i]!.explicitHashKey);
    expect(same(r.data, bytesOf(inputs[i]!.data))).toBe(true);
  });
}

/** Compares deaggregate(blob) with the reference decoder; returns whether it decoded as an aggregate. */
function checkAgainstReference(blob: Uint8Array, viaBase64: boolean): boolean {
  const records = deaggregate({
    data: viaBase64 ? Buffer.from(blob).toString('base64') : blob,
    partitionKey: 'outer',
    sequenceNumber: SEQ,
  });
  expect(records.length).toBeGreaterThanOrEqual(1);
  const expected = refDecode(blob);
  if (expected === null) {
    if (records.length !== 1 || records[0]!.aggregated || !same(records[0]!.data, blob)) {
      throw new Error(`expected a plain record for ${Buffer.from(blob).toString('hex')}`);
    }
    expect(records[0]!.partitionKey).toBe('outer');
    return false;
  }
  const base = viaBase64 ? records[0]!.data.byteOffset - expected[0]!.start : 0;
  const ok =
    records.length === expected.length &&
    records.every((r, i) => {
      const e = expected[i]!;
      return (
        r.aggregated &&
        r.subSequenceNumber === i &&
        r.partitionKey === e.pk &&
        r.explicitHashKey === e.ehk &&
        'explicitHashKey' in r === (e.ehk !== undefined) &&
        same(r.data, blob.subarray(e.start, e.end)) &&
        (viaBase64 || (r.data.buffer === blob.buffer && r.data.byteOffset === blob.byteOffset + e.start)) &&
        (!viaBase64 || r.data.byteOffset - e.start === base)
      );
    });
  if (!ok) throw new Error(`mismatch with the reference decoder for ${Buffer.from(blob).toString('hex')}`);
  return true;
}

/**
 * Mutation runs (npm run mutate, mutation/setup-env.ts) set KPL_FUZZ_SCALE below 1: the random mutations and the
 * truncation lengths are then a sample, so that each of the decoder's hundreds of mutants runs in seconds.
 */
const SCALE = Number(process.env.KPL_FUZZ_SCALE ?? 1);
/** Every truncation length at full scale; every 5th at 0.05. */
const TRUNCATION_STEP = SCALE >= 1 ? 1 : Math.max(1, Math.round(1 / (4 * SCALE)));

describe('fuzz: deaggregate never throws, never drops bytes, agrees with a reference decoder', () => {
  const random = mulberry32(0x5eed);
  const samples = corpus(random);

  it('round-trips every valid corpus aggregate exactly', () => {
    for (const { blob, inputs } of samples) {
      expectRoundTrip(deaggregate({ data: blob, partitionKey: 'outer', sequenceNumber: SEQ }), inputs);
      expectRoundTrip(
        deaggregate({
          data: Buffer.from(blob).toString('base64'),
          partitionKey: 'outer',
          sequenceNumber: SEQ,
        }),
        inputs,
      );
      expect(checkAgainstReference(blob, false)).toBe(true);
    }
  });

  it('40,000 raw mutations and every truncation come back whole as one plain record', () => {
    let checked = 0;
    const plainCheck = (blob: Uint8Array, original: Sample) => {
      const records = deaggregate({ data: blob, partitionKey: 'outer', sequenceNumber: SEQ });
      if (same(blob, original.blob)) {
        expectRoundTrip(records, original.inputs);
      } else if (records.length !== 1 || records[0]!.aggregated || !same(records[0]!.data, blob)) {
        throw new Error(`expected one plain record for ${Buffer.from(blob).toString('hex')}`);
      }
      checked++;
    };
    for (let i = 0; i < 40_000 * SCALE; i++) {
      const sample = samples[Math.floor(random() * samples.length)]!;
      plainCheck(mutate(random, sample.blob), sample);
    }
    for (const sample of samples) {
      for (let length = 0; length < sample.blob.length; length += TRUNCATION_STEP)
        plainCheck(sample.blob.slice(0, length), sample);
    }
    expect(checked).toBeGreaterThan((10_000 + 40_000 * SCALE) / TRUNCATION_STEP);
  });

  it('60,000 re-framed protobuf mutations and every re-framed truncation match the reference decoder', () => {
    let mutations = 0;
    let aggregated = 0;
    for (let i = 0; i < 60_000 * SCALE; i++) {
      const sample = samples[Math.floor(random() * samples.length)]!;
      const protobuf = sample.blob.subarray(4, sample.blob.length - 16);
      if (checkAgainstReference(frame(mutate(random, protobuf)), i % 10 === 0)) aggregated++;
      mutations++;
    }
    let truncations = 0;
    for (const sample of samples) {
      const protobuf = sample.blob.subarray(4, sample.blob.length - 16);
      for (let length = 0; length <= protobuf.length; length += TRUNCATION_STEP) {
        checkAgainstReference(frame(protobuf.slice(0, length)), false);
        truncations++;
      }
    }
    expect(mutations).toBeGreaterThanOrEqual(60_000 * SCALE);
    expect(truncations).toBeGreaterThan(1_000 / TRUNCATION_STEP);
    // Both outcomes must be well represented among the mutations, or the fuzzer is not reaching the decoder.
    expect(aggregated).toBeGreaterThan(mutations / 20);
    expect(aggregated).toBeLessThan(mutations - mutations / 20);
  });
});

describe('property: aggregate -> deaggregate', () => {
  const partitionKey = fc.oneof(
    fc.string({ minLength: 1, maxLength: 16, unit: 'grapheme-ascii' }),
    fc.string({ minLength: 1, maxLength: 8, unit: 'binary' }),
    fc.constantFrom('a', 'b', '7', '🔑'),
  );
  const record = fc.record(
    {
      data: fc.oneof(fc.uint8Array({ maxLength: 150 }), fc.string({ maxLength: 40, unit: 'binary' })),
      partitionKey,
      // Mostly a few keys that repeat (an aggregate's key table holds each once), some drawn from the whole range.
      explicitHashKey: fc.oneof(
        fc.constantFrom('0', '7', '170141183460469231731687303715884105728', String(2n ** 128n - 1n)),
        fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map(String),
      ),
    },
    { requiredKeys: ['data', 'partitionKey'] },
  );
  const accounted = (a: { data: Uint8Array; partitionKey: string }) =>
    a.data.length + Buffer.byteLength(a.partitionKey);

  it('keeps every aggregate within maxBytes, packs greedily and gives back exactly the inputs in order', () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 80 }),
        fc.integer({ min: 400, max: 5_000 }),
        (inputs, maxBytes) => {
          const aggregates = aggregate(inputs, { maxBytes });
          let next = 0;
          aggregates.forEach((a, k) => {
            expect(accounted(a)).toBeLessThanOrEqual(maxBytes);
            const mine = inputs.slice(next, next + a.userRecordCount);
            expect(a.partitionKey).toBe(mine[0]!.partitionKey);
            expect(a.explicitHashKey).toBe(mine[0]!.explicitHashKey);
            expectRoundTrip(
              deaggregate({ data: a.data, partitionKey: a.partitionKey, sequenceNumber: SEQ }),
              mine,
            );
            next += a.userRecordCount;
            // Greedy: the next aggregate's first record would not have fitted in this one.
            if (k + 1 < aggregates.length) {
              const [grown] = aggregate([...mine, inputs[next]!], { maxBytes: 10_485_760 });
              expect(accounted(grown!)).toBeGreaterThan(maxBytes);
            }
          });
          expect(next).toBe(inputs.length);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  it('packs to the byte with repeated explicit hash keys: an aggregate of exactly maxBytes, none a byte over', () => {
    const inputs = Array.from({ length: 40 }, (_, i) => ({
      data: Buffer.alloc(30 + (i % 7), i),
      partitionKey: `pk-${i % 3}`,
      explicitHashKey: ['7', '170141183460469231731687303715884105728'][i % 2],
    }));
    const [whole, ...rest] = aggregate(inputs, { maxBytes: 10_485_760 });
    expect(rest).toHaveLength(0);
    const exact = accounted(whole!);
    // Exactly its size: still one aggregate, the same bytes.
    const [same, ...none] = aggregate(inputs, { maxBytes: exact });
    expect(none).toHaveLength(0);
    expect(Buffer.from(same!.data).equals(Buffer.from(whole!.data))).toBe(true);
    // A byte less: the last record moves to a second aggregate, and neither is over.
    const split = aggregate(inputs, { maxBytes: exact - 1 });
    expect(split.map((a) => a.userRecordCount)).toEqual([39, 1]);
    for (const a of split) expect(accounted(a)).toBeLessThanOrEqual(exact - 1);
  });
});
