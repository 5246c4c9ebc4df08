/**
 * kinesis-to-dynamodb throughput against dynalite (in this process), no faults: one Lambda event holding a 10,000
 * user-record batch in KPL aggregates (51,200-byte aggregates, the KPL's default size), JSON readings of ~230
 * bytes with a float, a 20-digit counter and nesting. Same run, same dynalite, same data:
 * - `ours (handler)`: the function's handler (batch mode): de-aggregation, lossless items, BatchWriteItem with 25
 *   puts per call, 4 calls in flight. Its API calls are counted at the client's middleware and must be exactly
 *   ceil(n/25);
 * - `naive (await each)`: the usual blueprint: aws-kinesis-agg `deaggregateSync`, JSON.parse, one PutItem per
 *   record (lib-dynamodb PutCommand, `allowImpreciseNumbers` because JSON.parse has already rounded the counter:
 *   the naive writer loses digits, ours does not), awaited one after the other;
 * - `naive (all at once)`: the same with every PutItem of the event in flight together (Promise.all).
 * dynalite is slow per call, so the naive rows measure the first NAIVE_RECORDS records only; every figure is per
 * record (records/s), and the ratio is ours over each naive row. A run is the median of ROUNDS.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import agg from 'aws-kinesis-agg';
import { startEmulators } from '../test/support/emulators';
import type { BenchResult } from './harness';
import { plainEvent } from '../test/support/kinesis-events';

const RECORDS = 10_000;
const NAIVE_RECORDS = 1_000;
const ROUNDS = 3;
const BATCH_TABLE = 'bench-kinesis-to-dynamodb';
const NAIVE_TABLE = 'bench-naive-put-item';

const reading = (i: number) =>
  `{"deviceId":"d-${i % 500}","ts":"${1_764_000_000_000 + i}","temperature":${(i % 400) / 10 + 0.05},` +
  `"counter":${12345678901234567890n + BigInt(i)},"site":{"id":"berlin-${i % 7}","floor":${i % 12},` +
  `"tags":["hvac","zone-${i % 4}"]},"status":"ok","note":""}`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function run(): Promise<BenchResult> {
  const emulators = await startEmulators();
  Object.assign(process.env, emulators.env, {
    TABLE_NAME: BATCH_TABLE,
    PARTITION_KEY: 'pk={deviceId}',
    SORT_KEY: 'sk={ts}',
    WRITE_MODE: 'batch',
    DEAD_LETTER_BUCKET: 'bench-dead-letter',
  });
  try {
    // Imported after the environment is set: the handler reads it at cold start.
    const { dynamoDbClient } = await import('../shared/aws/clients');
    const { aggregate } = await import('../shared/kpl');
    const { handler } = await import('../functions/kinesis-to-dynamodb/handler');
    const client = dynamoDbClient();
    for (const table of [BATCH_TABLE, NAIVE_TABLE]) {
      await client.send(
        new CreateTableCommand({
          TableName: table,
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          ProvisionedThroughput: { ReadCapacityUnits: 1000, WriteCapacityUnits: 1000 },
        }),
      );
    }
    const blobs = aggregate(
      Array.from({ length: RECORDS }, (_, i) => ({ data: reading(i), partitionKey: `d-${i % 500}` })),
      { maxBytes: 51_200 },
    );
    const event: KinesisStreamEvent = plainEvent(blobs, {
      streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
      shardId: 'shardId-000000000000',
    });
    const context = {
      functionName: 'kinesis-to-dynamodb',
      awsRequestId: 'bench',
      getRemainingTimeInMillis: () => 600_000,
    } as unknown as Context;

    const calls: Record<string, number> = {};
    client.middlewareStack.add(
      (next, ctx) => async (args) => {
        const name = String(ctx.commandName);
        calls[name] = (calls[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'bench-count' },
    );

    // ---- ours -------------------------------------------------------------------------------------------------
    const oursSeconds: number[] = [];
    let oursCalls: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const key of Object.keys(calls)) delete calls[key];
      const started = performance.now();
      const response = (await handler(event, context)) as KinesisStreamBatchResponse;
      oursSeconds.push((performance.now() - started) / 1000);
      if (response.batchItemFailures.length > 0)
        throw new Error('the handler reported failures on a clean run');
      oursCalls = { ...calls };
    }

    // ---- naive: deaggregateSync + JSON.parse + one PutItem per record --------------------------------------------
    // JSON.parse has already rounded the 20-digit counter; lib-dynamodb refuses such a number unless told to
    // accept imprecise ones, which is what the naive writer ends up doing (and why it is lossy).
    const document = DynamoDBDocumentClient.from(client, {
      marshallOptions: { allowImpreciseNumbers: true },
    });
    const naiveSlice = event.Records.slice(
      0,
      Math.ceil(event.Records.length * (NAIVE_RECORDS / RECORDS)) + 1,
    );
    const naive = async (parallel: boolean) => {
      let count = 0;
      const puts: Array<Promise<unknown>> = [];
      for (const record of naiveSlice) {
        let users: Array<{ data: string }> = [];
        agg.deaggregateSync(record.kinesis, true, (error, result) => {
          if (error) throw error;
          users = result!;
        });
        for (const user of users) {
          if (count++ >= NAIVE_RECORDS) break;
          const value = JSON.parse(Buffer.from(user.data, 'base64').toString('utf8')) as Record<
            string,
            unknown
          >;
          const put = document.send(
            new PutCommand({ TableName: NAIVE_TABLE, Item: { ...value, pk: value.deviceId, sk: value.ts } }),
          );
          if (parallel) puts.push(put);
          else await put;
        }
      }
      await Promise.all(puts);
      return Math.min(count, NAIVE_RECORDS);
    };
    const naiveSeconds: Record<'await each' | 'all at once', number[]> = {
      'await each': [],
      'all at once': [],
    };
    let naiveCount = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['await each', 'all at once'] as const) {
        const started = performance.now();
        naiveCount = await naive(mode === 'all at once');
        naiveSeconds[mode].push((performance.now() - started) / 1000);
      }
    }

    // ---- report -------------------------------------------------------------------------------------------------
    const oursRate = RECORDS / median(oursSeconds);
    const rows = [
      {
        contender: 'ours (handler, batch mode)',
        records: RECORDS,
        'API calls': Object.entries(oursCalls)
          .map(([name, n]) => `${n} ${name.replace(/Command$/, '')}`)
          .join(', '),
        'median s': median(oursSeconds).toFixed(2),
        'records/s': Math.round(oursRate),
        'x naive (await each)': '',
        'x naive (all at once)': '',
      },
      ...(['await each', 'all at once'] as const).map((mode) => ({
        contender: `naive (${mode})`,
        records: naiveCount,
        'API calls': `${naiveCount} PutItem`,
        'median s': median(naiveSeconds[mode]).toFixed(2),
        'records/s': Math.round(naiveCount / median(naiveSeconds[mode])),
        'x naive (await each)': '',
        'x naive (all at once)': '',
      })),
    ];
    const ratio = (mode: 'await each' | 'all at once') =>
      oursRate / (naiveCount / median(naiveSeconds[mode]));
    rows[0]!['x naive (await each)'] = ratio('await each').toFixed(1);
    rows[0]!['x naive (all at once)'] = ratio('all at once').toFixed(1);
    console.log(
      `\nkinesis-to-dynamodb on dynalite: one event of ${RECORDS} user records in ${event.Records.length} KPL aggregates (Node ${process.version})`,
    );
    console.table(rows);
    const batchCalls = oursCalls.BatchWriteItemCommand ?? 0;
    return {
      targets: {
        [`BatchWriteItem calls = ceil(${RECORDS}/25) = ${Math.ceil(RECORDS / 25)}, nothing else`]:
          batchCalls === Math.ceil(RECORDS / 25) && Object.keys(oursCalls).length === 1,
        'records/s >= 3x naive (await each)': ratio('await each') >= 3,
        'records/s >= 2x naive (all at once)': ratio('all at once') >= 2,
      },
    };
  } finally {
    await emulators.stop();
  }
}
