/**
 * The Kinesis batch runner: KinesisStreamEvent -> de-aggregate -> decode -> transform/filter -> sink ->
 * `{ batchItemFailures }`, with the failure semantics of DESIGN.md:
 *
 * - Poison records (undecodable bytes, a transform that throws, a blob that is not base64) go to the dead-letter
 *   sink with their coordinates and reason, and count as handled: they never block the shard.
 * - Transient failures (the sink could not write an item, the dead-letter sink could not store an entry) fail
 *   the item's PARENT record. The response names the earliest failed parent only: Lambda checkpoints there and
 *   re-delivers it and everything after it, so no parent after a failure is ever acknowledged.
 * - All succeeded -> `{ batchItemFailures: [] }`. An itemIdentifier is never empty.
 * - Deadline: the sinks share one time budget, Lambda's remaining time minus a margin (shared/aws/deadline.ts).
 *   When it runs out the runner stops waiting: whatever a sink has not confirmed by then fails its parents, and
 *   the response still goes back before Lambda's deadline (a hung request never turns into a function error that
 *   re-runs the whole batch).
 * - JSON records are validated on their bytes (json-bytes.ts) and decoded to text and value only when the transform
 *   reads them; a sink that implements {@link StreamingSink} gets each item as soon as it is made (to build and
 *   compress its output while the rest of the batch is decoded). Neither changes what a consumer sees or the
 *   failure semantics.
 * - Bounded output for hostile input: at most {@link MAX_POISON_LOG_LINES} poison records are logged one by one
 *   per invocation (then one summary by error class); logs carry a partition key's length, never the key; a
 *   user record whose partition key is over Kinesis's 256-character limit (possible only inside a KPL aggregate) is
 *   poison.
 *
 * @example
 * ```ts
 * const response = await processKinesisEvent(event, {
 *   format: 'json',
 *   transform: ({ value }) => (value.type === 'click' ? JSON.stringify(value) : undefined),
 *   sink: createS3NdjsonSink({ bucket, ... }),
 *   deadLetter: createS3DeadLetterSink({ bucket, prefix: 'dead-letter' }),
 * });
 * ```
 */
import { createHash } from 'node:crypto';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { DEFAULT_DEADLINE_MARGIN_MS, startDeadline, untilDeadline } from '../aws/deadline';
import { deaggregate, KplInputError } from '../kpl';
import { loggableMessage, SafeMessageError } from '../middleware/errors';
import { logger, MetricUnit, metrics } from '../middleware/observability';
import { kinesisRecordsOf, shardIdFromEventId, streamNameFromArn } from './event';
import { isJsonBytes } from './json-bytes';
import type {
  ConsumerRecord,
  DeadLetterEntry,
  DeadLetterSink,
  RecordCoordinates,
  Sink,
  SinkItem,
  SinkWriteContext,
  SinkWriteResult,
} from './types';

export type RecordFormat = 'json' | 'text' | 'binary';

/** The value type a format decodes to. */
export type DecodedValue<F extends RecordFormat> = F extends 'json'
  ? unknown
  : F extends 'text'
    ? string
    : Uint8Array;

/** A user record could not be decoded per the consumer's format (poison: dead-lettered). */
export class RecordDecodeError extends SafeMessageError {
  override readonly name = 'RecordDecodeError';
}

/** A KPL user record's partition key is longer than Kinesis allows (poison: dead-lettered). */
export class PartitionKeyTooLongError extends SafeMessageError {
  override readonly name = 'PartitionKeyTooLongError';
}

/** Kinesis's own limit on a partition key (PutRecord/PutRecords): 256 Unicode characters, as the KPL counts them. */
export const MAX_PARTITION_KEY_LENGTH = 256;
/** Poison records logged one line each per invocation; the rest are summarised by error class. */
export const MAX_POISON_LOG_LINES = 50;

/** How the runner reaches the invocation's deadline. */
export interface RunOptions {
  /** Lambda's `context.getRemainingTimeInMillis` (Infinity outside Lambda). */
  remainingTimeMs(): number;
  /** Time kept back for answering Lambda (ms); the sinks' budget ends this much before the deadline. */
  deadlineMarginMs?: number;
}

