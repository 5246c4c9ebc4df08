/**
 * processKinesisEvent: what the mutation run of shared/kinesis/runner.ts showed unpinned beyond outputs: partition
 * keys over 256 characters, the poison log cap, the log lines an operator reads (messages and coordinates), the
 * dead-letter writes at the deadline, the shared time budget, and no sink call without something to write.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_POISON_LOG_LINES, processKinesisEvent } from '../../../shared/kinesis/runner';
import type { DeadLetterEntry, DeadLetterSink, Sink, SinkItem } from '../../../shared/kinesis/types';
import { createHash } from 'node:crypto';
import { logger, metrics } from '../../../shared/middleware/observability';
import { plainEvent } from '../../support/kinesis-events';

const ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
const SHARD = 'shardId-000000000003';
const event = (datas: Array<string | Uint8Array>) => plainEvent(datas, { streamArn: ARN, shardId: SHARD });
const text = ({ text }: { text?: string }) => text;

function memorySink() {
  const written: SinkItem<string | undefined>[] = [];
  const sink: Sink<string | undefined> = {
    write: vi.fn(async (items: SinkItem<string | undefined>[]) => {
      written.push(...items);
      return { failed: [] };
    }),
  };
  return { sink, written };
}
function memoryDeadLetter(behaviour: 'ok' | 'hang' | 'fail' = 'ok') {
  const entries: DeadLetterEntry[] = [];
  const deadLetter: DeadLetterSink = {
    write: vi.fn(async (batch: DeadLetterEntry[]) => {
      if (behaviour === 'hang') return new Promise<void>(() => {});
      if (behaviour === 'fail') throw new Error('dead-letter store unavailable');
      entries.push(...batch);
    }),
  };
  return { deadLetter, entries };
}

/** A KPL aggregate built by hand: aggregate() refuses keys over 256 characters, as the KPL does. */
function kplBlob(records: { data: string; partitionKey: string }[]): Uint8Array {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
    return [...out, n];
  };
  const field = (number: number, bytes: number[]) => [
    ...varint(number * 8 + 2),
    ...varint(bytes.length),
    ...bytes,
  ];
  const keys = [...new Set(records.map((r) => r.partitionKey))];
  const pb = [
    ...keys.flatMap((k) => field(1, [...Buffer.from(k)])),
    ...records.flatMap((r) =>
      field(3, [0x08, ...varint(keys.indexOf(r.partitionKey)), ...field(3, [...Buffer.from(r.data)])]),
    ),
  ];
  return Uint8Array.from([
    0xf3,
    0x89,
    0x9a,
    0xc2,
    ...pb,
    ...createHash('md5').update(Uint8Array.from(pb)).digest(),
  ]);
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('partition keys over 256 characters (only inside a KPL aggregate)', () => {
  it('are poison: dead-lettered with the key length and a hash, never the key; 256 is fine', async () => {
    const long = 'k'.repeat(257);
    const blob = kplBlob([
      { data: '{"a":1}', partitionKey: long },
      { data: '{"a":2}', partitionKey: 'k'.repeat(256) },
      { data: '{"a":3}', partitionKey: long },
    ]);
    const warn = vi.spyOn(logger, 'warn');
    const { sink, written } = memorySink();
    const { deadLetter, entries } = memoryDeadLetter();
    const { response, summary } = await processKinesisEvent(event([blob]), {
      format: 'json',
      transform: text,
      sink,
      deadLetter,
    });
    expect(response.batchItemFailures).toEqual([]);
    expect(written.map((i) => i.value)).toEqual(['{"a":2}']);
    expect(summary).toMatchObject({ userRecords: 3, delivered: 1, deadLettered: 2 });
    const digest = createHash('sha256').update(long).digest('hex').slice(0, 16);
    expect(
      entries.map((e) => [
        e.errorName,
        e.reason,
        e.coordinates.partitionKey,
        e.coordinates.subSequenceNumber,
      ]),
    ).toEqual([
      [
        'PartitionKeyTooLongError',
        `partition key is 257 characters (sha256 ${digest}…); Kinesis allows 256`,
        '',
        0,
      ],
      [
        'PartitionKeyTooLongError',
        `partition key is 257 characters (sha256 ${digest}…); Kinesis allows 256`,
        '',
        2,
      ],
    ]);
    expect(Buffer.from(entries[1]!.data as Uint8Array).toString()).toBe('{"a":3}');
    expect(JSON.stringify(warn.mock.calls)).not.toContain(long);
  });

  it('two different long keys in one aggregate each get their own hash', async () => {
    const blob = kplBlob([
      { data: '1', partitionKey: 'a'.repeat(300) },
      { data: '2', partitionKey: 'b'.repeat(300) },
    ]);
    const { deadLetter, entries } = memoryDeadLetter();
    await processKinesisEvent(event([blob]), {
      format: 'json',
      transform: text,
      ...memorySink(),
      deadLetter,
    });
    expect(new Set(entries.map((e) => e.reason)).size).toBe(2);
  });
});

