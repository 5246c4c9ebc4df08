import type { KinesisStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processKinesisEvent, type StreamingSink } from '../../../shared/kinesis/runner';
import type { DeadLetterEntry, DeadLetterSink, Sink, SinkItem } from '../../../shared/kinesis/types';
import { aggregate } from '../../../shared/kpl';
import { plainEvent } from '../../support/kinesis-events';

const ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
const SHARD = 'shardId-000000000003';

const event = (datas: Array<string | Uint8Array>, options: { raw?: boolean } = {}) =>
  plainEvent(datas, { ...options, streamArn: ARN, shardId: SHARD });

/** An in-memory sink whose writes fail for the items a predicate picks (a test double of our own interface). */
function memorySink(failWhen: (item: SinkItem<string>) => boolean = () => false) {
  const written: SinkItem<string>[] = [];
  const sink: Sink<string> = {
    async write(items) {
      const failed: number[] = [];
      items.forEach((item, index) => {
        if (failWhen(item)) failed.push(index);
        else written.push(item);
      });
      return { failed };
    },
  };
  return { sink, written };
}

function memoryDeadLetter(fail = false) {
  const entries: DeadLetterEntry[] = [];
  const deadLetter: DeadLetterSink = {
    async write(batch) {
      if (fail) throw new Error('dead-letter store unavailable');
      entries.push(...batch);
    },
  };
  return { deadLetter, entries };
}

const json = (value: unknown) => JSON.stringify(value);
const passThrough = ({ value }: { value: unknown }) => JSON.stringify(value);

