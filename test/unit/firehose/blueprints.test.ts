/**
 * Every Firehose blueprint invoked through its exported `handler` (the middy stack included) with its sample
 * event, then with bad input: nothing ever throws out of a handler; bad records are ProcessingFailed with
 * their original data and a payload-free reason in the logs.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { config as cwlConfig } from '../../../functions/firehose-cloudwatch-logs-processor/config';
import { handler as cwlHandler } from '../../../functions/firehose-cloudwatch-logs-processor/handler';
import { config as partitionerConfig } from '../../../functions/firehose-json-partitioner/config';
import { handler as partitionerHandler } from '../../../functions/firehose-json-partitioner/handler';
import { config as kinesisConfig } from '../../../functions/firehose-kinesis-source/config';
import { handler as kinesisHandler } from '../../../functions/firehose-kinesis-source/handler';
import { config as processConfig } from '../../../functions/firehose-process-record/config';
import { handler as processHandler } from '../../../functions/firehose-process-record/handler';
import { responseBytes } from '../../../shared/firehose';
import { aggregate } from '../../../shared/kpl';
import { logger } from '../../../shared/middleware/observability';
import { cloudWatchLogsPayload } from '../../support/cloudwatch-logs';
import { decoded, fakeContext, firehoseEvent } from '../../support/firehose-events';

type Handler = (
  event: FirehoseTransformationEvent,
  context: ReturnType<typeof fakeContext>,
) => Promise<unknown>;

const VARIABLES = [
  'ENSURE_NEWLINE',
  'OUTPUT_FORMAT',
  'MAX_DECOMPRESSED_BYTES',
  'MAX_INVOCATION_DECOMPRESSED_BYTES',
  'OVERFLOW',
  'INPUT_FORMAT',
  'DEAGGREGATE',
  'ADD_METADATA',
  'METADATA_FIELD',
  'PARTITION_KEYS',
  'TIME_FIELD',
  'TIME_KEY',
  'TIME_FORMAT',
  'TIME_INPUT',
  'TIME_FALLBACK',
  'MISSING_VALUE',
];

function setEnv(values: Record<string, string>) {
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, values);
  for (const config of [cwlConfig, partitionerConfig, kinesisConfig, processConfig]) config.reset();
}

const sample = (name: string): FirehoseTransformationEvent =>
  JSON.parse(readFileSync(new URL(`../../../events/${name}.json`, import.meta.url), 'utf8'));

async function run(handler: Handler, event: FirehoseTransformationEvent) {
  const result = (await handler(event, fakeContext())) as FirehoseTransformationResult;
  expect(result.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
  return result;
}

let warn: ReturnType<typeof spyOnWarn>;
const spyOnWarn = () => vi.spyOn(logger, 'warn');
const reasons = () => warn.mock.calls.map((call) => (call[1] as { reason?: string })?.reason);

beforeEach(() => {
  setEnv({});
  warn = spyOnWarn();
});
afterEach(() => {
  vi.restoreAllMocks();
  setEnv({});
});

const NOT_UTF8 = new Uint8Array([0x68, 0x69, 0xc3, 0x28, 0xa0, 0xa1]);
const ONE_MB_LINE = `${'x'.repeat(1024 * 1024 - 1)}\n`;

describe('firehose-process-record', () => {
  it('passes the sample event through unchanged', async () => {
    const event = sample('firehose-process-record');
    const result = await run(processHandler, event);
    expect(result.records.map((r) => [r.result, r.data])).toEqual(event.records.map((r) => ['Ok', r.data]));
  });

  it('ENSURE_NEWLINE terminates text, keeps empty and 1 MB records, rejects non-UTF-8', async () => {
    setEnv({ ENSURE_NEWLINE: 'true' });
    const event = firehoseEvent(['no newline', 'has one\n', '', NOT_UTF8, ONE_MB_LINE]);
    const result = await run(processHandler, event);
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok', 'ProcessingFailed', 'Ok']);
    expect(decoded(result.records[0]!.data)).toBe('no newline\n');
    expect(decoded(result.records[1]!.data)).toBe('has one\n');
    expect(result.records[3]!.data).toBe(event.records[3]!.data);
    expect(decoded(result.records[4]!.data)).toBe(ONE_MB_LINE);
    expect(reasons()).toEqual(['data is not valid UTF-8']);
  });
});

describe('firehose-cloudwatch-logs-processor', () => {
  it('turns the sample (gzip, as CloudWatch Logs sends it) into lines and drops the CONTROL_MESSAGE', async () => {
    const result = await run(cwlHandler, sample('firehose-cloudwatch-logs-processor'));
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'Dropped', 'Ok']);
    expect(decoded(result.records[0]!.data)).toBe(
      [
        'START RequestId: 6c1f0d9e-5b0a-4d7e-9a43-2f1c1e9d7a10 Version: $LATEST',
        '2025-11-22T01:59:02.120Z\tINFO\torder accepted {"orderId":1001}',
        'END RequestId: 6c1f0d9e-5b0a-4d7e-9a43-2f1c1e9d7a10',
        '',
      ].join('\n'),
    );
  });

  it('OUTPUT_FORMAT=json writes one JSON object per log event', async () => {
    setEnv({ OUTPUT_FORMAT: 'json' });
    const result = await run(cwlHandler, sample('firehose-cloudwatch-logs-processor'));
    const lines = decoded(result.records[2]!.data).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({
      logGroup: '/aws/lambda/checkout-api',
      logStream: '2025/11/22/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      id: '38195485730448512793962931264536209851262963531233591808',
      timestamp: 1763776744000,
      message: '2025-11-22T01:59:05.871Z\tERROR\tpayment declined {"orderId":1002,"code":"card_declined"}',
    });
  });

  it('answers a gzip bomb, garbage, bad JSON, bad UTF-8 and empty records ProcessingFailed, never throws', async () => {
    setEnv({ MAX_DECOMPRESSED_BYTES: String(1024 * 1024) });
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KB
    expect(bomb.byteLength).toBeLessThan(100_000);
    const event = firehoseEvent([
      bomb,
      'not gzip at all',
      gzipSync('{"messageType": "DATA_MESSAGE", "logEvents": ['),
      gzipSync(Buffer.from(NOT_UTF8)),
      '',
      Buffer.from([0x1f, 0x8b, 0x08, 0x00]), // truncated gzip
      gzipSync(JSON.stringify({ messageType: 'SOMETHING_ELSE' })),
      cloudWatchLogsPayload([{ id: '1', timestamp: 1, message: ONE_MB_LINE.slice(0, 1000_000) }]),
    ]);
    const result = await run(cwlHandler, event);
    expect(result.records.map((r) => r.result)).toEqual([...Array(7).fill('ProcessingFailed'), 'Ok']);
    result.records.slice(0, 7).forEach((r, i) => {
      expect(r.data).toBe(event.records[i]!.data);
    });
    expect(reasons()).toEqual([
      'decompressed data exceeds MAX_DECOMPRESSED_BYTES (1048576 bytes)',
      'not a CloudWatch Logs payload: invalid JSON (expected gzip or JSON)',
      'not a CloudWatch Logs payload: invalid JSON (expected gzip or JSON)',
      'data is not valid UTF-8',
      'empty record: expected a gzip-compressed CloudWatch Logs payload',
      expect.stringMatching(/^data is not valid gzip/),
      'not a CloudWatch Logs payload: messageType "SOMETHING_ELSE"',
    ]);
  });

  it('bounds what one invocation inflates: records past MAX_INVOCATION_DECOMPRESSED_BYTES fail with their data', async () => {
    setEnv({
      MAX_DECOMPRESSED_BYTES: String(1024 * 1024),
      MAX_INVOCATION_DECOMPRESSED_BYTES: String(2 * 1024 * 1024),
    });
    // Five records of ~0.9 MiB inflated each (under the per-record cap): only two fit the invocation's budget.
    const message = 'x'.repeat(900 * 1024);
    const event = firehoseEvent(
      Array.from({ length: 5 }, (_, i) => cloudWatchLogsPayload([{ id: String(i), timestamp: i, message }])),
    );
    const result = await run(cwlHandler, event);
    expect(result.records.map((r) => r.result)).toEqual([
      'Ok',
      'Ok',
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
    ]);
    result.records.slice(2).forEach((r, i) => expect(r.data).toBe(event.records[i + 2]!.data));
    expect(reasons()[0]).toMatch(/already inflated its MAX_INVOCATION_DECOMPRESSED_BYTES/);
  });

  it('with OVERFLOW=processing-failed, an output too large for the response keeps its original data', async () => {
    setEnv({ OVERFLOW: 'processing-failed', MAX_DECOMPRESSED_BYTES: String(64 * 1024 * 1024) });
    // 7 MB of compressible log lines in a small gzip record: cannot fit in any response.
    const events = Array.from({ length: 70 }, (_, i) => ({
      id: `${i}`,
      timestamp: i,
      message: 'y'.repeat(100_000),
    }));
    const event = firehoseEvent([cloudWatchLogsPayload(events), cloudWatchLogsPayload(events.slice(0, 1))]);
    const result = await run(cwlHandler, event);
    expect(result.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'Ok']);
    expect(result.records[0]!.data).toBe(event.records[0]!.data);
    expect(responseBytes(result)).toBeLessThanOrEqual(6_000_000);
    expect(reasons()[0]).toMatch(/does not fit in the 6000000-byte response/);
  });
});

describe('firehose-kinesis-source', () => {
  it('de-aggregates the KPL blob in the sample and keeps one JSON line per user record', async () => {
    const result = await run(kinesisHandler, sample('firehose-kinesis-source'));
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok']);
    const lines = decoded(result.records[2]!.data).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line).orderId)).toEqual([2004, 2005]);
    expect(decoded(result.records[0]!.data)).toMatch(/^\{"orderId":2001,.*\}\n$/);
  });

  it('ADD_METADATA puts the Kinesis coordinates on every line (sub-records: their own key and index)', async () => {
    setEnv({ ADD_METADATA: 'true', METADATA_FIELD: 'kinesis' });
    const event = sample('firehose-kinesis-source');
    const result = await run(kinesisHandler, event);
    const first = JSON.parse(decoded(result.records[0]!.data));
    expect(first.kinesis).toEqual(event.records[0]!.kinesisRecordMetadata);
    const subs = decoded(result.records[2]!.data)
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).kinesis);
    expect(subs.map((m) => [m.partitionKey, m.subsequenceNumber, m.sequenceNumber])).toEqual([
      ['c-4', '0', event.records[2]!.kinesisRecordMetadata!.sequenceNumber],
      ['c-5', '1', event.records[2]!.kinesisRecordMetadata!.sequenceNumber],
    ]);
  });

  it('keeps big integers exactly, wraps non-objects, and rejects a bad sub-record with its index', async () => {
    setEnv({ ADD_METADATA: 'true' });
    const meta = {
      shardId: 'shardId-000000000001',
      partitionKey: 'p',
      sequenceNumber: '1',
      subsequenceNumber: '0',
      approximateArrivalTimestamp: 1,
    };
    const [blob] = aggregate([
      { data: '{"ok":1}', partitionKey: 'a' },
      { data: '{"broken":', partitionKey: 'b' },
    ]);
    const event = firehoseEvent(
      [
        { data: '{\n  "id": 12345678901234567890\n}', kinesisRecordMetadata: meta },
        { data: '[1,2]', kinesisRecordMetadata: meta },
        { data: '{}', kinesisRecordMetadata: meta },
        { data: blob!.data, kinesisRecordMetadata: meta },
        { data: NOT_UTF8, kinesisRecordMetadata: meta },
        { data: '', kinesisRecordMetadata: meta },
        { data: ONE_MB_LINE.replace(/x+/, (x) => `"${x.slice(2)}"`), kinesisRecordMetadata: meta },
      ],
      { sourceKinesisStreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s' },
    );
    const result = await run(kinesisHandler, event);
    expect(result.records.map((r) => r.result)).toEqual([
      'Ok',
      'Ok',
      'Ok',
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
      'Ok',
    ]);
    expect(decoded(result.records[0]!.data)).toMatch(/^\{ {2}"id": 12345678901234567890,"_kinesis":\{/);
    expect(JSON.parse(decoded(result.records[1]!.data)).data).toEqual([1, 2]);
    expect(Object.keys(JSON.parse(decoded(result.records[2]!.data)))).toEqual(['_kinesis']);
    expect(reasons()).toEqual([
      expect.stringMatching(/^KPL sub-record 1: invalid JSON/),
      'data is not valid UTF-8',
      'empty record: expected a JSON document',
    ]);
  });

  it('INPUT_FORMAT=text validates UTF-8 and newline-terminates', async () => {
    setEnv({ INPUT_FORMAT: 'text' });
    const result = await run(kinesisHandler, firehoseEvent(['hello', 'world\n', NOT_UTF8]));
    expect(result.records.map((r) => decoded(r.data))).toEqual([
      'hello\n',
      'world\n',
      decoded(firehoseEvent([NOT_UTF8]).records[0]!.data),
    ]);
    expect(result.records[2]!.result).toBe('ProcessingFailed');
  });
});

describe('firehose-json-partitioner', () => {
  it('without configuration partitions the sample by arrival time', async () => {
    const event = sample('firehose-json-partitioner');
    const result = await run(partitionerHandler, event);
    expect(result.records.every((r) => r.result === 'Ok')).toBe(true);
    expect(result.records[0]!.metadata).toEqual({ partitionKeys: { dt: '2025/11/22/02' } });
  });

  it('extracts dotted fields and the time field; sanitises values; missing field -> ProcessingFailed', async () => {
    setEnv({ PARTITION_KEYS: 'customer=customer.id, customer.country', TIME_FIELD: 'createdAt' });
    const event = sample('firehose-json-partitioner');
    const result = await run(partitionerHandler, event);
    expect(result.records.map((r) => r.metadata?.partitionKeys)).toEqual([
      { customer: 'c-1', customer_country: 'DE', dt: '2025/11/22/01' },
      { customer: 'c_2', customer_country: 'NL', dt: '2025/11/22/01' }, // "c/2": no extra prefix level
      { customer: 'c-3', customer_country: 'FR', dt: '2025/11/22/01' }, // epoch seconds
      undefined,
    ]);
    expect(result.records[3]).toMatchObject({ result: 'ProcessingFailed', data: event.records[3]!.data });
    expect(reasons()).toEqual(['field "customer.id" is missing']);
    expect(decoded(result.records[0]!.data).endsWith('}\n')).toBe(true);
  });

  it('handles time inputs, patterns, fallbacks, MISSING_VALUE and bad records', async () => {
    setEnv({
      PARTITION_KEYS: 'tenant=meta.tenant',
      TIME_FIELD: 'at',
      TIME_FORMAT: 'year=yyyy/month=MM/day=dd/HHmmss',
      MISSING_VALUE: 'unknown tenant',
      TIME_FALLBACK: 'arrival',
    });
    const event = firehoseEvent([
      { data: '{"meta":{"tenant":"../../etc"},"at":"2024-02-29T23:59:58"}' }, // no zone: UTC
      { data: '{"meta":{"tenant":42},"at":1709251198123}' },
      { data: '{"meta":{},"at":"yesterday"}', approximateArrivalTimestamp: Date.UTC(2025, 0, 2, 3, 4, 5) },
      { data: '{"meta":{"tenant":{"nested":true}}}' },
      { data: '[]' },
      { data: '{"a":' },
      { data: NOT_UTF8 },
      { data: '' },
      { data: `{"meta":{"tenant":"t\u00e9st \u{1F600}"},"at":"2024-01-01T00:00:00+02:00"}` },
    ]);
    const result = await run(partitionerHandler, event);
    expect(result.records.map((r) => r.metadata?.partitionKeys ?? r.result)).toEqual([
      { tenant: '.._.._etc', dt: 'year=2024/month=02/day=29/235958' },
      { tenant: '42', dt: 'year=2024/month=02/day=29/235958' },
      { tenant: 'unknown_tenant', dt: 'year=2025/month=01/day=02/030405' },
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
      { tenant: 't_st__', dt: 'year=2023/month=12/day=31/220000' },
    ]);
    expect(reasons()).toEqual([
      'field "meta.tenant" is not a string, number or boolean',
      'expected a JSON object',
      expect.stringMatching(/^invalid JSON/),
      'data is not valid UTF-8',
      'empty record: expected a JSON document',
    ]);
  });

  it('without a fallback, an unreadable time is ProcessingFailed; bad settings fail at cold start', async () => {
    setEnv({ TIME_FIELD: 'ts', TIME_INPUT: 'epoch-s' });
    const result = await run(
      partitionerHandler,
      firehoseEvent(['{"ts":"2024-01-01T00:00:00Z"}', '{"ts":1700000000}']),
    );
    expect(result.records.map((r) => r.metadata?.partitionKeys.dt ?? r.result)).toEqual([
      'ProcessingFailed',
      '2023/11/14/22',
    ]);
    expect(reasons()).toEqual(['time field "ts": expected an epoch number']);

    setEnv({ TIME_FORMAT: 'yyyy MM' });
    await expect(partitionerHandler(firehoseEvent(['{}']), fakeContext())).rejects.toThrow(/TIME_FORMAT/);
    setEnv({ PARTITION_KEYS: 'bad name=a' });
    await expect(partitionerHandler(firehoseEvent(['{}']), fakeContext())).rejects.toThrow(/PARTITION_KEYS/);
  });
});
