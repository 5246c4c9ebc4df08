/**
 * kinesis-to-sns end to end on fauxqs: the handler publishes with the real SDK to an SNS topic that has an SQS queue
 * subscribed, and what arrives on the queue (subject, message, attributes, counts, FIFO ids) is read back. KPL
 * aggregates, collapsing, truncation, a FIFO topic deduplicating a re-delivered record, poison records.
 */
import { readFileSync } from 'node:fs';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../../functions/kinesis-to-sns/config';
import { handler } from '../../../functions/kinesis-to-sns/handler';
import { s3Client, snsClient } from '../../../shared/aws/clients';
import { aggregate } from '../../../shared/kpl';
import { lambdaContext, plainEvent } from '../../support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../support/s3';
import { subscribedQueue } from '../../support/sns-queue';

const BUCKET = 'kinesis-to-sns-it';
const sample = JSON.parse(readFileSync('events/kinesis-to-sns.json', 'utf8')) as KinesisStreamEvent;

const invoke = (event: KinesisStreamEvent, timeoutMs = 60_000) =>
  handler(
    event,
    lambdaContext('kinesis-to-sns', timeoutMs) as unknown as Context,
  ) as Promise<KinesisStreamBatchResponse>;

function useEnv(values: Record<string, string | undefined>) {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  config.reset();
}

/** Counts PublishBatch calls the SDK makes (retries by the SDK itself excluded). */
function countPublishBatch() {
  const calls = { count: 0 };
  snsClient().middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PublishBatchCommand') calls.count += 1;
      return next(args);
    },
    { step: 'initialize', name: `count-${Math.random()}` },
  );
  return calls;
}

const RULES = JSON.stringify([
  {
    name: 'errors',
    pattern: { level: ['ERROR'] },
    severity: 'high',
    subject: 'Error on {{host}}',
    message: '{{host}}: {{msg}}',
    groupBy: 'host',
  },
  { name: 'big', pattern: { size: [{ numeric: ['>', 1000] }] }, severity: 'low' },
]);

beforeAll(async () => {
  await createBucket(s3Client(), BUCKET);
});

