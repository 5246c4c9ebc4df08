/**
 * The suppression window's DynamoDB requests (the item, its condition and TTL, the release) and how it reads
 * DynamoDB's answers. The condition itself is evaluated by dynalite in test/integration/kinesis-to-sns.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSuppression, suppressionKey } from '../../../functions/kinesis-to-sns/suppression';
import { resetClients } from '../../../shared/aws/clients';

const dynamodb = mockClient(DynamoDBClient);
const NOW = Date.UTC(2025, 10, 22, 2, 0, 0, 250);
const suppression = () =>
  createSuppression({
    tableName: 'alert-windows',
    windowMs: 90_000,
    now: () => NOW,
    client: new DynamoDBClient({}),
  });
const context = () => ({ remainingTimeMs: () => 60_000, signal: new AbortController().signal });

afterEach(() => {
  dynamodb.reset();
  resetClients();
});

describe('suppressionKey', () => {
  it('is the rule name, #, and the first 32 hex digits of the SHA-256 of the collapse key', () => {
    // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(suppressionKey('errors', 'abc')).toBe('errors#ba7816bf8f01cfea414140de5dae2223');
  });
});

describe('createSuppression', () => {
  it('claims with a conditional PutItem: the window end, a TTL an hour past it, and this claim id', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    const ctx = context();
    expect(await suppression().claim('errors#k', 'claim-1', ctx)).toBe('publish');
    const [call] = dynamodb.commandCalls(PutItemCommand);
    expect(call!.args[0].input).toEqual({
      TableName: 'alert-windows',
      Item: {
        pk: { S: 'errors#k' },
        claim: { S: 'claim-1' },
        windowEndsAtMs: { N: String(NOW + 90_000) },
        // Epoch seconds, rounded up: 2025-11-22T02:01:30.250Z -> ...:31, plus one hour.
        expiresAt: { N: String(Math.floor(NOW / 1000) + 91 + 3600) },
      },
      ConditionExpression: 'attribute_not_exists(pk) OR windowEndsAtMs <= :now OR claim = :claim',
      ExpressionAttributeValues: { ':now': { N: String(NOW) }, ':claim': { S: 'claim-1' } },
    });
    expect((call!.args as unknown[])[1]).toEqual({ abortSignal: ctx.signal });
  });

  it('is suppressed when the condition fails, whichever SDK copy built the error', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      )
      .rejectsOnce(
        Object.assign(new Error('The conditional request failed'), {
          name: 'ConditionalCheckFailedException',
        }),
      );
    expect(await suppression().claim('errors#k', 'claim-2', context())).toBe('suppressed');
    expect(await suppression().claim('errors#k', 'claim-2', context())).toBe('suppressed');
  });

  it('throws any other error (the caller hands the alert back)', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(suppression().claim('errors#k', 'claim-3', context())).rejects.toThrow('slow down');
  });

  it('throws what the client threw even when it is not an Error (null, undefined), not a TypeError', async () => {
    for (const thrown of [null, undefined]) {
      const client = { send: () => Promise.reject(thrown) } as unknown as DynamoDBClient;
      const claim = createSuppression({ tableName: 't', windowMs: 1000, now: () => NOW, client }).claim;
      await expect(claim('errors#k', 'claim-4', context())).rejects.toBe(thrown);
    }
  });

  it('releases with a DeleteItem conditional on its own claim id', async () => {
    dynamodb.on(DeleteItemCommand).resolves({});
    const ctx = context();
    await suppression().release('errors#k', 'claim-4', ctx);
    const [call] = dynamodb.commandCalls(DeleteItemCommand);
    expect(call!.args[0].input).toEqual({
      TableName: 'alert-windows',
      Key: { pk: { S: 'errors#k' } },
      ConditionExpression: 'claim = :claim',
      ExpressionAttributeValues: { ':claim': { S: 'claim-4' } },
    });
    expect((call!.args as unknown[])[1]).toEqual({ abortSignal: ctx.signal });
  });
});
