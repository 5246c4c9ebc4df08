/**
 * The CloudWatch Logs processor's re-ingestion through the real SDK clients: Firehose PutRecordBatch against the
 * wire-level fake (test/support/firehose-fake.ts) and Kinesis PutRecords against kinesalite.
 */
import { gzipSync } from 'node:zlib';
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { config } from '../../../functions/firehose-cloudwatch-logs-processor/config';
import { handler } from '../../../functions/firehose-cloudwatch-logs-processor/handler';
import { kinesisClient, resetClients } from '../../../shared/aws/clients';
import { putRecordsReliably, responseBytes } from '../../../shared/firehose';
import { cloudWatchLogsPayload, logEvents, unwrapPayload } from '../../support/cloudwatch-logs';
import { decoded, fakeContext, firehoseEvent } from '../../support/firehose-events';
import { startFaultProxy } from '../../support/fault-proxy';
import { FIREHOSE_LIMITS, type FirehoseFake, startFirehoseFake } from '../../support/firehose-fake';

const STREAM = 'cwl-delivery';
const ARN = `arn:aws:firehose:us-east-1:123456789012:deliverystream/${STREAM}`;
let fake: FirehoseFake;

beforeAll(async () => {
  fake = await startFirehoseFake({ deliveryStreams: [STREAM] });
  process.env.AWS_ENDPOINT_URL_FIREHOSE = fake.endpoint;
  process.env.OUTPUT_FORMAT = 'json';
  config.reset();
  resetClients();
});

afterAll(async () => {
  await fake.close();
  delete process.env.OUTPUT_FORMAT;
  config.reset();
});

beforeEach(async () => {
  await fake.idle();
  fake.reset();
});

const invoke = (event: FirehoseTransformationEvent, remainingMs = 60_000) =>
  handler(event, fakeContext(remainingMs)) as Promise<FirehoseTransformationResult>;

/** Log event ids in the Ok outputs of a response (JSON lines mode). */
function inlineIds(result: FirehoseTransformationResult): string[] {
  return result.records
    .filter((r) => r.result === 'Ok')
    .flatMap((r) => decoded(r.data).trimEnd().split('\n'))
    .map((line) => JSON.parse(line).id as string);
}

let cachedPayloads: Buffer[] | undefined;
function bigEvent() {
  // Four ~1 MB gzip records (a ~5.4 MB request, under Lambda's 6 MB) inflating to ~2 MB of lines each: with
  // base64 that is ~11 MB of output for a 6,000,000-byte response, so some records must overflow.
  cachedPayloads ??= ['a', 'b', 'c', 'd'].map((p) => cloudWatchLogsPayload(logEvents(p, 120, 16_600)));
  const payloads = cachedPayloads;
  const event = firehoseEvent(payloads, { deliveryStreamArn: ARN });
  expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(6_000_000);
  return { event, expectedIds: 4 * 120 };
}

/**
 * Firehose buffers re-ingested records like any others, up to the processor's BufferSizeInMBs per invocation
 * (1 MB in serverless.yml: with logs inflating 2-10x, a 3 MB buffer would overflow the response every time).
 */
function asFirehoseWouldBatch(records: Buffer[]): FirehoseTransformationEvent[] {
  const events: FirehoseTransformationEvent[] = [];
  let batch: Buffer[] = [];
  let bytes = 0;
  for (const record of records) {
    if (batch.length > 0 && bytes + record.byteLength > 1_000_000) {
      events.push(firehoseEvent(batch, { deliveryStreamArn: ARN }));
      batch = [];
      bytes = 0;
    }
    batch.push(record);
    bytes += record.byteLength;
  }
  if (batch.length > 0) events.push(firehoseEvent(batch, { deliveryStreamArn: ARN }));
  return events;
}

