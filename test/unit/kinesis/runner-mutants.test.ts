/**
 * processKinesisEvent: what mutation testing showed unpinned (npm run mutate kinesis): the binary and text formats
 * on real records, an unexpected (non-KPL) error from de-aggregation, the summary counters, retryFrom, every
 * metric, and the "(at byte N)" part of a JSON reason.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { processKinesisEvent, type StreamConsumer } from '../../../shared/kinesis/runner';
import type { DeadLetterEntry, DeadLetterSink, Sink, SinkItem } from '../../../shared/kinesis/types';
import { aggregate } from '../../../shared/kpl';
import { metrics } from '../../../shared/middleware/observability';
import { plainEvent } from '../../support/kinesis-events';

const ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
const SHARD = 'shardId-000000000003';
const event = (datas: Array<string | Uint8Array>) => plainEvent(datas, { streamArn: ARN, shardId: SHARD });

function memorySink<T>(failWhen: (item: SinkItem<T>) => boolean = () => false) {
  const written: SinkItem<T>[] = [];
  const sink: Sink<T> = {
    async write(items) {
      const failed: number[] = [];
      items.forEach((item, index) => (failWhen(item) ? failed.push(index) : written.push(item)));
      return { failed };
    },
  };
  return { sink, written };
}
function memoryDeadLetter() {
  const entries: DeadLetterEntry[] = [];
  const deadLetter: DeadLetterSink = {
    async write(batch) {
      entries.push(...batch);
    },
  };
  return { deadLetter, entries };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('formats on real records', () => {
  it('binary: the transform gets the bytes, as they are, and no text', async () => {
    const bytes = Uint8Array.from([0xff, 0x00, 0xfe, 0x80]);
    const seen: unknown[] = [];
    const { sink, written } = memorySink<Uint8Array>();
    const result = await processKinesisEvent(event([bytes, '{"not":"parsed"}']), {
      format: 'binary',
      transform: (record) => {
        seen.push([record.text, record.value instanceof Uint8Array]);
        return record.value;
      },
      sink,
      deadLetter: memoryDeadLetter().deadLetter,
    });
    expect(result.response.batchItemFailures).toEqual([]);
    expect(seen).toEqual([
      [undefined, true],
      [undefined, true],
    ]);
    expect(written.map((item) => Buffer.from(item.value).toString('hex'))).toEqual([
      'ff00fe80',
      Buffer.from('{"not":"parsed"}').toString('hex'),
    ]);
  });

  it('text: the transform gets the UTF-8 text (a BOM kept, no JSON parse); invalid UTF-8 is poison', async () => {
    const { sink, written } = memorySink<string>();
    const { deadLetter, entries } = memoryDeadLetter();
    const result = await processKinesisEvent(event(['\uFEFFhé {not json', Buffer.from([0xc3, 0x28])]), {
      format: 'text',
      transform: (record) => `${record.value}|${record.text}`,
      sink,
      deadLetter,
    });
    expect(result.response.batchItemFailures).toEqual([]);
    expect(written.map((item) => item.value)).toEqual(['\uFEFFhé {not json|\uFEFFhé {not json']);
    expect(entries.map((e) => [e.errorName, e.reason])).toEqual([
      ['RecordDecodeError', 'data is not valid UTF-8'],
    ]);
  });

  it('json: the reason names the byte where the JSON breaks, never the payload', async () => {
    const { deadLetter, entries } = memoryDeadLetter();
    await processKinesisEvent(event(['{"secret" 1}', '\uFEFF{"a":1}', '{"a":1} x', '[1,']), {
      format: 'json',
      transform: ({ value }) => JSON.stringify(value),
      sink: memorySink<string>().sink,
      deadLetter,
    });
    expect(entries.map((e) => e.reason)).toEqual([
      'data is not valid JSON (at byte 10)',
      'data is not valid JSON (at byte 8)',
      // V8 names no position for an early end.
      'data is not valid JSON',
    ]);
  });
});

describe('summary, retryFrom and metrics', () => {
  const metricsOf = (spy: { mock: { calls: unknown[][] } }) =>
    Object.fromEntries(spy.mock.calls.map(([name, unit, value]) => [String(name), [unit, value]]));

  it('count every outcome once and name the parent the retry starts from', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const [blob] = aggregate([1, 2, 3].map((n) => ({ data: JSON.stringify({ n }), partitionKey: `u${n}` })));
    const input = event(['{"n":0}', blob!.data, 'broken', '{"skip":true}', '{"n":5}']);
    const { sink, written } = memorySink<string>((item) => item.value === '{"n":5}');
    const { deadLetter } = memoryDeadLetter();
    const consumer: StreamConsumer<'json', string> = {
      format: 'json',
      transform: ({ value }) => ((value as { skip?: boolean }).skip ? undefined : JSON.stringify(value)),
      sink,
      deadLetter,
    };
    const { response, summary } = await processKinesisEvent(input, consumer);
    expect(written.map((i) => i.value)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}']);
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: input.Records[4]!.kinesis.sequenceNumber },
    ]);
    expect(summary).toEqual({
      stream: 'orders',
      shardId: SHARD,
      parents: 5,
      userRecords: 7,
      delivered: 4,
      filtered: 1,
      deadLettered: 1,
      failed: 1,
      firstSequenceNumber: input.Records[0]!.kinesis.sequenceNumber,
      lastSequenceNumber: input.Records[4]!.kinesis.sequenceNumber,
      retryFrom: input.Records[4]!.kinesis.sequenceNumber,
    });
    const eventBytes = input.Records.reduce((n, r) => n + r.kinesis.data.length, 0);
    const recorded = metricsOf(addMetric);
    expect(recorded).toMatchObject({
      RecordsIn: ['Count', 5],
      UserRecords: ['Count', 7],
      RecordsOut: ['Count', 4],
      RecordsFiltered: ['Count', 1],
      RecordsFailed: ['Count', 1],
      RecordsDeadLettered: ['Count', 1],
      BytesIn: ['Bytes', Math.floor((eventBytes * 3) / 4)],
    });
    expect(recorded.SinkLatency![0]).toBe('Milliseconds');
    expect(recorded.SinkLatency![1]).toBeGreaterThanOrEqual(0);
    expect(Object.keys(recorded).sort()).toEqual(
      [
        'BytesIn',
        'RecordsDeadLettered',
        'RecordsFailed',
        'RecordsFiltered',
        'RecordsIn',
        'RecordsOut',
        'SinkLatency',
        'UserRecords',
      ].sort(),
    );
  });

  it('a sink that throws fails every item once: nothing delivered, nothing counted twice', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const input = event(['{"a":1}', '{"a":2}', '{"a":3}']);
    const sink: Sink<string> = {
      write: async () => {
        throw new Error('SlowDown');
      },
    };
    const { response, summary } = await processKinesisEvent(input, {
      format: 'json',
      transform: ({ text }) => text,
      sink,
      deadLetter: memoryDeadLetter().deadLetter,
    });
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: input.Records[0]!.kinesis.sequenceNumber },
    ]);
    expect(summary).toMatchObject({
      delivered: 0,
      failed: 3,
      deadLettered: 0,
      retryFrom: input.Records[0]!.kinesis.sequenceNumber,
    });
    expect(metricsOf(addMetric)).toMatchObject({ RecordsOut: ['Count', 0], RecordsFailed: ['Count', 3] });
  });

  it('rejected items: dead-lettered and counted once, not delivered; all good means no retryFrom', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const input = event(['{"a":1}', '{"a":2}', '{"a":3}']);
    const sink: Sink<string> = {
      write: async () => ({
        failed: [],
        rejected: [{ index: 1, errorName: 'MapperParsingException', reason: 'bad field' }],
      }),
    };
    const { deadLetter, entries } = memoryDeadLetter();
    const { response, summary } = await processKinesisEvent(input, {
      format: 'json',
      transform: ({ text }) => text,
      sink,
      deadLetter,
    });
    expect(response.batchItemFailures).toEqual([]);
    expect('retryFrom' in summary).toBe(false);
    expect(summary).toMatchObject({ delivered: 2, failed: 0, deadLettered: 1 });
    expect(entries.map((e) => [e.errorName, e.reason, e.coordinates.sequenceNumber])).toEqual([
      ['MapperParsingException', 'bad field', input.Records[1]!.kinesis.sequenceNumber],
    ]);
    expect(metricsOf(addMetric)).toMatchObject({
      RecordsOut: ['Count', 2],
      RecordsDeadLettered: ['Count', 1],
    });
  });

  it('an empty batch records zeros and no sink latency', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const { summary } = await processKinesisEvent(
      { Records: [] },
      {
        format: 'text',
        transform: (r) => r.value,
        sink: memorySink<string>().sink,
        deadLetter: memoryDeadLetter().deadLetter,
      },
    );
    expect(summary).toMatchObject({ parents: 0, userRecords: 0, delivered: 0 });
    const recorded = metricsOf(addMetric);
    expect(recorded).toMatchObject({ RecordsIn: ['Count', 0], BytesIn: ['Bytes', 0] });
    expect('SinkLatency' in recorded).toBe(false);
  });
});

describe('the byte offset in a JSON reason', () => {
  it('counts the record`s bytes: a byte order mark and multi-byte characters before the error', async () => {
    const entries: DeadLetterEntry[] = [];
    // The BOM is 3 bytes, "é" 2, "😀" 4 (2 UTF-16 units): the stray "x" is at byte 3 + 6 + 2 + 4 + 1 = 16.
    const record = '\uFEFF{"a":"é😀"x}';
    expect(Buffer.from(record).indexOf('x')).toBe(16);
    await processKinesisEvent(plainEvent([record]), {
      format: 'json',
      transform: () => 'never',
      sink: { write: async () => ({ failed: [] }) },
      deadLetter: {
        write: async (batch) => {
          entries.push(...batch);
        },
      },
    });
    expect(entries.map((entry) => entry.reason)).toEqual(['data is not valid JSON (at byte 16)']);
  });
});
