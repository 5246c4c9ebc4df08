/** Shared fixtures of the kinesis-to-dynamodb item tests (item.test.ts, item-edges.test.ts). */
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import type { RecordCoordinates } from '../../shared/kinesis/types';

export const coordinates: RecordCoordinates = {
  stream: 'orders',
  shardId: 'shardId-000000000001',
  sequenceNumber: '49658520563826370318512419245617917437484032022312157186',
  subSequenceNumber: 2,
  partitionKey: 'p',
  approximateArrivalTimestamp: 1_764_000_000_000,
};

/** Plain JSON with numbers as their text, for comparing items; own properties only, so an attribute set to undefined shows. */
export const plain = (value: unknown): unknown =>
  value instanceof NumberValue
    ? { N: value.toString() }
    : Array.isArray(value)
      ? value.map(plain)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
        : value;