describe('CloudWatch Logs processor re-ingestion into Firehose (PutRecordBatch, real SDK, wire fake)', () => {
  it('keeps the response under 6,000,000 bytes, re-ingests the rest within the API limits, loses nothing', async () => {
    const { event, expectedIds } = bigEvent();
    const first = await invoke(event);
    expect(responseBytes(first)).toBeLessThanOrEqual(6_000_000);
    expect(first.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    const dropped = first.records.filter((r) => r.result === 'Dropped');
    expect(dropped.length).toBeGreaterThan(0);
    expect(first.records.some((r) => r.result === 'ProcessingFailed')).toBe(false);

    // Limits honoured on every call.
    expect(fake.calls.length).toBeGreaterThan(0);
    for (const call of fake.calls) {
      expect(call.status).toBe(200);
      expect(call.records).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxRecordsPerCall);
      expect(call.bytes).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBytesPerCall);
    }
    const reingested = fake.records(STREAM);
    for (const data of reingested)
      expect(data.byteLength).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBytesPerRecord);

    // Re-ingested records are CloudWatch Logs payloads again: later invocations turn them into lines.
    const callsForFirst = fake.calls.length;
    const all = inlineIds(first);
    for (const next of asFirehoseWouldBatch(reingested)) {
      const later = await invoke(next);
      expect(later.records.every((r) => r.result === 'Ok')).toBe(true);
      all.push(...inlineIds(later));
    }
    expect(fake.calls.length).toBe(callsForFirst);
    expect(all).toHaveLength(expectedIds);
    expect(new Set(all).size).toBe(expectedIds);
    console.info(
      `re-ingest: ${dropped.length} records -> ${reingested.length} entries in ${fake.calls.length} PutRecordBatch calls`,
    );
  });

  it('retries only failed entries (FailedPutCount on HTTP 200) until all are stored', async () => {
    const { event } = bigEvent();
    // Every other entry of the first two calls fails once.
    fake.failEntry = ({ call, index }) => call <= 2 && index % 2 === 0;
    const result = await invoke(event);
    expect(result.records.some((r) => r.result === 'ProcessingFailed')).toBe(false);
    const failed = fake.calls.reduce((sum, c) => sum + c.failedEntries, 0);
    expect(failed).toBeGreaterThan(0);
    const sent = fake.calls.reduce((sum, c) => sum + c.records, 0);
    // Each stored entry once, plus exactly the failed ones again.
    expect(sent).toBe(fake.records(STREAM).length + failed);
    const ids = fake.records(STREAM).flatMap((gz) => unwrapPayload(gz).logEvents.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
    console.info(`partial failures: ${failed} failed entries retried, ${fake.calls.length} calls`);
  });

  it('marks what cannot be re-ingested before the deadline ProcessingFailed with the original data', async () => {
    const { event } = bigEvent();
    fake.throttleCalls = 1_000;
    // 4.5 s left, 3 s safety margin: the hook has ~1.5 s, spent on throttled calls (the SDK retries each too).
    const result = await invoke(event, 4_500);
    const failed = result.records.filter((r) => r.result === 'ProcessingFailed');
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) {
      expect(r.data).toBe(event.records.find((e) => e.recordId === r.recordId)!.data);
    }
    expect(result.records.some((r) => r.result === 'Dropped')).toBe(false);
    expect(responseBytes(result)).toBeLessThanOrEqual(6_000_000);
    expect(fake.records(STREAM)).toHaveLength(0);
  });

  it('answers before the deadline when PutRecordBatch is never answered: overflow ProcessingFailed, original data', async () => {
    const { event } = bigEvent();
    const proxy = await startFaultProxy(fake.endpoint);
    proxy.add({ match: () => true, fault: { kind: 'hang' } });
    process.env.AWS_ENDPOINT_URL_FIREHOSE = proxy.url;
    resetClients();
    try {
      const started = Date.now();
      // 4.5 s left, 3 s margin: the hook's calls are aborted at ~1.5 s, whatever the per-attempt timeout (10 s).
      const result = await invoke(event, 4_500);
      // Before the invocation's deadline (a tighter 3.5 s bound failed at load average 12, CPU-starved).
      expect(Date.now() - started).toBeLessThan(4_500);
      expect(proxy.requests.length).toBeGreaterThan(0);
      const failed = result.records.filter((r) => r.result === 'ProcessingFailed');
      expect(failed.length).toBeGreaterThan(0);
      for (const r of failed) expect(r.data).toBe(event.records.find((e) => e.recordId === r.recordId)!.data);
      expect(result.records.some((r) => r.result === 'Dropped')).toBe(false);
      expect(result.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
      expect(responseBytes(result)).toBeLessThanOrEqual(6_000_000);
    } finally {
      process.env.AWS_ENDPOINT_URL_FIREHOSE = fake.endpoint;
      resetClients();
      await proxy.close();
    }
  });

  it('putRecordsReliably splits at 500 records per call', async () => {
    const entries = Array.from({ length: 1_201 }, (_, i) => ({ data: Buffer.from(`entry ${i}`) }));
    const report = await putRecordsReliably({ service: 'firehose', deliveryStreamName: STREAM }, entries, {
      deadline: Date.now() + 10_000,
    });
    expect(report.failed.size).toBe(0);
    // Calls run concurrently: their arrival order at the fake is not fixed.
    expect(fake.calls.map((c) => c.records).sort((a, b) => b - a)).toEqual([500, 500, 201]);
    expect(fake.records(STREAM).map(String).sort()).toEqual(entries.map((e) => String(e.data)).sort());
  });

  it('putRecordsReliably keeps every call within 4 MiB', async () => {
    const entries = Array.from({ length: 10 }, (_, i) => ({ data: Buffer.alloc(1_000_000, i) }));
    const report = await putRecordsReliably({ service: 'firehose', deliveryStreamName: STREAM }, entries, {
      deadline: Date.now() + 10_000,
    });
    expect(report.failed.size).toBe(0);
    expect(fake.calls.map((c) => c.records).sort()).toEqual([2, 4, 4]);
    for (const call of fake.calls) expect(call.bytes).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBytesPerCall);
  });

  it('reports an entry over 1,000 KiB without sending it', async () => {
    const report = await putRecordsReliably(
      { service: 'firehose', deliveryStreamName: STREAM },
      [{ data: Buffer.alloc(1_024_001) }, { data: Buffer.from('ok') }],
      { deadline: Date.now() + 5_000 },
    );
    expect([...report.failed.keys()]).toEqual([0]);
    expect(fake.calls).toHaveLength(1);
    expect(fake.records(STREAM).map(String)).toEqual(['ok']);
  });
});