describe('log lines', () => {
  it('one line per poison record up to the cap, then one summary by error class', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const bad = Array.from({ length: MAX_POISON_LOG_LINES + 2 }, (_, i) =>
      i % 2 === 0 ? `not json ${i}` : Buffer.from([0xff]),
    );
    await processKinesisEvent(event(bad), {
      format: 'json',
      transform: text,
      ...memorySink(),
      ...memoryDeadLetter(),
    });
    const messages = warn.mock.calls.map(([message]) => message);
    expect(messages.filter((m) => m === 'Poison record dead-lettered')).toHaveLength(MAX_POISON_LOG_LINES);
    expect(messages.at(-1)).toBe('More poison records dead-lettered than logged one by one');
    expect(warn.mock.calls.at(-1)![1]).toEqual({
      stream: 'orders',
      shardId: SHARD,
      logged: MAX_POISON_LOG_LINES,
      notLoggedByErrorName: { RecordDecodeError: 2 },
    });
  });

  it('exactly the cap: every record logged, no summary', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const bad = Array.from({ length: MAX_POISON_LOG_LINES }, (_, i) => `not json ${i}`);
    await processKinesisEvent(event(bad), {
      format: 'json',
      transform: text,
      ...memorySink(),
      ...memoryDeadLetter(),
    });
    expect(warn.mock.calls.map(([m]) => m)).toEqual(
      Array(MAX_POISON_LOG_LINES).fill('Poison record dead-lettered'),
    );
  });

  it('a poison line names the coordinates, the key length in bytes, the error; the batch line the summary', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const info = vi.spyOn(logger, 'info');
    const input = event(['{"x" 1}']);
    input.Records[0]!.kinesis.partitionKey = 'clé';
    const { summary } = await processKinesisEvent(input, {
      format: 'json',
      transform: text,
      ...memorySink(),
      ...memoryDeadLetter(),
    });
    expect(warn.mock.calls).toEqual([
      [
        'Poison record dead-lettered',
        {
          stream: 'orders',
          shardId: SHARD,
          sequenceNumber: input.Records[0]!.kinesis.sequenceNumber,
          subSequenceNumber: 0,
          approximateArrivalTimestamp: 1_763_800_000_000,
          partitionKeyBytes: 4,
          errorName: 'RecordDecodeError',
          reason: 'data is not valid JSON (at byte 5)',
        },
      ],
    ]);
    expect(info.mock.calls.filter(([m]) => m === 'Batch processed')).toEqual([
      ['Batch processed', { ...summary }],
    ]);
  });

  it('rejected records are logged like poison', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const sink: Sink<string | undefined> = {
      write: async () => ({
        failed: [],
        rejected: [{ index: 0, errorName: 'MapperParsingException', reason: 'bad' }],
      }),
    };
    await processKinesisEvent(event(['{"a":1}']), {
      format: 'json',
      transform: text,
      sink,
      ...memoryDeadLetter(),
    });
    expect(warn.mock.calls).toEqual([
      [
        'Poison record dead-lettered',
        expect.objectContaining({ errorName: 'MapperParsingException', reason: 'bad' }),
      ],
    ]);
  });

  it('a failed sink write and a failed dead-letter write each log what happened, with the error class', async () => {
    const error = vi.spyOn(logger, 'error');
    const sink: Sink<string | undefined> = {
      write: async () => {
        throw new RangeError('SlowDown');
      },
    };
    await processKinesisEvent(event(['{"a":1}', 'poison']), {
      format: 'json',
      transform: text,
      sink,
      ...memoryDeadLetter('fail'),
    });
    expect(error.mock.calls).toEqual(
      expect.arrayContaining([
        [
          'Sink write failed; the batch is handed back to Lambda',
          { stream: 'orders', shardId: SHARD, errorName: 'RangeError', errorMessage: 'SlowDown' },
        ],
        [
          'Dead-letter write failed; the poison records are handed back to Lambda',
          {
            stream: 'orders',
            shardId: SHARD,
            errorName: 'Error',
            errorMessage: 'dead-letter store unavailable',
          },
        ],
      ]),
    );
    expect(error).toHaveBeenCalledTimes(2);
  });

  it('a streaming sink whose push throws: the push error is the one logged', async () => {
    const error = vi.spyOn(logger, 'error');
    const sink = {
      write: async () => ({ failed: [] }),
      open: () => ({
        push: () => {
          throw new RangeError('push broke');
        },
        finish: async () => ({ failed: [] }),
      }),
    };
    const { summary } = await processKinesisEvent(event(['{"a":1}']), {
      format: 'json',
      transform: text,
      sink,
      ...memoryDeadLetter(),
    });
    expect(summary.failed).toBe(1);
    expect(error.mock.calls[0]![1]).toMatchObject({ errorName: 'RangeError', errorMessage: 'push broke' });
  });
});

