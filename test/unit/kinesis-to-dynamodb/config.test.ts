import { afterEach, describe, expect, it } from 'vitest';
import { config } from '../../../functions/kinesis-to-dynamodb/config';

const BASE = { TABLE_NAME: 'readings', PARTITION_KEY: 'pk={deviceId}', DEAD_LETTER_BUCKET: 'dead-letters' };
const VARIABLES = [
  ...Object.keys(BASE),
  'SORT_KEY',
  'WRITE_MODE',
  'POSITION_ATTRIBUTE',
  'FIELDS',
  'METADATA_ATTRIBUTES',
  'MAX_CONCURRENCY',
  'DEAD_LETTER_PREFIX',
];
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

function load(values: Record<string, string>) {
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, BASE, values);
  config.reset();
  return config();
}

afterEach(() => {
  for (const [name, value] of Object.entries(saved))
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  config.reset();
});

describe('kinesis-to-dynamodb configuration', () => {
  it('has defaults for everything but the table, the partition key and the dead-letter bucket', () => {
    expect(load({})).toMatchObject({
      tableName: 'readings',
      partitionKey: { attribute: 'pk', type: 'S' },
      sortKey: undefined,
      mode: 'batch',
      positionAttribute: '_seqKey',
      projection: [],
      metadata: {
        stream: '_stream',
        shardId: '_shardId',
        sequenceNumber: '_sequenceNumber',
        subSequenceNumber: '_subSequenceNumber',
      },
      concurrency: 4,
      deadLetterPrefix: 'dead-letter/kinesis-to-dynamodb',
      deadlineMarginMs: 2000,
    });
    expect(load({ WRITE_MODE: 'ordered' }).concurrency).toBe(16);
    expect(load({ MAX_CONCURRENCY: '' }).concurrency).toBe(4);
  });

  it('reads keys, projection, metadata names and `none`', () => {
    const settings = load({
      SORT_KEY: 'sk:N={ts}',
      FIELDS: 'a, b.c',
      METADATA_ATTRIBUTES: 'shardId=shard, approximateArrivalTimestamp=arrivedAt',
      DEAD_LETTER_PREFIX: '/dlq/',
    });
    expect(settings.sortKey).toMatchObject({ attribute: 'sk', type: 'N' });
    expect(settings.projection).toEqual([['a'], ['b', 'c']]);
    expect(settings.metadata).toEqual({ shardId: 'shard', approximateArrivalTimestamp: 'arrivedAt' });
    expect(settings.deadLetterPrefix).toBe('dlq');
    expect(load({ SORT_KEY: 'none', METADATA_ATTRIBUTES: 'none' })).toMatchObject({
      sortKey: undefined,
      metadata: {},
    });
  });

  it.each([
    [{ PARTITION_KEY: '' }, 'PARTITION_KEY must be set, e.g. pk={deviceId} (it is not set)'],
    [{ PARTITION_KEY: 'pk' }, 'PARTITION_KEY must be <attribute>=<template>'],
    [{ PARTITION_KEY: 'p k={a}' }, 'PARTITION_KEY must be an attribute name'],
    [{ SORT_KEY: 'pk={ts}' }, 'SORT_KEY must be an attribute other than the partition key'],
    [{ FIELDS: 'a..b' }, 'FIELDS must be comma-separated dotted paths: field "a..b" has an empty segment'],
    [{ METADATA_ATTRIBUTES: 'shard=_shard' }, 'METADATA_ATTRIBUTES must be none, or comma-separated'],
    [
      { METADATA_ATTRIBUTES: 'stream=pk' },
      'must be attribute names distinct from each other and from the key',
    ],
    [{ WRITE_MODE: 'ordered', POSITION_ATTRIBUTE: '_stream' }, 'attribute names distinct'],
    [{ MAX_CONCURRENCY: '0' }, 'MAX_CONCURRENCY must be a number >= 1 and <= 64'],
    [{ TABLE_NAME: 'a' }, 'TABLE_NAME must be a DynamoDB table name'],
    [{ DEAD_LETTER_BUCKET: 'Not_A_Bucket' }, 'DEAD_LETTER_BUCKET must be a valid S3 bucket name'],
  ])('refuses %j naming the variable', (values, message) => {
    expect(() => load(values as Record<string, string>)).toThrow(message);
  });
});
