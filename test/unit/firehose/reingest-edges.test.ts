/**
 * Re-ingestion, what the mutation run of shared/firehose/reingest.ts showed untested: each API's exact limits,
 * every permanent error code, responses without per-entry detail, the backoff schedule, the deadline and the
 * abort signal at their boundaries, concurrency and retry order, and the hook's bookkeeping (partition keys,
 * split records confirmed only when whole, records it refuses, logs and metrics).
 */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { firehoseClient, resetClients } from '../../../shared/aws/clients';
import {
  batchesFor,
  FIREHOSE_PUT_LIMITS,
  KINESIS_PUT_LIMITS,
  limitsFor,
  nameFromArn,
  onOverflowFor,
  putRecordsReliably,
  reingestHook,
  type ReingestEntry,
} from '../../../shared/firehose/reingest';
import type { OverflowRecord, ReingestContext } from '../../../shared/firehose/types';
import { logger, metrics } from '../../../shared/middleware/observability';

const kinesis = mockClient(KinesisClient);
const firehose = mockClient(FirehoseClient);
const noSleep = async () => undefined;
const FH = { service: 'firehose', deliveryStreamName: 'd' } as const;
const KS = { service: 'kinesis', streamName: 's' } as const;
const text = (data: Uint8Array | undefined) => Buffer.from(data ?? new Uint8Array()).toString();

afterEach(() => {
  kinesis.reset();
  firehose.reset();
  resetClients();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

type FirehoseInput = { Records: { Data: Uint8Array }[] };
/** Firehose answers: every entry stored. */
const stored = (input: FirehoseInput) => ({
  FailedPutCount: 0,
  RequestResponses: input.Records.map((_, i) => ({ RecordId: String(i) })),
});
/** Firehose answers: these entries (by data) failed with `code`. */
const failing = (input: FirehoseInput, code: string, which: (data: string) => boolean = () => true) => {
  const codes = input.Records.map((r) => (which(text(r.Data)) ? code : undefined));
  return {
    FailedPutCount: codes.filter(Boolean).length,
    RequestResponses: codes.map((c, i) =>
      c ? { ErrorCode: c, ErrorMessage: 'm' } : { RecordId: String(i) },
    ),
  };
};
const sentData = () =>
  firehose
    .commandCalls(PutRecordBatchCommand)
    .map((c) => (c.args[0].input.Records ?? []).map((r) => text(r.Data)));
const entriesOf = (n: number, size = 1): ReingestEntry[] =>
  Array.from({ length: n }, (_, i) => ({ data: size === 1 ? Buffer.from(String(i)) : Buffer.alloc(size) }));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('API limits', () => {
  it('PutRecordBatch: 500 records and 4 MiB per call, partition keys not counted', () => {
    expect(limitsFor(FH)).toBe(FIREHOSE_PUT_LIMITS);
    expect(limitsFor(KS)).toBe(KINESIS_PUT_LIMITS);
    expect(batchesFor(FH, entriesOf(1001), range(1001)).map((b) => b.length)).toEqual([500, 500, 1]);
    // 4 x 1,000 KiB + 96 KiB = 4 MiB exactly: one call; one byte more starts the next.
    const exact = [
      ...Array.from({ length: 4 }, () => ({
        data: Buffer.alloc(1000 * 1024),
        partitionKey: 'k'.repeat(256),
      })),
      { data: Buffer.alloc(96 * 1024), partitionKey: 'k'.repeat(256) },
      { data: Buffer.alloc(1) },
    ];
    expect(batchesFor(FH, exact, range(6))).toEqual([[0, 1, 2, 3, 4], [5]]);
    // An entry larger than a call (only putRecordsReliably refuses it) still gets a call of its own, no empty one.
    expect(batchesFor(FH, [{ data: Buffer.alloc(5 << 20) }], [0])).toEqual([[0]]);
    expect(batchesFor(FH, [], [])).toEqual([]);
  });

  it('PutRecords: 500 records per call too', () => {
    const entries = Array.from({ length: 501 }, (_, i) => ({
      data: Buffer.from('x'),
      partitionKey: `k${i}`,
    }));
    expect(batchesFor(KS, entries, range(501)).map((b) => b.length)).toEqual([500, 1]);
  });

  it('accepts a record of exactly the per-record limit and refuses one byte more (keys in UTF-8 bytes for Kinesis)', async () => {
    firehose.on(PutRecordBatchCommand).callsFake(stored);
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 'shardId-0' })),
    }));
    const fh = await putRecordsReliably(
      FH,
      [{ data: Buffer.alloc(1000 * 1024) }, { data: Buffer.alloc(1000 * 1024 + 1) }],
      { deadline: Date.now() + 5_000, sleep: noSleep },
    );
    expect([...fh.failed]).toEqual([[1, `record of ${1000 * 1024 + 1} bytes exceeds ${1000 * 1024}`]]);
    expect(fh.calls).toBe(1);
    const ks = await putRecordsReliably(
      KS,
      [
        { data: Buffer.alloc((1 << 20) - 2), partitionKey: 'é' }, // 2 bytes of key: 1 MiB exactly
        { data: Buffer.alloc((1 << 20) - 1), partitionKey: 'é' },
      ],
      { deadline: Date.now() + 5_000, sleep: noSleep },
    );
    expect([...ks.failed]).toEqual([[1, `record of ${(1 << 20) + 1} bytes exceeds ${1 << 20}`]]);
    expect(ks.calls).toBe(1);
  });
});