describe('the deadline', () => {
  it('a dead-letter write still pending at the deadline fails the poison parents, and says so', async () => {
    const error = vi.spyOn(logger, 'error');
    const started = Date.now();
    const input = event(['{"a":1}', 'poison', '{"a":3}']);
    const { response, summary } = await processKinesisEvent(
      input,
      { format: 'json', transform: text, ...memorySink(), ...memoryDeadLetter('hang') },
      { remainingTimeMs: () => 300 - (Date.now() - started), deadlineMarginMs: 100 },
    );
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: input.Records[1]!.kinesis.sequenceNumber },
    ]);
    expect(summary).toMatchObject({
      delivered: 2,
      deadLettered: 0,
      retryFrom: input.Records[1]!.kinesis.sequenceNumber,
    });
    expect(error.mock.calls).toEqual([
      [
        "Dead-letter write did not finish within the invocation's time budget; its records are handed back to Lambda",
        { stream: 'orders', shardId: SHARD },
      ],
    ]);
  });

  it('so does the dead-letter write of rejected records', async () => {
    const error = vi.spyOn(logger, 'error');
    const started = Date.now();
    const input = event(['{"a":1}', '{"a":2}']);
    const sink: Sink<string | undefined> = {
      write: async () => ({
        failed: [],
        rejected: [{ index: 1, errorName: 'MapperParsingException', reason: 'bad' }],
      }),
    };
    const { response, summary } = await processKinesisEvent(
      input,
      { format: 'json', transform: text, sink, ...memoryDeadLetter('hang') },
      { remainingTimeMs: () => 300 - (Date.now() - started), deadlineMarginMs: 100 },
    );
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: input.Records[1]!.kinesis.sequenceNumber },
    ]);
    expect(summary).toMatchObject({ delivered: 1, failed: 1, deadLettered: 0 });
    expect(error.mock.calls.map(([m]) => m)).toEqual([
      "Dead-letter write of rejected records did not finish within the invocation's time budget; its records are handed back to Lambda",
    ]);
  });

  it('a sink write pending at the deadline is logged as abandoned', async () => {
    const error = vi.spyOn(logger, 'error');
    const started = Date.now();
    const sink: Sink<string | undefined> = { write: () => new Promise(() => {}) };
    await processKinesisEvent(
      event(['{"a":1}']),
      { format: 'json', transform: text, sink, ...memoryDeadLetter() },
      { remainingTimeMs: () => 300 - (Date.now() - started), deadlineMarginMs: 100 },
    );
    expect(error.mock.calls.map(([m]) => m)).toEqual([
      "Sink write did not finish within the invocation's time budget; its records are handed back to Lambda",
    ]);
  });

  it('the sinks get the remaining time minus the default 2 s margin, and the abort signal', async () => {
    let seen: { remaining: number; signal: boolean } | undefined;
    const sink: Sink<string | undefined> = {
      write: async (_items, context) => {
        seen = { remaining: context.remainingTimeMs(), signal: context.signal instanceof AbortSignal };
        return { failed: [] };
      },
    };
    await processKinesisEvent(
      event(['{"a":1}']),
      { format: 'json', transform: text, sink, ...memoryDeadLetter() },
      { remainingTimeMs: () => 60_000 },
    );
    expect(seen!.signal).toBe(true);
    expect(seen!.remaining).toBeGreaterThan(57_000);
    expect(seen!.remaining).toBeLessThanOrEqual(58_000);
  });

  it('without options there is no deadline, and no timer is left behind', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    let remaining: number | undefined;
    const sink: Sink<string | undefined> = {
      write: async (_items, context) => {
        remaining = context.remainingTimeMs();
        return { failed: [] };
      },
    };
    await processKinesisEvent(event(['{"a":1}']), {
      format: 'json',
      transform: text,
      sink,
      ...memoryDeadLetter(),
    });
    expect(remaining).toBe(Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(0);
    await processKinesisEvent(
      event(['{"a":1}']),
      { format: 'json', transform: text, sink, ...memoryDeadLetter() },
      { remainingTimeMs: () => 60_000 },
    );
    expect(vi.getTimerCount()).toBe(0);
  });

  it('SinkLatency is the time the writes took', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const before = performance.now();
    await processKinesisEvent(event(['{"a":1}']), {
      format: 'json',
      transform: text,
      ...memorySink(),
      ...memoryDeadLetter(),
    });
    const elapsed = performance.now() - before;
    const latency = addMetric.mock.calls.find(([name]) => name === 'SinkLatency')![2];
    expect(latency).toBeLessThanOrEqual(elapsed);
  });
});