describe('kinesis-to-sns on fauxqs', () => {
  it("publishes the sample event's alerts (collapsed, templated, with attributes) and nothing for the rest", async () => {
    const queue = await subscribedQueue('sns-it-sample');
    useEnv({ ALERT_TOPIC_ARN: queue.topicArn, DEAD_LETTER_BUCKET: BUCKET, ALERT_RULES: undefined });
    expect(await invoke(sample)).toEqual({ batchItemFailures: [] });
    const arrived = await queue.waitFor(3);
    expect(arrived).toHaveLength(3);
    const [errors, slow, admin] = arrived;
    expect(errors!.subject).toBe('ERROR on web-2: checkout (x2)');
    expect(errors!.message).toMatch(
      /^checkout on web-2 logged ERROR: payment gateway timeout\n\n-- 2 records matched rule error-burst in this batch \(host="web-2"\)\nfirst: 2025-11-22T02:00:01\.125Z shardId-000000000000 49658520563826370318512419245619126363303646651486863362\/0\nlast: {2}2025-11-22T02:00:01\.125Z shardId-000000000000 \d+\/1$/,
    );
    expect(errors!.attributes).toEqual({
      rule: 'error-burst',
      severity: 'high',
      stream: 'app-logs',
      count: '2',
    });
    expect(slow!.subject).toBe('Slow checkout on web-3 (3150 ms)');
    // No message template: the record exactly as it arrived.
    const aggregateRecords = JSON.parse(readFileSync('events/kinesis-to-sns.json', 'utf8')).Records;
    expect(aggregateRecords).toHaveLength(3);
    expect(slow!.message).toBe(
      '{"time":"2025-11-22T01:59:58Z","env":"prod-eu","level":"INFO","host":"web-3","service":"checkout","latencyMs":3150,"message":"POST /checkout 200"}',
    );
    expect(slow!.attributes).toMatchObject({ rule: 'slow-checkout', severity: 'medium', count: '1' });
    expect(admin!.subject).toBe('Admin login by ada from 203.0.113.9');
    expect(admin!.message).toBe('Admin ada signed in from 203.0.113.9 at 2025-11-22T01:59:58Z.');
    expect(admin!.attributes).toMatchObject({ rule: 'admin-login-outside-vpn', severity: 'critical' });
  });

  it('collapses 1,000 matching records across aggregates into one notification per group', async () => {
    const queue = await subscribedQueue('sns-it-collapse');
    useEnv({ ALERT_TOPIC_ARN: queue.topicArn, DEAD_LETTER_BUCKET: BUCKET, ALERT_RULES: RULES });
    const records = Array.from({ length: 1000 }, (_, i) => ({
      data: JSON.stringify({ level: i % 10 === 9 ? 'INFO' : 'ERROR', host: `h-${i % 3}`, msg: `m${i}` }),
      partitionKey: `p-${i % 5}`,
    }));
    const blobs = aggregate(records, { maxBytes: 8 * 1024 });
    expect(blobs.length).toBeGreaterThan(3);
    const event = plainEvent(blobs.map((blob) => blob.data));
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    const arrived = await queue.waitFor(3);
    expect(arrived.map((n) => [n.subject, n.attributes.count]).sort()).toEqual([
      ['Error on h-0 (x300)', '300'],
      ['Error on h-1 (x300)', '300'],
      ['Error on h-2 (x300)', '300'],
    ]);
    expect(arrived.find((n) => n.subject?.startsWith('Error on h-0'))!.message).toMatch(
      /^h-0: m0\n\n-- 300 records/,
    );
  });

  it('truncates a message over the size limit with a visible marker, and packs requests under it', async () => {
    const queue = await subscribedQueue('sns-it-truncate');
    useEnv({
      ALERT_TOPIC_ARN: queue.topicArn,
      DEAD_LETTER_BUCKET: BUCKET,
      ALERT_RULES: RULES,
      ALERT_MAX_REQUEST_BYTES: '8192',
    });
    const big = JSON.stringify({ size: 5000, blob: 'é'.repeat(10_000) });
    const mid = (i: number) => JSON.stringify({ size: 2000 + i, blob: 'x'.repeat(3000) });
    const event = plainEvent([big, mid(1), mid(2), mid(3)]);
    const calls = countPublishBatch();
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    // ~8 KB + 3 x ~3 KB under an 8 KiB request limit: [big], [mid, mid], [mid].
    expect(calls.count).toBe(3);
    const arrived = await queue.waitFor(4);
    expect(arrived).toHaveLength(4);
    const truncated = arrived.find((n) => n.message.includes('[truncated:'))!;
    expect(truncated.message).toMatch(
      new RegExp(`\\n\\[truncated: \\d+ of ${Buffer.byteLength(big)} bytes not shown\\]$`),
    );
    expect(Buffer.byteLength(truncated.message)).toBeLessThanOrEqual(8192);
    expect(truncated.message.startsWith('{"size":5000,"blob":"éé')).toBe(true);
    expect(truncated.message).not.toContain('\uFFFD');
    useEnv({ ALERT_MAX_REQUEST_BYTES: undefined });
  });

  it('dead-letters records that are not JSON, and reports nothing failed', async () => {
    const queue = await subscribedQueue('sns-it-poison');
    useEnv({
      ALERT_TOPIC_ARN: queue.topicArn,
      DEAD_LETTER_BUCKET: BUCKET,
      DEAD_LETTER_PREFIX: 'poison-it',
      ALERT_RULES: RULES,
    });
    const event = plainEvent(['{"level":"ERROR","host":"a","msg":"x"}', 'not json {']);
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    expect(await queue.waitFor(1)).toHaveLength(1);
    const keys = await listKeys(s3Client(), BUCKET, 'poison-it/');
    const dead = (await Promise.all(keys.map((key) => readLines(s3Client(), BUCKET, key)))).flat();
    expect(dead.map((line) => JSON.parse(line).errorName)).toEqual(['RecordDecodeError']);
    useEnv({ DEAD_LETTER_PREFIX: undefined });
  });
});

describe('kinesis-to-sns on a FIFO topic', () => {
  it('sets MessageGroupId from groupBy and a deduplication id SNS uses to drop a re-delivered record', async () => {
    const queue = await subscribedQueue('sns-it-alerts.fifo');
    expect(queue.topicArn.endsWith('.fifo')).toBe(true);
    useEnv({ ALERT_TOPIC_ARN: queue.topicArn, DEAD_LETTER_BUCKET: BUCKET, ALERT_RULES: RULES });
    const event = plainEvent([
      '{"level":"ERROR","host":"web-1","msg":"a"}',
      '{"level":"ERROR","host":"web 2 ünïcode","msg":"b"}',
      '{"size":1200}',
    ]);
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    const first = await queue.waitFor(3);
    expect(first.map((n) => n.groupId)).toEqual(['web-1', 'web_2__n_code', 'big']);
    expect(new Set(first.map((n) => n.deduplicationId)).size).toBe(3);
    for (const n of first) expect(n.deduplicationId).toMatch(/^[0-9a-f]{64}$/);

    // Lambda re-delivers the same records (e.g. a later parent failed): SNS deduplicates, nothing arrives twice.
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await queue.notifications()).toHaveLength(3);
  });
});

describe('kinesis-to-sns configuration', () => {
  it('fails with a message naming the rule, the path and the problem', () => {
    useEnv({
      ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:alerts',
      DEAD_LETTER_BUCKET: BUCKET,
      ALERT_RULES: JSON.stringify([
        { name: 'ok', pattern: { a: [1] }, severity: 'low' },
        { name: 'broken', pattern: { detail: { level: [{ prefx: 'E' }] } }, severity: 'low' },
      ]),
    });
    expect(() => config()).toThrow(
      /ALERT_RULES must be valid rules \(ALERT_RULES\): rule "broken": pattern\.detail\.level\[0\]: unknown operator "prefx"/,
    );
    useEnv({ ALERT_RULES: undefined });
  });
});
