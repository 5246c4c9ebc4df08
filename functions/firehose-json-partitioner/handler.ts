/**
 * firehose-json-partitioner: JSON records -> `metadata.partitionKeys` for Firehose dynamic partitioning, from
 * configured fields (dotted paths) and a time field formatted to a UTC pattern; newline-delimited output.
 * Invalid JSON or a missing field -> ProcessingFailed with the reason logged. See README.md.
 */
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import {
  type FirehoseInputRecord,
  ok,
  parseJsonLine,
  onOverflowFor,
  processFirehoseEvent,
  RecordRejectedError,
  type TransformOutcome,
} from '../../shared/firehose';
import { kitHandler } from '../../shared/middleware';
import { config, type JsonPartitionerConfig } from './config';
import { getPath, partitionValue, sanitizePartitionValue, toEpochMs } from './partition';

export function partitionRecord(
  record: FirehoseInputRecord,
  settings: JsonPartitionerConfig,
): TransformOutcome {
  const { value, text } = parseJsonLine(record.data);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RecordRejectedError('expected a JSON object');
  }
  const partitionKeys: Record<string, string> = {};
  for (const key of settings.keys) {
    const field = key.path.join('.');
    const found = partitionValue(getPath(value, key.path), field);
    if (found !== undefined) partitionKeys[key.name] = found;
    else if (settings.missingValue !== undefined) {
      partitionKeys[key.name] = sanitizePartitionValue(settings.missingValue);
    } else throw new RecordRejectedError(`field "${field}" is missing`);
  }
  let ms: number | string = record.approximateArrivalTimestamp;
  if (settings.timeField) {
    ms = toEpochMs(getPath(value, settings.timeField), settings.timeInput);
    if (typeof ms === 'string' && settings.timeFallback === 'arrival')
      ms = record.approximateArrivalTimestamp;
    if (typeof ms === 'string')
      throw new RecordRejectedError(`time field "${settings.timeField.join('.')}": ${ms}`);
  }
  partitionKeys[settings.timeKey] = settings.formatTime(ms);
  return ok(`${text}\n`, partitionKeys);
}

async function partitionJson(
  event: FirehoseTransformationEvent,
  context: Context,
): Promise<FirehoseTransformationResult> {
  const settings = config();
  return processFirehoseEvent(event, (record) => partitionRecord(record, settings), {
    lambdaContext: context,
    onOverflow: onOverflowFor(settings.overflow),
  });
}

export const handler = kitHandler(partitionJson, { config });
