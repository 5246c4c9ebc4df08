/**
 * Partition keys for Firehose dynamic partitioning (`!{partitionKeyFromLambda:<name>}` in the S3 prefix): field
 * lookup by dotted path, S3-safe values, and UTC time formatting. Pure functions.
 */
import { RecordRejectedError } from '../../shared/firehose';

/** A partition key: its name in `partitionKeys` and the dotted path of the field it comes from. */
export interface KeySpec {
  name: string;
  path: string[];
}

/** `name=dotted.path` or just `dotted.path` (then the name is the path with dots as underscores). */
export function parseKeySpec(text: string): KeySpec {
  const [left, right] = text.includes('=') ? text.split('=', 2) : [undefined, text];
  const pathText = (right ?? '').trim();
  const path = pathText.split('.');
  if (pathText === '' || path.some((segment) => segment === '')) {
    throw new Error(`"${text}" is not name=dotted.path`);
  }
  const name = (left ?? path.join('_')).trim();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new Error(`partition key name "${name}" must be 1-64 letters, digits, "_" or "-"`);
  }
  return { name, path };
}

/** Follows a dotted path through objects (and arrays, by numeric segment). */
export function getPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Object.hasOwn(current, segment) ? (current as Record<string, unknown>)[segment] : undefined;
  }
  return current;
}

/** Longest partition value we emit; longer values are truncated (document: truncation can merge values). */
export const MAX_PARTITION_VALUE_LENGTH = 256;

/**
 * Makes a value safe as one S3 key segment: every character outside AWS's "safe characters" for object keys
 * (`0-9 a-z A-Z ! - _ . * ' ( )`) becomes `_` (so `/` cannot add prefix levels and nothing needs URL
 * encoding), `.` and `..` become `_` and `__`, and the result is at most 256 characters. Lossy on purpose:
 * `a/b` and `a_b` land in the same partition.
 */
export function sanitizePartitionValue(value: string): string {
  let safe = value.replace(/[^0-9A-Za-z!\-_.*'()]/gu, '_');
  if (safe === '.' || safe === '..') safe = safe.replaceAll('.', '_');
  return safe.slice(0, MAX_PARTITION_VALUE_LENGTH);
}

/** A field value as a partition value, or undefined when missing; objects and arrays are rejected. */
export function partitionValue(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return sanitizePartitionValue(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return sanitizePartitionValue(String(value));
  }
  throw new RecordRejectedError(`field "${field}" is not a string, number or boolean`);
}

export type TimeInput = 'auto' | 'epoch-ms' | 'epoch-s' | 'iso';

// Epoch numbers at or above this are milliseconds (1e11 ms is March 1973; 1e11 s is the year 5138).
const MS_THRESHOLD = 1e11;
const NUMERIC = /^-?\d+(\.\d+)?$/;
// ISO 8601 date-time without a zone designator: read as UTC, not as the process's local time.
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** A field value as epoch milliseconds, or a reason it cannot be one. */
export function toEpochMs(value: unknown, input: TimeInput): number | string {
  let ms: number;
  if (typeof value === 'number' || (typeof value === 'string' && NUMERIC.test(value) && input !== 'iso')) {
    if (input === 'iso') return 'expected an ISO 8601 string';
    const n = Number(value);
    const unit =
      input === 'auto' ? (Math.abs(n) >= MS_THRESHOLD ? 'ms' : 's') : input === 'epoch-ms' ? 'ms' : 's';
    ms = unit === 'ms' ? n : n * 1000;
  } else if (typeof value === 'string') {
    if (input === 'epoch-ms' || input === 'epoch-s') return 'expected an epoch number';
    ms = Date.parse(ISO_WITHOUT_ZONE.test(value) ? `${value}Z` : value);
  } else {
    return value === undefined || value === null ? 'missing' : 'not a number or string';
  }
  // Year 1970 to 9999: anything else is certainly a unit mix-up or garbage.
  if (!Number.isFinite(ms) || ms < 0 || ms > 253_402_300_799_999) return 'not a valid time';
  return ms;
}

const TOKENS = /yyyy|MM|dd|HH|mm|ss/g;

/**
 * Compiles a UTC time pattern: tokens `yyyy MM dd HH mm ss`; every other character is literal and must be
 * S3-safe or `/` or `=` (e.g. `yyyy/MM/dd/HH`, `year=yyyy/month=MM`).
 */
export function compileTimePattern(pattern: string): (epochMs: number) => string {
  const literals = pattern.replace(TOKENS, '');
  if (!/^[0-9A-Za-z!\-_.*'()/=]*$/.test(literals)) {
    throw new Error("literal characters must be letters, digits, ! - _ . * ' ( ) / or =");
  }
  if (literals === pattern) throw new Error('no time token (yyyy MM dd HH mm ss)');
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (epochMs) => {
    const date = new Date(epochMs);
    return pattern.replace(TOKENS, (token) => {
      switch (token) {
        case 'yyyy':
          return pad(date.getUTCFullYear(), 4);
        case 'MM':
          return pad(date.getUTCMonth() + 1);
        case 'dd':
          return pad(date.getUTCDate());
        case 'HH':
          return pad(date.getUTCHours());
        case 'mm':
          return pad(date.getUTCMinutes());
        default:
          return pad(date.getUTCSeconds());
      }
    });
  };
}
