/**
 * The optional suppression window across invocations: one DynamoDB item per (rule, group) alert. A conditional
 * PutItem decides who publishes: it succeeds when there is no item, when the window it records has ended, or when
 * the item is this alert's own claim (a re-delivered record publishes again rather than being suppressed by its own
 * earlier attempt). ConditionalCheckFailedException = another invocation published inside the window: suppressed.
 *
 * The item carries `expiresAt` (epoch seconds) for DynamoDB's TTL, which only deletes old items: the window itself is
 * decided by `windowEndsAtMs`, so an item TTL has not removed yet changes nothing. When a claimed alert's publish
 * fails, the claim is released (conditional DeleteItem on the claim id) so the retry is not suppressed.
 *
 * Item: `{ pk: "<rule>#<sha256 of the group, 32 hex>", claim, windowEndsAtMs, expiresAt }`. The table's partition key
 * is `pk` (S); serverless.yml creates it with TTL on `expiresAt`.
 */
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '../../shared/aws/clients';
import type { SinkWriteContext } from '../../shared/kinesis/types';
import { errorName } from '../../shared/middleware/errors';

export type ClaimResult = 'publish' | 'suppressed';

export interface SuppressionOptions {
  tableName: string;
  windowMs: number;
  client?: DynamoDBClient;
  now?: () => number;
}

export const suppressionKey = (rule: string, collapseKey: string) =>
  `${rule}#${createHash('sha256').update(collapseKey).digest('hex').slice(0, 32)}`;

export function createSuppression(options: SuppressionOptions) {
  const client = () => options.client ?? dynamoDbClient();
  const now = options.now ?? Date.now;
  return {
    /** Throws when DynamoDB cannot answer (the caller hands the alert's records back). */
    async claim(pk: string, claimId: string, context: SinkWriteContext): Promise<ClaimResult> {
      const at = now();
      const endsAt = at + options.windowMs;
      try {
        await client().send(
          new PutItemCommand({
            TableName: options.tableName,
            Item: {
              pk: { S: pk },
              claim: { S: claimId },
              windowEndsAtMs: { N: String(endsAt) },
              expiresAt: { N: String(Math.ceil(endsAt / 1000) + 3600) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR windowEndsAtMs <= :now OR claim = :claim',
            ExpressionAttributeValues: { ':now': { N: String(at) }, ':claim': { S: claimId } },
          }),
          { abortSignal: context.signal },
        );
        return 'publish';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'suppressed';
        if (errorName(error) === 'ConditionalCheckFailedException') return 'suppressed';
        throw error;
      }
    },
    /** Best effort: a claim whose publish failed no longer suppresses anything. */
    async release(pk: string, claimId: string, context: SinkWriteContext): Promise<void> {
      await client().send(
        new DeleteItemCommand({
          TableName: options.tableName,
          Key: { pk: { S: pk } },
          ConditionExpression: 'claim = :claim',
          ExpressionAttributeValues: { ':claim': { S: claimId } },
        }),
        { abortSignal: context.signal },
      );
    },
  };
}
