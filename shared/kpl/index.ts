/**
 * KPL (Kinesis Producer Library) record aggregation and de-aggregation, with zero runtime dependencies.
 *
 * Wire format (amazon-kinesis-producer, aggregation-format.md): magic `F3 89 9A C2` | protobuf
 * `AggregatedRecord` | 16-byte MD5 of the protobuf bytes only. `deaggregate` follows the KCL's semantics, not
 * the `aws-kinesis-agg` package's: a blob that is not a valid aggregate is passed through whole as one plain
 * record, never dropped and never thrown; a sub-record without an explicit hash key index has no explicit
 * hash key.
 *
 * @example
 * ```ts
 * import { aggregate, deaggregate } from '../shared/kpl';
 *
 * // Consumer (Lambda Kinesis event):
 * for (const eventRecord of event.Records) {
 *   const { data, partitionKey, sequenceNumber, approximateArrivalTimestamp } = eventRecord.kinesis;
 *   for (const userRecord of deaggregate({ data, partitionKey, sequenceNumber, approximateArrivalTimestamp })) {
 *     handle(userRecord.data, userRecord.partitionKey, userRecord.subSequenceNumber);
 *   }
 * }
 *
 * // Producer:
 * for (const agg of aggregate(items.map((item) => ({ data: JSON.stringify(item), partitionKey: item.id })))) {
 *   await kinesis.send(new PutRecordCommand({ StreamName, Data: agg.data, PartitionKey: agg.partitionKey,
 *     ExplicitHashKey: agg.explicitHashKey }));
 * }
 * ```
 * @module
 */
import { decodeBase64 } from './base64';
import { checksumMatches, decodeRecords, hasMagic } from './decode';
import { aggregateRecords, checkMaxBytes, DEFAULT_MAX_BYTES } from './encode';

/**
 * A Kinesis record as delivered to a consumer: in a Lambda event (`event.Records[i].kinesis`) `data` is the
 * base64 string; from GetRecords or a test it may already be bytes.
 *
 * @example
 * ```ts
 * const input: KinesisRecordInput = {
 *   data: 'aGVsbG8=', // base64, as in a Lambda event
 *   partitionKey: 'user-1',
 *   sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
 *   approximateArrivalTimestamp: 1_700_000_000.123,
 * };
 * ```
 */
export interface KinesisRecordInput {
  /** Record data: a base64 string (as in Lambda events) or the raw bytes. */
  data: string | Uint8Array;
  partitionKey: string;
  sequenceNumber: string;
  explicitHashKey?: string;
  /** Passed through unchanged to every user record (Lambda gives epoch seconds). */
  approximateArrivalTimestamp?: number;
}

/**
 * One user record: a sub-record of a KPL aggregate, or a plain (non-aggregated) Kinesis record.
 *
 * @example
 * ```ts
 * const [first]: UserRecord[] = deaggregate(input);
 * const text = new TextDecoder().decode(first.data);
 * const checkpoint = `${first.sequenceNumber}:${first.subSequenceNumber}`;
 * ```
 */
export interface UserRecord {
  /**
   * The user record's bytes: a view (no copy) into the decoded record data. Mind `byteOffset` /
   * `byteLength`: the underlying ArrayBuffer is shared with the other sub-records (and, for small base64
   * inputs, with Node's Buffer pool).
   */
  data: Uint8Array;
  /** The sub-record's partition key from the aggregate's table; for a plain record, the input's. */
  partitionKey: string;
  /**
   * The sub-record's explicit hash key, present only when the sub-record names one (for a plain record: when
   * the input has one). Absent means the effective hash key is MD5(UTF-8 partition key).
   */
  explicitHashKey?: string;
  /** The enclosing Kinesis record's sequence number (shared by all its sub-records). */
  sequenceNumber: string;
  /** 0-based index of the sub-record within its aggregate; 0 for a plain record. */
  subSequenceNumber: number;
  /** True for a sub-record of a valid KPL aggregate, false for a plain record. */
  aggregated: boolean;
  approximateArrivalTimestamp?: number;
}

