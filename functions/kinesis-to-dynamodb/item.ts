/**
 * One JSON record -> one DynamoDB item, losslessly. Pure; linear in the record's length.
 *
 * `JSON.parse` turns `12345678901234567890` into 12345678901234567000 and `0.1000000000000000055511151231257827`
 * into 0.1, and DynamoDB numbers hold 38 significant digits. So the item is built from the record's text (the exact
 * text the runner parsed): every number becomes a lib-dynamodb `NumberValue` carrying its original text, and a
 * number DynamoDB cannot store (more than 38 significant digits, magnitude above 9.99...e125 or below 1e-130) makes
 * the record poison with that reason rather than being rounded. Strings, booleans, null, nested objects (maps) and
 * arrays (lists) map one to one; empty strings stay empty strings. What DynamoDB cannot represent faithfully is
 * poison too, never silently changed: a record that is not a JSON object, an object with the same member name
 * twice (a map holds one), nesting deeper than DynamoDB's 32 levels, a string with a lone UTF-16 surrogate escape
 * (UTF-8 cannot carry it).
 *
 * Keys come from templates over record fields and stream coordinates (`{deviceId}`, `{device.site}#{ts}`,
 * `{$shardId}`); a referenced field that is missing or not a string, number or boolean is poison
 * (MissingKeyFieldError).
 *
 * @example
 * ```ts
 * const toItem = compileItemBuilder({ partitionKey: parseKeySpec('pk={deviceId}'), ... });
 * toItem('{"deviceId":"d-1","reading":12345678901234567890.5}', coordinates);
 * // => { pk: 'd-1', deviceId: 'd-1', reading: NumberValue('12345678901234567890.5'), _stream: 'orders', ... }
 * ```
 */
import { type NativeAttributeValue, NumberValue } from '@aws-sdk/lib-dynamodb';
import type { RecordCoordinates } from '../../shared/kinesis/types';
import { SafeMessageError } from '../../shared/middleware/errors';
import type { DynamoDbItem } from '../../shared/sinks/dynamodb';

/** The record cannot become an item as configured (poison: dead-lettered with this reason). */
export class RecordShapeError extends SafeMessageError {
  override readonly name = 'RecordShapeError';
}

/** A number DynamoDB cannot store exactly (poison). */
export class NumberNotStorableError extends SafeMessageError {
  override readonly name = 'NumberNotStorableError';
}

/** A field a key template needs is missing, or has no scalar value (poison). */
export class MissingKeyFieldError extends SafeMessageError {
  override readonly name = 'MissingKeyFieldError';
}

/** The key rendered from the record is one DynamoDB cannot store (empty, too long, not a number) (poison). */
export class KeyValueError extends SafeMessageError {
  override readonly name = 'KeyValueError';
}

/** DynamoDB's limit on nested attribute levels. */
export const MAX_DEPTH = 32;
/** DynamoDB's limits on key values, in UTF-8 bytes. */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

// ---- lossless JSON text -> attribute values ------------------------------------------------------------------

const isSpace = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

/**
 * Checks a JSON number's text against DynamoDB's number type: at most 38 significant digits (leading and
 * trailing zeros do not count), magnitude from 1e-130 to 9.99...e125, or zero.
 */
export function checkNumber(text: string): void {
  const match = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) throw new NumberNotStorableError('a number is not in JSON number syntax');
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  const digits = whole + fraction;
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 0x30) first++;
  if (first === digits.length) return; // zero
  let last = digits.length - 1;
  while (digits.charCodeAt(last) === 0x30) last--;
  const significant = last - first + 1;
  if (significant > 38) {
    throw new NumberNotStorableError(
      `a number has ${significant} significant digits; DynamoDB stores at most 38 (it would be rounded)`,
    );
  }
  // Decimal exponent of the first significant digit.
  const exponent = whole.length - first - 1 + Number(match[3] ?? 0);
  if (exponent > 125) {
    throw new NumberNotStorableError(
      'a number is larger in magnitude than DynamoDB stores (at most 9.9999999999999999999999999999999999999e125)',
    );
  }
  if (exponent < -130) {
    throw new NumberNotStorableError(
      'a number is smaller in magnitude than DynamoDB stores (at least 1e-130, or 0)',
    );
  }
}

