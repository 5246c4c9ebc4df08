/**
 * Hand-written decoder for the KPL `AggregatedRecord` protobuf (internal; see ./index.ts for the contract).
 *
 * Linear time, bounds-checked, allocation-lean. Pass 1 (scanMessage) walks and validates the whole message,
 * noting each sub-record's (partition key index, explicit hash key index, data start, data end) and each
 * table string's bounds in reused Int32Arrays. Only when everything is valid are the table strings decoded
 * (once per aggregate) and the result objects built, so a bad blob never yields a partial result. Sub-record
 * data are views into the caller's bytes.
 *
 * Speed notes: the usual case (ASCII keys) decodes table strings with one latin1 slice per 32 KB and cuts
 * them out with substring(), instead of one native call per key; one-byte varints are read inline; the passes are
 * separate small functions (one big function running mostly in on-stack-replaced code kept deoptimising).
 */
import { isAscii } from 'node:buffer';
import type { UserRecord } from './index';
import { MAGIC, MAGIC_LENGTH, MD5_LENGTH, md5 } from './wire';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;
/** protobuf-java's default recursion limit, applied to nested unknown groups. */
const MAX_GROUP_DEPTH = 100;
/** The largest slot table kept between calls (ints); bigger ones serve one call and are dropped. */
const MAX_RETAINED_SLOTS = 1 << 18;
/** Per sub-record: partition key index, explicit hash key index (-1: none), data start, data end. */
const RECORD_SLOTS = 4;
/** Per table string: field (1 partition key, 2 explicit hash key), start, end. */
const KEY_SLOTS = 3;
/** Bytes of table strings decoded per latin1 slice (see decodeTables). */
const DECODE_WINDOW = 32 * 1024;

let recordSlots: Int32Array = new Int32Array(RECORD_SLOTS * 4096);
let keySlots: Int32Array = new Int32Array(KEY_SLOTS * 4096);

// Results of the last scanMessage (module variables, so the hot loop allocates nothing).
let scannedRecords = recordSlots;
let scannedKeys = keySlots;
let keyCount = 0;
let maxPkIndex = -1;
let maxEhkIndex = -1;
/** End position of the last varint read by readVarint. */
let varintEnd = 0;

/**
 * Reads the varint at `pos` and returns its value, setting `varintEnd`; returns -1 when it runs past `end` or
 * is longer than 10 bytes. Values beyond 2^53 lose precision, which is harmless: every value used is
 * range-checked against a length or table size far below that.
 */
function readVarint(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) return -1;
    const byte = buf[pos++]!;
    value |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      varintEnd = pos;
      return value;
    }
  }
  let multiplier = 0x10000000;
  for (let i = 4; i < 10; i++) {
    if (pos >= end) return -1;
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * multiplier;
    if (byte < 0x80) {
      varintEnd = pos;
      return value;
    }
    multiplier *= 128;
  }
  return -1;
}

/**
 * Skips one unknown field whose tag has just been read; returns the position after it, or -1 if malformed.
 * Groups (deprecated but legal) are skipped recursively up to MAX_GROUP_DEPTH.
 */
function skipField(
  buf: Uint8Array,
  pos: number,
  end: number,
  wire: number,
  field: number,
  depth: number,
): number {
  switch (wire) {
    case WIRE_VARINT:
      return readVarint(buf, pos, end) < 0 ? -1 : varintEnd;
    case WIRE_FIXED64:
      return end - pos >= 8 ? pos + 8 : -1;
    case WIRE_FIXED32:
      return end - pos >= 4 ? pos + 4 : -1;
    case WIRE_LENGTH_DELIMITED: {
      const length = readVarint(buf, pos, end);
      if (length < 0 || length > end - varintEnd) return -1;
      return varintEnd + length;
    }
    case WIRE_START_GROUP: {
      if (depth >= MAX_GROUP_DEPTH) return -1;
      while (pos < end) {
        const tag = readVarint(buf, pos, end);
        if (tag < 0 || tag > 0xffffffff) return -1;
        pos = varintEnd;
        const innerField = tag >>> 3;
        const innerWire = tag & 7;
        if (innerField === 0) return -1;
        if (innerWire === WIRE_END_GROUP) return innerField === field ? pos : -1;
        pos = skipField(buf, pos, end, innerWire, innerField, depth + 1);
        if (pos < 0) return -1;
      }
      return -1;
    }
    default:
      return -1; // a stray end-group, or wire types 6 and 7
  }
}

/** Validates a `Tag` message (1: required string key, 2: optional string value); tags are not returned. */
function validTag(buf: Uint8Array, pos: number, end: number): boolean {
  let hasKey = false;
  while (pos < end) {
    const tag = readVarint(buf, pos, end);
    if (tag < 0 || tag > 0xffffffff) return false;
    pos = varintEnd;
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) return false;
    if (field <= 2 && wire !== WIRE_LENGTH_DELIMITED) return false;
    if (field === 1) hasKey = true;
    pos = skipField(buf, pos, end, wire, field, 0);
    if (pos < 0) return false;
  }
  return hasKey;
}

