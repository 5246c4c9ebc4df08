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
 * Two ways to give it the transform:
 * - {@link processFirehoseEvent}: a function from a {@link FirehoseInputRecord} to an outcome (`ok(data)`,
 *   `dropped()`, `processingFailed(reason)`), sync or async: the general one, and the one to start from;
 * - {@link processFirehoseBytes}: a synchronous function that reads the record's bytes where they lie and writes
 *   its output into a {@link ByteWriter}: no object, view or outcome per record. The log blueprints use it; on a
 *   6 MB event of log lines that is the difference between the runner costing more than the parsing and costing
 *   next to nothing (`npm run bench`).
 *
 * @example
 * ```ts
 * export const handler = kitHandler(async (event: FirehoseTransformationEvent, context) =>
 *   processFirehoseEvent(event, (record) => ok(record.data), { lambdaContext: context }),
 * );
 * ```
 */
import { isUtf8 } from 'node:buffer';
import { type ByteWriter, withWriter } from '../logformats/bytes';
import { startDeadline, untilDeadline } from '../aws/deadline';
import { loggableMessage, maskedMessage, SafeMessageError } from '../middleware/errors';
import { logger, MetricUnit, metrics } from '../middleware/observability';
import {
  entrySize,
  jsonStringBytes,
  MAX_RESPONSE_BYTES,
  maxOutputBytes,
  wrapperBytes,
} from './response-size';
import type {
  BytesTransform,
  FirehoseInputRecord,
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
  OverflowRecord,
  PartitionMetadata,
  RecordBytes,
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
  /**
   * Output bytes (before base64) one invocation's transforms may produce between them, counted in input order
   * and handed to each transform as `record.maxOutputBytes` (capped by what a response can carry). Only so much
   * can be answered inline: a transform that honours it stops building outputs that would be re-ingested or
   * failed anyway, which bounds the memory a small record that expands enormously can take. Default: twice
   * `maxResponseBytes`.
   */
  outputBudgetBytes?: number;
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

const NO_DEADLINE_MS = 60_000;

/**
 * Every record's data decoded from base64 into one buffer, back to back: record i is `bytes[starts[i],
 * starts[i + 1])`. One allocation per invocation (or none: the bytes mode reuses the buffer) instead of one Buffer
 * per record, which, with its share of the 8 KiB pool and its wrapper object, cost about as much as the decoding
 * itself and made most of a large event's garbage. In the object mode the buffer is this invocation's alone, so
 * the views handed to transforms stay valid for as long as anyone holds them (and keep the whole buffer alive);
 * in the bytes mode transforms must not keep them.
 */
interface DecodedBatch {
  bytes: Buffer;
  starts: Int32Array;
  /**
   * Each record's approximateArrivalTimestamp, read while decoding it (NaN where it is not a number). Read again
   * from the record later, once decoding has gone through the whole batch, each one missed the CPU's caches:
   * that was 6% of the syslog blueprints' time.
   */
  arrivals: Float64Array;
}

/**
 * Decodes every record into `into` (the bytes mode reuses one buffer from invocation to invocation: its
 * transforms do not keep the bytes), growing it when it is too small, and fills in the plan's per-record sizes
 * in the same pass: the event's record objects are scattered over the heap, so each one is read once here and
 * once for its response entry.
 */
function decodeBatch(
  raws: readonly FirehoseTransformationEventRecord[],
  plan: Plan,
  into?: Buffer,
): DecodedBatch {
  const count = raws.length;
  const starts = new Int32Array(count + 1);
  const ids: string[] = new Array(count);
  const dataLengths = new Int32Array(count);
  const arrivals = new Float64Array(count);
  const bytes = decodeInto(raws, into ?? Buffer.allocUnsafeSlow(0), starts, ids, dataLengths, arrivals);
  plan.setSizes(ids, dataLengths);
  return { bytes, starts, arrivals };
}

/**
 * The loop of {@link decodeBatch}, alone in its function: V8 compiles a long loop while it runs (OSR), and code
 * after the loop that had not run yet (a store, a method call) threw that compiled code away at the end of every
 * call, so each invocation ran the loop mostly unoptimised.
 */
function decodeInto(
  raws: readonly FirehoseTransformationEventRecord[],
  into: Buffer,
  starts: Int32Array,
  ids: string[],
  dataLengths: Int32Array,
  arrivals: Float64Array,
): Buffer {
  let bytes = into;
  let pos = 0;
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i]!;
    const data = raw.data ?? '';
    ids[i] = raw.recordId;
    dataLengths[i] = data.length;
    const arrival = raw.approximateArrivalTimestamp;
    arrivals[i] = typeof arrival === 'number' ? arrival : Number.NaN;
    // base64 decodes to at most 3 bytes per 4 characters (rounded up for unpadded input).
    if (pos + Math.ceil((data.length * 3) / 4) > bytes.length) bytes = grown(bytes, pos, raws, i);
    if (data.length > 0) pos += decodeBase64(bytes, data, pos);
    starts[i + 1] = pos;
  }
  return bytes;
}

