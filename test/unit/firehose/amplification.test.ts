/**
 * Amplification by one record: blueprints that copy per-record strings (CloudWatch Logs group and stream in JSON
 * lines, the Kinesis partition key with ADD_METADATA) onto every output line could turn a few KB of gzip or KPL
 * into hundreds of MB. Outputs stop being built once they cannot fit the response, names longer than the service
 * allows are rejected, and a record whose output can never fit is not re-ingested unchanged.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { transformCloudWatchLogs } from '../../../functions/firehose-cloudwatch-logs-processor/cloudwatch-logs';
import { config as cwlConfig } from '../../../functions/firehose-cloudwatch-logs-processor/config';
import { handler as cwlHandler } from '../../../functions/firehose-cloudwatch-logs-processor/handler';
import { config as kinesisConfig } from '../../../functions/firehose-kinesis-source/config';
import { handler as kinesisHandler } from '../../../functions/firehose-kinesis-source/handler';
import { resetClients } from '../../../shared/aws/clients';
import {
  maxOutputBytes,
  ok,
  processFirehoseEvent,
  reingestHook,
  responseBytes,
  runFirehoseEvent,
} from '../../../shared/firehose';
import { logger } from '../../../shared/middleware/observability';
import { fakeContext, firehoseEvent } from '../../support/firehose-events';

const VARIABLES = ['OUTPUT_FORMAT', 'OVERFLOW', 'ADD_METADATA', 'MAX_DECOMPRESSED_BYTES'];
function setEnv(values: Record<string, string>) {
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, values);
  cwlConfig.reset();
  kinesisConfig.reset();
}

const spyOnWarn = () => vi.spyOn(logger, 'warn');
let warn: ReturnType<typeof spyOnWarn>;
const reasons = () => warn.mock.calls.map((call) => (call[1] as { reason?: string })?.reason);
beforeEach(() => {
  setEnv({});
  warn = spyOnWarn();
});
afterEach(() => {
  vi.restoreAllMocks();
  setEnv({});
});

type Handler = (
  event: FirehoseTransformationEvent,
  context: ReturnType<typeof fakeContext>,
) => Promise<unknown>;
const run = async (handler: Handler, event: FirehoseTransformationEvent) =>
  (await handler(event, fakeContext())) as FirehoseTransformationResult;

/** A gzip DATA_MESSAGE of `count` empty log events: a few KB that inflate to `count` lines. */
function tinyEvents(count: number, names: { logGroup?: string; logStream?: string } = {}): Buffer {
  return gzipSync(
    JSON.stringify({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: names.logGroup ?? `/${'g'.repeat(499)}`,
      logStream: names.logStream ?? 's'.repeat(500),
      subscriptionFilters: ['f'],
      logEvents: Array.from({ length: count }, () => ({ id: '', timestamp: 0, message: '' })),
    }),
    { level: 9 },
  );
}

describe('firehose-cloudwatch-logs-processor, JSON lines', () => {
  it('stops building an output that cannot fit any response: a 20 KB record is failed, not expanded to 200 MB', async () => {
    setEnv({ OUTPUT_FORMAT: 'json', OVERFLOW: 'processing-failed' });
    const crafted = tinyEvents(200_000);
    expect(crafted.byteLength).toBeLessThan(30_000);
    const normal = tinyEvents(3, { logGroup: '/aws/lambda/app', logStream: 'stream' });
    const event = firehoseEvent([crafted, normal]);
    const started = Date.now();
    const result = await run(cwlHandler, event);
    console.info(`crafted record: ${Date.now() - started} ms`);
    expect(result.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'Ok']);
    expect(result.records[0]!.data).toBe(event.records[0]!.data);
    expect(responseBytes(result)).toBeLessThan(6_000_000);
    expect(reasons()[0]).toBe('output does not fit in the 6000000-byte response even alone (not built)');
  });

  it('the transform gives up once its text passes maxOutputBytes instead of building all of it', () => {
    const record = { recordId: 'r', data: tinyEvents(200_000), approximateArrivalTimestamp: 0, index: 0 };
    const settings = { outputFormat: 'json' as const, maxDecompressedBytes: 10 * 1024 * 1024 };
    expect(transformCloudWatchLogs({ ...record, maxOutputBytes: 4_500_000 }, settings)).toEqual({
      result: 'OutputTooLarge',
    });
    // Without a limit it is the full expansion (about 1 KB per 37 bytes of JSON).
    const full = transformCloudWatchLogs(
      { ...record, data: tinyEvents(2_000) },
      { ...settings, outputFormat: 'json' },
    );
    expect(full.result === 'Ok' && full.data.length).toBeGreaterThan(2_000_000);
  });

  it('rejects a log group or stream longer than CloudWatch Logs allows (512), naming only its length', async () => {
    setEnv({ OUTPUT_FORMAT: 'json' });
    const secret = 'hunter2';
    const event = firehoseEvent([
      tinyEvents(10, { logGroup: `/${secret}${'g'.repeat(505)}` }),
      tinyEvents(10, { logStream: `${secret}${'s'.repeat(506)}` }),
      tinyEvents(10, { logGroup: `/${'g'.repeat(511)}`, logStream: 's'.repeat(512) }),
    ]);
    const result = await run(cwlHandler, event);
    expect(result.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'ProcessingFailed', 'Ok']);
    expect(result.records[0]!.data).toBe(event.records[0]!.data);
    expect(reasons()).toEqual([
      "logGroup of 513 characters exceeds CloudWatch Logs' 512",
      "logStream of 513 characters exceeds CloudWatch Logs' 512",
    ]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(secret);
  });
});