/**
 * Thrown by {@link deaggregate} only when a record's `data` string is not valid base64, so a batch runner can
 * dead-letter that one record by its coordinates (`sequenceNumber`, `partitionKey`) instead of losing bytes.
 *
 * Accepted base64: the RFC 4648 standard alphabet (`A-Z a-z 0-9 + /`), padded with `=` to a multiple of 4
 * characters (as Lambda delivers it) or unpadded. Rejected: any other character (whitespace, the URL-safe
 * `-` and `_`, `=` before the end), more than two `=`, and a dangling single character. `Buffer.from(s,
 * 'base64')` would silently skip or stop at such characters and hand back fewer bytes.
 *
 * @example
 * ```ts
 * try {
 *   records.push(...deaggregate(input));
 * } catch (error) {
 *   if (!(error instanceof KplInputError)) throw error;
 *   deadLetter({ sequenceNumber: error.sequenceNumber, partitionKey: error.partitionKey, reason: error.reason });
 * }
 * ```
 */
export class KplInputError extends Error {
  override readonly name = 'KplInputError';
  /** Sequence number of the offending Kinesis record. */
  readonly sequenceNumber: string;
  /** Partition key of the offending Kinesis record. */
  readonly partitionKey: string;
  /** What is wrong, e.g. "invalid character '-' at offset 12" (the data itself is never included). */
  readonly reason: string;

  constructor(sequenceNumber: string, partitionKey: string, reason: string) {
    super(
      `Kinesis record ${sequenceNumber} (partition key ${partitionKey}): data is not valid base64: ${reason}`,
    );
    this.sequenceNumber = sequenceNumber;
    this.partitionKey = partitionKey;
    this.reason = reason;
  }
}

/**
 * Splits one Kinesis record into its user records, with the KCL's semantics:
 *
 * - a KPL aggregate (magic, valid MD5, valid protobuf with at least one record) yields one
 *   `aggregated: true` record per sub-record, in order, `subSequenceNumber` = index, `data` a view into the
 *   decoded bytes (no copy), `explicitHashKey` only for sub-records that carry an explicit hash key index;
 * - anything else (no magic, MD5 mismatch, truncated or malformed protobuf, table index out of range, missing
 *   required field, wrong wire type, zero sub-records, empty data) yields exactly ONE plain record
 *   (`aggregated: false`, `subSequenceNumber: 0`) with the whole original bytes and the input's partition
 *   key / explicit hash key. Nothing is dropped and a bad blob never throws.
 *
 * Unknown protobuf fields (e.g. `tags`) are skipped by wire type. Sub-records are not filtered by shard hash
 * range (the KCL does that for resharding; Lambda does not give the shard's range).
 *
 * @throws {@link KplInputError} only when `data` is a string that is not valid base64.
 * @example
 * ```ts
 * const records = deaggregate({ data: event.Records[0].kinesis.data, partitionKey: 'pk', sequenceNumber: '1' });
 * for (const { data, partitionKey, subSequenceNumber, aggregated } of records) {
 *   console.log(partitionKey, subSequenceNumber, aggregated, Buffer.from(data).toString('utf8'));
 * }
 * ```
 */
export function deaggregate(record: KinesisRecordInput): UserRecord[] {
  const { data, partitionKey, sequenceNumber, explicitHashKey, approximateArrivalTimestamp } = record;
  let bytes: Buffer;
  if (typeof data === 'string') {
    const decoded = decodeBase64(data);
    if (typeof decoded === 'string') throw new KplInputError(sequenceNumber, partitionKey, decoded);
    bytes = decoded;
  } else if (data instanceof Uint8Array) {
    bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  } else {
    throw new TypeError('deaggregate: record.data must be a base64 string or a Uint8Array');
  }

  if (hasMagic(bytes) && checksumMatches(bytes)) {
    const records = decodeRecords(bytes, sequenceNumber, approximateArrivalTimestamp);
    if (records !== null) return records;
  }
  const plain: UserRecord = {
    data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    partitionKey,
    sequenceNumber,
    subSequenceNumber: 0,
    aggregated: false,
  };
  if (explicitHashKey !== undefined) plain.explicitHashKey = explicitHashKey;
  if (approximateArrivalTimestamp !== undefined)
    plain.approximateArrivalTimestamp = approximateArrivalTimestamp;
  return [plain];
}

