/**
 * One Firehose record from a Kinesis source -> newline-delimited lines: de-aggregates KPL blobs that still
 * arrive aggregated (shared/kpl), validates each user record (JSON or UTF-8 text) and optionally adds its
 * Kinesis coordinates to the line.
 */
import {
  decodeUtf8,
  type FirehoseInputRecord,
  ok,
  outputTooLarge,
  parseJsonLine,
  RecordRejectedError,
  type TransformOutcome,
} from '../../shared/firehose';
import { deaggregate, KplInputError, type UserRecord } from '../../shared/kpl';
import type { KinesisSourceConfig } from './config';

/** The coordinates added to a line, in the names Firehose uses in `kinesisRecordMetadata`. */
export interface LineMetadata {
  shardId: string;
  partitionKey: string;
  sequenceNumber: string;
  subsequenceNumber: string;
  approximateArrivalTimestamp: number;
}

/**
 * Kinesis's limit on a partition key: 256 characters (UTF-16 code units, as the API and the KPL count them). A
 * KPL aggregate names its keys in a table that any number of sub-records can point at, so with ADD_METADATA a
 * longer key (which no Kinesis producer can send) would be copied onto every line.
 */
export const MAX_PARTITION_KEY_CHARS = 256;

function userRecordsOf(record: FirehoseInputRecord, settings: KinesisSourceConfig): UserRecord[] {
  const meta = record.kinesisRecordMetadata;
  const parent = {
    data: record.data,
    partitionKey: meta?.partitionKey ?? '',
    sequenceNumber: meta?.sequenceNumber ?? '',
  };
  if (!settings.deaggregate) return [{ ...parent, subSequenceNumber: 0, aggregated: false }];
  try {
    return deaggregate(parent);
  } catch (error) {
    // Only thrown for base64 strings; we pass bytes, but keep the contract explicit.
    if (error instanceof KplInputError) throw new RecordRejectedError(`KPL input: ${error.reason}`);
    throw error;
  }
}

function metadataOf(record: FirehoseInputRecord, user: UserRecord): LineMetadata | undefined {
  const meta = record.kinesisRecordMetadata;
  if (!meta) return undefined;
  return {
    shardId: meta.shardId,
    // A KPL sub-record has its own partition key and its index as subsequence number.
    partitionKey: user.aggregated ? user.partitionKey : meta.partitionKey,
    sequenceNumber: meta.sequenceNumber,
    subsequenceNumber: user.aggregated ? String(user.subSequenceNumber) : meta.subsequenceNumber,
    approximateArrivalTimestamp: meta.approximateArrivalTimestamp,
  };
}

function line(data: Uint8Array, metadata: LineMetadata | undefined, settings: KinesisSourceConfig): string {
  const field = JSON.stringify(settings.metadataField);
  if (settings.inputFormat === 'text') {
    const text = decodeUtf8(data).replace(/\r?\n$/, '');
    if (!metadata) return `${text}\n`;
    return `{"data":${JSON.stringify(text)},${field}:${JSON.stringify(metadata)}}\n`;
  }
  const { value, text } = parseJsonLine(data);
  if (!metadata) return `${text}\n`;
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject) return `{"data":${text},${field}:${JSON.stringify(metadata)}}\n`;
  // Insert before the closing brace: the original text (and its number precision) stays as it was. If the
  // object already has the field, the added one comes last and wins in JSON parsers.
  const body = text.slice(0, -1).trimEnd();
  const separator = body.endsWith('{') ? '' : ',';
  return `${body}${separator}${field}:${JSON.stringify(metadata)}}\n`;
}

function checkPartitionKey(metadata: LineMetadata | undefined): void {
  const length = metadata?.partitionKey?.length ?? 0;
  if (length > MAX_PARTITION_KEY_CHARS) {
    throw new RecordRejectedError(
      `partition key of ${length} characters exceeds Kinesis's ${MAX_PARTITION_KEY_CHARS}`,
    );
  }
}

/**
 * The record's lines. With ADD_METADATA each line carries the coordinates, so a small aggregate of many tiny
 * sub-records expands many times over: the output stops being built once it passes `record.maxOutputBytes` (it
 * could not be answered Ok anyway) and the record is handled as an output that does not fit.
 */
export function transformKinesisSourced(
  record: FirehoseInputRecord,
  settings: KinesisSourceConfig,
): TransformOutcome {
  const users = userRecordsOf(record, settings);
  const maxBytes = record.maxOutputBytes ?? Number.POSITIVE_INFINITY;
  let out = '';
  for (const user of users) {
    const metadata = settings.addMetadata ? metadataOf(record, user) : undefined;
    try {
      checkPartitionKey(metadata);
      out += line(user.data, metadata, settings);
    } catch (error) {
      if (error instanceof RecordRejectedError && user.aggregated) {
        throw new RecordRejectedError(`KPL sub-record ${user.subSequenceNumber}: ${error.reason}`);
      }
      throw error;
    }
    // A string's length never exceeds its UTF-8 bytes: past maxBytes characters the output surely is too large.
    if (out.length > maxBytes) return outputTooLarge();
  }
  return ok(out);
}