/**
 * A sink that can also take the items one by one, as the runner makes them, instead of all at once at the end:
 * work that needs no answer from the destination (building and compressing objects) then overlaps with decoding
 * the rest of the batch. The runner opens a stream at the first item, pushes every item in order (an item's index
 * is the number pushed before it), and awaits `finish()` where it would have awaited `write(items)`: same budget,
 * same result and failure semantics (`failed`, `rejected`, throwing = every item failed). `push` must not call the
 * destination or throw; if it throws, the runner stops pushing and counts every item failed.
 */
export interface StreamingSink<TOut> extends Sink<TOut> {
  open(context: SinkWriteContext): SinkStream<TOut>;
}

export interface SinkStream<TOut> {
  push(item: SinkItem<TOut>): void;
  finish(): Promise<SinkWriteResult>;
}

const isStreaming = <TOut>(sink: Sink<TOut>): sink is StreamingSink<TOut> =>
  typeof (sink as Partial<StreamingSink<TOut>>).open === 'function';

export interface StreamConsumer<F extends RecordFormat, TOut> {
  format: F;
  /**
   * The function's own logic: return the value to write, or undefined to filter the record out (handled, not
   * written). Throwing makes the record poison: it is dead-lettered with the error's message.
   */
  transform(record: ConsumerRecord<DecodedValue<F>>): TOut | undefined;
  sink: Sink<TOut>;
  deadLetter: DeadLetterSink;
}

/** The response to return to Lambda, and what happened (for logs, metrics and tests). */
export interface BatchResult {
  response: KinesisStreamBatchResponse;
  summary: BatchSummary;
}

export interface BatchSummary {
  stream: string;
  shardId: string;
  parents: number;
  userRecords: number;
  delivered: number;
  filtered: number;
  deadLettered: number;
  /** User records whose write failed transiently (their parents are re-delivered). */
  failed: number;
  firstSequenceNumber?: string;
  lastSequenceNumber?: string;
  /** The itemIdentifier reported, if any. */
  retryFrom?: string;
}

// ignoreBOM: a text record keeps its byte order mark (bytes in = bytes out); JSON drops it below.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decode<F extends RecordFormat>(
  format: F,
  data: Uint8Array,
): { value: DecodedValue<F>; text: string | undefined } {
  if (format === 'binary') return { value: data as DecodedValue<F>, text: undefined };
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    throw new RecordDecodeError('data is not valid UTF-8');
  }
  if (format === 'text') return { value: text as DecodedValue<F>, text };
  // RFC 8259 lets a parser ignore a leading byte order mark; JSON.parse does not.
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  try {
    return { value: JSON.parse(text) as DecodedValue<F>, text };
  } catch (error) {
    // V8's message quotes the offending input; keep only the position so no payload reaches the logs. V8 counts
    // UTF-16 units of the text: the reason gives the offset in the record's bytes (BOM and multi-byte characters).
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    if (position === undefined) throw new RecordDecodeError('data is not valid JSON');
    const byte = (bom ? 3 : 0) + Buffer.byteLength(text.slice(0, Number(position)), 'utf8');
    throw new RecordDecodeError(`data is not valid JSON (at byte ${byte})`);
  }
}

/**
 * A JSON record whose validity is known (isJsonBytes) and whose text and value are made only when the transform
 * reads them: a transform that writes the record's bytes (kinesis-to-s3's lossless default) never pays for a
 * string or a parsed value. Reading `text` or `value` gives exactly what the eager decode gives.
 */
