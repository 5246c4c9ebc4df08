/**
 * Re-ingestion logic without a server: batching within each API's limits, per-entry retries (Kinesis per-entry
 * errors, which kinesalite never produces), permanent errors, the deadline; and the CloudWatch Logs re-wrapping.
 */
import { gunzipSync } from 'node:zlib';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CloudWatchLogsMessage,
  rewrap,
  toLines,
} from '../../../functions/firehose-cloudwatch-logs-processor/cloudwatch-logs';
import { resetClients } from '../../../shared/aws/clients';
import { KINESIS_PUT_LIMITS, putRecordsReliably, targetFor } from '../../../shared/firehose';
import { batchesFor } from '../../../shared/firehose/reingest';
import { logEvents } from '../../support/cloudwatch-logs';

const kinesis = mockClient(KinesisClient);
const firehose = mockClient(FirehoseClient);
const noSleep = async () => undefined;

afterEach(() => {
  kinesis.reset();
  firehose.reset();
  resetClients();
});

describe('putRecordsReliably', () => {
  it('retries only the entries Kinesis reports failed (FailedRecordCount on a 200)', async () => {
    const seen: string[][] = [];
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
      const data = input.Records.map((r) => Buffer.from(r.Data).toString());
      seen.push(data);
      const fail = (d: string) => seen.length === 1 && Number(d) % 3 === 0;
      return {
        FailedRecordCount: data.filter(fail).length,
        Records: data.map((d) =>
          fail(d)
            ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }
            : { SequenceNumber: '1', ShardId: 'shardId-0' },
        ),
      };
    });
    const entries = Array.from({ length: 10 }, (_, i) => ({
      data: Buffer.from(String(i)),
      partitionKey: `k${i}`,
    }));
    const report = await putRecordsReliably({ service: 'kinesis', streamName: 's' }, entries, {
      deadline: Date.now() + 5_000,
      sleep: noSleep,
    });
    expect(report).toMatchObject({ calls: 2, retryRounds: 1 });
    expect(report.failed.size).toBe(0);
    expect(seen[1]).toEqual(['0', '3', '6', '9']);
  });

  it('does not retry permanent errors, and gives up on the rest at the deadline', async () => {
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => ({
      FailedPutCount: input.Records.length,
      RequestResponses: input.Records.map((r) =>
        Buffer.from(r.Data).toString() === 'a'
          ? { ErrorCode: 'KMSAccessDeniedException', ErrorMessage: 'denied' }
          : { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
      ),
    }));
    const report = await putRecordsReliably(
      { service: 'firehose', deliveryStreamName: 'd' },
      [{ data: Buffer.from('a') }, { data: Buffer.from('b') }],
      { deadline: Date.now() + 300, baseDelayMs: 50, maxDelayMs: 50 },
    );
    expect(report.failed.get(0)).toBe('KMSAccessDeniedException');
    expect(report.failed.get(1)).toMatch(/deadline/);
    // The permanent failure was sent once; the throttled entry as often as the deadline allowed.
    const sent = firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records?.length);
    expect(sent[0]).toBe(2);
    expect(sent.slice(1).every((n) => n === 1)).toBe(true);
  });

  it('fails a whole call on a validation error without retrying it', async () => {
    const error = Object.assign(new Error('1 validation error detected'), { name: 'ValidationException' });
    firehose.on(PutRecordBatchCommand).rejects(error);
    const report = await putRecordsReliably(
      { service: 'firehose', deliveryStreamName: 'd' },
      [{ data: Buffer.from('a') }],
      { deadline: Date.now() + 5_000, sleep: noSleep },
    );
    expect(report.calls).toBe(1);
    expect(report.failed.get(0)).toMatch(/^ValidationException/);
  });

  it('counts partition keys against the Kinesis limits and requires them', async () => {
    const key = 'k'.repeat(256);
    const entries = Array.from({ length: 6 }, () => ({
      data: Buffer.alloc(1024 * 1024 - 256),
      partitionKey: key,
    }));
    // 5 fit in 5 MiB exactly (data + key = 1 MiB each).
    expect(batchesFor({ service: 'kinesis', streamName: 's' }, entries, [0, 1, 2, 3, 4, 5])).toEqual([
      [0, 1, 2, 3, 4],
      [5],
    ]);
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1' }] });
    const report = await putRecordsReliably(
      { service: 'kinesis', streamName: 's' },
      [
        { data: Buffer.alloc(KINESIS_PUT_LIMITS.maxBytesPerRecord), partitionKey: 'p' },
        { data: Buffer.from('x') },
      ],
      { deadline: Date.now() + 1_000 },
    );
    expect([...report.failed.values()]).toEqual([
      `record of ${KINESIS_PUT_LIMITS.maxBytesPerRecord + 1} bytes exceeds ${KINESIS_PUT_LIMITS.maxBytesPerRecord}`,
      'partition key missing',
    ]);
    expect(report.calls).toBe(0);
  });

  it('targets the source stream when the event has one, else the delivery stream', () => {
    const base = {
      invocationId: 'i',
      region: 'us-east-1',
      deliveryStreamArn: 'arn:aws:firehose:us-east-1:1:deliverystream/logs',
    };
    expect(targetFor(base)).toEqual({ service: 'firehose', deliveryStreamName: 'logs' });
    expect(targetFor({ ...base, sourceKinesisStreamArn: 'arn:aws:kinesis:us-east-1:1:stream/src' })).toEqual({
      service: 'kinesis',
      streamName: 'src',
    });
  });
});

