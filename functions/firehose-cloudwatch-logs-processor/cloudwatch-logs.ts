/**
 * CloudWatch Logs subscription payloads: gzip-compressed JSON
 * `{messageType, owner, logGroup, logStream, subscriptionFilters, logEvents: [{id, timestamp, message}]}`.
 * Decoding (with a decompression cap), turning a DATA_MESSAGE into lines, and re-wrapping its events into
 * smaller payloads of the same shape for re-ingestion.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  decodeUtf8,
  dropped,
  type FirehoseInputRecord,
  maxOutputBytes,
  ok,
  outputTooLarge,
  RecordRejectedError,
  type TransformOutcome,
} from '../../shared/firehose';

export interface LogEvent {
  id: string;
  timestamp: number;
  message: string;
}

export interface CloudWatchLogsMessage {
  messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  owner: string;
  logGroup: string;
  logStream: string;
  subscriptionFilters: string[];
  logEvents: LogEvent[];
}

export type OutputFormat = 'message' | 'json';

/** CloudWatch Logs' limits on names: log group and log stream names are 1-512 characters. */
export const MAX_LOG_GROUP_CHARS = 512;
export const MAX_LOG_STREAM_CHARS = 512;
/**
 * Bounds on the rest of the header (subscription filter names are at most 512 characters, a log group has at
 * most 2 filters, the owner is an account id): generous, but they keep a crafted header from being copied into
 * every re-ingested chunk.
 */
const MAX_FILTER_NAME_CHARS = 512;
const MAX_FILTERS = 10;
const MAX_OWNER_CHARS = 64;

/** The longest recordId a re-ingested chunk is assumed to get when sizing it against a response (Firehose's are ~60). */
const RECORD_ID_ALLOWANCE_BYTES = 512;

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * What one invocation may still inflate, across all its records. Every record's output stays in memory until the
 * response is returned, so the per-record cap alone would let a batch of near-cap records exhaust the function's
 * memory (and a failed invocation sends the whole batch to the error prefix).
 */
export interface DecompressionBudget {
  remaining: number;
}

/**
 * Gunzips (at most `maxDecompressedBytes`, and at most what `budget` has left) and validates one payload.
 * Payloads already decompressed (Firehose's own CloudWatch Logs decompression, or a test) are accepted as JSON.
 * Throws {@link RecordRejectedError}.
 */
export function decodeCloudWatchLogs(
  data: Uint8Array,
  maxDecompressedBytes: number,
  budget?: DecompressionBudget,
): CloudWatchLogsMessage {
  let json: Uint8Array = data;
  if (data[0] === GZIP_MAGIC_0 && data[1] === GZIP_MAGIC_1) {
    const cap = budget ? Math.min(maxDecompressedBytes, budget.remaining) : maxDecompressedBytes;
    try {
      // maxOutputLength stops inflating at the cap, so a gzip bomb costs at most the cap in memory.
      json = gunzipSync(data, { maxOutputLength: Math.max(cap, 1) });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') {
        throw new RecordRejectedError(
          cap < maxDecompressedBytes
            ? `this invocation already inflated its MAX_INVOCATION_DECOMPRESSED_BYTES; ${budget!.remaining} bytes were left`
            : `decompressed data exceeds MAX_DECOMPRESSED_BYTES (${maxDecompressedBytes} bytes)`,
        );
      }
      throw new RecordRejectedError(`data is not valid gzip (${code ?? (error as Error).name})`);
    }
  } else if (data.byteLength === 0) {
    throw new RecordRejectedError('empty record: expected a gzip-compressed CloudWatch Logs payload');
  } else if (data.byteLength > maxDecompressedBytes) {
    throw new RecordRejectedError(`data exceeds MAX_DECOMPRESSED_BYTES (${maxDecompressedBytes} bytes)`);
  }
  if (budget) budget.remaining -= json.byteLength;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeUtf8(json));
  } catch (error) {
    if (error instanceof RecordRejectedError) throw error;
    throw new RecordRejectedError('not a CloudWatch Logs payload: invalid JSON (expected gzip or JSON)');
  }
  return validate(parsed);
}

