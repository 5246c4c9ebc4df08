/**
 * Re-ingestion: putting records back where Firehose will read them again, when their transformed output does
 * not fit in the 6 MB response. Two targets, chosen from the event:
 * - the delivery stream itself (Direct PUT source): Firehose PutRecordBatch;
 * - the source Kinesis data stream (when `sourceKinesisStreamArn` is set: such a delivery stream rejects direct
 *   puts): Kinesis PutRecords, keeping the original partition key so per-key ordering stays with one shard.
 *
 * {@link putRecordsReliably} honours each API's limits (records and bytes per call, bytes per record), checks
 * the per-entry result even when the call returns 200 (FailedPutCount / ErrorCode), and retries only the
 * failed entries with exponential backoff and jitter until the deadline. What is still failing then is
 * reported, never dropped: the runner answers those records ProcessingFailed with their original data.
 *
 * Duplicates: a re-ingested copy is stored before Firehose sees our response. If the invocation fails after a
 * successful put (timeout, crash, lost response), Firehose retries it and the records are re-ingested again.
 * Neither PutRecordBatch nor PutRecords takes an idempotency token, so this cannot be prevented here; see the
 * CloudWatch Logs processor's README for how to make the copies recognisable downstream.
 *
 * @example
 * ```ts
 * const onOverflow = reingestHook({ toEntries: (overflow) => [{ data: overflow.record.data }] });
 * await processFirehoseEvent(event, transform, { onOverflow, lambdaContext: context });
 * ```
 */
import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { firehoseClient, kinesisClient } from '../aws/clients';
import { loggableMessage } from '../middleware/errors';
import { logger, MetricUnit, metrics } from '../middleware/observability';
import type { OverflowRecord, ReingestContext, ReingestHook, TransformContext } from './types';

/** Where re-ingested records go. */
export type ReingestTarget =
  { service: 'firehose'; deliveryStreamName: string } | { service: 'kinesis'; streamName: string };

export interface PutLimits {
  maxRecordsPerCall: number;
  /** Sum of data bytes (plus partition keys for Kinesis) per call. */
  maxBytesPerCall: number;
  /** Data bytes (plus partition key for Kinesis) per record. */
  maxBytesPerRecord: number;
}

/** PutRecordBatch: 500 records, 4 MiB per call, 1,000 KiB per record before base64 (fixed quotas). */
export const FIREHOSE_PUT_LIMITS: PutLimits = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 4 * 1024 * 1024,
  maxBytesPerRecord: 1000 * 1024,
};

/** PutRecords: 500 records, 5 MiB per call and 1 MiB per record, partition keys included. */
export const KINESIS_PUT_LIMITS: PutLimits = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 5 * 1024 * 1024,
  maxBytesPerRecord: 1024 * 1024,
};

export function limitsFor(target: ReingestTarget): PutLimits {
  return target.service === 'firehose' ? FIREHOSE_PUT_LIMITS : KINESIS_PUT_LIMITS;
}

/** One record to put. `partitionKey` is used by Kinesis only (and required there). */
export interface ReingestEntry {
  data: Uint8Array;
  partitionKey?: string;
}

export interface PutOptions {
  /** Epoch ms after which no call is started and no retry is scheduled. */
  deadline: number;
  /** Aborts calls in flight when the invocation's budget is spent (they are then reported not stored). */
  signal?: AbortSignal;
  /** First backoff delay; doubles per round, with full jitter. Default 100 ms. */
  baseDelayMs?: number;
  /** Backoff ceiling. Default 2,000 ms. */
  maxDelayMs?: number;
  /** Calls in flight at once. Default 4. */
  concurrency?: number;
  /** Injected by tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface PutReport {
  /** Entry index -> why it was not stored. Empty when everything was stored. */
  failed: Map<number, string>;
  /** API calls made (including retries). */
  calls: number;
  /** Retry rounds after the first. */
  retryRounds: number;
}