function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    if (code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return true;
  }
  return false;
}

/** A linear-time reader over text `JSON.parse` has already accepted. */
class Reader {
  i = 0;
  constructor(readonly text: string) {}

  skip(): void {
    const { text } = this;
    while (this.i < text.length && isSpace(text.charCodeAt(this.i))) this.i++;
  }

  string(): string {
    const { text } = this;
    const start = this.i;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      // Only JSON.parse-valid text reaches here; the bound keeps anything else from looping.
      if (i >= text.length) throw new RecordShapeError('the record ends inside a string');
      const code = text.charCodeAt(i);
      if (code === 0x22) break;
      if (code === 0x5c) {
        escaped = true;
        i += 2;
      } else i++;
    }
    this.i = i + 1;
    if (!escaped) return text.slice(start + 1, i);
    const value = JSON.parse(text.slice(start, i + 1)) as string;
    if (hasLoneSurrogate(value)) {
      throw new RecordShapeError(
        'a string in the record holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF), which UTF-8 cannot carry',
      );
    }
    return value;
  }

  number(): NumberValue {
    const { text } = this;
    const start = this.i;
    let i = start;
    for (; i < text.length; i++) {
      const code = text.charCodeAt(i);
      // digits, - + . e E
      if (!(
        (code >= 0x30 && code <= 0x39) ||
        code === 0x2d ||
        code === 0x2b ||
        code === 0x2e ||
        code === 0x65 ||
        code === 0x45
      ))
        break;
    }
    this.i = i;
    const raw = text.slice(start, i);
    checkNumber(raw);
    return new NumberValue(raw);
  }

  value(depth: number): NativeAttributeValue {
    const { text } = this;
    const code = text.charCodeAt(this.i);
    if (code === 0x22) return this.string();
    if (code === 0x7b || code === 0x5b) {
      if (depth >= MAX_DEPTH) {
        throw new RecordShapeError(`the record nests deeper than DynamoDB's ${MAX_DEPTH} levels`);
      }
      return code === 0x7b ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (code === 0x74) {
      this.i += 4;
      return true;
    }
    if (code === 0x66) {
      this.i += 5;
      return false;
    }
    if (code === 0x6e) {
      this.i += 4;
      return null;
    }
    return this.number();
  }

  /** A map with a null prototype (a member named `__proto__` is data). */
  object(depth: number): Record<string, NativeAttributeValue> {
    const out = Object.create(null) as Record<string, NativeAttributeValue>;
    this.i++; // {
    this.skip();
    if (this.text.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return out;
    }
    for (;;) {
      this.skip();
      const name = this.string();
      this.skip();
      this.i++; // :
      this.skip();
      const value = this.value(depth);
      if (Object.hasOwn(out, name)) {
        throw new RecordShapeError(
          `an object in the record (at depth ${depth}) has two members with the same name; a DynamoDB map holds one`,
        );
      }
      out[name] = value;
      this.skip();
      if (this.text.charCodeAt(this.i++) === 0x7d) return out; // } else ,
    }
  }

  array(depth: number): NativeAttributeValue[] {
    const out: NativeAttributeValue[] = [];
    this.i++; // [
    this.skip();
    if (this.text.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return out;
    }
    for (;;) {
      this.skip();
      out.push(this.value(depth));
      this.skip();
      if (this.text.charCodeAt(this.i++) === 0x5d) return out; // ] else ,
    }
  }
}

/**
 * The attribute values of a JSON object's text (text `JSON.parse` accepted), numbers as NumberValue with their
 * original text. Throws a poison error for what DynamoDB cannot hold faithfully (see the module comment).
 */
export function jsonToItem(text: string): DynamoDbItem {
  const reader = new Reader(text);
  reader.skip();
  if (text.charCodeAt(reader.i) !== 0x7b) {
    throw new RecordShapeError('the record is not a JSON object (an item is a map of attributes)');
  }
  return reader.object(1);
}

