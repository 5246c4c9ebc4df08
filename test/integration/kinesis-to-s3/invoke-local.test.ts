/** `serverless invoke local` for kinesis-to-s3 with events/kinesis-to-s3.json, against the emulators. */
import { describe, expect, it } from 'vitest';
import { s3Client } from '../../../shared/aws/clients';
import { createBucket, listKeys, readLines } from '../../support/s3';
import { lastJson, runServerless } from '../../support/serverless-cli';

describe('serverless invoke local: kinesis-to-s3', () => {
  it('runs the sample event through the bundled handler and writes to s3rver', async () => {
    const bucket = 'invoke-local-it';
    await createBucket(s3Client(), bucket);
    // process.env already points the SDK at the emulators (global setup); the child inherits it.
    const result = await runServerless(
      ['invoke', 'local', '--function', 'kinesis-to-s3', '--path', 'events/kinesis-to-s3.json'],
      {
        BUCKET_NAME: bucket,
        KEY_PREFIX: 'cli',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(lastJson(result.stdout)).toEqual({ batchItemFailures: [] });
    const keys = await listKeys(s3Client(), bucket, 'cli/');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^cli\/2025\/11\/22\/02\/orders-shardId-000000000000-\d+-\d+_2\.ndjson\.gz$/);
    const orders = (await readLines(s3Client(), bucket, keys[0]!)).map((line) => JSON.parse(line).orderId);
    expect(orders).toEqual([1001, 1002, 1003, 1004, 1005]);
  });
});
