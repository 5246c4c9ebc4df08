/**
 * shared/firehose: everything a Firehose data-transformation blueprint needs besides its own transform.
 *
 * - {@link processFirehoseEvent}: runs a per-record transform and returns the response Firehose expects, with
 *   every recordId once and in order, failures as ProcessingFailed with the original data, and the response
 *   kept under 6,000,000 bytes (overflow re-ingested or answered ProcessingFailed).
 * - {@link processFirehoseBytes}: the same for a transform that reads bytes in place and writes into a
 *   ByteWriter (the log blueprints' hot path).
 * - {@link ok} / {@link dropped} / {@link processingFailed} / {@link outputTooLarge}: the outcomes a transform
 *   returns.
 * - {@link RecordRejectedError} (and {@link InvalidUtf8Error}, {@link InvalidJsonError}): throw to reject one record.
 * - {@link decodeUtf8} / {@link parseJsonRecord}: strict decoding that rejects with a payload-free reason.
 * - {@link reingestHook} (./reingest): re-ingests overflow into the delivery stream (PutRecordBatch) or the
 *   source Kinesis stream (PutRecords), within the API limits, retrying only failed entries;
 *   {@link onOverflowFor} turns a blueprint's OVERFLOW setting (`reingest` | `processing-failed`) into `onOverflow`.
 *
 * @example
 * ```ts
 * import { kitHandler } from '../../shared/middleware';
 * import { decodeUtf8, ok, processFirehoseEvent } from '../../shared/firehose';
 *
 * export const handler = kitHandler(async (event: FirehoseTransformationEvent, context) =>
 *   processFirehoseEvent(event, (record) => ok(`${decodeUtf8(record.data).trim()}\n`), { lambdaContext: context }),
 * );
 * ```
 */
import type { PartitionMetadata, TransformOutcome } from './types';

export { decodeUtf8, encodeUtf8, parseJsonLine, parseJsonRecord } from './decode';
export { InvalidJsonError, InvalidUtf8Error, RecordRejectedError } from './errors';
export {
  FIREHOSE_PUT_LIMITS,
  KINESIS_PUT_LIMITS,
  type OverflowMode,
  onOverflowFor,
  type PutLimits,
  type PutOptions,
  type PutReport,
  putRecordsReliably,
  type ReingestEntry,
  type ReingestHookOptions,
  type ReingestTarget,
  reingestHook,
  targetFor,
} from './reingest';
export { entryBytes, MAX_RESPONSE_BYTES, maxOutputBytes, responseBytes } from './response-size';
export {
  type FirehoseRunSummary,
  type ProcessOptions,
  processFirehoseBytes,
  processFirehoseEvent,
  reasonOf,
  runFirehoseBytes,
  runFirehoseEvent,
} from './runner';
export type {
  BytesTransform,
  FirehoseInputRecord,
  FirehoseRecordMetadata,
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
  OverflowRecord,
  PartitionMetadata,
  RecordBytes,
  RecordTransform,
  ReingestContext,
  ReingestHook,
  TransformContext,
  TransformOutcome,
} from './types';

/**
 * Deliver `data` (bytes, or text sent as UTF-8), optionally with dynamic-partitioning keys.
 *
 * @example
 * ```ts
 * return ok(`${JSON.stringify(row)}\n`, { year: '2024', customer: 'acme' });
 * ```
 */
export function ok(data: Uint8Array | string, partitionKeys?: Record<string, string>): TransformOutcome {
  const metadata: PartitionMetadata | undefined = partitionKeys && { partitionKeys };
  return metadata ? { result: 'Ok', data, metadata } : { result: 'Ok', data };
}

/** Intentionally not delivered (counts as success). */
export function dropped(): TransformOutcome {
  return { result: 'Dropped' };
}

/** Sent to the error output prefix with its original data; `reason` is logged (never put payload in it). */
export function processingFailed(reason: string): TransformOutcome {
  return { result: 'ProcessingFailed', reason };
}

/**
 * The output would exceed `record.maxOutputBytes`: the transform stopped building it. The runner handles the record
 * as an output that does not fit (re-ingested, or ProcessingFailed with its original data).
 *
 * @example
 * ```ts
 * if (record.maxOutputBytes !== undefined && out.length > record.maxOutputBytes) return outputTooLarge();
 * ```
 */
export function outputTooLarge(): TransformOutcome {
  return { result: 'OutputTooLarge' };
}
