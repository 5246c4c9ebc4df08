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
  ok,
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
  if (!Array.isArray(message.logEvents))
    throw new RecordRejectedError('DATA_MESSAGE without a logEvents array');
  for (const [index, event] of message.logEvents.entries()) {
    if (typeof event?.message !== 'string') {
      throw new RecordRejectedError(`logEvents[${index}].message is not a string`);
    }
  }
  return message as CloudWatchLogsMessage;
}

/** One newline-terminated line per log event. */
export function toLines(message: CloudWatchLogsMessage, format: OutputFormat): string {
  if (format === 'message') {
    let out = '';
    for (const event of message.logEvents) out += `${event.message}\n`;
    return out;
  }
  const prefix = `{"logGroup":${JSON.stringify(message.logGroup)},"logStream":${JSON.stringify(message.logStream)},"id":`;
  let out = '';
  for (const event of message.logEvents) {
    out += `${prefix}${JSON.stringify(event.id)},"timestamp":${JSON.stringify(event.timestamp)},"message":${JSON.stringify(event.message)}}\n`;
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
  return ok(toLines(message, settings.outputFormat));
}

/**
 * Splits a DATA_MESSAGE into gzip payloads of the same shape (same owner, group, stream, filters; consecutive
 * events, ids and order preserved) whose uncompressed JSON is at most `chunkBytes` and whose gzip is at most
 * `maxRecordBytes`. Re-ingested, each comes back through {@link transformCloudWatchLogs} as an ordinary record.
 */
export function rewrap(
  message: CloudWatchLogsMessage,
  chunkBytes: number,
  maxRecordBytes: number,
): Uint8Array[] {
  const headerBytes = Buffer.byteLength(JSON.stringify({ ...message, logEvents: [] }));
  const groups: LogEvent[][] = [];
  let group: LogEvent[] = [];
  let bytes = headerBytes;
  for (const event of message.logEvents) {
    const eventBytes = Buffer.byteLength(JSON.stringify(event)) + 1;
    if (group.length > 0 && bytes + eventBytes > chunkBytes) {
      groups.push(group);
      group = [];
      bytes = headerBytes;
    }
    group.push(event);
    bytes += eventBytes;
  }
  if (group.length > 0) groups.push(group);

  const out: Uint8Array[] = [];
  const emit = (events: LogEvent[]) => {
    const gz = gzipSync(JSON.stringify({ ...message, logEvents: events }));
    if (gz.byteLength <= maxRecordBytes) out.push(gz);
    else if (events.length > 1) {
      const half = Math.ceil(events.length / 2);
      emit(events.slice(0, half));
      emit(events.slice(half));
    } else {
      throw new RecordRejectedError(`log event ${events[0]!.id} alone exceeds the re-ingestion record limit`);
    }
  };
  for (const g of groups) emit(g);
  return out;
}
