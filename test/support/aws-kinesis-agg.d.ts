// Typings for what the KPL tests and bench call in the untyped-in-practice `aws-kinesis-agg` (CommonJS). The
// package's own index.d.ts covers deaggregate/deaggregateSync/aggregate (against aws-sdk v2, not installed);
// this adds the RecordAggregator class and the `ExplicitHashKey` (capitalised) that encoded records carry.
declare module 'aws-kinesis-agg' {
  export interface AggInputRecord {
    partitionKey: string;
    explicitHashKey?: string;
    data: Buffer | string;
  }

  export interface EncodedRecord {
    /** Set (capitalised, unlike partitionKey) when the first buffered record has an explicit hash key. */
    ExplicitHashKey?: string;
  }

  /** Synchronous-ish aggregator: buffers records and emits ~1 MB aggregates via the callback. */
  export class RecordAggregator {
    constructor(onReadyCallback?: (err: Error | null, encoded?: EncodedRecord) => void);
    addUserRecord(record: AggInputRecord): void;
    aggregateRecords(
      records: AggInputRecord[],
      forceFlush: boolean,
      onReadyCallback?: (err: Error | null, encoded?: EncodedRecord) => void,
    ): void;
    flushBufferedRecords(onReadyCallback?: (err: Error | null, encoded?: EncodedRecord) => void): void;
    build(): EncodedRecord | undefined;
    length(): number;
    checkIfUserRecordFits(record: AggInputRecord): boolean;
    calculateUserRecordSize(record: AggInputRecord): number;
  }
}
