/**
 * The Firehose transformation runner: decode -> transform -> size guard -> re-ingest what overflows -> response.
 *
 * Guarantees, whatever the transform does:
 * - every input recordId appears exactly once in the response, in input order;
 * - a transform that throws (or returns ProcessingFailed) yields ProcessingFailed with the ORIGINAL data, and
 *   the reason is logged with the record's id and coordinates, never its payload;
 * - the serialised response is at most `maxResponseBytes` (6,000,000 by default) whenever the request is (see
 *   "Why the originals always fit" below): outputs that do not fit are re-ingested through the hook or answered
 *   ProcessingFailed with their original data; never a failed invocation, never a lost record.
 *
 * Why the originals always fit: a ProcessingFailed entry `{"recordId":..,"result":"ProcessingFailed","data":..}`
 * is shorter than the request entry it answers (same recordId and base64 data, but the request also carries
 * `"approximateArrivalTimestamp":<13 digits>`, 43+ bytes, against 27 for the result field), and the request's
 * wrapper (invocationId, ARNs, region) is longer than ours. So answering every record with its original data
 * is never longer than the request, and Firehose's request is far below 6,000,000 bytes (the processor buffer
 * is at most 3 MB before base64, about 4 MB after). The planner therefore counts every output larger than its
 * fallback at what it costs if it overflows (its fallback; with a re-ingestion hook, a small Dropped answer)
 * and spends the remaining room on such outputs in input order. If re-ingestion then fails for some records,
 * their originals take back room, and planned outputs are answered with their originals, last first, until
 * the response fits again: optimistic planning keeps re-ingestion (and its duplication window) small in the
 * normal case, and the fallback keeps the bound in the bad one.
 *
 * @example
 * ```ts
 * export const handler = kitHandler(async (event: FirehoseTransformationEvent, context) =>
 *   processFirehoseEvent(event, (record) => ok(record.data), { lambdaContext: context }),
 * );
 * ```
 */
import { maskedMessage, SafeMessageError } from '../middleware/errors';
import { logger, MetricUnit, metrics } from '../middleware/observability';
import { entrySize, jsonStringBytes, MAX_RESPONSE_BYTES, wrapperBytes } from './response-size';
import type {
  FirehoseInputRecord,
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
  OverflowRecord,
  PartitionMetadata,
  RecordTransform,
  ReingestHook,
  TransformContext,
  TransformOutcome,
} from './types';

export interface ProcessOptions {
  /** Upper bound of the serialised response. Default 6,000,000 (Lambda's 6 MB, as AWS's blueprints count it). */
  maxResponseBytes?: number;
  /**
   * What happens to an Ok record whose output does not fit in the response:
   * - `'processing-failed'` (default): answered ProcessingFailed with its original data (error output prefix);
   * - a {@link ReingestHook}: the hook stores it elsewhere (e.g. back into the delivery stream) and the record is
   *   answered Dropped; whatever the hook does not confirm falls back to ProcessingFailed.
   */
  onOverflow?: 'processing-failed' | ReingestHook;
  /** The Lambda context, to give the re-ingestion hook a deadline inside the invocation's time. */
  lambdaContext?: { getRemainingTimeInMillis?: () => number };
  /** Time kept in hand after the hook's deadline to build and return the response. Default 3,000 ms. */
  safetyMarginMs?: number;
  /** Per-record failure log lines per invocation before they are summarised. Default 50. */
  maxFailureLogs?: number;
}

/** Counts of one invocation (also emitted as EMF metrics). */
export interface FirehoseRunSummary {
  recordsIn: number;
  ok: number;
  dropped: number;
  processingFailed: number;
  /** Ok outputs that did not fit in the response (re-ingested or answered ProcessingFailed). */
  overflowed: number;
  reingested: number;
  bytesIn: number;
  /** Decoded bytes of the Ok records' data in the response. */
  bytesOut: number;
  /** Exact size of the serialised response. */
  responseBytes: number;
}

/**
 * One record's answer as planned. Sizes are counted arithmetically (see ./response-size): the recordId once,
 * the base64 text by its length, the metadata once; no entry is serialised to be measured.
 */
/**
 * What the runner keeps per record between the transform and the response. It holds no bytes beyond the response
 * entry itself: the decoded input and the output are re-derived from the base64 texts on the rare overflow path.
 * (Keeping ~3x the event in Buffers alive for the whole invocation made garbage collection the largest single
 * cost of a 6 MB event.)
 */
