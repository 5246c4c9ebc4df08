/** Reading coordinates out of a Lambda Kinesis event. */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** The event is not a Kinesis stream event the runner can report on. */
export class InvalidKinesisEventError extends Error {
  override readonly name = 'InvalidKinesisEventError';
}

/** `arn:aws:kinesis:us-east-1:123456789012:stream/orders` -> `orders`. */
export function streamNameFromArn(arn: string | undefined): string {
  if (!arn) return 'unknown-stream';
  const slash = arn.lastIndexOf(':stream/');
  return slash >= 0 ? arn.slice(slash + ':stream/'.length) : arn;
}

/** Lambda's eventID is `<shardId>:<sequenceNumber>`. */
export function shardIdFromEventId(eventId: string | undefined): string {
  if (!eventId) return 'unknown-shard';
  const colon = eventId.indexOf(':');
  return colon > 0 ? eventId.slice(0, colon) : eventId;
}

/**
 * Checks the shape the runner relies on and returns the records. An empty Records array is a valid (empty)
 * batch; a missing one, or a record without a sequence number (which could not be reported as a batch item
 * failure: Lambda fails the whole batch on an empty itemIdentifier), is an error.
 */
export function kinesisRecordsOf(event: KinesisStreamEvent): KinesisStreamRecord[] {
  if (
    event === null ||
    typeof event !== 'object' ||
    !Array.isArray((event as { Records?: unknown }).Records)
  ) {
    throw new InvalidKinesisEventError('Not a Kinesis stream event: it has no Records array');
  }
  event.Records.forEach((record, index) => {
    const kinesis = record?.kinesis;
    if (!kinesis || typeof kinesis.sequenceNumber !== 'string' || kinesis.sequenceNumber === '') {
      throw new InvalidKinesisEventError(`Records[${index}] has no kinesis.sequenceNumber`);
    }
    if (typeof kinesis.data !== 'string') {
      throw new InvalidKinesisEventError(
        `Records[${index}] (sequence ${kinesis.sequenceNumber}) has no kinesis.data`,
      );
    }
  });
  return event.Records;
}