/** A KPL aggregate written by hand (shared/kpl's encoder refuses keys over 256 characters, as the KPL does). */
function kplAggregate(partitionKey: string, count: number, data = '{}'): Buffer {
  const varint = (value: number) => {
    const out: number[] = [];
    let v = value;
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
    return Buffer.from(out);
  };
  const field = (tag: number, bytes: Buffer) => Buffer.concat([varint(tag), varint(bytes.length), bytes]);
  const record = Buffer.concat([varint(0x08), varint(0), field(0x1a, Buffer.from(data))]);
  const body = Buffer.concat([
    field(0x0a, Buffer.from(partitionKey)),
    ...Array.from({ length: count }, () => field(0x1a, record)),
  ]);
  const md5 = createHash('md5').update(body).digest();
  return Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), body, md5]);
}

const META = {
  shardId: 'shardId-000000000001',
  partitionKey: 'p',
  sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
  subsequenceNumber: '0',
  approximateArrivalTimestamp: 1,
};

describe('firehose-kinesis-source, ADD_METADATA', () => {
  it('stops building an output that cannot fit any response (many tiny sub-records sharing a long key)', async () => {
    setEnv({ ADD_METADATA: 'true' });
    const blob = kplAggregate('k'.repeat(256), 20_000);
    expect(blob.byteLength).toBeLessThan(200_000);
    const event = firehoseEvent([
      { data: blob, kinesisRecordMetadata: META },
      { data: kplAggregate('k'.repeat(256), 3), kinesisRecordMetadata: META },
    ]);
    const result = await run(kinesisHandler, event);
    expect(result.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'Ok']);
    expect(result.records[0]!.data).toBe(event.records[0]!.data);
    expect(responseBytes(result)).toBeLessThan(6_000_000);
    expect(reasons()[0]).toBe('output does not fit in the 6000000-byte response even alone (not built)');
  });

  it('rejects a sub-record partition key longer than Kinesis allows (256), naming only its length', async () => {
    setEnv({ ADD_METADATA: 'true' });
    const secret = 'hunter2';
    const event = firehoseEvent([
      { data: kplAggregate(`${secret}${'k'.repeat(250)}`, 2), kinesisRecordMetadata: META },
      { data: kplAggregate('k'.repeat(256), 2), kinesisRecordMetadata: META },
    ]);
    const result = await run(kinesisHandler, event);
    expect(result.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'Ok']);
    expect(reasons()).toEqual(["KPL sub-record 0: partition key of 257 characters exceeds Kinesis's 256"]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(secret);
  });
});

describe('the runner', () => {
  it('hands each transform what it may still produce: a response alone, then the output budget', async () => {
    const event = firehoseEvent(['a', 'b', 'c', 'd']);
    const seen: (number | undefined)[] = [];
    const { summary } = await runFirehoseEvent(
      event,
      (record) => {
        seen.push(record.maxOutputBytes);
        return ok(Buffer.alloc(3_000_000));
      },
      { outputBudgetBytes: 7_000_000 },
    );
    const alone = maxOutputBytes('"record-000000"'.length);
    expect(alone).toBeGreaterThan(4_400_000);
    expect(alone).toBeLessThan(4_500_000);
    expect(seen).toEqual([alone, 4_000_000, 1_000_000, 0]);
    expect(summary.ok).toBe(1);
  });
});

describe('re-ingestion of an output that cannot fit even alone', () => {
  const firehose = mockClient(FirehoseClient);
  afterEach(() => {
    firehose.reset();
    resetClients();
  });

  it('is answered ProcessingFailed instead of being put back unchanged (it would come back just as large)', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: '1' }] });
    const event = firehoseEvent(['too large', 'fits', 'batch overflow']);
    const result = await processFirehoseEvent(
      event,
      (record) =>
        ok(Buffer.alloc(record.index === 0 ? 5_000_000 : record.index === 1 ? 2_000_000 : 3_500_000)),
      { onOverflow: reingestHook(), lambdaContext: fakeContext() },
    );
    // Record 0 can never fit; record 2 only overflowed because of the batch and goes back unchanged.
    expect(result.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'Ok', 'Dropped']);
    expect(result.records[0]!.data).toBe(event.records[0]!.data);
    const put = firehose.commandCalls(PutRecordBatchCommand).flatMap((c) => c.args[0].input.Records ?? []);
    expect(put.map((r) => Buffer.from(r.Data!).toString())).toEqual(['batch overflow']);
  });
});