interface Planned {
  raw: FirehoseTransformationEventRecord;
  index: number;
  /** The record's original base64 data (what ProcessingFailed answers with). */
  originalData: string;
  /** Serialised bytes of the recordId (quotes and escapes included). */
  idBytes: number;
  entry: FirehoseTransformationResultRecord;
  /** Serialised bytes of `entry` (kept in step with it). */
  size: number;
  /** Serialised bytes of the record answered ProcessingFailed with its original data. */
  fallbackSize: number;
  /** Bytes of the Ok output (0 otherwise). */
  outputBytes: number;
  metadata?: PartitionMetadata;
  failureReason?: string;
}

const NO_DEADLINE_MS = 60_000;

/** The record as a transform sees it: its data decoded from base64. */
function inputRecord(raw: FirehoseTransformationEventRecord, index: number): FirehoseInputRecord {
  const record: FirehoseInputRecord = {
    recordId: raw.recordId,
    data: Buffer.from(raw.data ?? '', 'base64'),
    approximateArrivalTimestamp: raw.approximateArrivalTimestamp,
    index,
  };
  if (raw.kinesisRecordMetadata) record.kinesisRecordMetadata = raw.kinesisRecordMetadata;
  return record;
}

/** A Promise or any other thenable: the only outcomes the runner awaits. */
function isThenable(value: unknown): value is PromiseLike<TransformOutcome> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The reason logged for a thrown error. A SafeMessageError's (RecordRejectedError, LogParseError) is written for logs; anything else
 * is a bug or a library error whose message may quote input (V8's JSON.parse does), so quoted text is masked.
 */
export function reasonOf(error: unknown): string {
  if (error instanceof SafeMessageError) return error.message;
  const name = error instanceof Error ? error.name : typeof error;
  return `transform threw ${name}: ${maskedMessage(error)}`;
}

function coordinates(p: Planned): Record<string, unknown> {
  const meta = p.raw.kinesisRecordMetadata;
  return {
    recordId: p.raw.recordId,
    index: p.index,
    ...(meta && {
      shardId: meta.shardId,
      sequenceNumber: meta.sequenceNumber,
      subsequenceNumber: meta.subsequenceNumber,
    }),
  };
}

function fallbackOf(p: Planned): FirehoseTransformationResultRecord {
  return { recordId: p.raw.recordId, result: 'ProcessingFailed', data: p.originalData };
}

function failed(p: Planned, reason: string): void {
  p.entry = fallbackOf(p);
  p.size = p.fallbackSize;
  p.failureReason = reason;
  p.outputBytes = 0;
  p.metadata = undefined;
}

/** Fills in `p` (planned as ProcessingFailed) from the transform's outcome. */
function plan(p: Planned, outcome: TransformOutcome): void {
  const recordId = p.raw.recordId;
  switch (outcome?.result) {
    case 'Ok': {
      const data = outcome.data;
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      // A Buffer is encoded as it is; a plain Uint8Array needs a Buffer view of it first.
      const base64 = Buffer.isBuffer(bytes)
        ? bytes.toString('base64')
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
      const metadata = outcome.metadata;
      const entry: FirehoseTransformationResultRecord =
        metadata === undefined
          ? { recordId, result: 'Ok', data: base64 }
          : { recordId, result: 'Ok', data: base64, metadata };
      p.entry = entry;
      p.size = entrySize(
        p.idBytes,
        'Ok',
        base64.length,
        metadata === undefined ? undefined : Buffer.byteLength(JSON.stringify(metadata)),
      );
      p.outputBytes = bytes.byteLength;
      if (metadata !== undefined) p.metadata = metadata;
      return;
    }
    case 'Dropped':
      p.entry = { recordId, result: 'Dropped' };
      p.size = entrySize(p.idBytes, 'Dropped');
      return;
    case 'ProcessingFailed':
      failed(p, outcome.reason);
      return;
    default:
      failed(
        p,
        `transform returned no valid outcome (result ${JSON.stringify((outcome as { result?: unknown })?.result)})`,
      );
  }
}

/**
 * Runs `transform` over every record of a Firehose transformation event and returns the response Firehose
 * expects. See the module comment for the guarantees.
 *
 * @example
 * ```ts
 * const result = await processFirehoseEvent(event, (record) => {
 *   const line = decodeUtf8(record.data).trim();
 *   if (line === '') return dropped();
 *   return ok(`${line.toUpperCase()}\n`);
 * });
 * ```
 */
export async function processFirehoseEvent(
  event: FirehoseTransformationEvent,
  transform: RecordTransform,
  options: ProcessOptions = {},
): Promise<FirehoseTransformationResult> {
  return (await runFirehoseEvent(event, transform, options)).result;
}

/** {@link processFirehoseEvent}, also returning the invocation's counts (for demos and tests). */
export async function runFirehoseEvent(
  event: FirehoseTransformationEvent,
  transform: RecordTransform,
  options: ProcessOptions = {},
): Promise<{ result: FirehoseTransformationResult; summary: FirehoseRunSummary }> {
  if (!event || !Array.isArray(event.records)) {
    throw new TypeError('Not a Firehose transformation event: `records` is missing');
  }
  const maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const context: TransformContext = {
    invocationId: event.invocationId,
    deliveryStreamArn: event.deliveryStreamArn,
    region: event.region,
    ...(event.sourceKinesisStreamArn && { sourceKinesisStreamArn: event.sourceKinesisStreamArn }),
  };

  // 1. Transform every record, in order. A transform that returns a plain outcome is called back to back, with
  // no await (no microtask turn) per record; only a thenable outcome is awaited.
  const raws = event.records;
  const count = raws.length;
  const planned: Planned[] = new Array(count);
  let bytesIn = 0;
  for (let index = 0; index < count; index++) {
    const raw = raws[index]!;
    const originalData = raw.data ?? '';
    const record = inputRecord(raw, index);
    bytesIn += record.data.byteLength;
    const idBytes = jsonStringBytes(raw.recordId);
    // base64 is ASCII, so the original data's length is its serialised length.
    const fallbackSize = entrySize(idBytes, 'ProcessingFailed', originalData.length);
    const p: Planned = {
      raw,
      index,
      originalData,
      idBytes,
      outputBytes: 0,
      entry: undefined as unknown as FirehoseTransformationResultRecord,
      size: fallbackSize,
      fallbackSize,
    };
    planned[index] = p;
    try {
      let outcome = transform(record, context);
      if (isThenable(outcome)) outcome = await outcome;
      plan(p, outcome);
    } catch (error) {
      failed(p, reasonOf(error));
    }
  }

  // 2. Size guard. A record costs its answer when that is no larger than its fallback (original data). An
  // output larger than its fallback competes, in input order, for the room left once every other record is
  // counted at what it costs if it overflows: its fallback, or, with a re-ingestion hook, its small Dropped
  // answer (optimistic: step 4 corrects the plan if re-ingestion fails).
  const hook = typeof options.onOverflow === 'function' ? options.onOverflow : undefined;
  const droppedBytes = (p: Planned) => entrySize(p.idBytes, 'Dropped');
  const overflowBytes = (p: Planned) => (hook ? Math.min(droppedBytes(p), p.fallbackSize) : p.fallbackSize);
  let base = wrapperBytes(planned.length);
  for (const p of planned) base += p.size <= p.fallbackSize ? p.size : overflowBytes(p);
  let room = maxResponseBytes - base;
  if (room < 0) {
    logger.error('Even the original records exceed the response limit; returning them as they are', {
      maxResponseBytes,
      minimumResponseBytes: base,
      records: planned.length,
    });
  }
  const overflow: Planned[] = [];
  for (const p of planned) {
    if (p.size <= p.fallbackSize) continue;
    const extra = p.size - overflowBytes(p);
    if (extra <= room) room -= extra;
    else overflow.push(p);
  }

  // 3. Overflowing records: re-ingest through the hook (confirmed -> Dropped), or fall back to their originals.
  let reingested = new Set<string>();
  const reason = `output does not fit in the ${maxResponseBytes}-byte response`;
  if (overflow.length > 0) {
    if (hook) reingested = await runHook(hook, overflow, context, options);
    for (const p of overflow) {
      if (reingested.has(p.raw.recordId)) {
        p.entry = { recordId: p.raw.recordId, result: 'Dropped' };
        p.size = droppedBytes(p);
      } else {
        failed(p, hook ? `${reason} and was not re-ingested` : reason);
      }
    }
  }

  // 4. If re-ingestion failed, the originals now answered may not leave room for every planned output: answer
  // outputs with their originals instead, last first, until the response fits. Answering everything with its
  // original always fits (see the module comment), so this terminates within the limit.
  let total = wrapperBytes(planned.length);
  for (const p of planned) total += p.size;
  for (let i = planned.length - 1; i >= 0 && total > maxResponseBytes; i--) {
    const p = planned[i]!;
    if (p.entry.result !== 'Ok' || p.size <= p.fallbackSize) continue;
    total -= p.size - p.fallbackSize;
    failed(p, `${reason} once re-ingestion of other records failed`);
  }

  // 4. Response, logs and metrics.
  const records: FirehoseTransformationResultRecord[] = new Array(count);
  for (let i = 0; i < count; i++) records[i] = planned[i]!.entry;
  const summary = summarise(planned, overflow.length, reingested.size, bytesIn);
  logFailures(planned, options.maxFailureLogs ?? 50);
  emitMetrics(summary);
  return { result: { records }, summary };
}

async function runHook(
  hook: ReingestHook,
  overflow: Planned[],
  context: TransformContext,
  options: ProcessOptions,
): Promise<Set<string>> {
  const remaining = options.lambdaContext?.getRemainingTimeInMillis?.() ?? NO_DEADLINE_MS;
  const deadline = Date.now() + remaining - (options.safetyMarginMs ?? 3_000);
  // Re-derived from the base64 texts (see Planned): the input as the transform saw it, the output from its entry.
  const records: OverflowRecord[] = overflow.map((p) => {
    const record = inputRecord(p.raw, p.index);
    const data = Buffer.from(p.entry.data!, 'base64');
    return p.metadata === undefined ? { record, data } : { record, data, metadata: p.metadata };
  });
  try {
    return new Set(await hook(records, { ...context, deadline }));
  } catch (error) {
    logger.error('Re-ingestion failed; overflowing records answered ProcessingFailed', {
      records: records.length,
      errorName: (error as Error)?.name,
      errorMessage: (error as Error)?.message,
    });
    return new Set();
  }
}

function summarise(
  planned: Planned[],
  overflowed: number,
  reingested: number,
  bytesIn: number,
): FirehoseRunSummary {
  const summary: FirehoseRunSummary = {
    recordsIn: planned.length,
    ok: 0,
    dropped: 0,
    processingFailed: 0,
    overflowed,
    reingested,
    bytesIn,
    bytesOut: 0,
    responseBytes: wrapperBytes(planned.length),
  };
  for (const p of planned) {
    summary.responseBytes += p.size;
    if (p.entry.result === 'Ok') {
      summary.ok += 1;
      summary.bytesOut += p.outputBytes;
    } else if (p.entry.result === 'Dropped') summary.dropped += 1;
    else summary.processingFailed += 1;
  }
  return summary;
}

function logFailures(planned: Planned[], maxLines: number): void {
  let logged = 0;
  const byReason = new Map<string, number>();
  for (const p of planned) {
    if (p.entry.result !== 'ProcessingFailed') continue;
    const reason = p.failureReason ?? 'ProcessingFailed';
    if (logged < maxLines) {
      logger.warn('Record answered ProcessingFailed', { ...coordinates(p), reason });
      logged += 1;
    } else byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }
  if (byReason.size > 0) {
    logger.warn('More records answered ProcessingFailed (not logged one by one)', {
      byReason: Object.fromEntries(byReason),
    });
  }
}

function emitMetrics(s: FirehoseRunSummary): void {
  metrics.addMetric('FirehoseRecordsIn', MetricUnit.Count, s.recordsIn);
  metrics.addMetric('FirehoseRecordsOk', MetricUnit.Count, s.ok);
  metrics.addMetric('FirehoseRecordsDropped', MetricUnit.Count, s.dropped);
  metrics.addMetric('FirehoseRecordsProcessingFailed', MetricUnit.Count, s.processingFailed);
  metrics.addMetric('FirehoseRecordsOverflowed', MetricUnit.Count, s.overflowed);
  metrics.addMetric('FirehoseRecordsReingested', MetricUnit.Count, s.reingested);
  metrics.addMetric('FirehoseBytesIn', MetricUnit.Bytes, s.bytesIn);
  metrics.addMetric('FirehoseBytesOut', MetricUnit.Bytes, s.bytesOut);
  metrics.addMetric('FirehoseResponseBytes', MetricUnit.Bytes, s.responseBytes);
}