describe('poison from odd sources', () => {
  it('a transform that throws a non-Error is dead-lettered under the class name Error', async () => {
    const { deadLetter, entries } = memoryDeadLetter();
    await processKinesisEvent(event(['{"a":1}']), {
      format: 'json',
      transform: () => {
        throw 'a string';
      },
      ...memorySink(),
      deadLetter,
    });
    expect(entries.map((e) => e.errorName)).toEqual(['Error']);
  });

  it('a record that is not base64 counts as one user record', async () => {
    const input = event(['{"a":1}', '{"a":2}']);
    input.Records[1]!.kinesis.data = '%% not base64';
    const { summary } = await processKinesisEvent(input, {
      format: 'json',
      transform: text,
      ...memorySink(),
      ...memoryDeadLetter(),
    });
    expect(summary).toMatchObject({ parents: 2, userRecords: 2, delivered: 1, deadLettered: 1 });
  });
});

describe('sinks are called only with something to write', () => {
  it('no dead-letter write without poison or rejected records; no sink write without items', async () => {
    const { sink } = memorySink();
    const { deadLetter } = memoryDeadLetter();
    await processKinesisEvent(event(['{"a":1}']), { format: 'json', transform: text, sink, deadLetter });
    expect(deadLetter.write).not.toHaveBeenCalled();
    expect(sink.write).toHaveBeenCalledTimes(1);
    const second = memorySink();
    await processKinesisEvent(event(['{"a":1}']), {
      format: 'json',
      transform: () => undefined,
      sink: second.sink,
      deadLetter,
    });
    expect(second.sink.write).not.toHaveBeenCalled();
  });

  it("each record's shard comes from its own eventID", async () => {
    const input = event(['{"a":1}', '{"a":2}']);
    input.Records[1]!.eventID = `shardId-000000000009:${input.Records[1]!.kinesis.sequenceNumber}`;
    const { sink, written } = memorySink();
    await processKinesisEvent(input, { format: 'json', transform: text, sink, ...memoryDeadLetter() });
    expect(written.map((i) => i.coordinates.shardId)).toEqual([SHARD, 'shardId-000000000009']);
  });

  it('a rejected record whose dead-letter write fails makes its own parent the retry point', async () => {
    const input = event(['{"a":1}', '{"a":2}', '{"a":3}']);
    const sink: Sink<string | undefined> = {
      write: async () => ({ failed: [], rejected: [{ index: 2, errorName: 'X', reason: 'bad' }] }),
    };
    const { response } = await processKinesisEvent(input, {
      format: 'json',
      transform: text,
      sink,
      ...memoryDeadLetter('fail'),
    });
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: input.Records[2]!.kinesis.sequenceNumber },
    ]);
  });
});
