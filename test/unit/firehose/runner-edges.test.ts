/**
 * The Firehose runner, what its other tests leave unasserted: the failure log lines and their summary, every
 * metric, what the re-ingestion hook is handed (records, context, deadline) and what happens when it throws or
 * outlives its budget, the reasons given for overflowing records, odd transform results and thenables.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  dropped,
  type FirehoseTransformationEvent,
  ok,
  type OverflowRecord,
  outputTooLarge,
  processFirehoseBytes,
  processFirehoseEvent,
  processingFailed,
  RecordRejectedError,
  type ReingestContext,
  responseBytes,
  runFirehoseEvent,
  type TransformOutcome,
} from '../../../shared/firehose';
import { logger, MetricUnit, metrics } from '../../../shared/middleware/observability';
import { decoded, firehoseEvent } from '../../support/firehose-events';

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const reasons = (warn: { mock: { calls: unknown[][] } }) =>
  warn.mock.calls
    .filter((c) => c[0] === 'Record answered ProcessingFailed')
    .map((c) => (c[1] as { reason: string }).reason);

describe('failure logs', () => {
  it('logs 50 failed records one by one, then sums the rest up by reason', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const event = firehoseEvent(Array.from({ length: 54 }, (_, i) => `r${i}`));
    await processFirehoseEvent(event, (r) =>
      r.index < 52 ? processingFailed('bad a') : processingFailed('bad b'),
    );
    expect(reasons(warn)).toHaveLength(50);
    expect(warn.mock.calls[0]![1]).toEqual({ recordId: 'record-000000', index: 0, reason: 'bad a' });
    expect(warn.mock.calls.at(-1)).toEqual([
      'More records answered ProcessingFailed (not logged one by one)',
      { byReason: { 'bad a': 2, 'bad b': 2 } },
    ]);
  });

  it('takes another limit, and logs no summary when every failure was logged', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const event = firehoseEvent(['a', 'b', 'c']);
    await processFirehoseEvent(event, (r) => (r.index === 1 ? ok('x') : processingFailed('no')), {
      maxFailureLogs: 1,
    });
    expect(warn.mock.calls).toEqual([
      ['Record answered ProcessingFailed', { recordId: 'record-000000', index: 0, reason: 'no' }],
      ['More records answered ProcessingFailed (not logged one by one)', { byReason: { no: 1 } }],
    ]);
    warn.mockClear();
    await processFirehoseEvent(event, (r) => (r.index === 1 ? ok('x') : processingFailed('no')), {
      maxFailureLogs: 2,
    });
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      'Record answered ProcessingFailed',
      'Record answered ProcessingFailed',
    ]);
  });
});

describe('metrics and counts', () => {
  it('emits every count, with its unit, and counts overflow and re-ingestion', async () => {
    const add = vi.spyOn(metrics, 'addMetric');
    const event = firehoseEvent(['aa', 'bbb', 'c', 'dd', 'e']);
    const { result, summary } = await runFirehoseEvent(
      event,
      (r) =>
        [ok('xyz'), dropped(), processingFailed('no'), ok(new Uint8Array(600)), ok(new Uint8Array(600))][
          r.index
        ]!,
      { maxResponseBytes: 1100, onOverflow: async (records) => [records[0]!.record.recordId] },
    );
    expect(result.records.map((r) => r.result)).toEqual([
      'Ok',
      'Dropped',
      'ProcessingFailed',
      'Ok',
      'Dropped',
    ]);
    expect(summary).toEqual({
      recordsIn: 5,
      ok: 2,
      dropped: 2,
      processingFailed: 1,
      overflowed: 1,
      reingested: 1,
      bytesIn: 9,
      bytesOut: 603,
      responseBytes: responseBytes(result),
    });
    expect(add.mock.calls).toEqual([
      ['FirehoseRecordsIn', MetricUnit.Count, 5],
      ['FirehoseRecordsOk', MetricUnit.Count, 2],
      ['FirehoseRecordsDropped', MetricUnit.Count, 2],
      ['FirehoseRecordsProcessingFailed', MetricUnit.Count, 1],
      ['FirehoseRecordsOverflowed', MetricUnit.Count, 1],
      ['FirehoseRecordsReingested', MetricUnit.Count, 1],
      ['FirehoseBytesIn', MetricUnit.Bytes, 9],
      ['FirehoseBytesOut', MetricUnit.Bytes, 603],
      ['FirehoseResponseBytes', MetricUnit.Bytes, responseBytes(result)],
    ]);
  });

  it('reads a record without data as empty, and answers it with its (empty) original', async () => {
    const event = firehoseEvent(['a', 'b']);
    delete (event.records[1] as { data?: string }).data;
    const lengths: number[] = [];
    const { result, summary } = await runFirehoseEvent(event, (r) => {
      lengths.push(r.data.byteLength);
      return processingFailed('no');
    });
    expect(lengths).toEqual([1, 0]);
    expect(result.records[1]).toEqual({ recordId: 'record-000001', result: 'ProcessingFailed', data: '' });
    expect(summary.bytesIn).toBe(1);
    expect(summary.responseBytes).toBe(responseBytes(result));
  });

  it('answers Ok with the partition keys it was given', async () => {
    const event = firehoseEvent(['a']);
    const result = await processFirehoseEvent(event, () => ok('x', { tenant: 't1' }));
    expect(result.records).toEqual([
      {
        recordId: 'record-000000',
        result: 'Ok',
        data: 'eA==',
        metadata: { partitionKeys: { tenant: 't1' } },
      },
    ]);
    expect(responseBytes(result)).toBe(Buffer.byteLength(JSON.stringify(result)));
  });
});

describe('odd transform results', () => {
  it('names what an invalid outcome held, and the type of what was thrown', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const event = firehoseEvent(['a', 'b', 'c', 'd', 'e']);
    const outcomes: unknown[] = [
      { result: 'Nope' },
      null,
      { then: 'not a function', result: 'Ok', data: 'fine' },
      'throw-string',
      'throw-safe',
    ];
    const result = await processFirehoseEvent(event, (r) => {
      const o = outcomes[r.index];
      if (o === 'throw-string') throw 'plain text';
      if (o === 'throw-safe') throw new RecordRejectedError('field "x" is missing');
      return o as TransformOutcome;
    });
    expect(result.records.map((r) => r.result)).toEqual([
      'ProcessingFailed',
      'ProcessingFailed',
      'Ok',
      'ProcessingFailed',
      'ProcessingFailed',
    ]);
    expect(reasons(warn)).toEqual([
      'transform returned no valid outcome (result "Nope")',
      'transform returned no valid outcome (result undefined)',
      expect.stringMatching(/^transform threw string: /),
      'field "x" is missing',
    ]);
  });

  it('awaits any thenable, a function too', async () => {
    const event = firehoseEvent(['a', 'b']);
    const thenableFunction = Object.assign(() => undefined, {
      then: (resolve: (o: TransformOutcome) => void) => resolve(ok('from a function')),
    });
    const result = await processFirehoseEvent(event, (r) =>
      r.index === 0
        ? (thenableFunction as unknown as TransformOutcome)
        : ({
            then: (resolve: (o: TransformOutcome) => void) => resolve(dropped()),
          } as unknown as TransformOutcome),
    );
    expect(result.records.map((r) => [r.result, decoded(r.data)])).toEqual([
      ['Ok', 'from a function'],
      ['Dropped', ''],
    ]);
  });

  it('names the type a bytes transform wrongly returned', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const event = firehoseEvent(['a', 'b', 'c']);
    const returns: unknown[] = ['Ok', 7, null];
    await processFirehoseBytes(event, (r) => returns[r.index] as 'Dropped');
    expect(reasons(warn)).toEqual([
      `bytes transform returned "Ok", not nothing or 'Dropped'`,
      `bytes transform returned number, not nothing or 'Dropped'`,
      `bytes transform returned object, not nothing or 'Dropped'`,
    ]);
  });
});

describe('overflow and the re-ingestion hook', () => {
  const sourceArn = 'arn:aws:kinesis:us-east-1:123456789012:stream/source';
  const meta = {
    shardId: 'shardId-000000000001',
    partitionKey: 'user-7',
    sequenceNumber: '1',
    subsequenceNumber: '0',
    approximateArrivalTimestamp: 1,
  };

  it('hands the hook each overflowing record: its input, output, partition keys and whether it fits alone', async () => {
    const event = firehoseEvent(
      ['small', { data: 'big one', kinesisRecordMetadata: meta }, 'too big', 'alone'],
      {
        sourceKinesisStreamArn: sourceArn,
      },
    );
    let seen: readonly OverflowRecord[] = [];
    let context: ReingestContext | undefined;
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Date.now();
    const result = await processFirehoseEvent(
      event,
      (r) =>
        [
          ok(new Uint8Array(600).fill(65)),
          ok(new Uint8Array(700).fill(66), { k: 'v' }),
          ok(new Uint8Array(2000).fill(67)),
          outputTooLarge(),
        ][r.index]!,
      {
        maxResponseBytes: 1200,
        outputBudgetBytes: 1_000_000,
        lambdaContext: { getRemainingTimeInMillis: () => 20_000 },
        safetyMarginMs: 5_000,
        onOverflow: async (records, ctx) => {
          seen = records;
          context = ctx;
          return records.map((o) => o.record.recordId);
        },
      },
    );
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'Dropped', 'Dropped', 'Dropped']);
    expect(
      seen.map((o) => [
        o.record.recordId,
        o.record.index,
        decoded(Buffer.from(o.record.data).toString('base64')),
      ]),
    ).toEqual([
      ['record-000001', 1, 'big one'],
      ['record-000002', 2, 'too big'],
      ['record-000003', 3, 'alone'],
    ]);
    expect(seen[0]!.record.kinesisRecordMetadata).toEqual(meta);
    expect(seen[0]!.record.maxOutputBytes).toBeUndefined();
    expect(seen.map((o) => [o.data.byteLength, o.data[0], o.metadata, o.fitsAlone])).toEqual([
      [700, 66, { partitionKeys: { k: 'v' } }, true],
      [2000, 67, undefined, false],
      [0, undefined, undefined, false],
    ]);
    expect(context).toMatchObject({
      invocationId: event.invocationId,
      deliveryStreamArn: event.deliveryStreamArn,
      region: 'us-east-1',
      sourceKinesisStreamArn: sourceArn,
      deadline: now + 15_000,
    });
    expect(context!.signal).toBeInstanceOf(AbortSignal);
  });

  it('gives the hook a minute less three seconds by default', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Date.now();
    let deadline = 0;
    await processFirehoseEvent(firehoseEvent(['a']), () => ok(new Uint8Array(500)), {
      maxResponseBytes: 300,
      onOverflow: async (records, ctx) => {
        deadline = ctx.deadline;
        return [];
      },
    });
    expect(deadline).toBe(now + 57_000);
    await processFirehoseEvent(firehoseEvent(['a']), () => ok(new Uint8Array(500)), {
      maxResponseBytes: 300,
      lambdaContext: {},
      onOverflow: async (records, ctx) => {
        deadline = ctx.deadline;
        return [];
      },
    });
    expect(deadline).toBe(now + 57_000);
  });

  it('says why each overflowing record was answered ProcessingFailed', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const event = firehoseEvent(['a', 'b', 'c']);
    const transform = (r: { index: number }) =>
      [ok(new Uint8Array(400)), ok(new Uint8Array(400)), outputTooLarge()][r.index]!;
    await processFirehoseEvent(event, transform, { maxResponseBytes: 1000 });
    expect(reasons(warn)).toEqual([
      'output does not fit in the 1000-byte response',
      'output does not fit in the 1000-byte response even alone (not built)',
    ]);
    warn.mockClear();
    await processFirehoseEvent(event, transform, { maxResponseBytes: 1000, onOverflow: async () => ['x'] });
    expect(reasons(warn)).toEqual([
      'output does not fit in the 1000-byte response and was not re-ingested',
      'output does not fit in the 1000-byte response even alone (not built) and was not re-ingested',
    ]);
    warn.mockClear();
    // A record past the output budget: not built because the invocation's budget was spent.
    await processFirehoseEvent(event, (r) => (r.index === 2 ? outputTooLarge() : ok(new Uint8Array(300))), {
      maxResponseBytes: 100_000,
      outputBudgetBytes: 600,
    });
    expect(reasons(warn)).toEqual([
      "output does not fit in the 100000-byte response (not built: the invocation's output budget was spent)",
    ]);
  });

  it('answers ProcessingFailed and says so when the hook throws, logging no payload', async () => {
    const error = vi.spyOn(logger, 'error');
    const event = firehoseEvent(['a', 'b']);
    const result = await processFirehoseEvent(event, () => ok(new Uint8Array(600)), {
      maxResponseBytes: 1000,
      onOverflow: async () => {
        throw new TypeError('bad input "secret-payload"');
      },
    });
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed']);
    expect(error).toHaveBeenCalledWith('Re-ingestion failed; overflowing records answered ProcessingFailed', {
      records: 1,
      errorName: 'TypeError',
      errorMessage: expect.any(String),
    });
    expect(JSON.stringify(error.mock.calls)).not.toContain('secret-payload');
  });

  it('stops waiting for a hook that outlives the time budget', async () => {
    const error = vi.spyOn(logger, 'error');
    const event = firehoseEvent(['a', 'b']);
    let signal: AbortSignal | undefined;
    const started = Date.now();
    const result = await processFirehoseEvent(event, () => ok(new Uint8Array(600)), {
      maxResponseBytes: 1000,
      lambdaContext: { getRemainingTimeInMillis: () => 3_050 },
      onOverflow: (records, ctx) => {
        signal = ctx.signal;
        return new Promise<string[]>(() => undefined);
      },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(signal!.aborted).toBe(true);
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed']);
    expect(error).toHaveBeenCalledWith(
      'Re-ingestion did not finish within the time budget; overflowing records answered ProcessingFailed',
      { records: 1 },
    );
  });

  it('logs when even the originals exceed the limit, with the figures', async () => {
    const error = vi.spyOn(logger, 'error');
    const event = firehoseEvent(['0123456789']);
    const result = await processFirehoseEvent(event, () => dropped(), { maxResponseBytes: 10 });
    expect(error).toHaveBeenCalledWith(
      'Even the original records exceed the response limit; returning them as they are',
      { maxResponseBytes: 10, minimumResponseBytes: responseBytes(result), records: 1 },
    );
    error.mockClear();
    const exact = responseBytes(result);
    await processFirehoseEvent(event, () => dropped(), { maxResponseBytes: exact });
    expect(error).not.toHaveBeenCalled();
  });
});

describe('found by the mutation run', () => {
  it('answers an undefined outcome as invalid, not as a thrown error', async () => {
    const warn = vi.spyOn(logger, 'warn');
    await processFirehoseEvent(firehoseEvent(['a']), () => undefined as unknown as TransformOutcome);
    expect(reasons(warn)).toEqual(['transform returned no valid outcome (result undefined)']);
  });

  it('tells the hook that an output not built for want of budget may fit alone', async () => {
    let fits: boolean[] = [];
    await processFirehoseEvent(
      firehoseEvent(['a', 'b']),
      (r) => (r.index === 0 ? ok(new Uint8Array(300)) : outputTooLarge()),
      {
        maxResponseBytes: 100_000,
        outputBudgetBytes: 200,
        onOverflow: async (records) => {
          fits = records.map((o) => o.fitsAlone);
          return [];
        },
      },
    );
    expect(fits).toEqual([true]);
  });

  it('delivers a bytes output that ends exactly at the end of a writer chunk (1 MiB)', async () => {
    const result = await processFirehoseBytes(firehoseEvent(['a']), (_, out) => {
      out.ensure(1 << 20);
      out.buf.fill(97, out.pos, out.pos + (1 << 20));
      out.pos += 1 << 20;
    });
    expect(result.records[0]!.result).toBe('Ok');
    expect(result.records[0]!.data).toBe(Buffer.alloc(1 << 20, 97).toString('base64'));
  });

  it('calls the hook only when something overflows, and logs no hook error without a hook', async () => {
    const error = vi.spyOn(logger, 'error');
    const hook = vi.fn(async () => []);
    await processFirehoseEvent(firehoseEvent(['a']), () => ok('x'), { onOverflow: hook });
    expect(hook).not.toHaveBeenCalled();
    const result = await processFirehoseEvent(firehoseEvent(['a']), () => ok(new Uint8Array(600)), {
      maxResponseBytes: 500,
    });
    expect(result.records[0]!.result).toBe('ProcessingFailed');
    expect(error).not.toHaveBeenCalled();
  });

  it('answers the first record with its original too when re-ingestion of a later one fails', async () => {
    const event = firehoseEvent(['a', 'x'.repeat(400)]);
    const result = await processFirehoseEvent(event, (r) => ok(new Uint8Array(r.index === 0 ? 300 : 2000)), {
      maxResponseBytes: 800,
      onOverflow: async () => [],
    });
    expect(result.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'ProcessingFailed']);
    expect(responseBytes(result)).toBeLessThanOrEqual(800);
  });

  it('survives a hook that rejects with null', async () => {
    const result = await processFirehoseEvent(firehoseEvent(['a']), () => ok(new Uint8Array(600)), {
      maxResponseBytes: 500,
      onOverflow: () => Promise.reject(null),
    });
    expect(result.records[0]!.result).toBe('ProcessingFailed');
  });

  it("ends the hook's deadline timer once it has answered", async () => {
    let signal: AbortSignal | undefined;
    await processFirehoseEvent(firehoseEvent(['a']), () => ok(new Uint8Array(600)), {
      maxResponseBytes: 500,
      lambdaContext: { getRemainingTimeInMillis: () => 3_060 },
      onOverflow: async (records, ctx) => {
        signal = ctx.signal;
        return [];
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(signal!.aborted).toBe(false);
  });
});

describe('the event', () => {
  it('refuses an event whose records are not an array', async () => {
    await expect(
      processFirehoseEvent({ records: 'x' } as unknown as FirehoseTransformationEvent, () => dropped()),
    ).rejects.toThrow('Not a Firehose transformation event: `records` is missing');
    await expect(
      processFirehoseEvent(undefined as unknown as FirehoseTransformationEvent, () => dropped()),
    ).rejects.toThrow(TypeError);
  });
});
