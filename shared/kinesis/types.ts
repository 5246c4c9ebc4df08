/** Types shared by the Kinesis batch runner and the sinks it writes to. */

/** Where a user record came from: enough to find it again in the stream, never its payload. */
export interface RecordCoordinates {
  /** Stream name (from the event source ARN). */
  stream: string;
  shardId: string;
  /** The parent Kinesis record's sequence number (what Lambda checkpoints on). */
  sequenceNumber: string;
  /** Index of the user record inside a KPL aggregate; 0 for plain records. */
  subSequenceNumber: number;
  partitionKey: string;
  /** Milliseconds since the epoch. */
  approximateArrivalTimestamp: number;
}

/** One de-aggregated, decoded user record handed to a consumer's transform. */
export interface ConsumerRecord<TValue> {
  coordinates: RecordCoordinates;
  /** The user record's bytes (a view into the decoded event data). */
  data: Uint8Array;
  /** `data` decoded per the consumer's format: parsed JSON, UTF-8 text, or the bytes themselves. */
  value: TValue;
  /**
   * `data` as UTF-8 text, for the json and text formats (undefined for binary). With json, the exact text that
   * parsed (a leading byte order mark removed): a lossless writer slices it instead of re-serialising `value`.
   */
  text?: string;
}

/** A transformed record on its way to a sink. */
export interface SinkItem<TOut> {
  coordinates: RecordCoordinates;
  value: TOut;
}

export interface SinkWriteContext {
  /**
   * Milliseconds left in the invocation's budget: Lambda's remaining time minus the runner's margin (Infinity
   * outside Lambda). Don't start work that cannot finish in it.
   */
  remainingTimeMs(): number;
  /**
   * Aborts when the budget is spent. Pass it to every AWS call (`client.send(command, { abortSignal })`): the
   * runner stops waiting at that point anyway and reports every item not yet confirmed as failed.
   */
  signal?: AbortSignal;
}

export interface SinkWriteResult {
  /**
   * Indexes (into the items passed to write) that were NOT durably written and should be retried by Lambda.
   * Everything else counts as delivered (or rejected, below).
   */
  failed: number[];
  /**
   * Items the destination refused for good (a mapping conflict, a value it cannot store): retrying cannot help,
   * so the runner dead-letters them with this reason and the record's original bytes. The reason must not quote
   * the payload.
   */
  rejected?: SinkRejection[];
}

export interface SinkRejection {
  /** Index into the items passed to write. */
  index: number;
  /** Short machine-readable class, e.g. 'mapper_parsing_exception', 'ValidationException'. */
  errorName: string;
  reason: string;
}

/** A destination with batched writes. Throwing means every item failed (transiently). */
export interface Sink<TOut> {
  write(items: SinkItem<TOut>[], context: SinkWriteContext): Promise<SinkWriteResult>;
}

/** Why a record could not be processed, with its coordinates and original bytes. */
export interface DeadLetterEntry {
  coordinates: RecordCoordinates;
  /** Short machine-readable class, e.g. 'DecodeError', 'TransformError', 'KplInputError'. */
  errorName: string;
  reason: string;
  /** The record's original bytes: the user record's, or the parent's raw event data when it did not decode. */
  data: Uint8Array | string;
}

/** Where poison records go. Throwing means none of the entries was stored (the batch is then retried). */
export interface DeadLetterSink {
  write(entries: DeadLetterEntry[], context: SinkWriteContext): Promise<void>;
}
