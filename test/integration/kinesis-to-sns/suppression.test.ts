/**
 * The suppression window across invocations, against dynalite (which has no UpdateTimeToLive: the TTL is set only
 * in serverless.yml; the window itself is decided by the item's windowEndsAtMs, tested here): a conditional PutItem
 * decides who publishes; a re-delivered record is not suppressed by its own claim; a claim whose publish failed is
 * released.
 */
import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../../functions/kinesis-to-sns/config';
import { handler } from '../../../functions/kinesis-to-sns/handler';
import { suppressionKey } from '../../../functions/kinesis-to-sns/suppression';
import { dynamoDbClient, resetClients, s3Client } from '../../../shared/aws/clients';
import { startFaultProxy } from '../../support/fault-proxy';
import { lambdaContext, plainEvent } from '../../support/kinesis-events';
import { createBucket } from '../../support/s3';
import { subscribedQueue } from '../../support/sns-queue';

const TABLE = 'kinesis-to-sns-suppression';
const BUCKET = 'kinesis-to-sns-suppression';
const VARIABLES = [
  'AWS_ENDPOINT_URL_SNS',
  'ALERT_TOPIC_ARN',
  'DEAD_LETTER_BUCKET',
  'ALERT_RULES',
  'ALERT_SUPPRESSION_TABLE',
  'ALERT_SUPPRESSION_WINDOW_SECONDS',
  'DEADLINE_MARGIN_MS',
];
const saved = { ...process.env };

const RULES = JSON.stringify([
  {
    name: 'errors',
    pattern: { level: ['ERROR'] },
    severity: 'high',
    subject: 'Error on {{host}}',
    groupBy: 'host',
  },
]);

const invoke = (event: KinesisStreamEvent, timeoutMs = 60_000) =>
  handler(
    event,
    lambdaContext('kinesis-to-sns', timeoutMs) as unknown as Context,
  ) as Promise<KinesisStreamBatchResponse>;

/** Plain events whose sequence numbers start at `first` (different invocations, different records). */
function eventAt(first: number, datas: string[]): KinesisStreamEvent {
  const event = plainEvent(datas);
  event.Records.forEach((record, i) => {
    const sequenceNumber = String(first + i);
    record.kinesis.sequenceNumber = sequenceNumber;
    record.eventID = `shardId-000000000003:${sequenceNumber}`;
  });
  return event;
}

const error = (host: string, n: number) => JSON.stringify({ level: 'ERROR', host, n });

beforeAll(async () => {
  await createBucket(s3Client(), BUCKET);
  await dynamoDbClient().send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(() => {
  for (const key of VARIABLES)
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  config.reset();
  resetClients();
});

describe('kinesis-to-sns suppression window (dynalite)', () => {
  it('publishes once per rule and group inside the window, again after it, and again for a re-delivered record', async () => {
    const queue = await subscribedQueue('sns-suppression-window');
    Object.assign(process.env, {
      ALERT_TOPIC_ARN: queue.topicArn,
      DEAD_LETTER_BUCKET: BUCKET,
      ALERT_RULES: RULES,
      ALERT_SUPPRESSION_TABLE: TABLE,
      ALERT_SUPPRESSION_WINDOW_SECONDS: '1',
    });
    config.reset();

    const first = eventAt(1000, [error('a', 1), error('b', 2)]);
    expect(await invoke(first)).toEqual({ batchItemFailures: [] });
    expect((await queue.waitFor(2)).map((n) => n.subject)).toEqual(['Error on a', 'Error on b']);

    // Another invocation inside the window: host a is suppressed, host c is new.
    expect(await invoke(eventAt(2000, [error('a', 3), error('c', 4)]))).toEqual({ batchItemFailures: [] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await queue.notifications()).map((n) => n.subject)).toEqual([
      'Error on a',
      'Error on b',
      'Error on c',
    ]);

    // Lambda re-delivers the first batch (a later parent failed somewhere): its own claims let it publish again.
    expect(await invoke(first)).toEqual({ batchItemFailures: [] });
    expect(await queue.waitFor(5)).toHaveLength(5);

    const item = await dynamoDbClient().send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: suppressionKey('errors', 'g\u0000a') } } }),
    );
    const endsAt = Number(item.Item!.windowEndsAtMs!.N);
    expect(Number(item.Item!.expiresAt!.N)).toBeGreaterThanOrEqual(Math.ceil(endsAt / 1000));

    // After the window: host a publishes again.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, endsAt - Date.now()) + 50));
    expect(await invoke(eventAt(3000, [error('a', 5)]))).toEqual({ batchItemFailures: [] });
    const arrived = await queue.waitFor(6);
    expect(arrived.map((n) => n.subject)).toEqual([
      'Error on a',
      'Error on b',
      'Error on c',
      'Error on a',
      'Error on b',
      'Error on a',
    ]);
  });

  it('releases the claim when the publish fails, so the next invocation is not suppressed', async () => {
    const queue = await subscribedQueue('sns-suppression-release');
    const proxy = await startFaultProxy(process.env.AWS_ENDPOINT_URL_SNS!);
    try {
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_SNS: proxy.url,
        ALERT_TOPIC_ARN: queue.topicArn,
        DEAD_LETTER_BUCKET: BUCKET,
        ALERT_RULES: RULES,
        ALERT_SUPPRESSION_TABLE: TABLE,
        ALERT_SUPPRESSION_WINDOW_SECONDS: '600',
        DEADLINE_MARGIN_MS: '500',
      });
      config.reset();
      resetClients();
      proxy.add({
        match: (r) => r.body.toString().includes('Action=PublishBatch'),
        fault: { kind: 'respond', status: 500 },
      });
      const failing = eventAt(5000, [error('z', 1)]);
      expect(await invoke(failing, 2_500)).toEqual({
        batchItemFailures: [{ itemIdentifier: failing.Records[0]!.kinesis.sequenceNumber }],
      });
      const claim = await dynamoDbClient().send(
        new GetItemCommand({ TableName: TABLE, Key: { pk: { S: suppressionKey('errors', 'g\u0000z') } } }),
      );
      expect(claim.Item).toBeUndefined();

      proxy.clear();
      expect(await invoke(eventAt(6000, [error('z', 2)]))).toEqual({ batchItemFailures: [] });
      expect((await queue.waitFor(1)).map((n) => n.subject)).toEqual(['Error on z']);
    } finally {
      process.env.AWS_ENDPOINT_URL_SNS = saved.AWS_ENDPOINT_URL_SNS;
      delete process.env.DEADLINE_MARGIN_MS;
      resetClients();
      await proxy.close();
    }
  });
});
