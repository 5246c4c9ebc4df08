/**
 * Exact byte accounting of the response Lambda serialises (`JSON.stringify(result)`, UTF-8), so the runner can
 * promise a response at most `maxResponseBytes` long without serialising it twice.
 */
import type { FirehoseTransformationResultRecord } from 'aws-lambda';

/** Lambda's synchronous response limit is 6 MB; Firehose's blueprints use 6,000,000 bytes. So do we. */
export const MAX_RESPONSE_BYTES = 6_000_000;

/** `{"records":[` + `]}` */
const WRAPPER_BYTES = '{"records":[]}'.length;

/** Bytes of `{"records":[...]}` around `count` entries: the wrapper plus the commas between entries. */
export function wrapperBytes(count: number): number {
  return WRAPPER_BYTES + Math.max(0, count - 1);
}

/**
 * Bytes of one serialised response entry. `data` is base64 (ASCII, no escaping), so it is counted by length
 * instead of being stringified again; everything else (recordId, partition keys) goes through JSON.stringify so
 * escaping and multi-byte characters are counted exactly.
 */
export function entryBytes(entry: FirehoseTransformationResultRecord): number {
  if (entry.data === undefined) return Buffer.byteLength(JSON.stringify(entry));
  const { data, ...rest } = entry;
  // `"data":""` plus a comma is what an empty data field adds; the base64 text adds its own length.
  return Buffer.byteLength(JSON.stringify({ ...rest, data: '' })) + data.length;
}

/** Bytes of the whole serialised response: what Lambda will count against its limit. */
export function responseBytes(result: { records: readonly FirehoseTransformationResultRecord[] }): number {
  return Buffer.byteLength(JSON.stringify(result));
}