/** The resource name at the end of an ARN (`.../deliverystream/<name>`, `.../stream/<name>`). */
export function nameFromArn(arn: string): string {
  const slash = arn.lastIndexOf('/');
  return slash >= 0 ? arn.slice(slash + 1) : arn;
}

/** Firehose reads from a Kinesis stream when `sourceKinesisStreamArn` is set; otherwise it takes direct puts. */
export function targetFor(context: TransformContext): ReingestTarget {
  return context.sourceKinesisStreamArn
    ? { service: 'kinesis', streamName: nameFromArn(context.sourceKinesisStreamArn) }
    : { service: 'firehose', deliveryStreamName: nameFromArn(context.deliveryStreamArn) };
}

// Entry error codes that retrying will not fix (KMS key state, permissions).
const PERMANENT_ENTRY_ERRORS = new Set([
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'InvalidKMSResourceException',
  'AccessDeniedException',
]);
// Call-level errors that retrying will not fix.
const PERMANENT_CALL_ERRORS = new Set([
  'ValidationException',
  'InvalidArgumentException',
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InvalidKMSResourceException',
  'UnrecognizedClientException',
]);

const utf8Bytes = (text: string | undefined) => (text ? Buffer.byteLength(text, 'utf8') : 0);

function entryCost(target: ReingestTarget, entry: ReingestEntry): number {
  return entry.data.byteLength + (target.service === 'kinesis' ? utf8Bytes(entry.partitionKey) : 0);
}