function validate(value: unknown): CloudWatchLogsMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RecordRejectedError('not a CloudWatch Logs payload: expected a JSON object');
  }
  const message = value as Partial<CloudWatchLogsMessage>;
  if (message.messageType === 'CONTROL_MESSAGE') return message as CloudWatchLogsMessage;
  if (message.messageType !== 'DATA_MESSAGE') {
    throw new RecordRejectedError(
      `not a CloudWatch Logs payload: messageType ${JSON.stringify(String(message.messageType).slice(0, 40))}`,
    );
  }
  checkName('logGroup', message.logGroup, MAX_LOG_GROUP_CHARS);
  checkName('logStream', message.logStream, MAX_LOG_STREAM_CHARS);
  if (message.owner !== undefined) checkName('owner', message.owner, MAX_OWNER_CHARS);
  const filters = message.subscriptionFilters;
  if (filters !== undefined) {
    if (!Array.isArray(filters) || filters.length > MAX_FILTERS)
      throw new RecordRejectedError(`subscriptionFilters is not an array of at most ${MAX_FILTERS} names`);
    filters.forEach((name, i) => checkName(`subscriptionFilters[${i}]`, name, MAX_FILTER_NAME_CHARS));
  }
  if (!Array.isArray(message.logEvents))
    throw new RecordRejectedError('DATA_MESSAGE without a logEvents array');
  for (const [index, event] of message.logEvents.entries()) {
    if (typeof event?.message !== 'string') {
      throw new RecordRejectedError(`logEvents[${index}].message is not a string`);
    }
  }
  return message as CloudWatchLogsMessage;
}

/**
 * A name copied from the payload into output: a string no longer than CloudWatch Logs allows. In JSON output the
 * log group and stream are repeated on every line, so an oversized one would multiply the output.
 */
function checkName(field: string, value: unknown, maxChars: number): void {
  if (typeof value !== 'string') throw new RecordRejectedError(`${field} is not a string`);
  if (value.length > maxChars) {
    throw new RecordRejectedError(
      `${field} of ${value.length} characters exceeds CloudWatch Logs' ${maxChars}`,
    );
  }
}

/** What every JSON line of this message starts with (its log group and stream). */
function jsonPrefix(message: CloudWatchLogsMessage): string {
  return `{"logGroup":${JSON.stringify(message.logGroup)},"logStream":${JSON.stringify(message.logStream)},"id":`;
}

/** The part of an event's JSON line after {@link jsonPrefix}. */
function jsonRest(event: LogEvent): string {
  return `${JSON.stringify(event.id)},"timestamp":${JSON.stringify(event.timestamp)},"message":${JSON.stringify(event.message)}}\n`;
}

/** Bytes of the output line of `event` (`prefixBytes`: of {@link jsonPrefix}, for the json format). */
function lineBytes(event: LogEvent, format: OutputFormat, prefixBytes: number): number {
  return format === 'message'
    ? Buffer.byteLength(event.message) + 1
    : prefixBytes + Buffer.byteLength(jsonRest(event));
}

/**
 * One newline-terminated line per log event; `undefined` as soon as the text passes `maxBytes` (it stops
 * building there: a small record of many tiny events with long names can expand a thousandfold).
 */
export function toLines(
  message: CloudWatchLogsMessage,
  format: OutputFormat,
  maxBytes = Number.POSITIVE_INFINITY,
): string | undefined {
  // A string's length never exceeds its UTF-8 bytes: past maxBytes characters, the output surely is too large.
  let out = '';
  if (format === 'message') {
    for (const event of message.logEvents) {
      out += `${event.message}\n`;
      if (out.length > maxBytes) return undefined;
    }
    return out;
  }
  const prefix = jsonPrefix(message);
  for (const event of message.logEvents) {
    out += `${prefix}${jsonRest(event)}`;
    if (out.length > maxBytes) return undefined;
  }
  return out;
}