describe('nameFromArn', () => {
  it('takes what follows the last slash, or the whole text without one', () => {
    expect(nameFromArn('arn:aws:firehose:us-east-1:1:deliverystream/logs')).toBe('logs');
    expect(nameFromArn('/x')).toBe('x');
    expect(nameFromArn('plain')).toBe('plain');
  });
});

describe('errors', () => {
  it.each([
    'KMSAccessDeniedException',
    'KMSDisabledException',
    'KMSInvalidStateException',
    'KMSNotFoundException',
    'KMSOptInRequired',
    'InvalidKMSResourceException',
    'AccessDeniedException',
  ])('does not retry an entry that failed with %s', async (code) => {
    firehose.on(PutRecordBatchCommand).callsFake((input: FirehoseInput) => failing(input, code));
    const report = await putRecordsReliably(FH, entriesOf(1), {
      deadline: Date.now() + 5_000,
      sleep: noSleep,
    });
    expect(report).toMatchObject({ calls: 1, retryRounds: 0 });
    expect([...report.failed]).toEqual([[0, code]]);
  });

  it.each([
    'ValidationException',
    'InvalidArgumentException',
    'ResourceNotFoundException',
    'AccessDeniedException',
    'InvalidKMSResourceException',
    'UnrecognizedClientException',
  ])('does not retry a call that failed with %s, and logs it without the data', async (name) => {
    const warn = vi.spyOn(logger, 'warn');
    firehose.on(PutRecordBatchCommand).rejects(Object.assign(new Error('no such stream'), { name }));
    const report = await putRecordsReliably(FH, entriesOf(2), {
      deadline: Date.now() + 5_000,
      sleep: noSleep,
    });
    expect(report.calls).toBe(1);
    expect([...report.failed]).toEqual([
      [0, `${name}: no such stream`],
      [1, `${name}: no such stream`],
    ]);
    expect(warn).toHaveBeenCalledWith('Re-ingestion call failed', {
      target: 'firehose:d',
      records: 2,
      errorName: name,
    });
  });

  it('retries a call that failed otherwise (throttling, or something thrown that is not an Error)', async () => {
    const warn = vi.spyOn(logger, 'warn');
    let n = 0;
    kinesis.on(PutRecordsCommand).callsFake(() => {
      n += 1;
      if (n === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      if (n === 2) throw {};
      return { FailedRecordCount: 0, Records: [{ SequenceNumber: '1' }] };
    });
    const report = await putRecordsReliably(KS, [{ data: Buffer.from('a'), partitionKey: 'p' }], {
      deadline: Date.now() + 5_000,
      sleep: noSleep,
    });
    expect(report).toMatchObject({ calls: 3, retryRounds: 2 });
    expect(report.failed.size).toBe(0);
    expect(warn.mock.calls.map((c) => (c[1] as { errorName: string }).errorName)).toEqual([
      'ThrottlingException',
      'Error',
    ]);
    expect(warn.mock.calls[0]![1]).toMatchObject({ target: 'kinesis:s', records: 1 });
  });

  it('retries a call that threw null or undefined', async () => {
    const warn = vi.spyOn(logger, 'warn');
    firehose.on(PutRecordBatchCommand).callsFake(stored);
    // The client itself rejecting with nothing (the mock would wrap it in an Error).
    const client = firehoseClient();
    const send = client.send.bind(client);
    vi.spyOn(client, 'send')
      .mockRejectedValueOnce(null)
      .mockRejectedValueOnce(undefined)
      .mockImplementation(send as never);
    const report = await putRecordsReliably(FH, entriesOf(1), {
      deadline: Date.now() + 5_000,
      sleep: noSleep,
    });
    expect(report).toMatchObject({ calls: 3, retryRounds: 2 });
    expect(report.failed.size).toBe(0);
    expect(warn.mock.calls.map((c) => (c[1] as { errorName: string }).errorName)).toEqual(['Error', 'Error']);
  });

  it('passes the abort signal to every call, so calls in flight end at the deadline', async () => {
    firehose.on(PutRecordBatchCommand).callsFake(stored);
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1' }] });
    const controller = new AbortController();
    const options = { deadline: Date.now() + 5_000, signal: controller.signal, sleep: noSleep };
    await putRecordsReliably(FH, entriesOf(1), options);
    await putRecordsReliably(KS, [{ data: Buffer.from('a'), partitionKey: 'p' }], options);
    const signals = [
      ...firehose.commandCalls(PutRecordBatchCommand),
      ...kinesis.commandCalls(PutRecordsCommand),
    ]
      .map((c) => (c.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined)
      .map((options) => options?.abortSignal);
    expect(signals).toEqual([controller.signal, controller.signal]);
  });

  it('retries only the failed entries of a partly failed PutRecordBatch', async () => {
    let n = 0;
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: FirehoseInput) =>
        ++n === 1 ? failing(input, 'ServiceUnavailableException', (d) => d === '1') : stored(input),
      );
    const report = await putRecordsReliably(FH, entriesOf(3), {
      deadline: Date.now() + 5_000,
      sleep: noSleep,
    });
    expect(report.failed.size).toBe(0);
    expect(sentData()).toEqual([['0', '1', '2'], ['1']]);
  });

  it('retries every entry of a call that reports failures without saying which (both APIs)', async () => {
    let n = 0;
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: FirehoseInput) =>
        ++n === 1 ? { FailedPutCount: 1, RequestResponses: input.Records.map(() => ({})) } : stored(input),
      );
    const fh = await putRecordsReliably(FH, entriesOf(2), { deadline: Date.now() + 5_000, sleep: noSleep });
    expect(fh.failed.size).toBe(0);
    expect(sentData()).toEqual([
      ['0', '1'],
      ['0', '1'],
    ]);
    let k = 0;
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: ++k === 1 ? 1 : 0,
      Records: input.Records.map(() => ({})),
    }));
    const ks = await putRecordsReliably(
      KS,
      [
        { data: Buffer.from('a'), partitionKey: 'p' },
        { data: Buffer.from('b'), partitionKey: 'p' },
      ],
      { deadline: Date.now() + 5_000, sleep: noSleep },
    );
    expect(ks.failed.size).toBe(0);
    expect(kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length)).toEqual([
      2, 2,
    ]);
  });

  it('retries the entries a response leaves out, and treats a success without entries as all left out', async () => {
    let n = 0;
    firehose.on(PutRecordBatchCommand).callsFake((input: FirehoseInput) => {
      n += 1;
      if (n === 1) return { FailedPutCount: 0, RequestResponses: [{ RecordId: '0' }] };
      if (n === 2) return { FailedPutCount: 0 };
      return stored(input);
    });
    const report = await putRecordsReliably(FH, entriesOf(3), {
      deadline: Date.now() + 5_000,
      sleep: noSleep,
    });
    expect(report.failed.size).toBe(0);
    expect(sentData()).toEqual([
      ['0', '1', '2'],
      ['1', '2'],
      ['1', '2'],
    ]);
    let k = 0;
    kinesis
      .on(PutRecordsCommand)
      .callsFake((input: { Records: unknown[] }) =>
        ++k === 1
          ? {}
          : { FailedRecordCount: 0, Records: input.Records.map(() => ({ SequenceNumber: '1' })) },
      );
    const ks = await putRecordsReliably(KS, [{ data: Buffer.from('a'), partitionKey: 'p' }], {
      deadline: Date.now() + 5_000,
      sleep: noSleep,
    });
    expect(ks).toMatchObject({ calls: 2, retryRounds: 1 });
    expect(ks.failed.size).toBe(0);
  });
});

