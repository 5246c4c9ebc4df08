/**
 * `npm run replay` (scripts/replay/on-failure.ts) end to end on kinesalite + fauxqs + s3rver: a batch that fails while
 * a fault sits in front of S3 (test/support/fault-proxy.ts) exhausts its retries and leaves Lambda's on-failure
 * pointer (KinesisBatchInfo) in the queue; once the fault is gone, the replay reads exactly that range back from the
 * stream, runs it through kinesis-to-s3's handler, delivers every record once by id and empties the queue. A range
 * the stream no longer holds is reported with its sequence numbers and its message kept.
 */
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kinesisClient, resetClients, s3Client } from '../../../shared/aws/clients';
import {
  failureQueueUrl,
  invokeTarget,
  localTarget,
  sqsClient,
  type Target,
} from '../../../scripts/replay/common';
import { parseFailureMessage, replayOnFailure } from '../../../scripts/replay/on-failure';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { listShardIds, readShard, toLambdaEvent } from '../../support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../support/s3';

const STREAM = 'replay-orders';
const STREAM_ARN = `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`;
const BUCKET = 'replay-it';
const ORDERS = 60;

let proxy: FaultProxy;
let s3Endpoint: string;
let queueUrl: string;
let shardId: string;
let target: Target & { reset: () => void };

async function visible(url: string): Promise<number> {
  const out = await sqsClient().send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(out.Attributes!.ApproximateNumberOfMessages);
}

async function newQueue(name: string): Promise<string> {
  return (await sqsClient().send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
}

/** The order ids in every object under the prefix, with repeats. */
async function deliveredOrders(prefix: string): Promise<number[]> {
  const ids: number[] = [];
  for (const key of await listKeys(s3Client(), BUCKET, prefix)) {
    for (const line of await readLines(s3Client(), BUCKET, key)) ids.push(JSON.parse(line).orderId);
  }
  return ids.sort((a, b) => a - b);
}

beforeAll(async () => {
  s3Endpoint = process.env.AWS_ENDPOINT_URL_S3!;
  proxy = await startFaultProxy(s3Endpoint);
  process.env.AWS_ENDPOINT_URL_S3 = proxy.url;
  resetClients();
  await createBucket(s3Client(), BUCKET);
  await kinesisClient().send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  const out = await kinesisClient().send(
    new PutRecordsCommand({
      StreamName: STREAM,
      Records: Array.from({ length: ORDERS }, (_, i) => ({
        Data: Buffer.from(JSON.stringify({ orderId: i, total: i * 2.5 })),
        PartitionKey: `customer-${i % 7}`,
      })),
    }),
  );
  expect(out.FailedRecordCount ?? 0).toBe(0);
  [shardId] = (await listShardIds(kinesisClient(), STREAM)) as [string];
  queueUrl = await newQueue('replay-kinesis-to-s3-failures');
  Object.assign(process.env, {
    BUCKET_NAME: BUCKET,
    KEY_PREFIX: 'orders',
    INPUT_FORMAT: 'json',
    COMPRESSION: 'none',
    DEADLINE_MARGIN_MS: '2000',
  });
  target = await localTarget('kinesis-to-s3', 20_000);
  target.reset();
});

afterAll(async () => {
  process.env.AWS_ENDPOINT_URL_S3 = s3Endpoint;
  resetClients();
  await proxy.close();
});

beforeEach(() => proxy.clear());

/**
 * Lambda's event source mapping, reduced to what matters here: batches of 20, each retried from the reported
 * failure up to `retries` times; a batch still failing leaves the on-failure pointer to its range in the queue.
 */
async function eventSourceMapping(retries: number): Promise<number> {
  const batches = await readShard(kinesisClient(), STREAM, shardId, { batchSize: 20 });
  let failedBatches = 0;
  for (const records of batches) {
    let pending = records;
    for (let attempt = 0; attempt <= retries && pending.length > 0; attempt++) {
      const outcome = await target(toLambdaEvent(pending, { streamArn: STREAM_ARN, shardId }));
      if (outcome.ok) pending = [];
    }
    if (pending.length === 0) continue;
    failedBatches += 1;
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({
          requestContext: {
            requestId: 'x',
            functionArn: 'arn',
            condition: 'RetryAttemptsExhausted',
            approximateInvokeCount: retries + 1,
          },
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: null },
          version: '1.0',
          timestamp: new Date().toISOString(),
          KinesisBatchInfo: {
            shardId,
            startSequenceNumber: pending[0]!.SequenceNumber,
            endSequenceNumber: pending.at(-1)!.SequenceNumber,
            approximateArrivalOfFirstRecord: new Date().toISOString(),
            approximateArrivalOfLastRecord: new Date().toISOString(),
            batchSize: pending.length,
            streamArn: STREAM_ARN,
          },
        }),
      }),
    );
  }
  return failedBatches;
}