describe('processKinesisEvent', () => {
  it('returns an empty batchItemFailures when everything is written', async () => {
    const { sink, written } = memorySink();
    const { deadLetter } = memoryDeadLetter();
    const result = await processKinesisEvent(event([json({ a: 1 }), json({ a: 2 })]), {
      format: 'json',
      transform: passThrough,
      sink,
      deadLetter,
    });
    expect(result.response).toEqual({ batchItemFailures: [] });
    expect(written.map((item) => item.value)).toEqual(['{"a":1}', '{"a":2}']);
    expect(written[1]!.coordinates).toMatchObject({
      stream: 'orders',
      shardId: SHARD,
      subSequenceNumber: 0,
      partitionKey: 'pk-1',
    });
    expect(written[1]!.coordinates.approximateArrivalTimestamp).toBe(1_763_800_001_000);
  });

  it('reports only the earliest failed parent', async () => {
    const input = event([0, 1, 2, 3, 4].map((n) => json({ n })));
    const { sink } = memorySink((item) => item.value === '{"n":3}' || item.value === '{"n":1}');
    const result = await processKinesisEvent(input, {
      format: 'json',
      transform: passThrough,
      sink,
      deadLetter: memoryDeadLetter().deadLetter,
    });
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: input.Records[1]!.kinesis.sequenceNumber },
    ]);
    expect(result.summary).toMatchObject({ delivered: 3, failed: 2 });
  });

  it('fails the earliest parent with items when the sink throws', async () => {
    const input = event(['not json', json({ ok: true }), json({ ok: true })]);
    const sink: Sink<string> = {
      write: async () => {
        throw new Error('SlowDown');
      },
    };
    const { deadLetter, entries } = memoryDeadLetter();
    const result = await processKinesisEvent(input, {
      format: 'json',
      transform: passThrough,
      sink,
      deadLetter,
    });
    // Parent 0 was poison and dead-lettered, so the retry starts at parent 1.
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: input.Records[1]!.kinesis.sequenceNumber },
    ]);
    expect(entries).toHaveLength(1);
  });

  it('dead-letters undecodable and throwing records with coordinates, without blocking the shard', async () => {
    const input = event([
      '{"broken"',
      Buffer.from([0xff, 0xfe, 0x00]),
      json({ boom: true }),
      json({ fine: 1 }),
    ]);
    const { sink, written } = memorySink();
    const { deadLetter, entries } = memoryDeadLetter();
    const result = await processKinesisEvent(input, {
      format: 'json',
      transform: ({ value }) => {
        if ((value as { boom?: boolean }).boom) throw new TypeError('cannot transform boom');
        return JSON.stringify(value);
      },
      sink,
      deadLetter,
    });
    expect(result.response.batchItemFailures).toEqual([]);
    expect(written).toHaveLength(1);
    expect(entries.map((entry) => [entry.errorName, entry.coordinates.sequenceNumber])).toEqual([
      ['RecordDecodeError', input.Records[0]!.kinesis.sequenceNumber],
      ['RecordDecodeError', input.Records[1]!.kinesis.sequenceNumber],
      ['TypeError', input.Records[2]!.kinesis.sequenceNumber],
    ]);
    expect(entries[0]!.reason).toMatch(/not valid JSON/);
    expect(entries[1]!.reason).toBe('data is not valid UTF-8');
    expect(Buffer.from(entries[2]!.data as Uint8Array).toString()).toBe('{"boom":true}');
  });

  it('dead-letters a record whose data is not base64, keeping the raw string', async () => {
    const input = event(['%%% not base64 %%%', json({ fine: 1 })], { raw: true });
    input.Records[1]!.kinesis.data = Buffer.from(json({ fine: 1 })).toString('base64');
    const { sink, written } = memorySink();
    const { deadLetter, entries } = memoryDeadLetter();
    const result = await processKinesisEvent(input, {
      format: 'json',
      transform: passThrough,
      sink,
      deadLetter,
    });
    expect(result.response.batchItemFailures).toEqual([]);
    expect(written).toHaveLength(1);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ errorName: 'KplInputError', data: '%%% not base64 %%%' });
  });

  it('hands poison records back to Lambda when the dead-letter store fails', async () => {
    const input = event([json({ a: 1 }), 'nope', json({ a: 2 })]);
    const { sink } = memorySink();
    const result = await processKinesisEvent(input, {
      format: 'json',
      transform: passThrough,
      sink,
      deadLetter: memoryDeadLetter(true).deadLetter,
    });
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: input.Records[1]!.kinesis.sequenceNumber },
    ]);
  });

  it('de-aggregates KPL records and fails the parent if any of its user records fails', async () => {
    const [blob] = aggregate([1, 2, 3].map((n) => ({ data: json({ n }), partitionKey: `user-${n}` })));
    const input = event([json({ n: 0 }), blob!.data, json({ n: 4 })]);
    const { sink, written } = memorySink((item) => item.value === '{"n":2}');
    const result = await processKinesisEvent(input, {
      format: 'json',
      transform: passThrough,
      sink,
      deadLetter: memoryDeadLetter().deadLetter,
    });
    expect(result.summary.userRecords).toBe(5);
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: input.Records[1]!.kinesis.sequenceNumber },
    ]);
    const sub = written.find((item) => item.value === '{"n":3}')!;
    expect(sub.coordinates).toMatchObject({ subSequenceNumber: 2, partitionKey: 'user-3' });
  });

  it('counts filtered records as handled', async () => {
    const { sink, written } = memorySink();
    const result = await processKinesisEvent(event([json({ keep: true }), json({ keep: false })]), {
      format: 'json',
      transform: ({ value }) => ((value as { keep: boolean }).keep ? 'kept' : undefined),
      sink,
      deadLetter: memoryDeadLetter().deadLetter,
    });
    expect(result.response.batchItemFailures).toEqual([]);
    expect(written).toHaveLength(1);
    expect(result.summary.filtered).toBe(1);
  });

  it('accepts an empty batch and rejects something that is not a Kinesis event', async () => {
    const consumer = {
      format: 'text' as const,
      transform: () => 'x',
      ...memorySink(),
      ...memoryDeadLetter(),
    };
    expect((await processKinesisEvent({ Records: [] }, consumer)).response).toEqual({
      batchItemFailures: [],
    });
    await expect(processKinesisEvent({} as KinesisStreamEvent, consumer)).rejects.toThrow(/no Records array/);
    const noSequence = event(['x']);
    noSequence.Records[0]!.kinesis.sequenceNumber = '';
    await expect(processKinesisEvent(noSequence, consumer)).rejects.toThrow(
      /Records\[0\] has no kinesis.sequenceNumber/,
    );
  });

  it('never loses a record: each is delivered, filtered, dead-lettered, or at/after the reported parent', async () => {
    // kind per record: 0 ok, 1 sink fails, 2 poison, 3 filtered
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        async (kinds, dlFails) => {
          const input = event(kinds.map((kind, i) => (kind === 2 ? `poison-${i}` : json({ i, kind }))));
          const { sink, written } = memorySink(
            (item) => (JSON.parse(item.value) as { kind: number }).kind === 1,
          );
          const { deadLetter, entries } = memoryDeadLetter(dlFails);
          const { response } = await processKinesisEvent(input, {
            format: 'json',
            transform: ({ value }) =>
              (value as { kind: number }).kind === 3 ? undefined : JSON.stringify(value),
            sink,
            deadLetter,
          });
          expect(response.batchItemFailures.length).toBeLessThanOrEqual(1);
          const retryFrom = response.batchItemFailures[0]?.itemIdentifier;
          const retryIndex =
            retryFrom === undefined
              ? kinds.length
              : input.Records.findIndex((r) => r.kinesis.sequenceNumber === retryFrom);
          expect(retryIndex).toBeGreaterThanOrEqual(0);
          const writtenIndexes = new Set(written.map((item) => (JSON.parse(item.value) as { i: number }).i));
          const deadIndexes = new Set(
            entries.map((entry) =>
              input.Records.findIndex((r) => r.kinesis.sequenceNumber === entry.coordinates.sequenceNumber),
            ),
          );
          kinds.forEach((kind, i) => {
            if (i >= retryIndex) return; // re-delivered by Lambda
            const handled = kind === 3 || writtenIndexes.has(i) || deadIndexes.has(i);
            expect(handled, `record ${i} (kind ${kind}) before the retry point must be handled`).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('poison log lines', () => {
  it('name coordinates and the reason, never the payload', async () => {
    const { logger } = await import('../../../shared/middleware/observability');
    const lines: unknown[] = [];
    const original = logger.warn.bind(logger);
    logger.warn = ((...args: unknown[]) => {
      lines.push(args);
    }) as typeof logger.warn;
    try {
      await processKinesisEvent(event(['secret-token-123', '{"card":"4111"']), {
        format: 'json',
        transform: passThrough,
        ...memorySink(),
        ...memoryDeadLetter(),
      });
    } finally {
      logger.warn = original;
    }
    expect(lines).toHaveLength(2);
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/secret-token|4111/);
    expect(text).toContain('49590000000000000000');
    expect(text).toContain('data is not valid JSON');
  });
});

describe('transform errors in logs and dead letters', () => {
  it('mask quoted text, which may be payload', async () => {
    const { deadLetter, entries } = memoryDeadLetter();
    await processKinesisEvent(event([json({ pin: '1234' })]), {
      format: 'json',
      transform: ({ value }) => {
        throw new TypeError(
          `cannot use "${(value as { pin: string }).pin}" or '${(value as { pin: string }).pin}'`,
        );
      },
      ...memorySink(),
      deadLetter,
    });
    expect(entries[0]!.reason).toBe(`cannot use "…" or '…'`);
  });
});

describe('records the destination rejects for good', () => {
  const rejectingSink = (
    rejectWhen: (value: string) => boolean,
    failWhen: (value: string) => boolean = () => false,
  ) => {
    const written: string[] = [];
    const sink: Sink<string> = {
      async write(items) {
        const failed: number[] = [];
        const rejected: Array<{ index: number; errorName: string; reason: string }> = [];
        items.forEach((item, index) => {
          if (failWhen(item.value)) failed.push(index);
          else if (rejectWhen(item.value)) {
            rejected.push({
              index,
              errorName: 'mapper_parsing_exception',
              reason: 'failed to parse field [n]',
            });
            // A sink that reports an index twice, or as both failed and rejected, is counted once.
            rejected.push({ index, errorName: 'duplicate', reason: 'again' });
          } else written.push(item.value);
        });
        return { failed, rejected };
      },
    };
    return { sink, written };
  };

  it('are dead-lettered with the reason and the original bytes, and count as handled', async () => {
    const { sink, written } = rejectingSink((value) => value.includes('"bad"'));
    const { deadLetter, entries } = memoryDeadLetter();
    const input = ['{"n":1}', '{"n":"bad"}', '{"n":3}'];
    const result = await processKinesisEvent(event(input), {
      format: 'json',
      transform: ({ text }) => text,
      sink,
      deadLetter,
    });
    expect(result.response).toEqual({ batchItemFailures: [] });
    expect(written).toEqual(['{"n":1}', '{"n":3}']);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      errorName: 'mapper_parsing_exception',
      reason: 'failed to parse field [n]',
    });
    expect(Buffer.from(entries[0]!.data as Uint8Array).toString()).toBe('{"n":"bad"}');
    expect(entries[0]!.coordinates.sequenceNumber).toBe(event(input).Records[1]!.kinesis.sequenceNumber);
    expect(result.summary).toMatchObject({ delivered: 2, deadLettered: 1, failed: 0 });
  });

  it('fail their parent when the dead-letter store fails, and a failed index is never also rejected', async () => {
    const { sink } = rejectingSink(
      (value) => value.includes('"bad"'),
      (value) => value.includes('"retry"'),
    );
    const input = ['{"n":1}', '{"n":"retry"}', '{"n":"bad"}'];
    const result = await processKinesisEvent(event(input), {
      format: 'json',
      transform: ({ text }) => text,
      sink,
      ...memoryDeadLetter(true),
    });
    expect(result.response).toEqual({
      batchItemFailures: [{ itemIdentifier: event(input).Records[1]!.kinesis.sequenceNumber }],
    });
    expect(result.summary).toMatchObject({ delivered: 1, deadLettered: 0, failed: 2 });
  });
});

describe('JSON records are validated on the bytes and decoded only when read', () => {
  it('gives the transform the same text and value as ever, and no decode at all when it reads neither', async () => {
    const texts = ['{"n":12345678901234567890,"s":"é\\u00e9"}', '\uFEFF[1, 2]', ' "x" \n'];
    const seen: Array<{ text: string | undefined; value: unknown }> = [];
    const { sink } = memorySink();
    const { deadLetter } = memoryDeadLetter();
    await processKinesisEvent(event(texts), {
      format: 'json',
      transform: (record) => {
        seen.push({ text: record.text, value: record.value });
        return 'ok';
      },
      sink,
      deadLetter,
    });
    expect(seen).toEqual([
      { text: texts[0], value: JSON.parse(texts[0]!) },
      { text: '[1, 2]', value: [1, 2] },
      { text: ' "x" \n', value: 'x' },
    ]);

    // A transform that reads only `data` never causes a decode: a record whose text getter would be wrong cannot
    // be told apart from one that was never decoded, so count TextDecoder calls instead.
    const prototype = TextDecoder.prototype as { decode(input?: Uint8Array): string };
    const decode = prototype.decode;
    let decodes = 0;
    prototype.decode = function (this: unknown, input?: Uint8Array) {
      decodes += 1;
      return decode.call(this, input);
    };
    try {
      const lengths: number[] = [];
      await processKinesisEvent(event(texts), {
        format: 'json',
        transform: (record) => String(lengths.push(record.data.length)),
        sink,
        deadLetter,
      });
      expect(lengths).toHaveLength(3);
      expect(decodes).toBe(0);
    } finally {
      prototype.decode = decode;
    }
  });
});

describe('a streaming sink', () => {
  function streamingSink(options: { failIndexes?: number[]; throwOnPush?: number; hang?: boolean } = {}) {
    const pushed: string[] = [];
    const events: string[] = [];
    const sink: StreamingSink<string> = {
      write: async () => {
        events.push('write');
        return { failed: [] };
      },
      open: () => {
        events.push('open');
        return {
          push: (item) => {
            if (pushed.length === options.throwOnPush) throw new Error('out of memory');
            events.push(`push ${item.value}`);
            pushed.push(item.value);
          },
          finish: async () => {
            events.push('finish');
            if (options.hang) await new Promise(() => undefined);
            return { failed: options.failIndexes ?? [] };
          },
        };
      },
    };
    return { sink, pushed, events };
  }
  const texts = [json({ a: 1 }), 'not json', json({ a: 2 }), json({ a: 3 })];

  it('gets each item as it is made (poison skipped, indexes in push order), then finish instead of write', async () => {
    const { sink, events } = streamingSink({ failIndexes: [1] });
    const { deadLetter, entries } = memoryDeadLetter();
    const result = await processKinesisEvent(event(texts), {
      format: 'json',
      transform: passThrough,
      sink,
      deadLetter,
    });
    expect(events).toEqual(['open', 'push {"a":1}', 'push {"a":2}', 'push {"a":3}', 'finish']);
    expect(entries).toHaveLength(1);
    // Item 1 is {"a":2}, the third Kinesis record: Lambda re-delivers from there.
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: event(texts).Records[2]!.kinesis.sequenceNumber },
    ]);
    expect(result.summary).toMatchObject({ delivered: 2, failed: 1, deadLettered: 1 });
  });

  it('is not opened for a batch with nothing to write', async () => {
    const { sink, events } = streamingSink();
    const { deadLetter } = memoryDeadLetter();
    await processKinesisEvent(event(['not json']), {
      format: 'json',
      transform: passThrough,
      sink,
      deadLetter,
    });
    expect(events).toEqual([]);
  });

  it('fails every item when push throws (the rest is not pushed), as when write throws', async () => {
    const { sink, events } = streamingSink({ throwOnPush: 1 });
    const { deadLetter } = memoryDeadLetter();
    const all = event(texts);
    const result = await processKinesisEvent(all, {
      format: 'json',
      transform: passThrough,
      sink,
      deadLetter,
    });
    expect(events).toEqual(['open', 'push {"a":1}']);
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: all.Records[0]!.kinesis.sequenceNumber },
    ]);
    expect(result.summary).toMatchObject({ delivered: 0, failed: 3 });
  });

  it('is abandoned at the deadline like write: every item failed, the answer in time', async () => {
    const { sink } = streamingSink({ hang: true });
    const { deadLetter } = memoryDeadLetter();
    const started = Date.now();
    const all = event([json({ a: 1 })]);
    const result = await processKinesisEvent(
      all,
      { format: 'json', transform: passThrough, sink, deadLetter },
      { remainingTimeMs: () => 300 - (Date.now() - started), deadlineMarginMs: 100 },
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.response.batchItemFailures).toEqual([
      { itemIdentifier: all.Records[0]!.kinesis.sequenceNumber },
    ]);
  });
});