describe('backoff, deadline and abort', () => {
  it('waits a random part of 100 ms doubling per round, at most 2 s, by default', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    let n = 0;
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: FirehoseInput) =>
        ++n < 8 ? failing(input, 'ServiceUnavailableException') : stored(input),
      );
    const waits: number[] = [];
    const report = await putRecordsReliably(FH, entriesOf(1), {
      deadline: Date.now() + 60_000,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(waits).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(report).toMatchObject({ calls: 8, retryRounds: 7 });
    expect(report.failed.size).toBe(0);
  });

  it('really waits between rounds unless told how to sleep', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const at: number[] = [];
    let n = 0;
    firehose.on(PutRecordBatchCommand).callsFake((input: FirehoseInput) => {
      at.push(performance.now());
      return ++n === 1 ? failing(input, 'ThrottlingException') : stored(input);
    });
    const report = await putRecordsReliably(FH, entriesOf(1), {
      deadline: Date.now() + 5_000,
      baseDelayMs: 80,
    });
    expect(report).toMatchObject({ calls: 2, retryRounds: 1 });
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(35);
  });

  it('starts no call at the deadline, and schedules no retry that would end at it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: FirehoseInput) => failing(input, 'ThrottlingException'));
    const late = await putRecordsReliably(FH, entriesOf(2), { deadline: Date.now(), sleep: noSleep });
    expect(late.calls).toBe(0);
    expect([...late.failed.values()]).toEqual([
      'not stored before the deadline (throttled or unavailable)',
      'not stored before the deadline (throttled or unavailable)',
    ]);
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const sleep = vi.fn(noSleep);
    // The first retry would wait 50 ms: it would end exactly at the deadline, so there is none.
    const tight = await putRecordsReliably(FH, entriesOf(1), { deadline: Date.now() + 50, sleep });
    expect(tight).toMatchObject({ calls: 1, retryRounds: 0 });
    expect(tight.failed.get(0)).toBe('not stored before the deadline (throttled or unavailable)');
    expect(sleep).not.toHaveBeenCalled();
    // With 1 ms more it waits, retries, and the retry stores the entry.
    const roomy = await putRecordsReliably(FH, entriesOf(1), {
      deadline: Date.now() + 51,
      sleep: async () => {
        firehose.on(PutRecordBatchCommand).callsFake(stored);
      },
    });
    expect(roomy).toMatchObject({ calls: 2, retryRounds: 1 });
    expect(roomy.failed.size).toBe(0);
  });

  it('starts nothing once aborted, and retries nothing after an abort', async () => {
    firehose.on(PutRecordBatchCommand).callsFake(stored);
    const aborted = AbortSignal.abort();
    const none = await putRecordsReliably(FH, entriesOf(2), {
      deadline: Date.now() + 5_000,
      signal: aborted,
      sleep: noSleep,
    });
    expect(none.calls).toBe(0);
    expect(none.failed.size).toBe(2);
    const controller = new AbortController();
    firehose.on(PutRecordBatchCommand).callsFake((input: FirehoseInput) => {
      controller.abort();
      return failing(input, 'ThrottlingException');
    });
    const sleep = vi.fn(noSleep);
    const once = await putRecordsReliably(FH, entriesOf(1), {
      deadline: Date.now() + 5_000,
      signal: controller.signal,
      sleep,
    });
    expect(once).toMatchObject({ calls: 1, retryRounds: 0 });
    expect(once.failed.get(0)).toMatch(/deadline/);
    expect(sleep).not.toHaveBeenCalled();
  });
});

