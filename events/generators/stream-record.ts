/** One Kinesis record of a sample event, shaped exactly as Lambda's event source mapping delivers it. */

export interface SampleStream {
  streamArn: string;
  shardId: string;
  /** Epoch seconds of the first record's arrival, fixed so the sample is reproducible. */
  arrival: number;
  /** Sub-second part of every arrival time. */
  fraction: number;
  /** The consuming function, for the invoke identity (the role the mapping reads the stream with). */
  functionName: string;
}

/** Returns a maker of records of `stream`: `record(sequenceNumber, partitionKey, data, offsetSeconds)`. */
export function sampleRecords(stream: SampleStream) {
  return (
    sequenceNumber: string,
    partitionKey: string,
    data: Uint8Array | string,
    offsetSeconds: number,
  ) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey,
      sequenceNumber,
      data: Buffer.from(data).toString('base64'),
      approximateArrivalTimestamp: stream.arrival + offsetSeconds + stream.fraction,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${stream.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::123456789012:role/kinesis-lambda-kit-dev-${stream.functionName}`,
    awsRegion: 'us-east-1',
    eventSourceARN: stream.streamArn,
  });
}