class LazyJsonRecord implements ConsumerRecord<unknown> {
  #text: string | undefined;
  #value: unknown;
  #parsed = false;
  constructor(
    readonly coordinates: RecordCoordinates,
    readonly data: Uint8Array,
  ) {}
  get text(): string {
    if (this.#text === undefined) ({ value: this.#value, text: this.#text } = decode('json', this.data));
    this.#parsed = true;
    return this.#text!;
  }
  get value(): unknown {
    if (!this.#parsed) void this.text;
    return this.#value;
  }
}

/**
 * The record handed to the transform. JSON is validated on the bytes (no string, no parse) and decoded lazily; an
 * invalid record is decoded eagerly so its RecordDecodeError is the same as ever (the validator and the parser
 * agree: test/unit/kinesis/json-bytes.test.ts).
 */
function consumerRecord<F extends RecordFormat>(
  format: F,
  coordinates: RecordCoordinates,
  data: Uint8Array,
): ConsumerRecord<DecodedValue<F>> {
  if (format === 'json' && isJsonBytes(data)) {
    return new LazyJsonRecord(coordinates, data) as ConsumerRecord<DecodedValue<F>>;
  }
  const { value, text } = decode(format, data);
  return { coordinates, data, value, text };
}

const errorNameOf = (error: unknown) => (error instanceof Error ? error.name : 'Error');
const utf8Length = (text: string) => Buffer.byteLength(text, 'utf8');
/** Coordinates as they may be logged: the partition key's length instead of the key (it can be 10s of KB). */
const loggable = ({ partitionKey, ...rest }: RecordCoordinates) => ({
  ...rest,
  partitionKeyBytes: utf8Length(partitionKey),
});
// Our own errors are written to be safe; anything else (a consumer's transform, a sink) may quote data.
const errorMessageOf = (error: unknown) =>
  error instanceof KplInputError ? error.message : loggableMessage(error);

/** Runs one batch through a consumer. See the module comment for the failure semantics. */
export async function processKinesisEvent<F extends RecordFormat, TOut>(
  event: KinesisStreamEvent,
  consumer: StreamConsumer<F, TOut>,
  options: RunOptions = { remainingTimeMs: () => Number.POSITIVE_INFINITY },
): Promise<BatchResult> {
  const deadline = startDeadline(
    options.remainingTimeMs,
    options.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS,
  );
  try {
    return await runBatch(event, consumer, deadline);
  } finally {
    deadline.dispose();
  }
}

async function runBatch<F extends RecordFormat, TOut>(
  event: KinesisStreamEvent,
  consumer: StreamConsumer<F, TOut>,
  deadline: ReturnType<typeof startDeadline>,
): Promise<BatchResult> {
  const context: SinkWriteContext = { remainingTimeMs: deadline.remainingMs, signal: deadline.signal };
  const records = kinesisRecordsOf(event);
  const first = records[0];
  const stream = streamNameFromArn(first?.eventSourceARN);
  const shardId = shardIdFromEventId(first?.eventID);
  const summary: BatchSummary = {
    stream,
    shardId,
    parents: records.length,
    userRecords: 0,
    delivered: 0,
    filtered: 0,
    deadLettered: 0,
    failed: 0,
    firstSequenceNumber: first?.kinesis.sequenceNumber,
    lastSequenceNumber: records.at(-1)?.kinesis.sequenceNumber,
  };

  const items: SinkItem<TOut>[] = [];
  const streaming = isStreaming(consumer.sink) ? consumer.sink : undefined;
  let sinkStream: SinkStream<TOut> | undefined;
  let streamError: { error: unknown } | undefined;
  const itemParent: number[] = [];
  /** Each item's original bytes, for dead-lettering it if the destination rejects it. */
  const itemData: Uint8Array[] = [];
  const deadLetters: DeadLetterEntry[] = [];
  const deadLetterParent: number[] = [];
  let eventBytes = 0;
  const unloggedPoison: Record<string, number> = {};
  // The records of one aggregate share its key table: hash a long key once, not once per record.
  let longKey: { key: string; error: PartitionKeyTooLongError } | undefined;
  const longKeyError = (key: string) => {
    if (longKey?.key !== key) {
      const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
      longKey = {
        key,
        error: new PartitionKeyTooLongError(
          `partition key is ${key.length} characters (sha256 ${digest}…); Kinesis allows ${MAX_PARTITION_KEY_LENGTH}`,
        ),
      };
    }
    return longKey.error;
  };

  const poison = (
    parent: number,
    coordinates: RecordCoordinates,
    error: unknown,
    data: Uint8Array | string,
  ) => {
    const entry = { coordinates, errorName: errorNameOf(error), reason: errorMessageOf(error), data };
    deadLetters.push(entry);
    deadLetterParent.push(parent);
    logPoison(entry);
  };
  let poisonSeen = 0;
  const logPoison = (entry: DeadLetterEntry) => {
    // One aggregate can hold thousands of poison records: log the first few, count the rest by class.
    if (++poisonSeen > MAX_POISON_LOG_LINES) {
      unloggedPoison[entry.errorName] = (unloggedPoison[entry.errorName] ?? 0) + 1;
      return;
    }
    // Coordinates and reason only: the payload stays out of the logs.
    logger.warn('Poison record dead-lettered', {
      ...loggable(entry.coordinates),
      errorName: entry.errorName,
      reason: entry.reason,
    });
  };

  records.forEach((record, parent) => {
    const { kinesis } = record;
    eventBytes += kinesis.data.length;
    const arrival = Math.round(kinesis.approximateArrivalTimestamp * 1000);
    const parentCoordinates: RecordCoordinates = {
      stream,
      // A record without an eventID is filed under the batch's shard.
      shardId: record.eventID ? shardIdFromEventId(record.eventID) : shardId,
      sequenceNumber: kinesis.sequenceNumber,
      subSequenceNumber: 0,
      partitionKey: kinesis.partitionKey,
      approximateArrivalTimestamp: arrival,
    };
    let userRecords: ReturnType<typeof deaggregate>;
    try {
      userRecords = deaggregate({
        data: kinesis.data,
        partitionKey: kinesis.partitionKey,
        sequenceNumber: kinesis.sequenceNumber,
        approximateArrivalTimestamp: arrival,
      });
    } catch (error) {
      if (!(error instanceof KplInputError)) throw error;
      summary.userRecords += 1;
      poison(parent, parentCoordinates, error, kinesis.data);
      return;
    }
    summary.userRecords += userRecords.length;
    for (const user of userRecords) {
      const coordinates: RecordCoordinates = {
        ...parentCoordinates,
        subSequenceNumber: user.subSequenceNumber,
        partitionKey: user.partitionKey,
      };
      // Only a KPL key table can carry a key this long (Kinesis rejects it on put). Repeated on every line of a
      // dead-letter object it would multiply the aggregate's size: keep its length and a hash instead.
      if (user.partitionKey.length > MAX_PARTITION_KEY_LENGTH) {
        poison(parent, { ...coordinates, partitionKey: '' }, longKeyError(user.partitionKey), user.data);
        continue;
      }
      let out: TOut | undefined;
      try {
        out = consumer.transform(consumerRecord(consumer.format, coordinates, user.data));
      } catch (error) {
        poison(parent, coordinates, error, user.data);
        continue;
      }
      if (out === undefined) {
        summary.filtered += 1;
        continue;
      }
      const item = { coordinates, value: out };
      items.push(item);
      if (streaming && !streamError) {
        try {
          (sinkStream ??= streaming.open(context)).push(item);
        } catch (error) {
          streamError = { error };
        }
      }
      itemParent.push(parent);
      itemData.push(user.data);
    }
  });

  const failedParents = new Set<number>();
  const started = performance.now();
  // Whatever a sink has not confirmed when the budget is spent counts as failed: the runner answers in time and
  // Lambda re-delivers those records (the sinks' deterministic keys make the retry overwrite, not duplicate).
  const abandoned = (what: string) => {
    logger.error(
      `${what} did not finish within the invocation's time budget; its records are handed back to Lambda`,
      {
        stream,
        shardId,
      },
    );
  };
  const sinkFailed = (error: unknown) => {
    logger.error('Sink write failed; the batch is handed back to Lambda', {
      stream,
      shardId,
      errorName: errorNameOf(error),
      errorMessage: errorMessageOf(error),
    });
    return { failed: items.map((_, index) => index) };
  };
  const deadLetterFailed = (error: unknown) => {
    logger.error('Dead-letter write failed; the poison records are handed back to Lambda', {
      stream,
      shardId,
      errorName: errorNameOf(error),
      errorMessage: errorMessageOf(error),
    });
    return false;
  };
  const writeItems = async (): Promise<SinkWriteResult> => {
    if (streamError) throw streamError.error;
    return sinkStream ? sinkStream.finish() : consumer.sink.write(items, context);
  };
  const [written, deadLettered]: [SinkWriteResult, boolean] = await Promise.all([
    items.length === 0
      ? { failed: [] }
      : untilDeadline(writeItems().catch(sinkFailed), deadline, () => {
          abandoned('Sink write');
          return { failed: items.map((_, index) => index) };
        }),
    deadLetters.length === 0
      ? true
      : untilDeadline(
          consumer.deadLetter.write(deadLetters, context).then(() => true, deadLetterFailed),
          deadline,
          () => {
            abandoned('Dead-letter write');
            return false;
          },
        ),
  ]);
  const failedItems = new Set(written.failed);
  for (const index of failedItems) failedParents.add(itemParent[index]!);
  summary.failed = failedItems.size;
  if (deadLettered) summary.deadLettered = deadLetters.length;
  else for (const parent of deadLetterParent) failedParents.add(parent);

  // Items the destination refused for good are poison too: dead-lettered with its reason, after the write.
  const seen = new Set<number>(failedItems);
  const rejected = (written.rejected ?? []).filter(
    ({ index }) => !seen.has(index) && seen.add(index) !== undefined,
  );
  if (rejected.length > 0) {
    const entries: DeadLetterEntry[] = rejected.map(({ index, errorName, reason }) => ({
      coordinates: items[index]!.coordinates,
      errorName,
      reason,
      data: itemData[index]!,
    }));
    entries.forEach(logPoison);
    const stored = await untilDeadline(
      consumer.deadLetter.write(entries, context).then(() => true, deadLetterFailed),
      deadline,
      () => {
        abandoned('Dead-letter write of rejected records');
        return false;
      },
    );
    if (stored) summary.deadLettered += entries.length;
    else {
      for (const { index } of rejected) failedParents.add(itemParent[index]!);
      summary.failed += entries.length;
    }
  }
  const sinkLatencyMs = performance.now() - started;
  summary.delivered =
    items.length - summary.failed - (summary.failed === failedItems.size ? rejected.length : 0);
  if (poisonSeen > MAX_POISON_LOG_LINES) {
    logger.warn('More poison records dead-lettered than logged one by one', {
      stream,
      shardId,
      logged: MAX_POISON_LOG_LINES,
      notLoggedByErrorName: unloggedPoison,
    });
  }

  // Report the earliest failed parent only: Lambda re-delivers from the lowest reported sequence number, and a
  // parent after it must not be counted done.
  let earliest = -1;
  for (const parent of failedParents) if (earliest === -1 || parent < earliest) earliest = parent;
  const batchItemFailures =
    earliest === -1 ? [] : [{ itemIdentifier: records[earliest]!.kinesis.sequenceNumber }];
  if (earliest !== -1) summary.retryFrom = batchItemFailures[0]!.itemIdentifier;

  metrics.addMetric('RecordsIn', MetricUnit.Count, summary.parents);
  metrics.addMetric('UserRecords', MetricUnit.Count, summary.userRecords);
  metrics.addMetric('RecordsOut', MetricUnit.Count, summary.delivered);
  metrics.addMetric('RecordsFiltered', MetricUnit.Count, summary.filtered);
  metrics.addMetric('RecordsFailed', MetricUnit.Count, summary.failed);
  metrics.addMetric('RecordsDeadLettered', MetricUnit.Count, summary.deadLettered);
  metrics.addMetric('BytesIn', MetricUnit.Bytes, Math.floor((eventBytes * 3) / 4));
  if (items.length > 0) metrics.addMetric('SinkLatency', MetricUnit.Milliseconds, sinkLatencyMs);
  logger.info('Batch processed', { ...summary });

  return { response: { batchItemFailures }, summary };
}