/**
 * One user record to aggregate. A string `data` is UTF-8 text (encoded like `TextEncoder`); bytes are used
 * as they are.
 *
 * @example
 * ```ts
 * const input: AggregateInput = { data: JSON.stringify({ id: 7 }), partitionKey: 'order-7' };
 * const routed: AggregateInput = { data: new Uint8Array([1, 2]), partitionKey: 'a', explicitHashKey: '0' };
 * ```
 */
export interface AggregateInput {
  data: Uint8Array | string;
  /** 1 to 256 characters (UTF-16 code units, as the KPL and the AWS SDK count them). */
  partitionKey: string;
  /** A decimal integer from 0 to 2^128 - 1, without leading zeros (the Kinesis API's format). */
  explicitHashKey?: string;
}

/**
 * One aggregate, ready for PutRecord / PutRecords.
 *
 * @example
 * ```ts
 * const [agg]: AggregatedRecord[] = aggregate(inputs);
 * await kinesis.send(new PutRecordCommand({ StreamName: 'orders', Data: agg.data,
 *   PartitionKey: agg.partitionKey, ExplicitHashKey: agg.explicitHashKey }));
 * ```
 */
export interface AggregatedRecord {
  /** Magic + protobuf + MD5: a complete KPL aggregated record. */
  data: Uint8Array;
  /** The first user record's partition key (routes the aggregate). */
  partitionKey: string;
  /** The first user record's explicit hash key, when it has one. */
  explicitHashKey?: string;
  /** Number of user records in this aggregate. */
  userRecordCount: number;
}

/**
 * Packs user records into KPL aggregates, in input order, greedily: a new aggregate starts when the next
 * record would not fit. Partition keys and explicit hash keys are deduplicated into the aggregate's tables.
 *
 * Sizing is exact to the byte (varint lengths included) and covers both limits Kinesis applies: each
 * aggregate's data (4 magic + protobuf + 16 MD5) plus its partition key's UTF-8 bytes is at most `maxBytes`.
 * `maxBytes` defaults to 1 MiB (1,048,576), the default Kinesis record limit, and may be set from 200 up to
 * 10 MiB (10,485,760) for streams configured for larger records.
 *
 * Routing: the aggregate's `partitionKey` (and `explicitHashKey`, if that record has one) is the FIRST user
 * record's, as the KPL does: the whole aggregate lands on the shard of its first record. The KPL additionally
 * groups records by predicted shard; this function does not know the shard map, so sub-records of one
 * aggregate may hash to other shards. That is harmless for Lambda consumers, but a KCL consumer drops
 * sub-records whose effective hash key falls outside its shard's range, so give records of one call keys of
 * the same shard (or one explicit hash key) when KCL consumers read the stream. Every aggregate is encoded
 * as an aggregate, even with a single user record (the KPL would send that one plain).
 *
 * @throws TypeError when a partition key is not 1..256 characters (or holds a lone surrogate), an explicit
 *   hash key is not a decimal 0..2^128-1, or data is neither a string nor a Uint8Array.
 * @throws RangeError when `maxBytes` is out of range or not an integer, or when one user record cannot fit
 *   in an aggregate of its own (the message names its index and size). Nothing is returned in that case.
 * @example
 * ```ts
 * const aggregates = aggregate(
 *   [
 *     { data: 'first', partitionKey: 'a' },
 *     { data: new Uint8Array([1, 2, 3]), partitionKey: 'b', explicitHashKey: '42' },
 *   ],
 *   { maxBytes: 1_048_576 },
 * );
 * // aggregates[0].userRecordCount === 2, aggregates[0].partitionKey === 'a'
 * ```
 */
export function aggregate(
  records: Iterable<AggregateInput>,
  options?: { maxBytes?: number },
): AggregatedRecord[] {
  const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
  checkMaxBytes(maxBytes);
  return aggregateRecords(records, maxBytes);
}
