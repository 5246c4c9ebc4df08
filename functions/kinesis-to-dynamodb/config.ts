/** kinesis-to-dynamodb configuration: environment variables, validated at cold start (see README.md). */

import { DEFAULT_DEADLINE_MARGIN_MS } from '../../shared/aws/deadline';
import { parseProjection } from '../../shared/kinesis/select';
import { ConfigError, defineConfig } from '../../shared/middleware/config';
import { DEFAULT_POSITION_ATTRIBUTE } from '../../shared/sinks/dynamodb';
import { DEFAULT_METADATA_ATTRIBUTES, type KeySpec, type MetadataAttributes, parseKeySpec } from './item';

// DynamoDB table names: 3-255 of letters, digits, _ - .
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
// S3 bucket naming rules (3-63 chars, lower-case letters, digits, dots, hyphens).
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// An attribute name the function writes: plain, so it needs no escaping in expressions or queries.
const ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_.-]{0,254}$/;
const METADATA_KEYS = [
  'stream',
  'shardId',
  'sequenceNumber',
  'subSequenceNumber',
  'partitionKey',
  'approximateArrivalTimestamp',
] as const;

function keySpec(variable: string, text: string): KeySpec {
  let spec: KeySpec;
  try {
    spec = parseKeySpec(text);
  } catch (error) {
    throw new ConfigError(
      variable,
      `<attribute>=<template> or <attribute>:N=<template>: ${(error as Error).message}`,
      text,
    );
  }
  if (!ATTRIBUTE.test(spec.attribute)) {
    throw new ConfigError(
      variable,
      'an attribute name of letters, digits, _ . - (starting with a letter or _)',
      text,
    );
  }
  return spec;
}

/** `stream=_stream,shardId=_shardId`, or `none`. */
function metadataAttributes(text: string): MetadataAttributes {
  if (text.trim().toLowerCase() === 'none') return {};
  const out: MetadataAttributes = {};
  for (const pair of text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')) {
    const [coordinate = '', name = '', ...rest] = pair.split('=').map((part) => part.trim());
    const expected = `none, or comma-separated <coordinate>=<attribute> pairs (coordinates: ${METADATA_KEYS.join(', ')})`;
    if (
      rest.length > 0 ||
      !(METADATA_KEYS as readonly string[]).includes(coordinate) ||
      !ATTRIBUTE.test(name)
    ) {
      throw new ConfigError('METADATA_ATTRIBUTES', expected, text);
    }
    out[coordinate as (typeof METADATA_KEYS)[number]] = name;
  }
  return out;
}

const DEFAULT_METADATA = Object.entries(DEFAULT_METADATA_ATTRIBUTES)
  .map(([coordinate, name]) => `${coordinate}=${name}`)
  .join(',');

export const config = defineConfig((env) => {
  const partitionKey = keySpec(
    'PARTITION_KEY',
    env.string('PARTITION_KEY', { describe: 'set, e.g. pk={deviceId}' }),
  );
  // `none` (or unset): the table has a partition key only.
  const sortText = env.optionalString('SORT_KEY');
  const sortKey =
    sortText === undefined || sortText.toLowerCase() === 'none' ? undefined : keySpec('SORT_KEY', sortText);
  if (sortKey?.attribute === partitionKey.attribute) {
    throw new ConfigError('SORT_KEY', 'an attribute other than the partition key', sortText);
  }
  let projection: string[][];
  try {
    projection = parseProjection(env.list('FIELDS', []));
  } catch (error) {
    throw new ConfigError(
      'FIELDS',
      `comma-separated dotted paths: ${(error as Error).message}`,
      env.optionalString('FIELDS'),
    );
  }
  const mode = env.oneOf('WRITE_MODE', ['batch', 'ordered'] as const, 'batch');
  const positionAttribute = env.string('POSITION_ATTRIBUTE', {
    default: DEFAULT_POSITION_ATTRIBUTE,
    pattern: ATTRIBUTE,
    describe: 'an attribute name of letters, digits, _ . - (starting with a letter or _)',
  });
  const metadata = metadataAttributes(env.string('METADATA_ATTRIBUTES', { default: DEFAULT_METADATA }));
  const names = [partitionKey.attribute, sortKey?.attribute, ...Object.values(metadata)].filter(Boolean);
  if (mode === 'ordered') names.push(positionAttribute);
  if (new Set(names).size !== names.length) {
    throw new ConfigError(
      'METADATA_ATTRIBUTES/POSITION_ATTRIBUTE',
      'attribute names distinct from each other and from the key attributes',
      names.join(','),
    );
  }
  return {
    tableName: env.string('TABLE_NAME', { pattern: TABLE_NAME, describe: 'a DynamoDB table name' }),
    partitionKey,
    sortKey,
    mode,
    positionAttribute,
    projection,
    metadata,
    concurrency: env.int('MAX_CONCURRENCY', { default: mode === 'batch' ? 4 : 16, min: 1, max: 64 }),
    deadLetterBucket: env.string('DEAD_LETTER_BUCKET', {
      pattern: BUCKET_NAME,
      describe: 'a valid S3 bucket name',
    }),
    deadLetterPrefix: env
      .string('DEAD_LETTER_PREFIX', { default: 'dead-letter/kinesis-to-dynamodb' })
      .replace(/^\/+|\/+$/g, ''),
    deadlineMarginMs: env.int('DEADLINE_MARGIN_MS', {
      default: DEFAULT_DEADLINE_MARGIN_MS,
      min: 100,
      max: 60_000,
    }),
  };
});

export type KinesisToDynamoDbConfig = ReturnType<typeof config>;
