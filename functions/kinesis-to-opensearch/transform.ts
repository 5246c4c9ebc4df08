/**
 * Turns one decoded JSON user record into its bulk document: the index (from the template and the record's time or
 * its arrival time), a deterministic `_id`, and the source line, which is the record's own text (bytes in = bytes
 * out: shared/kinesis/lossless.ts `jsonLine`, never re-serialised). Pure.
 */
import { jsonLine, RecordShapeError } from '../../shared/kinesis/lossless';
import type { ConsumerRecord } from '../../shared/kinesis/types';
import { type BulkDocument, documentId, MAX_ID_BYTES } from '../../shared/sinks/opensearch';
import type { KinesisToOpenSearchConfig } from './config';

type Options = Pick<KinesisToOpenSearchConfig, 'indexName' | 'timeField' | 'idField'>;

function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Epoch milliseconds from an ISO 8601 string or an epoch-milliseconds number; undefined when neither. */
function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function idOf(record: ConsumerRecord<unknown>, path: readonly string[]): string {
  const value = valueAt(record.value, path);
  const name = path.join('.');
  let id: string;
  if (typeof value === 'string') id = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) id = String(value);
  else {
    throw new RecordShapeError(
      value === undefined
        ? `the id field ${name} is missing`
        : `the id field ${name} must be a string or an integer up to 2^53 (got ${Array.isArray(value) ? 'array' : typeof value})`,
    );
  }
  if (id === '') throw new RecordShapeError(`the id field ${name} is empty`);
  if (Buffer.byteLength(id) > MAX_ID_BYTES) {
    throw new RecordShapeError(`the id field ${name} is over OpenSearch's ${MAX_ID_BYTES}-byte _id limit`);
  }
  return id;
}

export function toBulkDocument(record: ConsumerRecord<unknown>, options: Options): BulkDocument {
  const { value } = record;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RecordShapeError(
      `an OpenSearch document must be a JSON object (the record is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`})`,
    );
  }
  const text = record.text ?? JSON.stringify(value);
  const recordTime = options.timeField ? timeOf(valueAt(value, options.timeField)) : undefined;
  return {
    index: options.indexName(recordTime ?? record.coordinates.approximateArrivalTimestamp),
    id: options.idField ? idOf(record, options.idField) : documentId(record.coordinates),
    source: jsonLine(text),
  };
}
