import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  InvalidKinesisEventError,
  kinesisRecordsOf,
  shardIdFromEventId,
  streamNameFromArn,
} from '../../../shared/kinesis/event';

const record = (kinesis: Record<string, unknown>) => ({ kinesis });
const batch = (...records: unknown[]) => ({ Records: records }) as unknown as KinesisStreamEvent;

/** The error kinesisRecordsOf throws for `event`, checked to be the typed one. */
function rejection(event: unknown): InvalidKinesisEventError {
  try {
    kinesisRecordsOf(event as KinesisStreamEvent);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidKinesisEventError);
    return error as InvalidKinesisEventError;
  }
  throw new Error('kinesisRecordsOf accepted the event');
}

describe('coordinates from a Lambda Kinesis event', () => {
  it('names the stream from its ARN, and says when there is none', () => {
    expect(streamNameFromArn('arn:aws:kinesis:us-east-1:123456789012:stream/orders')).toBe('orders');
    expect(streamNameFromArn('arn:aws:kinesis:eu-west-1:123456789012:stream/a:stream/b')).toBe('b');
    expect(streamNameFromArn(':stream/orders')).toBe('orders');
    // Not a stream ARN: kept whole rather than guessed at.
    expect(streamNameFromArn('orders')).toBe('orders');
    expect(streamNameFromArn(undefined)).toBe('unknown-stream');
    expect(streamNameFromArn('')).toBe('unknown-stream');
  });

  it('takes the shard from the eventID, never an empty one', () => {
    expect(
      shardIdFromEventId('shardId-000000000003:49590338271490256608559692538361571095921575989136588898'),
    ).toBe('shardId-000000000003');
    expect(shardIdFromEventId('shardId-000000000003')).toBe('shardId-000000000003');
    expect(shardIdFromEventId(':4959')).toBe(':4959');
    expect(shardIdFromEventId(undefined)).toBe('unknown-shard');
    expect(shardIdFromEventId('')).toBe('unknown-shard');
  });
});

describe('kinesisRecordsOf', () => {
  it('returns the records of a valid batch, an empty one included', () => {
    const event = batch(
      record({ sequenceNumber: '1', data: '' }),
      record({ sequenceNumber: '2', data: 'eA==' }),
    );
    expect(kinesisRecordsOf(event)).toBe(event.Records);
    expect(kinesisRecordsOf(batch())).toEqual([]);
  });

  it('rejects what is not a Kinesis event with a typed error', () => {
    for (const event of [null, undefined, 'Records', 7, {}, { Records: {} }, { Records: 'x' }]) {
      const error = rejection(event);
      expect(error.name).toBe('InvalidKinesisEventError');
      expect(error.message).toBe('Not a Kinesis stream event: it has no Records array');
    }
  });

  it('names the record without a usable sequence number (Lambda fails the whole batch on an empty one)', () => {
    const good = record({ sequenceNumber: '1', data: '' });
    for (const bad of [
      null,
      {},
      record({ data: '' }),
      record({ sequenceNumber: 2, data: '' }),
      record({ sequenceNumber: '', data: '' }),
    ]) {
      expect(rejection(batch(good, bad)).message).toBe('Records[1] has no kinesis.sequenceNumber');
    }
  });

  it('names the record without data by index and sequence number', () => {
    const event = batch(record({ sequenceNumber: '1', data: '' }), record({ sequenceNumber: '77' }));
    expect(rejection(event).message).toBe('Records[1] (sequence 77) has no kinesis.data');
    expect(rejection(batch(record({ sequenceNumber: '5', data: 12 }))).message).toBe(
      'Records[0] (sequence 5) has no kinesis.data',
    );
  });
});
