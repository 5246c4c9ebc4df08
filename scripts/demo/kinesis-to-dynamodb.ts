/**
 * `npm start` demo of kinesis-to-dynamodb: a 2-shard stream in kinesalite, 2,000 device readings KPL-aggregated
 * (floats, a 20-digit counter, nesting, empty strings) plus two poison records, read back as the event source
 * mapping reads them and handed to the handler; then the table in dynalite is scanned: a few items as stored
 * (numbers exact) and the count, and the dead letters in s3rver with their reasons.
 */
import { CreateTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { config } from '../../functions/kinesis-to-dynamodb/config';
import { dynamoDbClient, kinesisClient, s3Client } from '../../shared/aws/clients';
import { aggregate } from '../../shared/kpl';
import { lambdaContext, listShardIds, readShard, toLambdaEvent } from '../../test/support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../test/support/s3';
import { table } from '../lib/table';
import type { Demo } from './context';

const STREAM = 'demo-device-readings';
const TABLE = 'demo-device-readings';
const DEAD_LETTERS = 'demo-dynamodb-dead-letters';
const READINGS = 2000;

const reading = (i: number) =>
  `{"deviceId":"d-${i % 50}","ts":"${1_764_000_000_000 + i * 1000}","temperature":${Math.floor((i % 300) / 10)}.${i % 10}5,` +
  `"counter":${12345678901234567890n + BigInt(i)},"site":{"id":"berlin-${i % 3}","tags":["hvac","zone-${i % 2}"]},` +
  `"note":""}`;

/** An attribute value as one short text: numbers as stored (exact), maps and lists as DynamoDB JSON. */
const show = (value: AttributeValue | undefined) =>
  value === undefined
    ? ''
    : value.S !== undefined
      ? value.S
      : value.N !== undefined
        ? value.N
        : JSON.stringify(value);

export const demo: Demo = async () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, {
      TABLE_NAME: TABLE,
      PARTITION_KEY: 'pk={deviceId}',
      SORT_KEY: 'sk={ts}',
      DEAD_LETTER_BUCKET: DEAD_LETTERS,
    });
    config.reset();
    const dynamodb = dynamoDbClient();
    await dynamodb.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        ProvisionedThroughput: { ReadCapacityUnits: 100, WriteCapacityUnits: 100 },
      }),
    );
    await createBucket(s3Client(), DEAD_LETTERS);
    const kinesis = kinesisClient();
    await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
    const blobs = aggregate(
      Array.from({ length: READINGS }, (_, i) => ({ data: reading(i), partitionKey: `d-${i % 50}` })),
      { maxBytes: 51_200 },
    );
    const poison = ['{"deviceId": "d-1", "ts": ', '{"ts":"1764000000000","temperature":20.5}'];
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: [
          ...blobs.map((blob) => ({ Data: blob.data, PartitionKey: blob.partitionKey })),
          ...poison.map((data, i) => ({ Data: Buffer.from(data), PartitionKey: `poison-${i}` })),
        ],
      }),
    );
    console.log(
      `Produced ${READINGS} readings in ${blobs.length} KPL aggregates (+${poison.length} poison records) into ${STREAM}`,
    );

    const { handler } = await import('../../functions/kinesis-to-dynamodb/handler');
    const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`;
    let invocations = 0;
    for (const shardId of await listShardIds(kinesis, STREAM)) {
      let at: string | undefined;
      let after: string | undefined;
      for (let retries = 0; ;) {
        const [batch] = await readShard(kinesis, STREAM, shardId, { batchSize: 1000, at, after });
        if (!batch) break;
        const response = (await handler(
          toLambdaEvent(batch, { streamArn, shardId }),
          lambdaContext('kinesis-to-dynamodb') as unknown as Context,
        )) as KinesisStreamBatchResponse;
        invocations += 1;
        const failure = response.batchItemFailures[0]?.itemIdentifier;
        if (failure) {
          if (++retries > 3) throw new Error(`Shard ${shardId} keeps failing at ${failure}`);
          [at, after] = [failure, undefined];
          continue;
        }
        [at, after] = [undefined, batch.at(-1)!.SequenceNumber];
      }
    }

    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamodb.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    console.log(`${invocations} invocation(s); a few items in ${TABLE}, numbers as DynamoDB stores them:`);
    console.log(
      table(
        items
          .sort((x, y) => show(x.sk).localeCompare(show(y.sk)))
          .slice(0, 5)
          .map((item) => ({
            pk: show(item.pk),
            sk: show(item.sk),
            temperature: show(item.temperature),
            counter: show(item.counter),
            note: JSON.stringify(show(item.note)),
            _shardId: show(item._shardId).replace('shardId-', '…'),
            _sub: show(item._subSequenceNumber),
          })),
      ),
    );
    const dead = (
      await Promise.all(
        (await listKeys(s3Client(), DEAD_LETTERS)).map((key) => readLines(s3Client(), DEAD_LETTERS, key)),
      )
    )
      .flat()
      .map((line) => JSON.parse(line) as { errorName: string; reason: string });
    for (const entry of dead) console.log(`  dead letter: ${entry.errorName}: ${entry.reason}`);
    console.log(
      `${items.length}/${READINGS} readings landed (one item per key); ${dead.length}/${poison.length} poison records dead-lettered.`,
    );
    if (items.length !== READINGS || dead.length !== poison.length) {
      throw new Error('kinesis-to-dynamodb: record counts do not add up');
    }
  } finally {
    for (const key of ['TABLE_NAME', 'PARTITION_KEY', 'SORT_KEY', 'DEAD_LETTER_BUCKET']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    config.reset();
  }
};