/** True when `bytes` starts with the KPL magic and is long enough to hold magic + MD5. */
export function hasMagic(bytes: Uint8Array): boolean {
  return (
    bytes.length >= MAGIC_LENGTH + MD5_LENGTH &&
    bytes[0] === MAGIC[0] &&
    bytes[1] === MAGIC[1] &&
    bytes[2] === MAGIC[2] &&
    bytes[3] === MAGIC[3]
  );
}

/** True when the trailing 16 bytes are the MD5 of the protobuf bytes between magic and trailer. */
export function checksumMatches(bytes: Buffer): boolean {
  const end = bytes.length - MD5_LENGTH;
  const digest = md5(bytes.subarray(MAGIC_LENGTH, end));
  for (let i = 0; i < MD5_LENGTH; i++) {
    if (digest[i] !== bytes[end + i]) return false;
  }
  return true;
}

/**
 * Decodes the protobuf of an aggregate whose magic and checksum were checked. Returns its user records, or
 * null when the message is malformed (truncation, bad varint, wrong wire type for a known field, missing
 * required field, table index out of range) or holds no records: the caller then keeps the blob whole.
 */
export function decodeRecords(
  bytes: Buffer,
  sequenceNumber: string,
  approximateArrivalTimestamp: number | undefined,
): UserRecord[] | null {
  const count = scanMessage(bytes);
  const records = scannedRecords;
  const keys = scannedKeys;
  // Drop one-off oversized tables as soon as possible.
  scannedRecords = recordSlots;
  scannedKeys = keySlots;
  if (count <= 0) return null;
  const pkTable: string[] = [];
  const ehkTable: string[] = [];
  decodeTables(bytes, keys, pkTable, ehkTable);
  if (maxPkIndex >= pkTable.length || maxEhkIndex >= ehkTable.length) return null;
  return buildRecords(bytes, records, count, pkTable, ehkTable, sequenceNumber, approximateArrivalTimestamp);
}

/** Doubles a slot table, keeping it for later calls unless it exceeds MAX_RETAINED_SLOTS. */
function grow(table: Int32Array): Int32Array {
  const grown = new Int32Array(table.length * 2);
  grown.set(table);
  if (grown.length <= MAX_RETAINED_SLOTS) {
    if (table === recordSlots) recordSlots = grown;
    else if (table === keySlots) keySlots = grown;
  }
  return grown;
}

/**
 * Pass 1: walks and validates the whole message. Returns the sub-record count (0 for none) or -1 when the
 * message is malformed; leaves the slot tables and key statistics in the module variables above.
 */
function scanMessage(bytes: Buffer): number {
  const end = bytes.length - MD5_LENGTH;
  let records = recordSlots;
  let keys = keySlots;
  let count = 0;
  let keysFound = 0;
  let maxPk = -1;
  let maxEhk = -1;
  let pos = MAGIC_LENGTH;

  while (pos < end) {
    let tag = bytes[pos]!;
    if (tag < 0x80) {
      pos++;
    } else {
      tag = readVarint(bytes, pos, end);
      if (tag < 0 || tag > 0xffffffff) return -1;
      pos = varintEnd;
    }
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) return -1;
    if (field > 3) {
      pos = skipField(bytes, pos, end, wire, field, 0);
      if (pos < 0) return -1;
      continue;
    }
    if (wire !== WIRE_LENGTH_DELIMITED || pos >= end) return -1;
    let length = bytes[pos]!;
    if (length < 0x80) {
      pos++;
    } else {
      length = readVarint(bytes, pos, end);
      if (length < 0) return -1;
      pos = varintEnd;
    }
    if (length > end - pos) return -1;
    const stop = pos + length;

    if (field !== 3) {
      // 1: partition_key_table entry, 2: explicit_hash_key_table entry; decoded after the scan.
      const slot = keysFound * KEY_SLOTS;
      if (slot + KEY_SLOTS > keys.length) keys = grow(keys);
      keys[slot] = field;
      keys[slot + 1] = pos;
      keys[slot + 2] = stop;
      keysFound++;
      pos = stop;
      continue;
    }

    // 3: Record { 1: required uint64 partition_key_index, 2: optional uint64 explicit_hash_key_index,
    //             3: required bytes data, 4: repeated Tag tags }
    let pkIndex = -1;
    let ehkIndex = -1;
    let dataStart = -1;
    let dataEnd = -1;
    while (pos < stop) {
      let recordTag = bytes[pos]!;
      if (recordTag < 0x80) {
        pos++;
      } else {
        recordTag = readVarint(bytes, pos, stop);
        if (recordTag < 0 || recordTag > 0xffffffff) return -1;
        pos = varintEnd;
      }
      const recordField = recordTag >>> 3;
      const recordWire = recordTag & 7;
      if (recordField === 1 || recordField === 2) {
        if (recordWire !== WIRE_VARINT || pos >= stop) return -1;
        let index = bytes[pos]!;
        if (index < 0x80) {
          pos++;
        } else {
          index = readVarint(bytes, pos, stop);
          // An index >= 2^31 cannot address a table held in a buffer; -1 (bad varint) fails too.
          if (index < 0 || index > 0x7fffffff) return -1;
          pos = varintEnd;
        }
        if (recordField === 1) pkIndex = index;
        else ehkIndex = index;
      } else if (recordField === 3 || recordField === 4) {
        if (recordWire !== WIRE_LENGTH_DELIMITED || pos >= stop) return -1;
        let size = bytes[pos]!;
        if (size < 0x80) {
          pos++;
        } else {
          size = readVarint(bytes, pos, stop);
          if (size < 0) return -1;
          pos = varintEnd;
        }
        if (size > stop - pos) return -1;
        if (recordField === 3) {
          dataStart = pos;
          dataEnd = pos + size;
        } else if (!validTag(bytes, pos, pos + size)) {
          return -1;
        }
        pos += size;
      } else {
        if (recordField === 0) return -1;
        pos = skipField(bytes, pos, stop, recordWire, recordField, 0);
        if (pos < 0) return -1;
      }
    }
    if (pkIndex < 0 || dataStart < 0) return -1;
    if (pkIndex > maxPk) maxPk = pkIndex;
    if (ehkIndex > maxEhk) maxEhk = ehkIndex;
    const slot = count * RECORD_SLOTS;
    if (slot + RECORD_SLOTS > records.length) records = grow(records);
    records[slot] = pkIndex;
    records[slot + 1] = ehkIndex;
    records[slot + 2] = dataStart;
    records[slot + 3] = dataEnd;
    count++;
  }
  scannedRecords = records;
  scannedKeys = keys;
  keyCount = keysFound;
  maxPkIndex = maxPk;
  maxEhkIndex = maxEhk;
  return count;
}