/** The record's outcome: CONTROL_MESSAGE and empty DATA_MESSAGEs are Dropped, others become lines. */
export function transformCloudWatchLogs(
  record: FirehoseInputRecord,
  settings: { outputFormat: OutputFormat; maxDecompressedBytes: number },
  budget?: DecompressionBudget,
): TransformOutcome {
  const message = decodeCloudWatchLogs(record.data, settings.maxDecompressedBytes, budget);
  // CONTROL_MESSAGE: sent by CloudWatch Logs to check the destination is reachable; not log data.
  if (message.messageType === 'CONTROL_MESSAGE' || message.logEvents.length === 0) return dropped();
  const lines = toLines(message, settings.outputFormat, record.maxOutputBytes);
  return lines === undefined ? outputTooLarge() : ok(lines);
}

/**
 * Splits a DATA_MESSAGE into gzip payloads of the same shape (same owner, group, stream, filters; consecutive
 * events, ids and order preserved) whose uncompressed JSON is at most `chunkBytes`, whose output in `format` is
 * at most `chunkBytes` too (JSON lines repeat the log group and stream: a chunk sized by its input alone could
 * come back with an output that never fits the response, and be re-ingested unchanged forever), and whose gzip is
 * at most `maxRecordBytes`. Re-ingested, each comes back through {@link transformCloudWatchLogs} as an ordinary
 * record. A single event that alone exceeds the record limit, or whose output alone exceeds what a response can
 * carry, cannot get smaller: it throws {@link RecordRejectedError} (the record is then answered ProcessingFailed).
 */
export function rewrap(
  message: CloudWatchLogsMessage,
  chunkBytes: number,
  maxRecordBytes: number,
  format: OutputFormat = 'message',
): Uint8Array[] {
  const headerBytes = Buffer.byteLength(JSON.stringify({ ...message, logEvents: [] }));
  const prefixBytes = format === 'json' ? Buffer.byteLength(jsonPrefix(message)) : 0;
  const maxEventOutput = maxOutputBytes(RECORD_ID_ALLOWANCE_BYTES);
  const groups: LogEvent[][] = [];
  const firstIndex: number[] = [];
  let group: LogEvent[] = [];
  let bytes = headerBytes;
  let output = 0;
  message.logEvents.forEach((event, index) => {
    const eventBytes = Buffer.byteLength(JSON.stringify(event)) + 1;
    const eventOutput = lineBytes(event, format, prefixBytes);
    if (eventOutput > maxEventOutput) {
      throw new RecordRejectedError(
        `log event ${index} alone makes ${eventOutput} bytes of output, more than a response can carry`,
      );
    }
    if (group.length > 0 && (bytes + eventBytes > chunkBytes || output + eventOutput > chunkBytes)) {
      groups.push(group);
      group = [];
      bytes = headerBytes;
      output = 0;
    }
    if (group.length === 0) firstIndex.push(index);
    group.push(event);
    bytes += eventBytes;
    output += eventOutput;
  });
  if (group.length > 0) groups.push(group);

  const out: Uint8Array[] = [];
  const emit = (events: LogEvent[], first: number) => {
    const gz = gzipSync(JSON.stringify({ ...message, logEvents: events }));
    if (gz.byteLength <= maxRecordBytes) out.push(gz);
    else if (events.length > 1) {
      const half = Math.ceil(events.length / 2);
      emit(events.slice(0, half), first);
      emit(events.slice(half), first + half);
    } else {
      throw new RecordRejectedError(`log event ${first} alone exceeds the re-ingestion record limit`);
    }
  };
  groups.forEach((g, i) => emit(g, firstIndex[i]!));
  return out;
}
