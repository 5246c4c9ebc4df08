/** `serverless invoke local` for kinesis-to-sns with events/kinesis-to-sns.json, against fauxqs and s3rver. */
import { describe, expect, it } from 'vitest';
import { s3Client } from '../../../shared/aws/clients';
import { createBucket } from '../../support/s3';
import { lastJson, runServerless } from '../../support/serverless-cli';
import { subscribedQueue } from '../../support/sns-queue';

describe('serverless invoke local: kinesis-to-sns', () => {
  it('runs the sample event through the bundled handler (bundled rules.json) and publishes its three alerts', async () => {
    const bucket = 'sns-invoke-local-it';
    await createBucket(s3Client(), bucket);
    const queue = await subscribedQueue('sns-invoke-local');
    // process.env already points the SDK at the emulators (global setup); the child inherits it.
    const result = await runServerless(
      ['invoke', 'local', '--function', 'kinesis-to-sns', '--path', 'events/kinesis-to-sns.json'],
      {
        ALERT_TOPIC_ARN: queue.topicArn,
        SNS_DEAD_LETTER_BUCKET: bucket,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(lastJson(result.stdout)).toEqual({ batchItemFailures: [] });
    const arrived = await queue.waitFor(3);
    expect(arrived.map((n) => n.attributes.rule)).toEqual([
      'error-burst',
      'slow-checkout',
      'admin-login-outside-vpn',
    ]);
  });

  it('stops at once naming the variables only the deployed stack knows', async () => {
    const result = await runServerless(
      ['invoke', 'local', '--function', 'kinesis-to-sns', '--path', 'events/kinesis-to-sns.json'],
      {},
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toContain(
      // The variable the user sets (serverless.yml deploys DEAD_LETTER_BUCKET from SNS_DEAD_LETTER_BUCKET).
      'kinesis-to-sns: set ALERT_TOPIC_ARN, SNS_DEAD_LETTER_BUCKET for a local run',
    );
  });
});
