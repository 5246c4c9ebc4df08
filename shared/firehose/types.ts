/**
 * The vocabulary of a Firehose data-transformation Lambda, in AWS's own words (recordId, result, partitionKeys,
 * kinesisRecordMetadata). See https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html.
 */
import type { FirehoseRecordMetadata } from 'aws-lambda';
import type { ByteWriter } from '../logformats/bytes';

export type {
  FirehoseRecordMetadata,
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';

/** Dynamic-partitioning metadata Firehose reads from an Ok record (`!{partitionKeyFromLambda:<name>}`). */
export interface PartitionMetadata {
  partitionKeys: Record<string, string>;
}

/**
 * What a transform decides for one record.
 * - `Ok`: deliver `data` (bytes, or a string sent as UTF-8), optionally with partition keys.
 * - `Dropped`: intentionally not delivered (e.g. a CloudWatch Logs CONTROL_MESSAGE). Counts as success.
 * - `ProcessingFailed`: the record's ORIGINAL data goes to the error output prefix; `reason` is logged (it must
 *   not contain the payload).
 * - `OutputTooLarge`: the output would exceed the record's `maxOutputBytes`, so the transform stopped building it.
 *   The record is handled as an output that does not fit: re-ingested through the hook or answered
 *   ProcessingFailed with its original data.
 */
export type TransformOutcome =
  | { result: 'Ok'; data: Uint8Array | string; metadata?: PartitionMetadata }
  | { result: 'Dropped' }
  | { result: 'ProcessingFailed'; reason: string }
  | { result: 'OutputTooLarge' };

/** One record of the event, decoded once for the transform. */
export interface FirehoseInputRecord {
  recordId: string;
  /** The record's bytes (base64-decoded). Do not mutate: the runner may return them on failure. */
  data: Uint8Array;
  /** Epoch milliseconds at which Firehose received the record. */
  approximateArrivalTimestamp: number;
  /**
   * Present when the delivery stream reads from a Kinesis data stream: the record's coordinates in it. Firehose
   * has usually de-aggregated KPL records already (then `subsequenceNumber` tells sub-records apart).
   */
  kinesisRecordMetadata?: FirehoseRecordMetadata;
  /** 0-based position in the event. */
  index: number;
  /**
   * The largest output (bytes) the runner can still use for this record: the smaller of what a response holding
   * this record alone can carry (about 4.5 MB before base64) and what is left of the invocation's output budget
   * (`ProcessOptions.outputBudgetBytes`). A transform whose output can grow far beyond its input (one line per
   * event with copied fields) should stop building it once it passes this and return `outputTooLarge()`: such
   * an output could not be answered Ok anyway. Absent: no limit given.
   */
  maxOutputBytes?: number;
}

/** Event-level facts handed to every transform call. */
export interface TransformContext {
  invocationId: string;
  deliveryStreamArn: string;
  /** Set when the delivery stream's source is a Kinesis data stream. */
  sourceKinesisStreamArn?: string;
  region: string;
}

/** A transform: pure where it can be; may be async. Throwing is allowed and yields ProcessingFailed. */
export type RecordTransform = (
  record: FirehoseInputRecord,
  context: TransformContext,
) => TransformOutcome | Promise<TransformOutcome>;

/**
 * One record as a {@link BytesTransform} sees it: its bytes where they lie, `bytes[start, end)`, in the
 * invocation's decoded buffer. The runner reuses this object for every record: read it during the call, do not
 * keep it (copy `bytes.subarray(start, end)` if you must keep the bytes).
 */
export interface RecordBytes {
  /** Every record of this invocation, decoded, back to back; this record's is `bytes[start, end)`. Do not mutate. */
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
  /** 0-based position in the event. */
  readonly index: number;
  readonly recordId: string;
  /** Epoch milliseconds at which Firehose received the record. */
  readonly approximateArrivalTimestamp: number;
  /** Whether `bytes[start, end)` is well-formed UTF-8 (checked by the runner for the whole batch at once). */
  readonly utf8: boolean;
  readonly context: TransformContext;
}

/**
 * A synchronous transform that appends the record's output to `out` (a ByteWriter the runner owns and reuses)
 * instead of returning it: whatever it appended is delivered Ok, unless it returns `'Dropped'` (anything else it
 * returns, a promise included, is a bug and answers the record ProcessingFailed, saying so). Throwing yields
 * ProcessingFailed with the original data; the error's message is logged as the reason (see RecordRejectedError).
 * It must not call `out.finish()` or `out.reset()`: the runner ends each record.
 */
export type BytesTransform = (record: RecordBytes, out: ByteWriter) => void | 'Dropped';

/** An Ok record whose output did not fit in the response, handed to the re-ingestion hook. */
export interface OverflowRecord {
  record: FirehoseInputRecord;
  /** The transformed output that did not fit; empty when the transform returned `outputTooLarge()`. */
  data: Uint8Array;
  metadata?: PartitionMetadata;
  /**
   * Whether the output would fit in a response holding this record alone. When false, putting the record back
   * unchanged would overflow again on every invocation: it must come back split into smaller records, or be
   * answered ProcessingFailed (`reingestHook` does so when it gets fewer than two entries for it).
   */
  fitsAlone: boolean;
}

export interface ReingestContext extends TransformContext {
  /** Epoch milliseconds by which the hook must have returned (the invocation's time minus a safety margin). */
  deadline: number;
  /**
   * Aborts at `deadline`: pass it to every AWS call (`{ abortSignal }`). The runner stops waiting for the hook
   * then anyway; what the hook has not confirmed is answered ProcessingFailed with its original data.
   */
  signal?: AbortSignal;
}

/**
 * Sends overflowing records somewhere they will be processed again (e.g. PutRecordBatch into the delivery
 * stream) and returns the recordIds that are now safely stored there. Every record it does not return (or all
 * of them, if it throws) is answered ProcessingFailed with its original data: nothing is lost.
 * Those it returns are answered `Dropped` (their data now lives in the re-ingested copy).
 */
export type ReingestHook = (
  records: readonly OverflowRecord[],
  context: ReingestContext,
) => Promise<Iterable<string>>;