// ---- keys -----------------------------------------------------------------------------------------------------

/** Stream coordinates a key template can name, as `{$name}`. */
export const COORDINATE_TOKENS = [
  'stream',
  'shardId',
  'sequenceNumber',
  'subSequenceNumber',
  'partitionKey',
  'approximateArrivalTimestamp',
] as const;
type CoordinateToken = (typeof COORDINATE_TOKENS)[number];

type Piece = { literal: string } | { field: string[]; label: string } | { coordinate: CoordinateToken };

export interface KeySpec {
  /** The key attribute's name. */
  attribute: string;
  type: 'S' | 'N';
  template: string;
  pieces: Piece[];
}

/**
 * Parses `name=template` or `name:N=template` (a number-typed key): `pk={deviceId}`, `sk:N={ts}`,
 * `pk={tenant}#{device.id}`, `pk={$shardId}`. A placeholder may also be written `${field}` (as in the Lambda
 * console; not inside serverless.yml, which would resolve it). Throws a TypeError saying what is wrong.
 */
export function parseKeySpec(spec: string): KeySpec {
  const match = /^\s*([^=:\s][^=:]*?)(?::([SN]))?\s*=(.*)$/s.exec(spec);
  if (!match) throw new TypeError('expected <attribute>=<template> or <attribute>:N=<template>');
  const [, attribute, type = 'S', template = ''] = match;
  const pieces: Piece[] = [];
  const pattern = /\$?\{([^{}]*)\}/g;
  let from = 0;
  for (let hit = pattern.exec(template); hit; hit = pattern.exec(template)) {
    if (hit.index > from) pieces.push({ literal: template.slice(from, hit.index) });
    const name = hit[1]!.trim();
    if (name.startsWith('$')) {
      const coordinate = name.slice(1) as CoordinateToken;
      if (!COORDINATE_TOKENS.includes(coordinate)) {
        throw new TypeError(
          `unknown coordinate {${name}}; known: ${COORDINATE_TOKENS.map((t) => `{$${t}}`).join(' ')}`,
        );
      }
      pieces.push({ coordinate });
    } else {
      const field = name.split('.');
      if (field.some((segment) => segment === ''))
        throw new TypeError(`field {${name}} has an empty segment`);
      pieces.push({ field, label: name });
    }
    from = hit.index + hit[0].length;
  }
  if (from < template.length) pieces.push({ literal: template.slice(from) });
  if (!pieces.some((piece) => !('literal' in piece))) {
    throw new TypeError('the template names no field or coordinate (every item would get the same key)');
  }
  if (pieces.some((piece) => 'literal' in piece && /[{}]/.test(piece.literal))) {
    throw new TypeError('a { or } that is not part of a {field} placeholder');
  }
  return { attribute: attribute!.trim(), type: type as 'S' | 'N', template, pieces };
}

function lookup(item: DynamoDbItem, path: readonly string[]): NativeAttributeValue {
  let current: NativeAttributeValue = item;
  for (const segment of path) {
    if (
      current === null ||
      typeof current !== 'object' ||
      Array.isArray(current) ||
      current instanceof NumberValue
    )
      return undefined;
    current = (current as Record<string, NativeAttributeValue>)[segment];
  }
  return current;
}