/**
 * Decodes the table strings noted by scanMessage, in position order. Keys lying within a 32 KB window are
 * decoded with ONE latin1 slice of the window when it is all ASCII (the usual case), then cut out with
 * substring(): far cheaper than a native decode call per key. (Windows stay well below V8's large-object
 * threshold: one big slice of a whole table is several times slower.) Anything else is decoded per key as
 * UTF-8 (U+FFFD for malformed bytes, like protobuf-java).
 */
function decodeTables(bytes: Buffer, keys: Int32Array, pkTable: string[], ehkTable: string[]): void {
  let i = 0;
  while (i < keyCount) {
    const windowStart = keys[i * KEY_SLOTS + 1]!;
    let last = i;
    while (last + 1 < keyCount && keys[(last + 1) * KEY_SLOTS + 2]! - windowStart <= DECODE_WINDOW) last++;
    const windowEnd = keys[last * KEY_SLOTS + 2]!;
    const window =
      last > i && isAscii(bytes.subarray(windowStart, windowEnd))
        ? bytes.toString('latin1', windowStart, windowEnd)
        : null;
    for (; i <= last; i++) {
      const slot = i * KEY_SLOTS;
      const from = keys[slot + 1]!;
      const to = keys[slot + 2]!;
      const key =
        window !== null
          ? window.substring(from - windowStart, to - windowStart)
          : bytes.toString('utf8', from, to);
      if (keys[slot] === 1) pkTable.push(key);
      else ehkTable.push(key);
    }
  }
}

/** Pass 2: builds the result objects after a successful scan. */
function buildRecords(
  bytes: Buffer,
  records: Int32Array,
  count: number,
  pkTable: string[],
  ehkTable: string[],
  sequenceNumber: string,
  approximateArrivalTimestamp: number | undefined,
): UserRecord[] {
  const buffer = bytes.buffer;
  const offset = bytes.byteOffset;
  const result: UserRecord[] = [];
  for (let i = 0, slot = 0; i < count; i++, slot += RECORD_SLOTS) {
    const start = records[slot + 2]!;
    const data = new Uint8Array(buffer, offset + start, records[slot + 3]! - start);
    const partitionKey = pkTable[records[slot]!]!;
    const ehkIndex = records[slot + 1]!;
    // One object literal per shape keeps each shape stable; absent optional fields are absent, not undefined.
    if (ehkIndex < 0) {
      result.push(
        approximateArrivalTimestamp === undefined
          ? { data, partitionKey, sequenceNumber, subSequenceNumber: i, aggregated: true }
          : {
              data,
              partitionKey,
              sequenceNumber,
              subSequenceNumber: i,
              aggregated: true,
              approximateArrivalTimestamp,
            },
      );
    } else {
      const explicitHashKey = ehkTable[ehkIndex]!;
      result.push(
        approximateArrivalTimestamp === undefined
          ? { data, partitionKey, explicitHashKey, sequenceNumber, subSequenceNumber: i, aggregated: true }
          : {
              data,
              partitionKey,
              explicitHashKey,
              sequenceNumber,
              subSequenceNumber: i,
              aggregated: true,
              approximateArrivalTimestamp,
            },
      );
    }
  }
  return result;
}