describe('concurrency and order', () => {
  async function maxInFlight(concurrency: number | undefined): Promise<number> {
    let inFlight = 0;
    let max = 0;
    firehose.on(PutRecordBatchCommand).callsFake(async (input: FirehoseInput) => {
      inFlight += 1;
      max = Math.max(max, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return stored(input);
    });
    const report = await putRecordsReliably(FH, entriesOf(2500), {
      deadline: Date.now() + 5_000,
      sleep: noSleep,
      ...(concurrency !== undefined && { concurrency }),
    });
    expect(report).toMatchObject({ calls: 5, retryRounds: 0 });
    expect(report.failed.size).toBe(0);
    return max;
  }

  it('keeps 4 calls in flight by default, as many as asked, and at least one', async () => {
    expect(await maxInFlight(undefined)).toBe(4);
    expect(await maxInFlight(2)).toBe(2);
    expect(await maxInFlight(0)).toBe(1);
  });

  it('retries failed entries in input order, whichever call failed first', async () => {
    let n = 0;
    firehose.on(PutRecordBatchCommand).callsFake(async (input: FirehoseInput) => {
      n += 1;
      if (n === 1) await new Promise((resolve) => setTimeout(resolve, 20)); // the first call answers last
      return n <= 2 ? failing(input, 'ThrottlingException') : stored(input);
    });
    const report = await putRecordsReliably(FH, entriesOf(501), {
      deadline: Date.now() + 5_000,
      sleep: noSleep,
      concurrency: 2,
    });
    expect(report.failed.size).toBe(0);
    const retried = sentData().slice(2);
    expect(retried.map((b) => b.length)).toEqual([500, 1]);
    expect(retried.flat()).toEqual(range(501).map(String));
  });
});

describe('reingestHook', () => {
  const context = (extra: Partial<ReingestContext> = {}): ReingestContext => ({
    invocationId: 'i',
    region: 'us-east-1',
    deliveryStreamArn: 'arn:aws:firehose:us-east-1:1:deliverystream/logs',
    deadline: Date.now() + 5_000,
    ...extra,
  });
  const overflow = (recordId: string, data: string, extra: Partial<OverflowRecord> = {}): OverflowRecord => ({
    record: { recordId, data: Buffer.from(data), approximateArrivalTimestamp: 1, index: 0 },
    data: Buffer.from(`${data}!`),
    fitsAlone: true,
    ...extra,
  });

  it('puts the originals back into the delivery stream and confirms them, counting calls and entries', async () => {
    const add = vi.spyOn(metrics, 'addMetric');
    const info = vi.spyOn(logger, 'info');
    firehose.on(PutRecordBatchCommand).callsFake(stored);
    const confirmed = await reingestHook()([overflow('r1', 'one'), overflow('r2', 'two')], context());
    expect([...confirmed]).toEqual(['r1', 'r2']);
    expect(firehose.commandCalls(PutRecordBatchCommand)[0]!.args[0].input.DeliveryStreamName).toBe('logs');
    expect(sentData()).toEqual([['one', 'two']]);
    expect(add.mock.calls.map(([name, , value]) => [name, value])).toEqual([
      ['FirehoseReingestCalls', 1],
      ['FirehoseReingestEntries', 2],
    ]);
    expect(info).toHaveBeenCalledWith('Re-ingested overflowing records', {
      target: 'firehose:logs',
      records: 2,
      entries: 2,
      calls: 1,
      retryRounds: 0,
      failedEntries: 0,
    });
  });

  it('puts them into the source Kinesis stream with their partition key (the recordId when there is none)', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1' })),
    }));
    const metadata = {
      shardId: 'shardId-000000000001',
      partitionKey: 'user-7',
      sequenceNumber: '1',
      subsequenceNumber: '0',
      approximateArrivalTimestamp: 1,
    };
    const keyed = overflow('r1', 'one');
    keyed.record.kinesisRecordMetadata = metadata;
    const confirmed = await reingestHook()(
      [keyed, overflow('r2', 'two')],
      context({ sourceKinesisStreamArn: 'arn:aws:kinesis:us-east-1:1:stream/src' }),
    );
    expect([...confirmed]).toEqual(['r1', 'r2']);
    const input = kinesis.commandCalls(PutRecordsCommand)[0]!.args[0].input;
    expect(input.StreamName).toBe('src');
    expect(input.Records!.map((r) => [text(r.Data), r.PartitionKey])).toEqual([
      ['one', 'user-7'],
      ['two', 'r2'],
    ]);
  });

  it('confirms a split record only when all its parts are stored, and names the others once in the logs', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const add = vi.spyOn(metrics, 'addMetric');
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: FirehoseInput) => failing(input, 'AccessDeniedException', (d) => d.startsWith('b')));
    const seen: unknown[] = [];
    const hook = reingestHook({
      toEntries: (record, limits, target) => {
        seen.push([limits, target]);
        const data = text(record.record.data);
        return [Buffer.from(`${data}1`), Buffer.from(`${data}2`)];
      },
    });
    const confirmed = await hook([overflow('a', 'a'), overflow('b', 'b', { fitsAlone: false })], context());
    expect([...confirmed]).toEqual(['a']);
    expect(seen).toEqual([
      [FIREHOSE_PUT_LIMITS, { service: 'firehose', deliveryStreamName: 'logs' }],
      [FIREHOSE_PUT_LIMITS, { service: 'firehose', deliveryStreamName: 'logs' }],
    ]);
    expect(sentData()).toEqual([['a1', 'a2', 'b1', 'b2']]);
    expect(warn.mock.calls).toEqual([
      ['Record not re-ingested', { recordId: 'b', reason: 'AccessDeniedException' }],
    ]);
    expect(Object.fromEntries(add.mock.calls.map(([name, , value]) => [name, value]))).toEqual({
      FirehoseReingestCalls: 1,
      FirehoseReingestEntries: 2,
    });
  });

  it('does not put back a record it gets no entries for, cannot convert, or that would overflow again', async () => {
    const warn = vi.spyOn(logger, 'warn');
    firehose.on(PutRecordBatchCommand).callsFake(stored);
    const hook = reingestHook({
      toEntries: (record) => {
        const data = text(record.record.data);
        if (data === 'none') return [];
        if (data === 'bad') throw new Error('cannot split "secret"');
        if (data === 'null') throw null;
        return [Buffer.from(data)];
      },
    });
    const confirmed = await hook(
      [
        overflow('n', 'none'),
        overflow('b', 'bad'),
        overflow('big', 'big', { fitsAlone: false }),
        overflow('z', 'null'),
        overflow('ok', 'ok'),
      ],
      context(),
    );
    expect([...confirmed]).toEqual(['ok']);
    expect(sentData()).toEqual([['ok']]);
    expect(warn.mock.calls).toEqual([
      [
        'Record could not be prepared for re-ingestion',
        { recordId: 'b', errorName: 'Error', errorMessage: expect.not.stringContaining('secret') },
      ],
      [
        'Record not re-ingested: its output alone exceeds the response and it cannot get smaller',
        { recordId: 'big', entries: 1 },
      ],
      [
        'Record could not be prepared for re-ingestion',
        { recordId: 'z', errorName: undefined, errorMessage: expect.any(String) },
      ],
    ]);
  });

  it('takes the target and put options it is given', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1' })),
    }));
    let n = 0;
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input: FirehoseInput) =>
        ++n === 1 ? failing(input, 'ThrottlingException') : stored(input),
      );
    const confirmed = await reingestHook({
      target: (ctx) => ({ service: 'kinesis', streamName: `${ctx.invocationId}-copy` }),
    })([overflow('r1', 'one')], context());
    expect([...confirmed]).toEqual(['r1']);
    expect(n).toBe(0);
    expect(kinesis.commandCalls(PutRecordsCommand)[0]!.args[0].input.StreamName).toBe('i-copy');
    // The put options reach putRecordsReliably: its sleep is the one that waits between rounds.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const waits: number[] = [];
    const retried = await reingestHook({ put: { sleep: async (ms) => void waits.push(ms), baseDelayMs: 8 } })(
      [overflow('r2', 'two')],
      context(),
    );
    expect([...retried]).toEqual(['r2']);
    expect(waits).toEqual([4]);
  });
});

describe('onOverflowFor', () => {
  it('re-ingests with the default hook, or answers ProcessingFailed', async () => {
    firehose.on(PutRecordBatchCommand).callsFake(stored);
    const hook = onOverflowFor('reingest');
    if (typeof hook !== 'function') throw new Error('expected a hook');
    const confirmed = await hook(
      [
        {
          record: { recordId: 'r', data: Buffer.from('x'), approximateArrivalTimestamp: 1, index: 0 },
          data: Buffer.from('y'),
          fitsAlone: true,
        },
      ],
      {
        invocationId: 'i',
        region: 'us-east-1',
        deliveryStreamArn: 'arn:aws:firehose:us-east-1:1:deliverystream/logs',
        deadline: Date.now() + 5_000,
      },
    );
    expect([...confirmed]).toEqual(['r']);
    expect(sentData()).toEqual([['x']]);
    expect(onOverflowFor('processing-failed')).toBe('processing-failed');
  });
});
