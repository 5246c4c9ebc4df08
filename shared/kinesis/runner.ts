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
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { deaggregate, KplInputError } from '../kpl';
import { loggableMessage, SafeMessageError } from '../middleware/errors';
import { logger, MetricUnit, metrics } from '../middleware/observability';
import { kinesisRecordsOf, shardIdFromEventId, streamNameFromArn } from './event';
import type {
  ConsumerRecord,
  DeadLetterEntry,
  DeadLetterSink,
  RecordCoordinates,
  Sink,
  SinkItem,
  SinkWriteContext,
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode<F extends RecordFormat>(format: F, data: Uint8Array): DecodedValue<F> {
  if (format === 'binary') return data as DecodedValue<F>;
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    throw new RecordDecodeError('data is not valid UTF-8');
  }
  if (format === 'text') return text as DecodedValue<F>;
  try {
    return JSON.parse(text) as DecodedValue<F>;
  } catch (error) {
    // V8's message quotes the offending input; keep only the position so no payload reaches the logs.
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    throw new RecordDecodeError(
      position === undefined ? 'data is not valid JSON' : `data is not valid JSON (at byte ${position})`,
    );
  }
}

const errorNameOf = (error: unknown) => (error instanceof Error ? error.name : 'Error');
// Our own errors are written to be safe; anything else (a consumer's transform, a sink) may quote data.
const errorMessageOf = (error: unknown) =>
  error instanceof KplInputError ? error.message : loggableMessage(error);

/** Runs one batch through a consumer. See the module comment for the failure semantics. */
export async function processKinesisEvent<F extends RecordFormat, TOut>(
  event: KinesisStreamEvent,
  consumer: StreamConsumer<F, TOut>,
  context: SinkWriteContext = { remainingTimeMs: () => Number.POSITIVE_INFINITY },
): Promise<BatchResult> {
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
  const itemParent: number[] = [];
  const deadLetters: DeadLetterEntry[] = [];
  const deadLetterParent: number[] = [];
  let eventBytes = 0;

  const poison = (
    parent: number,
    coordinates: RecordCoordinates,
    error: unknown,
    data: Uint8Array | string,
  ) => {
    const entry = { coordinates, errorName: errorNameOf(error), reason: errorMessageOf(error), data };
    deadLetters.push(entry);
    deadLetterParent.push(parent);
    // Coordinates and reason only: the payload stays out of the logs.
    logger.warn('Poison record dead-lettered', {
      ...coordinates,
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
      shardId: shardIdFromEventId(record.eventID) || shardId,
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
      let out: TOut | undefined;
      try {
        out = consumer.transform({ coordinates, data: user.data, value: decode(consumer.format, user.data) });
      } catch (error) {
        poison(parent, coordinates, error, user.data);
        continue;
      }
      if (out === undefined) {
        summary.filtered += 1;
        continue;
      }
      items.push({ coordinates, value: out });
      itemParent.push(parent);
    }
  });

  const failedParents = new Set<number>();
  const started = performance.now();
  await Promise.all([
    items.length === 0
      ? undefined
      : consumer.sink.write(items, context).then(
          ({ failed }) => {
            for (const index of failed) failedParents.add(itemParent[index]!);
            summary.failed += failed.length;
          },
          (error: unknown) => {
            logger.error('Sink write failed; the batch is handed back to Lambda', {
              stream,
              shardId,
              errorName: errorNameOf(error),
              errorMessage: errorMessageOf(error),
            });
            for (const parent of itemParent) failedParents.add(parent);
            summary.failed += items.length;
          },
        ),
    deadLetters.length === 0
      ? undefined
      : consumer.deadLetter.write(deadLetters, context).then(
          () => {
            summary.deadLettered += deadLetters.length;
          },
          (error: unknown) => {
            logger.error('Dead-letter write failed; the poison records are handed back to Lambda', {
              stream,
              shardId,
              errorName: errorNameOf(error),
              errorMessage: errorMessageOf(error),
            });
            for (const parent of deadLetterParent) failedParents.add(parent);
          },
        ),
  ]);
  const sinkLatencyMs = performance.now() - started;
  summary.delivered = items.length - summary.failed;

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
