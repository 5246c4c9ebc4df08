/**
 * Exact byte accounting of the response Lambda serialises (`JSON.stringify(result)`, UTF-8), so the runner can
 * promise a response at most `maxResponseBytes` long without serialising anything per record.
 *
 * An entry is `{"recordId":<id>,"result":"<result>"}`, plus `,"data":"<base64>"` and `,"metadata":<json>` when
 * present. Its size is therefore a constant (the envelope, measured once below with JSON.stringify) plus the
 * serialised recordId, the result word, the base64 text (ASCII: length = bytes) and the serialised metadata.
 */
import type { FirehoseTransformationResultRecord } from 'aws-lambda';

/** Lambda's synchronous response limit is 6 MB; Firehose's blueprints use 6,000,000 bytes. So do we. */
export const MAX_RESPONSE_BYTES = 6_000_000;

/** `{"records":[` + `]}` */
const WRAPPER_BYTES = '{"records":[]}'.length;

/** `{"recordId":` + `,"result":""}`: an entry without its recordId value and result word. */
const ENTRY_ENVELOPE_BYTES = JSON.stringify({ recordId: 0, result: '' }).length - 1;
/** `,"data":""`: what a data field adds besides its base64 text. */
const DATA_FIELD_BYTES =
  JSON.stringify({ recordId: 0, result: '', data: '' }).length - 1 - ENTRY_ENVELOPE_BYTES;
/** `,"metadata":`: what a metadata field adds besides its serialised value. */
const METADATA_FIELD_BYTES =
  JSON.stringify({ recordId: 0, result: '', metadata: 0 }).length - 2 - ENTRY_ENVELOPE_BYTES;

/** Bytes of `{"records":[...]}` around `count` entries: the wrapper plus the commas between entries. */
export function wrapperBytes(count: number): number {
  return WRAPPER_BYTES + Math.max(0, count - 1);
}

// Printable ASCII other than `"` and `\`: JSON.stringify writes such a string as is, between quotes.
const PLAIN_JSON_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Bytes of `JSON.stringify(value)` for a string (quotes included); plain ASCII is counted without serialising. */
export function jsonStringBytes(value: string): number {
  return PLAIN_JSON_STRING.test(value) ? value.length + 2 : Buffer.byteLength(JSON.stringify(value));
}

/**
 * Bytes of one serialised entry from its parts: `idBytes` from {@link jsonStringBytes}(recordId), `dataLength`
 * the base64 text's length (undefined: no data field), `metadataBytes` the serialised metadata's bytes
 * (undefined: no metadata field).
 */
export function entrySize(
  idBytes: number,
  result: 'Ok' | 'Dropped' | 'ProcessingFailed',
  dataLength?: number,
  metadataBytes?: number,
): number {
  return (
    ENTRY_ENVELOPE_BYTES +
    idBytes +
    result.length +
    (dataLength === undefined ? 0 : DATA_FIELD_BYTES + dataLength) +
    (metadataBytes === undefined ? 0 : METADATA_FIELD_BYTES + metadataBytes)
  );
}

/**
 * Bytes of one serialised response entry. `data` is base64 (ASCII, no escaping), so it is counted by length;
 * the recordId and the metadata are counted as JSON.stringify writes them (escapes, multi-byte characters).
 */
export function entryBytes(entry: FirehoseTransformationResultRecord): number {
  return entrySize(
    jsonStringBytes(entry.recordId),
    entry.result,
    entry.data?.length,
    entry.metadata === undefined ? undefined : Buffer.byteLength(JSON.stringify(entry.metadata)),
  );
}

/** Bytes of the whole serialised response: what Lambda will count against its limit. */
export function responseBytes(result: { records: readonly FirehoseTransformationResultRecord[] }): number {
  return Buffer.byteLength(JSON.stringify(result));
}

/** Raw bytes whose padded base64 text is at most `length` characters. */
function bytesInBase64(length: number): number {
  return Math.floor(Math.max(0, length) / 4) * 3;
}

/**
 * The largest output (bytes before base64, metadata aside) whose Ok entry fits in a response holding only this
 * record: `idBytes` from {@link jsonStringBytes}(recordId). An output larger than this can never be answered Ok,
 * in this invocation or in any later one it were put back into unchanged.
 */
export function maxOutputBytes(idBytes: number, maxResponseBytes = MAX_RESPONSE_BYTES): number {
  return bytesInBase64(maxResponseBytes - wrapperBytes(1) - entrySize(idBytes, 'Ok', 0));
}