describe('CloudWatch Logs processor re-ingestion into the source Kinesis stream (PutRecords, kinesalite)', () => {
  it('puts the overflow back into the source stream with the original partition key', async () => {
    const streamName = `cwl-source-${Date.now()}`;
    await kinesisClient().send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
    const payloads = ['k', 'l', 'm'].map((p) => cloudWatchLogsPayload(logEvents(p, 150, 20_000)));
    const event = firehoseEvent(
      payloads.map((data, i) => ({
        data,
        kinesisRecordMetadata: {
          shardId: 'shardId-000000000000',
          partitionKey: `pk-${i}`,
          sequenceNumber: `4959000000000000000000000000000000000000000000000000000${i}`,
          subsequenceNumber: '0',
          approximateArrivalTimestamp: 1_763_776_800_000,
        },
      })),
      {
        deliveryStreamArn: ARN,
        sourceKinesisStreamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${streamName}`,
      },
    );
    const result = await invoke(event);
    expect(responseBytes(result)).toBeLessThanOrEqual(6_000_000);
    const droppedIndexes = result.records.flatMap((r, i) => (r.result === 'Dropped' ? [i] : []));
    expect(droppedIndexes.length).toBeGreaterThan(0);
    expect(fake.calls).toHaveLength(0);

    const { ShardIterator } = await kinesisClient().send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records = [] } = await kinesisClient().send(
      new GetRecordsCommand({ ShardIterator, Limit: 10_000 }),
    );
    expect(new Set(Records.map((r) => r.PartitionKey))).toEqual(
      new Set(droppedIndexes.map((i) => `pk-${i}`)),
    );
    for (const r of Records) expect(r.Data!.byteLength).toBeLessThanOrEqual(1024 * 1024);
    const ids = Records.flatMap((r) => unwrapPayload(r.Data!).logEvents.map((e) => e.id));
    expect(ids).toHaveLength(droppedIndexes.length * 150);
    console.info(
      `kinesis re-ingest: ${droppedIndexes.length} records -> ${Records.length} PutRecords entries`,
    );
  });
});

describe('CloudWatch Logs processor re-ingestion ends (JSON lines repeat the log group and stream)', () => {
  /** A gzip DATA_MESSAGE with 512-character names: every JSON line carries ~1 KB of them. */
  function longNamesPayload(events: { id: string; timestamp: number; message: string }[]): Buffer {
    return gzipSync(
      JSON.stringify({
        messageType: 'DATA_MESSAGE',
        owner: '123456789012',
        logGroup: `/${'g'.repeat(511)}`,
        logStream: 's'.repeat(512),
        subscriptionFilters: ['to-firehose'],
        logEvents: events,
      }),
    );
  }

  it('splits by output size: a record of small input but huge output is delivered in a few rounds, once', async () => {
    // ~0.8 MB of input JSON (a single re-ingestion chunk when sized by input) making ~16 MB of JSON lines.
    const events = Array.from({ length: 15_000 }, (_, i) => ({
      id: `e${i}`,
      timestamp: 1_763_776_800_000 + i,
      message: `m${i}`,
    }));
    let pending: Buffer[] = [longNamesPayload(events)];
    const delivered: string[] = [];
    let rounds = 0;
    while (pending.length > 0 && rounds < 12) {
      rounds += 1;
      fake.reset();
      for (const event of asFirehoseWouldBatch(pending)) {
        const result = await invoke(event);
        expect(responseBytes(result)).toBeLessThanOrEqual(6_000_000);
        expect(result.records.some((r) => r.result === 'ProcessingFailed')).toBe(false);
        delivered.push(...inlineIds(result));
      }
      pending = fake.records(STREAM);
    }
    console.info(`long names: delivered in ${rounds} rounds`);
    expect(pending).toHaveLength(0);
    expect(rounds).toBeLessThanOrEqual(8);
    expect(delivered).toHaveLength(events.length);
    expect(new Set(delivered)).toEqual(new Set(events.map((e) => e.id)));
  });

  it('answers ProcessingFailed, not re-ingested again, a record whose one event cannot fit any response', async () => {
    // 1 MB of control characters: 6 MB once escaped in a JSON line; its gzip is a few KB.
    const payload = longNamesPayload([{ id: 'e0', timestamp: 1, message: '\u0001'.repeat(1_000_000) }]);
    const event = firehoseEvent([payload], { deliveryStreamArn: ARN });
    const result = await invoke(event);
    expect(result.records.map((r) => r.result)).toEqual(['ProcessingFailed']);
    expect(result.records[0]!.data).toBe(event.records[0]!.data);
    expect(fake.calls).toHaveLength(0);
    expect(fake.records(STREAM)).toHaveLength(0);
  });
});
