/** Turns one decoded user record into its NDJSON line, or undefined when the filter drops it. Pure. */
import { matchesFilter, project } from '../../shared/kinesis/select';
import type { ConsumerRecord } from '../../shared/kinesis/types';
import type { KinesisToS3Config } from './config';

type Options = Pick<KinesisToS3Config, 'format' | 'projection' | 'filter' | 'includeMetadata'>;

function metadataOf({ coordinates }: ConsumerRecord<unknown>) {
  return {
    shardId: coordinates.shardId,
    sequenceNumber: coordinates.sequenceNumber,
    subSequenceNumber: coordinates.subSequenceNumber,
    partitionKey: coordinates.partitionKey,
    approximateArrivalTimestamp: coordinates.approximateArrivalTimestamp,
  };
}

export function toNdjsonLine(record: ConsumerRecord<unknown>, options: Options): string | undefined {
  let value: unknown;
  if (options.format === 'json') {
    if (options.filter && !matchesFilter(record.value, options.filter)) return undefined;
    value = project(record.value, options.projection);
  } else if (options.format === 'text') {
    value = { data: record.value };
  } else {
    value = {
      dataBase64: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString(
        'base64',
      ),
    };
  }
  if (options.includeMetadata) {
    value =
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? { ...value, _kinesis: metadataOf(record) }
        : { value, _kinesis: metadataOf(record) };
  }
  return JSON.stringify(value);
}