/** Splits entry indexes into calls that respect the target's limits, keeping order. */
export function batchesFor(target: ReingestTarget, entries: readonly ReingestEntry[], indexes: number[]) {
  const limits = limitsFor(target);
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const index of indexes) {
    const cost = entryCost(target, entries[index]!);
    if (
      current.length === limits.maxRecordsPerCall ||
      (current.length > 0 && bytes + cost > limits.maxBytesPerCall)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += cost;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

type CallResult = { retry: number[]; failed: [number, string][] };

async function putBatch(
  target: ReingestTarget,
  entries: readonly ReingestEntry[],
  batch: number[],
  signal: AbortSignal | undefined,
): Promise<CallResult> {
  const result: CallResult = { retry: [], failed: [] };
  let codes: (string | undefined)[];
  try {
    if (target.service === 'firehose') {
      const response = await firehoseClient().send(
        new PutRecordBatchCommand({
          DeliveryStreamName: target.deliveryStreamName,
          Records: batch.map((i) => ({ Data: entries[i]!.data })),
        }),
        { abortSignal: signal },
      );
      codes = (response.RequestResponses ?? []).map((r) => r.ErrorCode);
      // FailedPutCount > 0 with no per-entry detail: treat the whole call as failed.
      if ((response.FailedPutCount ?? 0) > 0 && codes.every((c) => !c)) codes = batch.map(() => 'Unknown');
    } else {
      const response = await kinesisClient().send(
        new PutRecordsCommand({
          StreamName: target.streamName,
          Records: batch.map((i) => ({ Data: entries[i]!.data, PartitionKey: entries[i]!.partitionKey })),
        }),
        { abortSignal: signal },
      );
      codes = (response.Records ?? []).map((r) => r.ErrorCode);
      if ((response.FailedRecordCount ?? 0) > 0 && codes.every((c) => !c)) codes = batch.map(() => 'Unknown');
    }
    // Entries the response leaves out are retried; one it holds without an error code was stored.
    if (codes.length !== batch.length)
      codes = batch.map((_, i) => (i < codes.length ? codes[i] : 'MissingResponseEntry'));
  } catch (error) {
    const name = (error as Error)?.name ?? 'Error';
    if (PERMANENT_CALL_ERRORS.has(name)) {
      for (const i of batch) result.failed.push([i, `${name}: ${loggableMessage(error)}`]);
    } else result.retry.push(...batch);
    logger.warn('Re-ingestion call failed', {
      target: describe(target),
      records: batch.length,
      errorName: name,
    });
    return result;
  }
  codes.forEach((code, position) => {
    const index = batch[position]!;
    if (!code) return;
    if (PERMANENT_ENTRY_ERRORS.has(code)) result.failed.push([index, code]);
    else result.retry.push(index);
  });
  return result;
}

function describe(target: ReingestTarget): string {
  return target.service === 'firehose'
    ? `firehose:${target.deliveryStreamName}`
    : `kinesis:${target.streamName}`;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Puts `entries` into `target`, in calls within the API limits, retrying only failed entries (backoff with full
 * jitter) until everything is stored or the deadline leaves no room for another round.
 *
 * @example
 * ```ts
 * const report = await putRecordsReliably({ service: 'firehose', deliveryStreamName: 'logs' }, entries, {
 *   deadline: Date.now() + context.getRemainingTimeInMillis() - 5_000,
 * });
 * if (report.failed.size > 0) ...
 * ```
 */
export async function putRecordsReliably(
  target: ReingestTarget,
  entries: readonly ReingestEntry[],
  options: PutOptions,
): Promise<PutReport> {
  const limits = limitsFor(target);
  const failed = new Map<number, string>();
  let pending: number[] = [];
  entries.forEach((entry, index) => {
    const cost = entryCost(target, entry);
    if (cost > limits.maxBytesPerRecord)
      failed.set(index, `record of ${cost} bytes exceeds ${limits.maxBytesPerRecord}`);
    else if (target.service === 'kinesis' && !entry.partitionKey) failed.set(index, 'partition key missing');
    else pending.push(index);
  });
  const sleep = options.sleep ?? defaultSleep;
  const baseDelay = options.baseDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 2_000;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let calls = 0;
  let round = 0;

  while (pending.length > 0) {
    const batches = batchesFor(target, entries, pending);
    const retry: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        if (Date.now() >= options.deadline || options.signal?.aborted) {
          retry.push(...batch);
          continue;
        }
        calls += 1;
        const result = await putBatch(target, entries, batch, options.signal);
        retry.push(...result.retry);
        for (const [index, reason] of result.failed) failed.set(index, reason);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
    pending = retry.sort((a, b) => a - b);
    if (pending.length === 0) break;
    const delay = Math.random() * Math.min(maxDelay, baseDelay * 2 ** round);
    if (Date.now() + delay >= options.deadline || options.signal?.aborted) {
      for (const index of pending)
        failed.set(index, 'not stored before the deadline (throttled or unavailable)');
      break;
    }
    round += 1;
    await sleep(delay);
  }
  return { failed, calls, retryRounds: round };
}

export interface ReingestHookOptions {
  /**
   * Turns one overflowing record into the records to put back. They will come through the transform again, so
   * they must be INPUT-shaped (e.g. smaller CloudWatch Logs messages), each within the target's per-record
   * limit (passed in). Default: the record's original data, as AWS's blueprints do; that only helps when the
   * response overflowed because of the whole batch, not because of this record alone. A record whose output does
   * not fit even alone (`fitsAlone` false) is re-ingested only if this returns at least two entries for it (a
   * split); otherwise it is answered ProcessingFailed, since it would overflow again on every invocation.
   */
  toEntries?: (record: OverflowRecord, limits: PutLimits, target: ReingestTarget) => Uint8Array[];
  /** Override where records go (default: {@link targetFor} the event). */
  target?: (context: TransformContext) => ReingestTarget;
  put?: Omit<PutOptions, 'deadline'>;
}

/**
 * A {@link ReingestHook} for {@link processFirehoseEvent}'s `onOverflow`: converts each overflowing record
 * with `toEntries`, puts everything with {@link putRecordsReliably}, and confirms a record only when ALL its
 * entries were stored (a partly stored record is answered ProcessingFailed: its stored part is then both
 * delivered and in the error prefix, which we prefer to losing the rest). A record whose output cannot fit even
 * in a response of its own and that `toEntries` does not split is not put back: it is answered ProcessingFailed.
 */
export function reingestHook(options: ReingestHookOptions = {}): ReingestHook {
  return async (records, context: ReingestContext) => {
    const target = options.target?.(context) ?? targetFor(context);
    const limits = limitsFor(target);
    const entries: ReingestEntry[] = [];
    const owner: number[] = [];
    const unsplittable = new Set<number>();
    records.forEach((overflow, r) => {
      let parts: Uint8Array[];
      try {
        parts = options.toEntries ? options.toEntries(overflow, limits, target) : [overflow.record.data];
      } catch (error) {
        logger.warn('Record could not be prepared for re-ingestion', {
          recordId: overflow.record.recordId,
          errorName: (error as Error)?.name,
          errorMessage: loggableMessage(error),
        });
        unsplittable.add(r);
        return;
      }
      if (parts.length === 0) unsplittable.add(r);
      // An output that cannot fit even in a response of its own, put back as one record, would come back just as
      // large and be re-ingested again on every invocation, forever: it is answered ProcessingFailed instead.
      if (!overflow.fitsAlone && parts.length < 2) {
        logger.warn(
          'Record not re-ingested: its output alone exceeds the response and it cannot get smaller',
          {
            recordId: overflow.record.recordId,
            entries: parts.length,
          },
        );
        unsplittable.add(r);
        return;
      }
      const partitionKey = overflow.record.kinesisRecordMetadata?.partitionKey ?? overflow.record.recordId;
      for (const data of parts) {
        entries.push({ data, partitionKey });
        owner.push(r);
      }
    });
    const report = await putRecordsReliably(target, entries, {
      ...options.put,
      deadline: context.deadline,
      signal: context.signal,
    });
    const failedRecords = new Set(unsplittable);
    for (const [index, reason] of report.failed) {
      const r = owner[index]!;
      if (!failedRecords.has(r)) {
        logger.warn('Record not re-ingested', { recordId: records[r]!.record.recordId, reason });
      }
      failedRecords.add(r);
    }
    metrics.addMetric('FirehoseReingestCalls', MetricUnit.Count, report.calls);
    metrics.addMetric('FirehoseReingestEntries', MetricUnit.Count, entries.length - report.failed.size);
    logger.info('Re-ingested overflowing records', {
      target: describe(target),
      records: records.length,
      entries: entries.length,
      calls: report.calls,
      retryRounds: report.retryRounds,
      failedEntries: report.failed.size,
    });
    return records.filter((_, r) => !failedRecords.has(r)).map((o) => o.record.recordId);
  };
}

/** What a blueprint's OVERFLOW setting can say (`env.oneOf('OVERFLOW', ['processing-failed', 'reingest'] ...)`). */
export type OverflowMode = 'processing-failed' | 'reingest';

/**
 * The runner's `onOverflow` for a blueprint's OVERFLOW setting. `reingest`: each record whose output does not fit
 * in the response is put back in its ORIGINAL form (AWS's blueprints' way) into the delivery stream that invoked
 * the function (PutRecordBatch), or into its source Kinesis stream when the event names one (PutRecords, same
 * partition key), within the APIs' limits, and answered Dropped; it is transformed again in a later, smaller batch.
 * A record whose output cannot fit even alone, or whose re-ingestion failed, is answered ProcessingFailed with its
 * original data. `processing-failed`: every overflowing record is (the error output prefix keeps it).
 *
 * @example
 * ```ts
 * processFirehoseBytes(event, transform, { lambdaContext: context, onOverflow: onOverflowFor(settings.overflow) });
 * ```
 */
export function onOverflowFor(mode: OverflowMode): 'processing-failed' | ReingestHook {
  return mode === 'reingest' ? reingestHook() : 'processing-failed';
}
