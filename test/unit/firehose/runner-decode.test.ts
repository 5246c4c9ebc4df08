/**
 * The runner's batch decoding: every record's base64 decoded back to back, through Buffer#base64Write where the
 * runtime has it and through the documented Buffer#write where it does not. Both ways must hand the transform
 * the same bytes, for padded, unpadded and odd-length data.
 */
import type { FirehoseTransformationEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as RunnerModule from '../../../shared/firehose/runner';
import { firehoseEvent } from '../../support/firehose-events';

type Runner = typeof RunnerModule;

const proto = Buffer.prototype as unknown as Record<string, unknown>;
const base64Write = proto.base64Write;

afterEach(() => {
  proto.base64Write = base64Write;
  vi.resetModules();
});

/** The runner as loaded with (true) or without (false) Buffer#base64Write on this runtime. */
async function runnerWith(method: boolean): Promise<Runner> {
  vi.resetModules();
  if (!method) delete proto.base64Write;
  const runner = await import('../../../shared/firehose/runner');
  proto.base64Write = base64Write;
  return runner;
}

/** What the transform saw of each record, as hex. */
async function seen(runner: Runner, event: FirehoseTransformationEvent): Promise<string[]> {
  const bytes: string[] = [];
  const result = await runner.processFirehoseBytes(event, (record, out) => {
    bytes.push(record.bytes.subarray(record.start, record.end).toString('hex'));
    out.copy(record.bytes, record.start, record.end);
  });
  expect(result.records.map((r) => r.result)).toEqual(event.records.map(() => 'Ok'));
  return bytes;
}

const lengths = [0, 1, 2, 3, 4, 5, 64, 65, 66, 1000];
const payloads = lengths.map((n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff)));

describe('batch decoding', () => {
  it('this runtime has Buffer#base64Write (the fast way is the one tested elsewhere)', () => {
    expect(typeof base64Write).toBe('function');
  });

  it.each([true, false])('hands every record its bytes (base64Write: %s)', async (method) => {
    const runner = await runnerWith(method);
    const event = firehoseEvent(payloads);
    expect(await seen(runner, event)).toEqual(payloads.map((p) => p.toString('hex')));
  });

  it.each([true, false])('decodes unpadded base64 too (base64Write: %s)', async (method) => {
    const runner = await runnerWith(method);
    const event = firehoseEvent(payloads);
    for (const record of event.records) record.data = record.data.replace(/=+$/, '');
    expect(await seen(runner, event)).toEqual(payloads.map((p) => p.toString('hex')));
  });

  it('the documented way is taken when the runtime has no base64Write', async () => {
    const write = vi.spyOn(Buffer.prototype, 'write');
    const runner = await runnerWith(false);
    await seen(runner, firehoseEvent(['abc', 'defg']));
    expect(write.mock.calls.filter((c) => c[2] === 'base64')).toHaveLength(2);
    write.mockClear();
    const fast = await runnerWith(true);
    await seen(fast, firehoseEvent(['abc', 'defg']));
    expect(write.mock.calls.filter((c) => c[2] === 'base64')).toHaveLength(0);
  });

  it('hands each record its arrival time, and whatever the event holds where that is not a number', async () => {
    const { processFirehoseBytes } = await runnerWith(true);
    const event = firehoseEvent(['a', 'b', 'c', 'd', 'e', 'f']);
    const given: unknown[] = [0, 1_700_000_000_123.5, -1, undefined, '1700000000000', Number.NaN];
    given.forEach((value, i) => {
      (event.records[i] as { approximateArrivalTimestamp: unknown }).approximateArrivalTimestamp = value;
    });
    const seen: unknown[] = [];
    await processFirehoseBytes(event, (record, out) => {
      seen.push(record.approximateArrivalTimestamp);
      out.copy(record.bytes, record.start, record.end);
    });
    expect(seen).toEqual(given);
  });
});