function renderKey(
  spec: KeySpec,
  item: DynamoDbItem,
  coordinates: RecordCoordinates,
  role: string,
): NativeAttributeValue {
  let text = '';
  for (const piece of spec.pieces) {
    if ('literal' in piece) text += piece.literal;
    else if ('coordinate' in piece) text += String(coordinates[piece.coordinate]);
    else {
      const value = lookup(item, piece.field);
      if (typeof value === 'string' || typeof value === 'boolean') text += String(value);
      else if (value instanceof NumberValue) text += value.toString();
      else {
        throw new MissingKeyFieldError(
          `the ${role} key field "${piece.label}" is ${value === undefined ? 'missing' : `${value === null ? 'null' : Array.isArray(value) ? 'a list' : 'an object'}, not a string, number or boolean`}`,
        );
      }
    }
  }
  if (spec.type === 'N') {
    if (!/^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(text)) {
      throw new KeyValueError(
        `the ${role} key "${spec.attribute}" (type N) rendered to something that is not a number`,
      );
    }
    checkNumber(text);
    return new NumberValue(text);
  }
  const limit = role === 'partition' ? MAX_PARTITION_KEY_BYTES : MAX_SORT_KEY_BYTES;
  if (text === '')
    throw new KeyValueError(
      `the ${role} key "${spec.attribute}" rendered empty; DynamoDB keys cannot be empty`,
    );
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limit) {
    throw new KeyValueError(
      `the ${role} key "${spec.attribute}" is ${bytes} bytes; DynamoDB allows ${limit}`,
    );
  }
  return text;
}

// ---- the whole item -------------------------------------------------------------------------------------------

/** Coordinates that can be written as attributes, and the attribute names they are written under. */
export type MetadataAttributes = Partial<
  Record<
    | 'stream'
    | 'shardId'
    | 'sequenceNumber'
    | 'subSequenceNumber'
    | 'partitionKey'
    | 'approximateArrivalTimestamp',
    string
  >
>;

export const DEFAULT_METADATA_ATTRIBUTES: MetadataAttributes = {
  stream: '_stream',
  shardId: '_shardId',
  sequenceNumber: '_sequenceNumber',
  subSequenceNumber: '_subSequenceNumber',
};

export interface ItemOptions {
  partitionKey: KeySpec;
  sortKey?: KeySpec;
  /** Dotted paths to keep (all fields when empty); keys are rendered from the whole record first. */
  projection: readonly (readonly string[])[];
  metadata: MetadataAttributes;
}

function projectItem(item: DynamoDbItem, paths: readonly (readonly string[])[]): DynamoDbItem {
  const out = Object.create(null) as DynamoDbItem;
  for (const path of paths) {
    const value = lookup(item, path);
    if (value === undefined) continue;
    let target = out;
    for (let i = 0; i < path.length - 1; i++) {
      const segment = path[i]!;
      let next = target[segment] as NativeAttributeValue;
      if (next === null || typeof next !== 'object' || Array.isArray(next) || next instanceof NumberValue) {
        next = Object.create(null) as DynamoDbItem;
        target[segment] = next;
      }
      target = next as DynamoDbItem;
    }
    target[path.at(-1)!] = value;
  }
  return out;
}

const sameValue = (a: NativeAttributeValue, b: NativeAttributeValue) =>
  a === b || (a instanceof NumberValue && b instanceof NumberValue && a.toString() === b.toString());

/** Sets an attribute the function adds; a record field of that name with another value is never overwritten. */
function addAttribute(item: DynamoDbItem, name: string, value: NativeAttributeValue, what: string) {
  if (Object.hasOwn(item, name) && !sameValue(item[name], value)) {
    throw new RecordShapeError(
      `the record already has a top-level field "${name}" with another value, the name the ${what} is written under`,
    );
  }
  item[name] = value;
}

/** Builds the item for one record's JSON text. Throws a poison error (SafeMessageError) when it cannot. */
export function toItem(text: string, coordinates: RecordCoordinates, options: ItemOptions): DynamoDbItem {
  const record = jsonToItem(text);
  const partition = renderKey(options.partitionKey, record, coordinates, 'partition');
  const sort = options.sortKey ? renderKey(options.sortKey, record, coordinates, 'sort') : undefined;
  const item = options.projection.length === 0 ? record : projectItem(record, options.projection);
  addAttribute(item, options.partitionKey.attribute, partition, 'partition key');
  if (options.sortKey) addAttribute(item, options.sortKey.attribute, sort, 'sort key');
  for (const [coordinate, name] of Object.entries(options.metadata)) {
    if (name === undefined) continue;
    const value = coordinates[coordinate as keyof RecordCoordinates];
    addAttribute(item, name, typeof value === 'number' ? new NumberValue(String(value)) : value, 'metadata');
  }
  return item;
}
