/**
 * `npm start` demo of kinesis-to-sns: application log records (errors from a few production hosts, slow checkouts,
 * admin logins from inside and outside 10.0.0.0/8, routine lines, two poison records) KPL-aggregated into a stream
 * in kinesalite, read back as the event source mapping reads them and handed to the handler with the bundled
 * rules.json; then the notifications that reached an SQS queue subscribed to the topic (fauxqs) are printed.
 */
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { config } from '../../functions/kinesis-to-sns/config';
import { kinesisClient, s3Client } from '../../shared/aws/clients';
import { aggregate } from '../../shared/kpl';
import { lambdaContext, listShardIds, readShard, toLambdaEvent } from '../../test/support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../test/support/s3';
import { subscribedQueue } from '../../test/support/sns-queue';
import { shortenDigits, table } from '../lib/table';
import type { Demo } from './context';

const STREAM = 'demo-app-logs';
const TOPIC = 'demo-alerts';
const DEAD_LETTERS = 'demo-sns-dead-letters';
const RECORDS = 3000;

function logRecord(i: number): string {
  const base = { time: new Date(Date.UTC(2026, 10, 22, 2, 0, i % 60)).toISOString(), env: 'prod-eu' };
  switch (i % 10) {
    case 0:
      return JSON.stringify({
        ...base,
        level: 'ERROR',
        host: `web-${i % 3}`,
        service: 'checkout',
        message: 'gateway timeout',
      });
    case 1:
      return JSON.stringify({
        ...base,
        level: 'INFO',
        host: `web-${i % 4}`,
        service: 'checkout',
        latencyMs: 1500 + (i % 1000),
      });
    case 2:
      return JSON.stringify({
        ...base,
        level: 'INFO',
        event: 'login',
        user: { name: `u${i % 3}`, role: i % 2 ? 'admin' : 'ADMIN' },
        sourceIp: i % 4 === 2 ? '198.51.100.7' : '10.0.3.4',
      });
    case 3:
      return JSON.stringify({
        ...base,
        level: 'ERROR',
        env: 'staging',
        host: 'stg-1',
        service: 'search',
        message: 'test',
      });
    default:
      return JSON.stringify({
        ...base,
        level: 'INFO',
        host: `web-${i % 4}`,
        service: 'catalog',
        message: 'GET /products 200',
      });
  }
}

export const demo: Demo = async () => {
  const saved = { ...process.env };
  try {
    const queue = await subscribedQueue(TOPIC);
    await createBucket(s3Client(), DEAD_LETTERS);
    Object.assign(process.env, { ALERT_TOPIC_ARN: queue.topicArn, DEAD_LETTER_BUCKET: DEAD_LETTERS });
    delete process.env.DEAD_LETTER_PREFIX;
    delete process.env.ALERT_RULES;
    config.reset();

    const kinesis = kinesisClient();
    await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
    const users = Array.from({ length: RECORDS }, (_, i) => ({
      data: logRecord(i),
      partitionKey: `host-${i % 16}`,
    }));
    const blobs = aggregate(users, { maxBytes: 51_200 });
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: [
          ...blobs.map((blob) => ({ Data: blob.data, PartitionKey: blob.partitionKey })),
          { Data: Buffer.from('not json'), PartitionKey: 'poison-0' },
          { Data: Buffer.from('{"level": "ERROR"'), PartitionKey: 'poison-1' },
        ],
      }),
    );
    console.log(`Produced ${RECORDS} log records in ${blobs.length} KPL aggregates (+2 poison records)`);

    const { handler } = await import('../../functions/kinesis-to-sns/handler');
    const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`;
    let invocations = 0;
    for (const shardId of await listShardIds(kinesis, STREAM)) {
      for (const batch of await readShard(kinesis, STREAM, shardId, { batchSize: 1000 })) {
        const response = (await handler(
          toLambdaEvent(batch, { streamArn, shardId }),
          lambdaContext('kinesis-to-sns') as unknown as Context,
        )) as KinesisStreamBatchResponse;
        invocations += 1;
        if (response.batchItemFailures.length > 0)
          throw new Error(`kinesis-to-sns reported failures: ${JSON.stringify(response.batchItemFailures)}`);
      }
    }

    const arrived = await queue.waitFor(1);
    const collapsed = arrived.reduce((sum, n) => sum + Number(n.attributes.count ?? 1), 0);
    console.log(
      `${invocations} invocation(s); ${collapsed} matching records became ${arrived.length} notifications on ` +
        `the queue subscribed to ${TOPIC}:`,
    );
    console.log(
      table(
        arrived.map((n) => ({
          rule: n.attributes.rule,
          severity: n.attributes.severity,
          count: Number(n.attributes.count),
          subject: (n.subject ?? '').length > 44 ? `${n.subject!.slice(0, 43)}…` : n.subject,
        })),
      ),
    );
    const first = arrived[0];
    if (first) console.log(`First message:\n  ${shortenDigits(first.message).replace(/\n+/g, '\n  ')}`);
    let deadLetters = 0;
    for (const key of await listKeys(s3Client(), DEAD_LETTERS))
      deadLetters += (await readLines(s3Client(), DEAD_LETTERS, key)).length;
    console.log(`Dead-lettered ${deadLetters}/2 poison records in s3://${DEAD_LETTERS}`);
  } finally {
    for (const key of ['ALERT_TOPIC_ARN', 'DEAD_LETTER_BUCKET', 'DEAD_LETTER_PREFIX', 'ALERT_RULES'])
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    config.reset();
  }
};
