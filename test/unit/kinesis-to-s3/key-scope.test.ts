/**
 * functions/kinesis-to-s3/deploy/variables.cjs: the key prefixes the role may PutObject under, computed at package
 * time from KEY_PREFIX / KEY_TEMPLATE / DEAD_LETTER_PREFIX, must hold every key the function writes with the same
 * settings (its own config and sinks, fed through a client that records the keys).
 */
import { createRequire } from 'node:module';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { config } from '../../../functions/kinesis-to-s3/config';
import type { RecordCoordinates } from '../../../shared/kinesis/types';
import { createS3DeadLetterSink } from '../../../shared/sinks/s3-dead-letter';
import { createS3NdjsonSink } from '../../../shared/sinks/s3-ndjson';

const require = createRequire(import.meta.url);
interface Deployed {
  keyTemplate: string;
  keyPrefix: string;
  deadLetterPrefix: string;
}
const { keyPrefixes } = require('../../../functions/kinesis-to-s3/deploy/variables.cjs') as {
  keyPrefixes: { dataKeyPrefix(d: Deployed): string; deadLetterKeyPrefix(d: Deployed): string };
};

const DEFAULT_TEMPLATE = '{prefix}/{yyyy}/{MM}/{dd}/{HH}/{stream}-{shardId}-{firstSeq}-{lastSeq}.ndjson{ext}';

const at = (shardId: string, sequenceNumber: string, time: number, sub = 0): RecordCoordinates => ({
  stream: `stream-${shardId}`,
  shardId,
  sequenceNumber,
  subSequenceNumber: sub,
  partitionKey: 'p',
  approximateArrivalTimestamp: time,
});
// Records across years, hours and shards, plain and inside an aggregate.
const RECORDS = [
  at(
    'shardId-000000000000',
    '49590338271490256608559692538361571095921575989136588898',
    Date.UTC(2026, 11, 1, 16, 5),
  ),
  at('shardId-000000000007', '1', Date.UTC(1999, 0, 31, 0, 0), 3),
  at('shardId-000000000042', '9', Date.UTC(2031, 6, 15, 23, 59)),
];

/** The keys the function writes, data and dead letters, with these settings (read by its own config). */
async function keysWritten(env: Record<string, string>) {
  for (const [name, value] of Object.entries({ BUCKET_NAME: 'bucket', ...env })) vi.stubEnv(name, value);
  config.reset();
  const settings = config();
  const keys: string[] = [];
  const client = {
    send: async (command: { input: { Key: string } }) => {
      keys.push(command.input.Key);
      return {};
    },
  } as unknown as S3Client;
  const context = { remainingTimeMs: () => 60_000, signal: new AbortController().signal };
  const data = createS3NdjsonSink({
    bucket: settings.bucket,
    prefix: settings.prefix,
    keyTemplate: settings.keyTemplate,
    client,
  });
  for (const coordinates of RECORDS) await data.write([{ coordinates, value: '{"a":1}' }], context);
  const dataKeys = keys.splice(0);
  const deadLetters = createS3DeadLetterSink({
    bucket: settings.bucket,
    prefix: settings.deadLetterPrefix,
    client,
  });
  for (const coordinates of RECORDS) {
    await deadLetters.write([{ coordinates, errorName: 'DecodeError', reason: 'r', data: 'x' }], context);
  }
  return { dataKeys, deadLetterKeys: keys };
}

afterEach(() => {
  vi.unstubAllEnvs();
  config.reset();
});

describe('kinesis-to-s3 role scope (deploy/variables.cjs)', () => {
  it.each([
    ['the defaults', 'data', DEFAULT_TEMPLATE, 'dead-letter', 'data/', 'dead-letter/'],
    ['slashes around the prefixes', '/raw/events/', DEFAULT_TEMPLATE, '/dlq/', 'raw/events/', 'dlq/'],
    ['text before {prefix}', 'p', 'v2/{prefix}/{shardId}/{firstSeq}{ext}', 'dl', 'v2/p/', 'dl/'],
    ['a prefix glued to a token', 'p', '{prefix}-{yyyy}/{shardId}-{firstSeq}{ext}', 'dl', 'p-', 'dl/'],
  ])(
    '%s: every key written is under the scope',
    async (_, keyPrefix, keyTemplate, deadLetterPrefix, data, dl) => {
      const deployed = { keyPrefix, keyTemplate, deadLetterPrefix };
      expect(keyPrefixes.dataKeyPrefix(deployed)).toBe(data);
      expect(keyPrefixes.deadLetterKeyPrefix(deployed)).toBe(dl);
      const { dataKeys, deadLetterKeys } = await keysWritten({
        KEY_PREFIX: keyPrefix,
        KEY_TEMPLATE: keyTemplate,
        DEAD_LETTER_PREFIX: deadLetterPrefix,
      });
      expect(dataKeys).toHaveLength(RECORDS.length);
      expect(deadLetterKeys).toHaveLength(RECORDS.length);
      for (const key of dataKeys) expect(key.startsWith(data), key).toBe(true);
      for (const key of deadLetterKeys) expect(key.startsWith(dl), key).toBe(true);
    },
  );

  it('refuses settings whose keys would need the whole bucket', () => {
    const deployed = { keyPrefix: 'data', keyTemplate: DEFAULT_TEMPLATE, deadLetterPrefix: 'dead-letter' };
    expect(() =>
      keyPrefixes.dataKeyPrefix({ ...deployed, keyTemplate: '{yyyy}/{prefix}/{shardId}{firstSeq}' }),
    ).toThrow(/share no fixed start/);
    expect(() => keyPrefixes.dataKeyPrefix({ ...deployed, keyPrefix: '/' })).toThrow(/share no fixed start/);
    expect(() => keyPrefixes.deadLetterKeyPrefix({ ...deployed, deadLetterPrefix: '//' })).toThrow(
      /DEAD_LETTER_PREFIX is empty/,
    );
    // A template the function itself rejects fails the package the same way.
    expect(() => keyPrefixes.dataKeyPrefix({ ...deployed, keyTemplate: '{prefix}/{nope}' })).toThrow(
      /unknown token/,
    );
  });
});