/**
 * `buffer.write(text, at, 'base64')` through the method it ends in, where the runtime has it: Buffer#write's
 * argument handling cost a fifth of decoding a ~300-byte record (Node 20 and 22 give every Buffer an undocumented
 * `base64Write(text, offset)`, which Buffer#write calls; a runtime without it gets the documented call).
 */
const decodeBase64: (buffer: Buffer, text: string, at: number) => number =
  typeof (Buffer.prototype as { base64Write?: unknown }).base64Write === 'function'
    ? (buffer, text, at) =>
        (buffer as Buffer & { base64Write(text: string, at: number): number }).base64Write(text, at)
    : (buffer, text, at) => buffer.write(text, at, 'base64');

/** A buffer holding `bytes[0, pos)` with room for records `from` onwards (a function of its own: rarely run). */
function grown(
  bytes: Buffer,
  pos: number,
  raws: readonly FirehoseTransformationEventRecord[],
  from: number,
): Buffer {
  let rest = 0;
  for (let k = from; k < raws.length; k++) rest += Math.ceil(((raws[k]!.data?.length ?? 0) * 3) / 4);
  const larger = Buffer.allocUnsafeSlow(pos + rest);
  bytes.copy(larger, 0, 0, pos);
  return larger;
}

/** The record as a transform sees it: its data decoded from base64 (a view into the batch's buffer). */
function inputRecord(
  raw: FirehoseTransformationEventRecord,
  index: number,
  batch: DecodedBatch,
  maxOutputBytes?: number,
): FirehoseInputRecord {
  const record: FirehoseInputRecord = {
    recordId: raw.recordId,
    data: batch.bytes.subarray(batch.starts[index], batch.starts[index + 1]),
    approximateArrivalTimestamp: raw.approximateArrivalTimestamp,
    index,
  };
  if (maxOutputBytes !== undefined) record.maxOutputBytes = maxOutputBytes;
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

const OK = 0;
const DROPPED = 1;
const FAILED = 2;

/** What bounded the `maxOutputBytes` a record was given (see Plan.limitedBy). */
const BY_RESPONSE = 1;
const BY_BUDGET = 2;
/** The planned size of an output the transform did not build (outputTooLarge): larger than any response. */
const NOT_BUILT = 0x7fffffff;

/**
 * Every record's answer as planned, kept between the transforms and the response in parallel arrays (no object
 * per record). Sizes are counted arithmetically (see ./response-size): the recordId once, the base64 text by its
 * length, the metadata once; no entry is serialised to be measured. Only an Ok output's base64 text is kept: the
 * rare overflow path decodes it again rather than every record keeping its bytes alive for the whole invocation.
 */
class Plan {
  readonly count: number;
  /** OK, DROPPED or FAILED. */
  readonly result: Uint8Array;
  /** Serialised bytes of the recordId (quotes and escapes included). */
  readonly idBytes: Int32Array;
  /** Serialised bytes of the entry as planned. */
  readonly size: Int32Array;
  /** Serialised bytes of the record answered ProcessingFailed with its original data. */
  readonly fallback: Int32Array;
  /** Bytes of the Ok output (0 otherwise). */
  readonly outputBytes: Int32Array;
  /** The Ok output's base64 text. */
  readonly data: (string | undefined)[];
  /** The Ok output's partition keys, where it has some. */
  readonly metadata: (PartitionMetadata | undefined)[] = [];
  readonly reasons = new Map<number, string>();
  /** For an output the transform did not build: which limit it passed (BY_RESPONSE or BY_BUDGET); else 0. */
  readonly limitedBy: Uint8Array;
  /** What is left of the invocation's output budget (see ProcessOptions.outputBudgetBytes). */
  private budgetLeft: number;

  constructor(
    readonly raws: readonly FirehoseTransformationEventRecord[],
    readonly maxResponseBytes: number,
    outputBudgetBytes: number,
  ) {
    const count = raws.length;
    this.count = count;
    this.limitedBy = new Uint8Array(count);
    this.budgetLeft = outputBudgetBytes;
    this.result = new Uint8Array(count).fill(FAILED);
    this.idBytes = new Int32Array(count);
    this.size = new Int32Array(count);
    this.fallback = new Int32Array(count);
    this.outputBytes = new Int32Array(count);
    this.data = new Array(count);
  }

  /**
   * Every record's sizes, from its recordId and the length of its base64 data. Each recordId is measured alone:
   * one regular-expression test for the plain ASCII Firehose sends (on 11,599 recordIds, 0.8 ms; serialising the
   * array of them to measure it at once took 1.5 ms).
   */
  setSizes(ids: readonly string[], dataLengths: Int32Array): void {
    // base64 is ASCII, so the original data's length is its serialised length.
    const failedEnvelope = entrySize(0, 'ProcessingFailed', 0);
    for (let i = 0; i < ids.length; i++) {
      const idBytes = jsonStringBytes(ids[i]!);
      this.idBytes[i] = idBytes;
      const fallback = failedEnvelope + idBytes + dataLengths[i]!;
      this.fallback[i] = fallback;
      this.size[i] = fallback;
    }
  }

  droppedSize(i: number): number {
    return entrySize(this.idBytes[i]!, 'Dropped');
  }

  /** The `maxOutputBytes` record i is given: what a response can carry, or the budget left if that is less. */
  outputCap(i: number): number {
    const byResponse = maxOutputBytes(this.idBytes[i]!, this.maxResponseBytes);
    return Math.max(0, Math.min(byResponse, this.budgetLeft));
  }

  /** Whether record i's planned output would fit in a response holding it alone. */
  fitsAlone(i: number): boolean {
    if (this.limitedBy[i] !== 0) return this.limitedBy[i] === BY_BUDGET;
    return wrapperBytes(1) + this.size[i]! <= this.maxResponseBytes;
  }

  /** Counts an Ok output against the invocation's output budget. */
  spend(i: number): void {
    if (this.result[i] === OK) this.budgetLeft -= this.outputBytes[i]!;
  }

  /** The transform stopped building record i's output (outputTooLarge): it overflows whatever the room. */
  notBuilt(i: number): void {
    this.result[i] = OK;
    this.data[i] = undefined;
    this.outputBytes[i] = 0;
    this.size[i] = NOT_BUILT;
    this.limitedBy[i] =
      maxOutputBytes(this.idBytes[i]!, this.maxResponseBytes) <= this.budgetLeft ? BY_RESPONSE : BY_BUDGET;
  }

  ok(i: number, base64: string, bytes: number, metadata?: PartitionMetadata): void {
    this.result[i] = OK;
    this.data[i] = base64;
    this.outputBytes[i] = bytes;
    if (metadata === undefined) {
      this.size[i] = entrySize(this.idBytes[i]!, 'Ok', base64.length);
    } else {
      this.metadata[i] = metadata;
      this.size[i] = entrySize(
        this.idBytes[i]!,
        'Ok',
        base64.length,
        Buffer.byteLength(JSON.stringify(metadata)),
      );
    }
  }

  /** Ok with an output of `bytes` bytes whose base64 text {@link data} gets later (see encodeInPlace). */
  okPending(i: number, bytes: number): void {
    this.result[i] = OK;
    this.outputBytes[i] = bytes;
    this.size[i] = entrySize(this.idBytes[i]!, 'Ok', base64Length(bytes));
  }

  dropped(i: number): void {
    this.result[i] = DROPPED;
    this.size[i] = this.droppedSize(i);
    this.clearOutput(i);
  }

  fail(i: number, reason: string): void {
    this.result[i] = FAILED;
    this.size[i] = this.fallback[i]!;
    this.reasons.set(i, reason);
    this.clearOutput(i);
  }

  private clearOutput(i: number): void {
    this.data[i] = undefined;
    this.outputBytes[i] = 0;
    if (this.metadata[i] !== undefined) this.metadata[i] = undefined;
  }

  /** Records `outcome` (whatever a transform returned) for record i. */
  settle(i: number, outcome: TransformOutcome): void {
    switch (outcome?.result) {
      case 'Ok': {
        const data = outcome.data;
        const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        // A Buffer is encoded as it is; a plain Uint8Array needs a Buffer view of it first.
        const base64 = Buffer.isBuffer(bytes)
          ? bytes.toString('base64')
          : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
        this.ok(i, base64, bytes.byteLength, outcome.metadata);
        return;
      }
      case 'Dropped':
        this.dropped(i);
        return;
      case 'ProcessingFailed':
        this.fail(i, outcome.reason);
        return;
      case 'OutputTooLarge':
        this.notBuilt(i);
        return;
      default:
        this.fail(
          i,
          `transform returned no valid outcome (result ${JSON.stringify((outcome as { result?: unknown })?.result)})`,
        );
    }
  }

  /** The response entry of record i. */
  entry(i: number): FirehoseTransformationResultRecord {
    const recordId = this.raws[i]!.recordId;
    switch (this.result[i]) {
      case OK: {
        const metadata = this.metadata[i];
        return metadata === undefined
          ? { recordId, result: 'Ok', data: this.data[i]! }
          : { recordId, result: 'Ok', data: this.data[i]!, metadata };
      }
      case DROPPED:
        return { recordId, result: 'Dropped' };
      default:
        return { recordId, result: 'ProcessingFailed', data: this.raws[i]!.data ?? '' };
    }
  }
}

/** What both ways in share: the event checked, its context, its records decoded, and an empty plan. */
interface Run {
  event: FirehoseTransformationEvent;
  context: TransformContext;
  batch: DecodedBatch;
  plan: Plan;
}

function startRun(event: FirehoseTransformationEvent, options: ProcessOptions, into?: Buffer): Run {
  if (!event || !Array.isArray(event.records)) {
    throw new TypeError('Not a Firehose transformation event: `records` is missing');
  }
  const context: TransformContext = {
    invocationId: event.invocationId,
    deliveryStreamArn: event.deliveryStreamArn,
    region: event.region,
    ...(event.sourceKinesisStreamArn && { sourceKinesisStreamArn: event.sourceKinesisStreamArn }),
  };
  const maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const plan = new Plan(event.records, maxResponseBytes, options.outputBudgetBytes ?? 2 * maxResponseBytes);
  return { event, context, batch: decodeBatch(event.records, plan, into), plan };
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
  const run = startRun(event, options);
  const { batch, context, plan } = run;
  // Every record, in order. A transform that returns a plain outcome is called back to back, with no await (no
  // microtask turn) per record; only a thenable outcome is awaited.
  const raws = event.records;
  for (let index = 0; index < raws.length; index++) {
    try {
      let outcome = transform(inputRecord(raws[index]!, index, batch, plan.outputCap(index)), context);
      if (isThenable(outcome)) outcome = await outcome;
      plan.settle(index, outcome);
      plan.spend(index);
    } catch (error) {
      plan.fail(index, reasonOf(error));
    }
  }
  return finishRun(run, options);
}

/**
 * Runs a {@link BytesTransform} over every record of a Firehose transformation event: the transform reads
 * `record.bytes[record.start, record.end)` and appends the record's output to `out`; the runner takes it from
 * there. Same guarantees and options as {@link processFirehoseEvent}.
 *
 * @example
 * ```ts
 * const result = await processFirehoseBytes(event, (record, out) => {
 *   if (!record.utf8) throw new InvalidUtf8Error();
 *   out.copy(record.bytes, record.start, record.end); // pass-through
 * });
 * ```
 */
export async function processFirehoseBytes(
  event: FirehoseTransformationEvent,
  transform: BytesTransform,
  options: ProcessOptions = {},
): Promise<FirehoseTransformationResult> {
  return (await runFirehoseBytes(event, transform, options)).result;
}

/** {@link processFirehoseBytes}, also returning the invocation's counts (for demos and tests). */
export async function runFirehoseBytes(
  event: FirehoseTransformationEvent,
  transform: BytesTransform,
  options: ProcessOptions = {},
): Promise<{ result: FirehoseTransformationResult; summary: FirehoseRunSummary }> {
  const run = startRun(event, options, idleInputs.pop());
  try {
    return await transformBytes(run, transform, options);
  } finally {
    // Kept for the next invocation unless it is unusually large (a warm function then decodes into memory it
    // already has, instead of making the garbage collector free a few MB per invocation).
    const { bytes } = run.batch;
    if (bytes.length <= MAX_RETAINED_INPUT_BYTES && idleInputs.length < MAX_IDLE_INPUTS)
      idleInputs.push(bytes);
  }
}

/** Decode buffers of finished bytes-mode invocations, for the next ones. */
const idleInputs: Buffer[] = [];
const MAX_RETAINED_INPUT_BYTES = 8 << 20;
/** One per invocation that may overlap another (tests, demos); a Lambda runs one at a time. */
const MAX_IDLE_INPUTS = 2;

async function transformBytes(
  run: Run,
  transform: BytesTransform,
  options: ProcessOptions,
): Promise<{ result: FirehoseTransformationResult; summary: FirehoseRunSummary }> {
  const { batch, context, plan, event } = run;
  const { bytes, starts } = batch;
  const raws = event.records;
  const count = raws.length;
  const total = starts[count]!;
  // UTF-8 is checked once for the whole batch: if it is well-formed, so is every record that does not start or
  // end inside a character (a continuation byte, 10xxxxxx, at its start or just past its end). Only a batch that
  // is not well-formed is checked record by record.
  const batchUtf8 = isUtf8(bytes.subarray(0, total));
  // The cursor's buffer ends with the last record: the reused buffer may be longer, holding an earlier event.
  const record = new Cursor(raws, batch.arrivals, bytes.subarray(0, total), context);
  return withWriter(async (out: ByteWriter) => {
    // Where each Ok output lies: its writer chunk and offset (its length is in plan.outputBytes).
    const outputs: Outputs = { chunk: new Array(count), start: new Int32Array(count) };
    for (let index = 0; index < count; index++) {
      const start = starts[index]!;
      const end = starts[index + 1]!;
      record.start = start;
      record.end = end;
      record.index = index;
      record.utf8 =
        start === end ||
        (batchUtf8
          ? (bytes[start]! & 0xc0) !== 0x80 && (end >= total || (bytes[end]! & 0xc0) !== 0x80)
          : isUtf8(bytes.subarray(start, end)));
      try {
        const returned = transform(record, out);
        if (returned !== undefined) {
          out.discard();
          if (returned === 'Dropped') plan.dropped(index);
          else plan.fail(index, unexpectedReturn(returned));
          continue;
        }
        const length = out.pos - out.recordStart;
        // Zero bytes up to a multiple of 3, so the next output starts a base64 quantum (see encodeInPlace).
        const padding = (3 - (length % 3)) % 3;
        if (padding > 0) {
          out.ensure(padding);
          // Stores, not Buffer#fill: its argument checks cost more than the one or two bytes it sets.
          out.buf[out.pos++] = 0;
          if (padding === 2) out.buf[out.pos++] = 0;
        }
        outputs.chunk[index] = out.buf;
        outputs.start[index] = out.recordStart;
        out.endRecord();
        plan.okPending(index, length);
      } catch (error) {
        out.discard();
        plan.fail(index, reasonOf(error));
      }
    }
    encodeInPlace(plan, outputs);
    return finishRun(run, options);
  });
}

/** The reason for a bytes transform that returned something other than nothing or `'Dropped'`. */
function unexpectedReturn(value: unknown): string {
  if (isThenable(value))
    return 'bytes transform returned a promise: it must be synchronous (use processFirehoseEvent)';
  return `bytes transform returned ${typeof value === 'string' ? JSON.stringify(value) : typeof value}, not nothing or 'Dropped'`;
}

/**
 * The {@link RecordBytes} a bytes transform is handed, one object moved from record to record. The recordId is
 * read from the event only when asked for (most transforms never do); the arrival time from what decoding kept.
 */
class Cursor implements RecordBytes {
  start = 0;
  end = 0;
  index = 0;
  utf8 = true;

  constructor(
    private readonly raws: readonly FirehoseTransformationEventRecord[],
    private readonly arrivals: Float64Array,
    readonly bytes: Buffer,
    readonly context: TransformContext,
  ) {}

  get recordId(): string {
    return this.raws[this.index]!.recordId;
  }

  get approximateArrivalTimestamp(): number {
    const arrival = this.arrivals[this.index]!;
    // Not a number in the event (NaN here): whatever the event holds, as before.
    return Number.isNaN(arrival) ? this.raws[this.index]!.approximateArrivalTimestamp : arrival;
  }
}

/** Characters of the padded base64 text of `bytes` bytes. */
function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

interface Outputs {
  chunk: (Buffer | undefined)[];
  start: Int32Array;
}

/** Where encodeInPlace sets the padding (reused: it is used synchronously, by one invocation at a time). */
let scratch = Buffer.allocUnsafeSlow(0);
const MAX_RETAINED_SCRATCH_BYTES = 4 << 20;
/**
 * Bytes encoded at a time (a multiple of 3, so the pieces' texts join without padding): their 128,000 characters
 * stay under V8's largest young-generation object.
 */
const BASE64_PIECE = 96_000;

/**
 * Gives every pending Ok record its base64 text, one encoding per writer chunk rather than one per record.
 *
 * The outputs lie back to back in the writer's chunks, each starting at a multiple of 3 and followed by zero
 * bytes up to the next one. The base64 text of such a run is then the texts of its outputs back to back, except
 * that an output whose length is not a multiple of 3 ends with 'A' (the zero bytes) where its own text has '='
 * padding: the characters before are the same, because the zero bytes contribute nothing to them. So each run is
 * encoded once, the padding characters are set in a copy of the text, and every record's text is a slice of
 * that one string. Per record that replaces an encoding call and a ~640-byte string that the garbage collector
 * copies while the invocation lasts with a slice of a string that lives outside the young generation.
 *
 * The run is encoded into the copy in pieces of {@link BASE64_PIECE} bytes: Node makes a string of more than about
 * 1 MB external (outside V8's heap, counted as external memory), and a 1 MB chunk's base64 text, thrown away at
 * once, was one of two such strings per chunk; their external memory set off a full (mark-compact) collection
 * every four or five 6 MB invocations. A piece's text stays in the young generation and dies there.
 */
function encodeInPlace(plan: Plan, outputs: Outputs): void {
  const { chunk, start } = outputs;
  const count = plan.count;
  let i = 0;
  while (i < count) {
    const buffer = chunk[i];
    if (buffer === undefined) {
      i++;
      continue;
    }
    // The run of records whose outputs are in this chunk (chunks change only forward).
    const from = start[i]!;
    let to = from;
    let j = i;
    for (; j < count; j++) {
      if (chunk[j] === undefined) continue;
      if (chunk[j] !== buffer) break;
      to = start[j]! + 3 * Math.ceil(plan.outputBytes[j]! / 3);
    }
    const length = base64Length(to - from);
    let text = scratch;
    if (text.length < length) {
      text = Buffer.allocUnsafeSlow(length);
      // Kept for the next runs unless a single huge output needed it.
      if (length <= MAX_RETAINED_SCRATCH_BYTES) scratch = text;
    }
    for (let at = from; at < to; at += BASE64_PIECE) {
      text.write(
        buffer.toString('base64', at, Math.min(to, at + BASE64_PIECE)),
        ((at - from) / 3) * 4,
        'latin1',
      );
    }
    for (let k = i; k < j; k++) {
      if (chunk[k] !== buffer) continue;
      const end = ((start[k]! - from) / 3) * 4 + base64Length(plan.outputBytes[k]!);
      const padding = (3 - (plan.outputBytes[k]! % 3)) % 3;
      for (let p = 1; p <= padding; p++) text[end - p] = 0x3d; // '='
    }
    const padded = text.toString('latin1', 0, length);
    for (let k = i; k < j; k++) {
      if (chunk[k] !== buffer) continue;
      const begin = ((start[k]! - from) / 3) * 4;
      plan.data[k] = padded.slice(begin, begin + base64Length(plan.outputBytes[k]!));
    }
    i = j;
  }
}

/** Size guard, overflow, response, logs and metrics: the same whichever way the records were transformed. */
async function finishRun(
  { batch, context, plan }: Run,
  options: ProcessOptions,
): Promise<{ result: FirehoseTransformationResult; summary: FirehoseRunSummary }> {
  const count = plan.count;
  const maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const { result: results, size, fallback } = plan;

  // 1. Size guard. A record costs its answer when that is no larger than its fallback (original data). An
  // output larger than its fallback competes, in input order, for the room left once every other record is
  // counted at what it costs if it overflows: its fallback, or, with a re-ingestion hook, its small Dropped
  // answer (optimistic: step 3 corrects the plan if re-ingestion fails).
  const hook = typeof options.onOverflow === 'function' ? options.onOverflow : undefined;
  const overflowBytes = (i: number) => (hook ? Math.min(plan.droppedSize(i), fallback[i]!) : fallback[i]!);
  const competes = (i: number) => results[i] === OK && size[i]! > fallback[i]!;
  let base = wrapperBytes(count);
  for (let i = 0; i < count; i++) base += competes(i) ? overflowBytes(i) : size[i]!;
  let room = maxResponseBytes - base;
  if (room < 0) {
    logger.error('Even the original records exceed the response limit; returning them as they are', {
      maxResponseBytes,
      minimumResponseBytes: base,
      records: count,
    });
  }
  const overflow: number[] = [];
  for (let i = 0; i < count; i++) {
    if (!competes(i)) continue;
    const extra = size[i]! - overflowBytes(i);
    if (extra <= room) room -= extra;
    else overflow.push(i);
  }

  // 2. Overflowing records: re-ingest through the hook (confirmed -> Dropped), or fall back to their originals.
  let reingested = new Set<string>();
  const reason = overflowReason(0, maxResponseBytes);
  if (overflow.length > 0) {
    if (hook) reingested = await runHook(hook, overflow, plan, batch, context, options);
    for (const i of overflow) {
      if (reingested.has(plan.raws[i]!.recordId)) plan.dropped(i);
      else {
        const why = overflowReason(plan.limitedBy[i]!, maxResponseBytes);
        plan.fail(i, hook ? `${why} and was not re-ingested` : why);
      }
    }
  }

  // 3. If re-ingestion failed, the originals now answered may not leave room for every planned output: answer
  // outputs with their originals instead, last first, until the response fits. Answering everything with its
  // original always fits (see the module comment), so this terminates within the limit.
  let total = wrapperBytes(count);
  for (let i = 0; i < count; i++) total += size[i]!;
  for (let i = count - 1; i >= 0 && total > maxResponseBytes; i--) {
    if (!competes(i)) continue;
    total -= size[i]! - fallback[i]!;
    plan.fail(i, `${reason} once re-ingestion of other records failed`);
  }

  // 4. Response, logs and metrics.
  const records: FirehoseTransformationResultRecord[] = new Array(count);
  for (let i = 0; i < count; i++) records[i] = plan.entry(i);
  const summary = summarise(plan, overflow.length, reingested.size, batch.starts[count]!);
  logFailures(plan, options.maxFailureLogs ?? 50);
  emitMetrics(summary);
  return { result: { records }, summary };
}

/** Why an overflowing output is not answered Ok (payload-free). */
function overflowReason(limitedBy: number, maxResponseBytes: number): string {
  const reason = `output does not fit in the ${maxResponseBytes}-byte response`;
  if (limitedBy === BY_RESPONSE) return `${reason} even alone (not built)`;
  if (limitedBy === BY_BUDGET) return `${reason} (not built: the invocation's output budget was spent)`;
  return reason;
}

async function runHook(
  hook: ReingestHook,
  overflow: number[],
  plan: Plan,
  batch: DecodedBatch,
  context: TransformContext,
  options: ProcessOptions,
): Promise<Set<string>> {
  const remaining = options.lambdaContext?.getRemainingTimeInMillis?.() ?? NO_DEADLINE_MS;
  const margin = options.safetyMarginMs ?? 3_000;
  const deadline = Date.now() + remaining - margin;
  // The hook's calls carry this signal; a hook that still has not answered when it fires is abandoned (nothing
  // it did not confirm is Dropped), so the response goes back before Lambda's deadline.
  const budget = startDeadline(() => remaining, margin);
  // The input as the transform saw it (a copy: the bytes mode reuses the batch's buffer), the output decoded
  // again from its base64 (see Plan).
  const records: OverflowRecord[] = overflow.map((i) => {
    const record = inputRecord(plan.raws[i]!, i, batch);
    record.data = Buffer.from(record.data);
    const text = plan.data[i];
    const data = text === undefined ? Buffer.alloc(0) : Buffer.from(text, 'base64');
    const metadata = plan.metadata[i];
    const fitsAlone = plan.fitsAlone(i);
    return metadata === undefined ? { record, data, fitsAlone } : { record, data, metadata, fitsAlone };
  });
  try {
    const confirmed = await untilDeadline(
      hook(records, { ...context, deadline, signal: budget.signal }),
      budget,
      () => {
        logger.error(
          'Re-ingestion did not finish within the time budget; overflowing records answered ProcessingFailed',
          {
            records: records.length,
          },
        );
        return [];
      },
    );
    return new Set(confirmed);
  } catch (error) {
    logger.error('Re-ingestion failed; overflowing records answered ProcessingFailed', {
      records: records.length,
      errorName: (error as Error)?.name,
      errorMessage: loggableMessage(error),
    });
    return new Set();
  } finally {
    budget.dispose();
  }
}

function summarise(plan: Plan, overflowed: number, reingested: number, bytesIn: number): FirehoseRunSummary {
  const summary: FirehoseRunSummary = {
    recordsIn: plan.count,
    ok: 0,
    dropped: 0,
    processingFailed: 0,
    overflowed,
    reingested,
    bytesIn,
    bytesOut: 0,
    responseBytes: wrapperBytes(plan.count),
  };
  for (let i = 0; i < plan.count; i++) {
    summary.responseBytes += plan.size[i]!;
    const result = plan.result[i];
    if (result === OK) {
      summary.ok += 1;
      summary.bytesOut += plan.outputBytes[i]!;
    } else if (result === DROPPED) summary.dropped += 1;
    else summary.processingFailed += 1;
  }
  return summary;
}

function coordinates(raw: FirehoseTransformationEventRecord, index: number): Record<string, unknown> {
  const meta = raw.kinesisRecordMetadata;
  return {
    recordId: raw.recordId,
    index,
    ...(meta && {
      shardId: meta.shardId,
      sequenceNumber: meta.sequenceNumber,
      subsequenceNumber: meta.subsequenceNumber,
    }),
  };
}

function logFailures(plan: Plan, maxLines: number): void {
  let logged = 0;
  const byReason = new Map<string, number>();
  for (let i = 0; i < plan.count; i++) {
    if (plan.result[i] !== FAILED) continue;
    const reason = plan.reasons.get(i) ?? 'ProcessingFailed';
    if (logged < maxLines) {
      logger.warn('Record answered ProcessingFailed', { ...coordinates(plan.raws[i]!, i), reason });
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
