/**
 * KPL aggregation (internal; see ./index.ts for the contract): greedy, order-preserving packing of user records
 * into aggregates sized exactly, byte for byte, before anything is encoded.
 */
import type { AggregatedRecord, AggregateInput } from './index';
import { FRAMING_LENGTH, MAGIC, MAGIC_LENGTH, md5, utf8Length, varintSize } from './wire';

export const DEFAULT_MAX_BYTES = 1_048_576;
export const MAX_MAX_BYTES = 10_485_760;
export const MIN_MAX_BYTES = 200;

const TAG_PARTITION_KEY_TABLE = 0x0a; // field 1, length-delimited
const TAG_EXPLICIT_HASH_KEY_TABLE = 0x12; // field 2, length-delimited
const TAG_RECORD = 0x1a; // field 3, length-delimited
const TAG_PARTITION_KEY_INDEX = 0x08; // Record field 1, varint
const TAG_EXPLICIT_HASH_KEY_INDEX = 0x10; // Record field 2, varint
const TAG_DATA = 0x1a; // Record field 3, length-delimited

const MAX_PARTITION_KEY_LENGTH = 256;
const MAX_HASH_KEY = '340282366920938463463374607431768211455'; // 2^128 - 1
const HASH_KEY_PATTERN = /^(?:0|[1-9][0-9]{0,38})$/;

/** Throws a RangeError unless `maxBytes` is an integer in [MIN_MAX_BYTES, MAX_MAX_BYTES]. */
export function checkMaxBytes(maxBytes: number): void {
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_MAX_BYTES || maxBytes > MAX_MAX_BYTES) {
    throw new RangeError(
      `aggregate: maxBytes must be an integer from ${MIN_MAX_BYTES} to ${MAX_MAX_BYTES} (10 MiB), got ${maxBytes}`,
    );
  }
}

function isHashKey(value: string): boolean {
  if (!HASH_KEY_PATTERN.test(value)) return false;
  return value.length < MAX_HASH_KEY.length || value <= MAX_HASH_KEY;
}

/** A string table (partition keys or explicit hash keys) of the aggregate being built. */
class KeyTable {
  readonly index = new Map<string, number>();
  readonly keys: string[] = [];
  readonly byteLengths: number[] = [];

  reset(): void {
    this.index.clear();
    this.keys.length = 0;
    this.byteLengths.length = 0;
  }
}

/** Size in the message of one table entry (tag + length varint + UTF-8 bytes). */
const entrySize = (byteLength: number) => 1 + varintSize(byteLength) + byteLength;

class Builder {
  readonly pk = new KeyTable();
  readonly ehk = new KeyTable();
  readonly data: Uint8Array[] = [];
  readonly pkIndexes: number[] = [];
  /** -1 for a record without an explicit hash key. */
  readonly ehkIndexes: number[] = [];
  /** Size of the protobuf message so far. */
  messageSize = 0;
  /** UTF-8 bytes of the aggregate's own partition key (the first record's), counted by Kinesis. */
  partitionKeyBytes = 0;
  explicitHashKey: string | undefined;

  get count(): number {
    return this.data.length;
  }

  /**
   * The aggregate's total accounted size if `data` were added (framing + message + aggregate partition key),
   * without adding it.
   */
  sizeWith(
    partitionKey: string,
    pkBytes: number,
    explicitHashKey: string | undefined,
    data: Uint8Array,
  ): number {
    let added = 0;
    let pkIndex = this.pk.index.get(partitionKey);
    if (pkIndex === undefined) {
      pkIndex = this.pk.keys.length;
      added += entrySize(pkBytes);
    }
    let inner = 1 + varintSize(pkIndex) + 1 + varintSize(data.length) + data.length;
    if (explicitHashKey !== undefined) {
      let ehkIndex = this.ehk.index.get(explicitHashKey);
      if (ehkIndex === undefined) {
        ehkIndex = this.ehk.keys.length;
        added += entrySize(explicitHashKey.length); // decimal digits: one byte each
      }
      inner += 1 + varintSize(ehkIndex);
    }
    added += 1 + varintSize(inner) + inner;
    const aggregatePkBytes = this.count === 0 ? pkBytes : this.partitionKeyBytes;
    return FRAMING_LENGTH + this.messageSize + added + aggregatePkBytes;
  }

  add(partitionKey: string, pkBytes: number, explicitHashKey: string | undefined, data: Uint8Array): void {
    if (this.count === 0) {
      this.partitionKeyBytes = pkBytes;
      this.explicitHashKey = explicitHashKey;
    }
    let pkIndex = this.pk.index.get(partitionKey);
    if (pkIndex === undefined) {
      pkIndex = this.pk.keys.length;
      this.pk.index.set(partitionKey, pkIndex);
      this.pk.keys.push(partitionKey);
      this.pk.byteLengths.push(pkBytes);
      this.messageSize += entrySize(pkBytes);
    }
    let inner = 1 + varintSize(pkIndex) + 1 + varintSize(data.length) + data.length;
    let ehkIndex = -1;
    if (explicitHashKey !== undefined) {
      const known = this.ehk.index.get(explicitHashKey);
      if (known === undefined) {
        ehkIndex = this.ehk.keys.length;
        this.ehk.index.set(explicitHashKey, ehkIndex);
        this.ehk.keys.push(explicitHashKey);
        this.ehk.byteLengths.push(explicitHashKey.length);
        this.messageSize += entrySize(explicitHashKey.length);
      } else {
        ehkIndex = known;
      }
      inner += 1 + varintSize(ehkIndex);
    }
    this.messageSize += 1 + varintSize(inner) + inner;
    this.data.push(data);
    this.pkIndexes.push(pkIndex);
    this.ehkIndexes.push(ehkIndex);
  }