describe('rewrap (CloudWatch Logs re-ingestion records)', () => {
  const message = {
    messageType: 'DATA_MESSAGE' as const,
    owner: '123456789012',
    logGroup: '/g',
    logStream: 's',
    subscriptionFilters: ['f'],
    logEvents: logEvents('r', 300, 10_000),
  };

  it('splits into same-shaped gzip payloads within both caps, keeping every event once and in order', () => {
    const parts = rewrap(message, 200_000, 150_000);
    expect(parts.length).toBeGreaterThan(15);
    const events = parts.flatMap((gz) => {
      expect(gz.byteLength).toBeLessThanOrEqual(150_000);
      const json = gunzipSync(gz);
      expect(json.byteLength).toBeLessThanOrEqual(200_000);
      const { logEvents: chunk, ...header } = JSON.parse(json.toString());
      expect(header).toEqual({
        messageType: 'DATA_MESSAGE',
        owner: '123456789012',
        logGroup: '/g',
        logStream: 's',
        subscriptionFilters: ['f'],
      });
      return chunk;
    });
    expect(events).toEqual(message.logEvents);
  });

  it('refuses a single event larger than the record limit', () => {
    expect(() => rewrap({ ...message, logEvents: logEvents('x', 1, 50_000) }, 900_000, 10_000)).toThrow(
      'log event 0 alone exceeds the re-ingestion record limit',
    );
  });

  it('sizes chunks by their JSON-lines output, which repeats the log group and stream on every line', () => {
    const names = { logGroup: `/${'g'.repeat(511)}`, logStream: 's'.repeat(512) };
    const tiny = {
      ...message,
      ...names,
      logEvents: Array.from({ length: 20_000 }, (_, i) => ({ id: `${i}`, timestamp: i, message: '' })),
    };
    // ~0.9 MB of input JSON (one chunk by input size) but ~21 MB of JSON lines.
    expect(Buffer.byteLength(JSON.stringify(tiny))).toBeLessThan(900_000);
    expect(rewrap(tiny, 900_000, 1_000_000, 'message')).toHaveLength(1);
    const parts = rewrap(tiny, 900_000, 1_000_000, 'json');
    expect(parts.length).toBeGreaterThan(20);
    const events = parts.flatMap((gz) => {
      const chunk = JSON.parse(gunzipSync(gz).toString()) as CloudWatchLogsMessage;
      expect(chunk).toMatchObject(names);
      expect(Buffer.byteLength(toLines(chunk, 'json')!)).toBeLessThanOrEqual(900_000);
      return chunk.logEvents;
    });
    expect(events).toEqual(tiny.logEvents);
  });

  it('refuses a single event whose output alone is more than a response can carry', () => {
    const huge = { ...message, logEvents: [{ id: '1', timestamp: 1, message: '\u0001'.repeat(1_000_000) }] };
    // 1 MB of control characters: 6 MB once escaped in a JSON line, 2 MB as a plain line.
    expect(rewrap(huge, 1_000_000, 1_000_000, 'message').length).toBeGreaterThan(0);
    expect(() => rewrap(huge, 1_000_000, 1_000_000, 'json')).toThrow(
      /^log event 0 alone makes 6000\d{3} bytes of output, more than a response can carry$/,
    );
  });
});