describe('replay from the on-failure destination', () => {
  it('delivers a range that failed until the fault was removed, every record once, and empties the queue', async () => {
    // S3 refuses every data write of the second batch (orders 20..39): retries exhausted, pointer in the queue.
    let batch = 0;
    proxy.add({
      match: (r) => r.method === 'PUT' && r.path.includes('/orders/') && batch === 1,
      fault: { kind: 'respond', status: 503, body: '<Error><Code>ServiceUnavailable</Code></Error>' },
    });
    const original = target;
    const counting: typeof target = Object.assign(
      async (event: Parameters<Target>[0]) => {
        batch = batchIndex(event);
        return original(event);
      },
      { reset: original.reset },
    );
    target = counting;
    expect(await eventSourceMapping(2)).toBe(1);
    target = original;
    expect(await visible(queueUrl)).toBe(1);
    const before = await deliveredOrders('orders/');
    expect(before).toEqual([...Array(20).keys(), ...Array.from({ length: 20 }, (_, i) => 40 + i)]);

    // Dry run: reports the range, changes nothing.
    const dry = await replayOnFailure({ functionName: 'kinesis-to-s3', queueUrl, target, dryRun: true });
    expect(dry).toMatchObject({ messages: 1, replayed: 0, kept: 1, recordsRead: 20, recordsDelivered: 0 });
    expect(await visible(queueUrl)).toBe(1);

    // The fault is gone (batch index no longer 1): the replay delivers the range and deletes the message.
    batch = -1;
    const lines: string[] = [];
    const summary = await replayOnFailure({
      functionName: 'kinesis-to-s3',
      queueUrl,
      target,
      log: (line) => lines.push(line),
    });
    expect(summary).toMatchObject({
      messages: 1,
      replayed: 1,
      kept: 0,
      recordsRead: 20,
      recordsDelivered: 20,
    });
    expect(summary.trimmedRanges).toEqual([]);
    expect(await visible(queueUrl)).toBe(0);
    expect(await deliveredOrders('orders/')).toEqual([...Array(ORDERS).keys()]);
    expect(lines.at(-1)).toMatch(/records read 20, delivered 20 \| queue remaining ~0/);

    // The same pointer replayed again (a second on-failure message for the range) overwrites the same objects.
    const { shardId: shard, startSequenceNumber, endSequenceNumber } = summary.outcomes[0]!;
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({
          KinesisBatchInfo: {
            shardId: shard,
            startSequenceNumber,
            endSequenceNumber,
            batchSize: 20,
            streamArn: STREAM_ARN,
          },
        }),
      }),
    );
    expect(await replayOnFailure({ functionName: 'kinesis-to-s3', queueUrl, target })).toMatchObject({
      replayed: 1,
      recordsDelivered: 20,
    });
    expect(await deliveredOrders('orders/')).toEqual([...Array(ORDERS).keys()]);
    const received = await sqsClient().send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }),
    );
    expect(received.Messages ?? []).toHaveLength(0);
  }, 60_000);

  it('keeps the message when the function still fails, and deletes nothing', async () => {
    const url = await newQueue('replay-still-failing');
    const [first, second] = (await readShard(kinesisClient(), STREAM, shardId, { batchSize: 5 }))[0]!;
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify({
          KinesisBatchInfo: {
            shardId,
            startSequenceNumber: first!.SequenceNumber,
            endSequenceNumber: second!.SequenceNumber,
            batchSize: 2,
            streamArn: STREAM_ARN,
          },
        }),
      }),
    );
    proxy.add({
      match: (r) => r.method === 'PUT',
      fault: { kind: 'respond', status: 503, body: '<Error><Code>ServiceUnavailable</Code></Error>' },
    });
    const summary = await replayOnFailure({ functionName: 'kinesis-to-s3', queueUrl: url, target });
    expect(summary).toMatchObject({ messages: 1, replayed: 0, kept: 1, recordsRead: 2, recordsDelivered: 0 });
    expect(summary.outcomes[0]!.problem).toMatch(/failure from sequence number/);
    expect(await visible(url)).toBe(1);
  }, 60_000);

  it('reports a range the stream no longer holds, with its sequence numbers, and keeps the message', async () => {
    const url = await newQueue('replay-trimmed');
    const { Shards } = await kinesisClient().send(
      new (await import('@aws-sdk/client-kinesis')).ListShardsCommand({ StreamName: STREAM }),
    );
    const shardStart = Shards![0]!.SequenceNumberRange!.StartingSequenceNumber!;
    const records = (await readShard(kinesisClient(), STREAM, shardId, { batchSize: 10 }))[0]!;
    const third = records[2]!.SequenceNumber!;
    const message = (start: string, end: string, shard = shardId) =>
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify({
          KinesisBatchInfo: {
            shardId: shard,
            startSequenceNumber: start,
            endSequenceNumber: end,
            batchSize: 3,
            streamArn: STREAM_ARN,
          },
        }),
      });
    // The range starts before the oldest record the shard holds (the records there were trimmed) ...
    await sqsClient().send(message(shardStart, third));
    // ... and a range on a shard the stream no longer has.
    await sqsClient().send(message(shardStart, third, 'shardId-000000000042'));
    const lines: string[] = [];
    const summary = await replayOnFailure({
      functionName: 'kinesis-to-s3',
      queueUrl: url,
      target,
      log: (l) => lines.push(l),
    });
    expect(summary).toMatchObject({ messages: 2, replayed: 0, kept: 2 });
    expect(summary.trimmedRanges).toEqual(
      expect.arrayContaining([
        {
          shardId,
          from: shardStart,
          to: String(BigInt(records[0]!.SequenceNumber!) - 1n),
          firstAvailable: records[0]!.SequenceNumber!,
          reason: expect.stringContaining('retention'),
        },
        {
          shardId: 'shardId-000000000042',
          from: shardStart,
          to: third,
          reason: expect.stringContaining('ResourceNotFoundException'),
        },
      ]),
    );
    expect(lines.filter((l) => l.startsWith('TRIMMED'))).toHaveLength(2);
    expect(lines.join('\n')).toContain(`sequence numbers ${shardStart}..`);
    expect(await visible(url)).toBe(2);
  }, 60_000);

  it('invokes the deployed function with the synthetic event (--invoke), over Lambda Invoke', async () => {
    // Lambda's Invoke (REST-JSON): POST /2015-03-31/functions/<name>/invocations; a function error is a 200 with
    // X-Amz-Function-Error. This one runs kinesis-to-s3's handler and fails its first invocation.
    const invocations: Array<{ name: string; records: number }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const name = decodeURIComponent(/functions\/([^/]+)\/invocations/.exec(req.url ?? '')![1]!);
        const event = JSON.parse(Buffer.concat(chunks).toString()) as KinesisStreamEvent;
        invocations.push({ name, records: event.Records.length });
        if (invocations.length === 1) {
          res.writeHead(200, { 'X-Amz-Function-Error': 'Unhandled', 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ errorType: 'TimeoutError', errorMessage: 'Task timed out' }));
          return;
        }
        const outcome = await target(event);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            batchItemFailures: outcome.ok
              ? []
              : [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }],
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const lambdaEndpoint = process.env.AWS_ENDPOINT_URL_LAMBDA;
    process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    resetClients();
    try {
      const url = await newQueue('replay-invoke');
      const records = (await readShard(kinesisClient(), STREAM, shardId, { batchSize: 3 }))[0]!;
      await sqsClient().send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: JSON.stringify({
            KinesisBatchInfo: {
              shardId,
              startSequenceNumber: records[0]!.SequenceNumber,
              endSequenceNumber: records[2]!.SequenceNumber,
              batchSize: 3,
              streamArn: STREAM_ARN,
            },
          }),
        }),
      );
      const deployed = invokeTarget('kinesis-lambda-kit-dev-kinesis-to-s3');
      const failed = await replayOnFailure({
        functionName: 'kinesis-to-s3',
        queueUrl: url,
        target: deployed,
      });
      expect(failed).toMatchObject({ replayed: 0, kept: 1, recordsRead: 3, recordsDelivered: 0 });
      expect(failed.outcomes[0]!.problem).toMatch(/^Unhandled: .*TimeoutError/);
      expect(await visible(url)).toBe(1);
      const replayed = await replayOnFailure({
        functionName: 'kinesis-to-s3',
        queueUrl: url,
        target: deployed,
      });
      expect(replayed).toMatchObject({ replayed: 1, kept: 0, recordsDelivered: 3 });
      expect(await visible(url)).toBe(0);
      expect(invocations).toEqual([
        { name: 'kinesis-lambda-kit-dev-kinesis-to-s3', records: 3 },
        { name: 'kinesis-lambda-kit-dev-kinesis-to-s3', records: 3 },
      ]);
    } finally {
      if (lambdaEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
      else process.env.AWS_ENDPOINT_URL_LAMBDA = lambdaEndpoint;
      resetClients();
      server.close();
    }
  }, 60_000);

  it("finds a deployed stack's on-failure queue by the name CloudFormation gives it (--stack)", async () => {
    const url = await newQueue('ops-stage-KinesisToDynamoDbFailureQueue-1A2B3C4D5E6F');
    await newQueue('ops-stage-KinesisToSnsFailureQueue-9Z8Y7X6W5V4U');
    expect(await failureQueueUrl('kinesis-to-dynamodb', 'ops-stage')).toBe(url);
    await expect(failureQueueUrl('kinesis-to-s3', 'ops-stage')).rejects.toThrow(
      /no queue named ops-stage-KinesisToS3FailureQueue-\.\.\.: pass --queue-url \(the stack output KinesisToS3FailureQueueUrl\)/,
    );
  });

  it('refuses a message that is not a Kinesis on-failure record', () => {
    expect(() => parseFailureMessage('{"Records":[]}')).toThrow(/no KinesisBatchInfo/);
    expect(() =>
      parseFailureMessage(
        JSON.stringify({
          KinesisBatchInfo: {
            shardId: 's',
            streamArn: 'arn:aws:kinesis:r:1:stream/x',
            startSequenceNumber: '9',
            endSequenceNumber: '1',
          },
        }),
      ),
    ).toThrow(/starts after its end/);
  });
});

/** Which batch of 20 an event belongs to (by its first order id). */
function batchIndex(event: Parameters<Target>[0]): number {
  const first = JSON.parse(Buffer.from(event.Records[0]!.kinesis.data, 'base64').toString())
    .orderId as number;
  return Math.floor(first / 20);
}
