/**
 * S3 object keys from a template such as `{prefix}/{yyyy}/{MM}/{dd}/{HH}/{stream}-{shardId}-{firstSeq}-{lastSeq}.ndjson{ext}`.
 *
 * Keys are deterministic: the time partition comes from the first record's approximate arrival time (not the
 * clock), and the name from the coordinates of the first and last record in the object. A batch that Lambda
 * re-delivers unchanged therefore overwrites its objects instead of duplicating them.
 */
import type { RecordCoordinates } from '../kinesis/types';

export const DEFAULT_KEY_TEMPLATE =
  '{prefix}/{yyyy}/{MM}/{dd}/{HH}/{stream}-{shardId}-{firstSeq}-{lastSeq}.ndjson{ext}';

const TOKENS = [
  'prefix',
  'yyyy',
  'MM',
  'dd',
  'HH',
  'mm',
  'stream',
  'shardId',
  'firstSeq',
  'lastSeq',
  'ext',
] as const;
type Token = (typeof TOKENS)[number];

export interface KeyParts {
  prefix: string;
  ext: string;
  first: RecordCoordinates;
  last: RecordCoordinates;
}

/** `<sequenceNumber>` for a plain record, `<sequenceNumber>_<sub>` inside an aggregate: unique per user record. */
export function recordPosition(coordinates: RecordCoordinates): string {
  return coordinates.subSequenceNumber === 0
    ? coordinates.sequenceNumber
    : `${coordinates.sequenceNumber}_${coordinates.subSequenceNumber}`;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/**
 * Compiles a template once (at cold start). Throws a TypeError naming an unknown `{token}`, or a template
 * whose keys could collide (it must name both {firstSeq} and {shardId}).
 */
export function compileKeyTemplate(template: string): (parts: KeyParts) => string {
  const pieces = template.split(/(\{[^{}]*\})/).filter((piece) => piece !== '');
  for (const piece of pieces) {
    if (piece.startsWith('{') && !TOKENS.includes(piece.slice(1, -1) as Token)) {
      throw new TypeError(`unknown token ${piece}; known: ${TOKENS.map((t) => `{${t}}`).join(' ')}`);
    }
  }
  if (!template.includes('{firstSeq}') || !template.includes('{shardId}')) {
    throw new TypeError('a key template must contain {shardId} and {firstSeq} so that objects never collide');
  }
  return (parts) => {
    const time = new Date(parts.first.approximateArrivalTimestamp);
    const values: Record<Token, string> = {
      prefix: parts.prefix,
      yyyy: String(time.getUTCFullYear()),
      MM: pad(time.getUTCMonth() + 1),
      dd: pad(time.getUTCDate()),
      HH: pad(time.getUTCHours()),
      mm: pad(time.getUTCMinutes()),
      stream: parts.first.stream,
      shardId: parts.first.shardId,
      firstSeq: recordPosition(parts.first),
      lastSeq: recordPosition(parts.last),
      ext: parts.ext,
    };
    let key = '';
    for (const piece of pieces) key += piece.startsWith('{') ? values[piece.slice(1, -1) as Token] : piece;
    // An empty prefix must not leave a leading slash (S3 would store an empty first path segment).
    return key.replace(/^\/+/, '');
  };
}