  /** Encodes the pending records as one aggregate and resets the builder. */
  build(): AggregatedRecord {
    const total = FRAMING_LENGTH + this.messageSize;
    const out = new Uint8Array(total);
    const text = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    out.set(MAGIC, 0);
    let pos = MAGIC_LENGTH;
    const writeVarint = (value: number) => {
      while (value >= 0x80) {
        out[pos++] = (value & 0x7f) | 0x80;
        value = Math.floor(value / 128);
      }
      out[pos++] = value;
    };
    const writeTable = (tag: number, table: KeyTable) => {
      for (let i = 0; i < table.keys.length; i++) {
        const bytes = table.byteLengths[i]!;
        out[pos++] = tag;
        writeVarint(bytes);
        pos += text.write(table.keys[i]!, pos, bytes, 'utf8');
      }
    };
    writeTable(TAG_PARTITION_KEY_TABLE, this.pk);
    writeTable(TAG_EXPLICIT_HASH_KEY_TABLE, this.ehk);
    for (let i = 0; i < this.data.length; i++) {
      const data = this.data[i]!;
      const pkIndex = this.pkIndexes[i]!;
      const ehkIndex = this.ehkIndexes[i]!;
      let inner = 1 + varintSize(pkIndex) + 1 + varintSize(data.length) + data.length;
      if (ehkIndex >= 0) inner += 1 + varintSize(ehkIndex);
      out[pos++] = TAG_RECORD;
      writeVarint(inner);
      out[pos++] = TAG_PARTITION_KEY_INDEX;
      writeVarint(pkIndex);
      if (ehkIndex >= 0) {
        out[pos++] = TAG_EXPLICIT_HASH_KEY_INDEX;
        writeVarint(ehkIndex);
      }
      out[pos++] = TAG_DATA;
      writeVarint(data.length);
      out.set(data, pos);
      pos += data.length;
    }
    const messageEnd = MAGIC_LENGTH + this.messageSize;
    if (pos !== messageEnd) throw new Error(`aggregate: internal size mismatch (${pos} != ${messageEnd})`);
    out.set(md5(out.subarray(MAGIC_LENGTH, messageEnd)), messageEnd);

    const record: AggregatedRecord = {
      data: out,
      partitionKey: this.pk.keys[0]!,
      userRecordCount: this.data.length,
    };
    if (this.explicitHashKey !== undefined) record.explicitHashKey = this.explicitHashKey;
    this.pk.reset();
    this.ehk.reset();
    this.data.length = 0;
    this.pkIndexes.length = 0;
    this.ehkIndexes.length = 0;
    this.messageSize = 0;
    this.partitionKeyBytes = 0;
    this.explicitHashKey = undefined;
    return record;
  }
}

/** Packs `records` into aggregates of at most `maxBytes` each (see aggregate() in ./index.ts). */
export function aggregateRecords(records: Iterable<AggregateInput>, maxBytes: number): AggregatedRecord[] {
  const result: AggregatedRecord[] = [];
  const builder = new Builder();
  let index = 0;
  for (const record of records) {
    if (record === null || typeof record !== 'object') {
      throw new TypeError(`aggregate: record ${index} is not an object`);
    }
    const { partitionKey, explicitHashKey } = record;
    if (
      typeof partitionKey !== 'string' ||
      partitionKey.length < 1 ||
      partitionKey.length > MAX_PARTITION_KEY_LENGTH
    ) {
      throw new TypeError(
        `aggregate: record ${index} partitionKey must be a string of 1 to ${MAX_PARTITION_KEY_LENGTH} characters`,
      );
    }
    const pkBytes = utf8Length(partitionKey);
    if (pkBytes < 0) {
      throw new TypeError(
        `aggregate: record ${index} partitionKey holds a lone surrogate (not valid Unicode)`,
      );
    }
    if (
      explicitHashKey !== undefined &&
      (typeof explicitHashKey !== 'string' || !isHashKey(explicitHashKey))
    ) {
      throw new TypeError(
        `aggregate: record ${index} explicitHashKey must be a decimal integer from 0 to 2^128 - 1 without leading zeros`,
      );
    }
    const raw = record.data;
    let data: Uint8Array;
    if (typeof raw === 'string') data = Buffer.from(raw, 'utf8');
    else if (raw instanceof Uint8Array) data = raw;
    else throw new TypeError(`aggregate: record ${index} data must be a Uint8Array or a string`);

    let size = builder.sizeWith(partitionKey, pkBytes, explicitHashKey, data);
    if (size > maxBytes && builder.count > 0) {
      result.push(builder.build());
      size = builder.sizeWith(partitionKey, pkBytes, explicitHashKey, data);
    }
    if (size > maxBytes) {
      throw new RangeError(
        `aggregate: record ${index} (${data.length} data bytes, ${pkBytes} partition key bytes) needs ` +
          `${size} bytes alone, more than maxBytes ${maxBytes}`,
      );
    }
    builder.add(partitionKey, pkBytes, explicitHashKey, data);
    index++;
  }
  if (builder.count > 0) result.push(builder.build());
  return result;
}
