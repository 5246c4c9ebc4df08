/**
 * Turns one decoded user record into its NDJSON line, or undefined when the filter drops it. Pure.
 *
 * Lossless: a JSON record is written from the text it arrived as (shared/kinesis/lossless.ts), never parsed and
 * printed again, so numbers, escapes, key order and duplicate keys reach S3 exactly as produced. With no
 * projection and no metadata the line is the record itself; `FIELDS` keeps the selected values' exact text;
 * metadata is appended as one more member.
 */
import {
  jsonLine,
  jsonLineBytes,
  projectText,
  RecordShapeError,
  withMember,
} from '../../shared/kinesis/lossless';
import { matchesFilter } from '../../shared/kinesis/select';
import type { ConsumerRecord } from '../../shared/kinesis/types';
import type { KinesisToS3Config } from './config';

type Options = Pick<KinesisToS3Config, 'format' | 'projection' | 'filter' | 'includeMetadata'> & {
  metadataField?: string;
};

function metadataJson({ coordinates }: ConsumerRecord<unknown>): string {
  return JSON.stringify({
    shardId: coordinates.shardId,
    sequenceNumber: coordinates.sequenceNumber,
    subSequenceNumber: coordinates.subSequenceNumber,
    partitionKey: coordinates.partitionKey,
    approximateArrivalTimestamp: coordinates.approximateArrivalTimestamp,
  });
}

/**
 * What the handler writes: for a JSON record written as it is (no FILTER, FIELDS or metadata, the default), the
 * record's own bytes (a view, see jsonLineBytes) without ever decoding them to a string: the runner has validated
 * them on the bytes, and the sink copies them into the object. Otherwise {@link toNdjsonLine}'s string. Both are
 * the same bytes for the same record.
 */
export function toNdjsonOutput(
  record: ConsumerRecord<unknown>,
  options: Options,
): string | Uint8Array | undefined {
  // `data` is the record's bytes whenever the runner calls (reading `text` here would decode them for nothing).
  if (
    options.format === 'json' &&
    !options.filter &&
    options.projection.length === 0 &&
    !options.includeMetadata &&
    record.data.length > 0
  ) {
    return jsonLineBytes(record.data);
  }
  return toNdjsonLine(record, options);
}

export function toNdjsonLine(record: ConsumerRecord<unknown>, options: Options): string | undefined {
  let line: string;
  if (options.format === 'json') {
    if (options.filter && !matchesFilter(record.value, options.filter)) return undefined;
    // The runner hands over the exact text that parsed; re-serialising is the fallback for callers without it.
    const text = record.text ?? JSON.stringify(record.value);
    if (options.projection.length === 0) line = jsonLine(text);
    else {
      const projected = projectText(text, options.projection);
      if (projected === undefined) {
        throw new RecordShapeError(
          record.value !== null && typeof record.value === 'object' && !Array.isArray(record.value)
            ? 'FIELDS selected nothing from the record (none of the paths exists in it)'
            : 'FIELDS selects from JSON objects, and the record is not one',
        );
      }
      line = projected;
    }
  } else if (options.format === 'text') {
    line = JSON.stringify({ data: record.value });
  } else {
    line = JSON.stringify({
      dataBase64: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString(
        'base64',
      ),
    });
  }
  if (!options.includeMetadata) return line;
  return withMember(line, options.metadataField ?? '_kinesis', metadataJson(record));
}
