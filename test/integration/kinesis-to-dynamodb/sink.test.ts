/**
 * The DynamoDB sink on its own, on dynalite: an item DynamoDB refuses inside a BatchWriteItem is found with single
 * puts and rejected (the other 24 land), a key schema mismatch (configuration) fails instead of dead-lettering
 * everything, and a rejected latest record leaves the older record of its key written.
 */
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClient } from '../../../shared/aws/clients';
import type { RecordCoordinates } from '../../../shared/kinesis/types';
import { createDynamoDbSink, type DynamoDbItem } from '../../../shared/sinks/dynamodb';
import { countCalls, createTable, scanAll } from '../../support/dynamodb';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy';

const TABLE = 'dynamodb-sink-it';
const context = { remainingTimeMs: () => 30_000 };
const at = (i: number): RecordCoordinates => ({
  stream: 's',
  shardId: 'shardId-000000000000',
  sequenceNumber: String(1000 + i),
  subSequenceNumber: 0,
  partitionKey: 'p',
  approximateArrivalTimestamp: 0,
});
const items = (values: DynamoDbItem[]) => values.map((value, i) => ({ coordinates: at(i), value }));

let proxy: FaultProxy;
beforeAll(async () => {
  await createTable(dynamoDbClient(), TABLE, false);
  proxy = await startFaultProxy(process.env.AWS_ENDPOINT_URL_DYNAMODB!);
});
afterAll(() => proxy.close());

describe('DynamoDB sink', () => {
  it('isolates an item DynamoDB refuses with single puts: it is rejected, the rest land', async () => {
    const values: DynamoDbItem[] = Array.from({ length: 25 }, (_, i) => ({
      pk: `v-${i}`,
      n: new NumberValue(String(i)),
    }));
    values[7] = { pk: 'x'.repeat(3000) }; // over DynamoDB's 2048-byte partition key
    const counts = countCalls(dynamoDbClient());
    const result = await createDynamoDbSink({ tableName: TABLE, keyAttributes: ['pk'] }).write(
      items(values),
      context,
    );
    expect(result.failed).toEqual([]);
    expect(result.rejected).toEqual([
      { index: 7, errorName: 'ValidationException', reason: expect.stringMatching(/hashkey/) },
    ]);
    expect(counts).toEqual({ BatchWriteItemCommand: 1, PutItemCommand: 25 });
    const landed = (await scanAll(dynamoDbClient(), TABLE))
      .map((item) => item.pk!.S)
      .filter((pk) => pk!.startsWith('v-'));
    expect(landed).toHaveLength(24);
  });

  it('fails (not rejects) every item when the key does not match the table: a configuration error', async () => {
    const sink = createDynamoDbSink({ tableName: TABLE, keyAttributes: ['id'] });
    const result = await sink.write(items([{ id: 'a' }, { id: 'b' }]), context);
    expect(result).toEqual({ failed: [0, 1], rejected: [] });
  });

  it('writes the older record of a key when DynamoDB refuses the latest', async () => {
    const sink = createDynamoDbSink({ tableName: TABLE, keyAttributes: ['pk'], mode: 'ordered' });
    // Index 1 is the latest of key "o" and holds a number DynamoDB refuses (more than 38 digits).
    const result = await sink.write(
      items([
        { pk: 'o', v: new NumberValue('1') },
        { pk: 'o', v: new NumberValue('1'.repeat(40)) },
      ]),
      context,
    );
    expect(result.failed).toEqual([]);
    expect(result.rejected).toMatchObject([{ index: 1, errorName: 'ValidationException' }]);
    const [item] = (await scanAll(dynamoDbClient(), TABLE)).filter((i) => i.pk!.S === 'o');
    expect(item!.v).toEqual({ N: '1' });
  });

  it('rejects an item over 400 KB without a call, measured as DynamoDB does', async () => {
    const counts = countCalls(dynamoDbClient());
    const sink = createDynamoDbSink({ tableName: TABLE, keyAttributes: ['pk'] });
    // 'pk' + 'big' + 'ok' + the values: exactly 409,600 bytes lands, one more byte does not.
    const fits = { pk: 'ok', big: `${'é'.repeat(204_796)}x` };
    const over = { pk: 'no', big: `${'é'.repeat(204_796)}xx` };
    const result = await sink.write(items([fits, over]), context);
    expect(result.failed).toEqual([]);
    expect(result.rejected).toEqual([
      {
        index: 1,
        errorName: 'ItemTooLargeError',
        reason: 'the item is 409601 bytes (attribute names + values, UTF-8); DynamoDB stores at most 409600',
      },
    ]);
    expect(counts).toEqual({ BatchWriteItemCommand: 1 });
    // dynalite, which enforces the limit too, took the 409,600-byte one.
    expect((await scanAll(dynamoDbClient(), TABLE)).some((item) => item.pk!.S === 'ok')).toBe(true);
  });

  it('maps UnprocessedItems back by key even when DynamoDB answers a number key in its normal form', async () => {
    const numbered = 'dynamodb-sink-numbered';
    await dynamoDbClient().send(
      new CreateTableCommand({
        TableName: numbered,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'N' },
        ],
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
      }),
    );
    // Every request that holds sk 2.50 is answered with that put unprocessed, its number written `2.5`.
    const fault = { kind: 'respond' as const, status: 200, body: '' };
    proxy.add({
      match: (request) => {
        const body = JSON.parse(request.body.toString('utf8'));
        const puts = body.RequestItems?.[numbered] as Array<{ PutRequest: { Item: { sk: { N: string } } } }>;
        const held = puts?.filter((put) => put.PutRequest.Item.sk.N === '2.50');
        if (!held?.length) return false;
        for (const put of held) put.PutRequest.Item.sk.N = '2.5';
        fault.body = JSON.stringify({ UnprocessedItems: { [numbered]: held } });
        return true;
      },
      fault,
    });
    const viaProxy = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: proxy.url, maxAttempts: 1 }),
      {
        unmarshallOptions: { wrapNumbers: true },
      },
    );
    const sink = createDynamoDbSink({ tableName: numbered, keyAttributes: ['pk', 'sk'], client: viaProxy });
    const ends = Date.now() + 1_500;
    const result = await sink.write(
      items(['1', '2.50', '3e0'].map((sk) => ({ pk: 'a', sk: new NumberValue(sk) }))),
      { remainingTimeMs: () => Math.max(0, ends - Date.now()) },
    );
    // Only the put DynamoDB kept unprocessed comes back failed; it was retried until the budget ran out.
    expect(result).toEqual({ failed: [1], rejected: [] });
    expect(proxy.requests.filter((request) => request.fault === 'respond').length).toBeGreaterThan(1);
    proxy.clear();
  });
});
