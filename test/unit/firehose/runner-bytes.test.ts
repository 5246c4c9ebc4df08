import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  dropped,
  ok,
  processFirehoseBytes,
  processingFailed,
  RecordRejectedError,
  type ReingestHook,
  responseBytes,
  runFirehoseBytes,
  runFirehoseEvent,
} from '../../../shared/firehose';
import type { ByteWriter } from '../../../shared/logformats';
import { logger } from '../../../shared/middleware/observability';
import { decoded, firehoseEvent } from '../../support/firehose-events';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Appends `bytes` to the runner's writer: what a bytes transform's output amounts to. */
const write = (bytes: Uint8Array) => (out: ByteWriter) => out.copy(bytes, 0, bytes.length);

describe('processFirehoseBytes', () => {
  it('answers every record in order: what the transform appended (Ok), Dropped, or its original (throw)', async () => {
    const event = firehoseEvent(['alpha', 'beta', 'gamma', 'delta', '']);
    const warn = vi.spyOn(logger, 'warn');
    const result = await processFirehoseBytes(event, (record, out) => {
      const text = record.bytes.toString('utf8', record.start, record.end);
      if (record.index === 1) return 'Dropped';
      if (record.index === 2) throw new RecordRejectedError('gamma is not wanted');
      out.text(`${text.toUpperCase()}\n`);
    });
    expect(result.records.map((r) => [r.recordId, r.result, decoded(r.data)])).toEqual([
      ['record-000000', 'Ok', 'ALPHA\n'],
      ['record-000001', 'Dropped', ''],
      ['record-000002', 'ProcessingFailed', 'gamma'],
      ['record-000003', 'Ok', 'DELTA\n'],
      ['record-000004', 'Ok', '\n'],
    ]);
    expect(result.records[1]!.data).toBeUndefined();
    expect(warn.mock.calls[0]![1]).toMatchObject({
      recordId: 'record-000002',
      reason: 'gamma is not wanted',
    });
  });

  it('forgets the output a transform wrote before it threw or dropped the record', async () => {
    const event = firehoseEvent(['a', 'b', 'c']);
    const result = await processFirehoseBytes(event, (record, out) => {
      out.text('partial output');
      if (record.index === 0) throw new Error('boom');
      if (record.index === 1) return 'Dropped';
      out.text('!');
    });
    expect(result.records.map((r) => [r.result, decoded(r.data)])).toEqual([
      ['ProcessingFailed', 'a'],
      ['Dropped', ''],
      ['Ok', 'partial output!'],
    ]);
  });

  it('hands each record its coordinates and the event context', async () => {
    const event = firehoseEvent([{ data: 'x', recordId: 'id-x', approximateArrivalTimestamp: 42 }, 'yz'], {
      sourceKinesisStreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/source',
    });
    const seen: unknown[] = [];
    await processFirehoseBytes(event, (record) => {
      seen.push([
        record.recordId,
        record.index,
        record.approximateArrivalTimestamp,
        record.end - record.start,
      ]);
      seen.push(record.context.sourceKinesisStreamArn);
    });
    expect(seen).toEqual([
      ['id-x', 0, 42, 1],
      'arn:aws:kinesis:us-east-1:123456789012:stream/source',
      ['record-000001', 1, 1_700_000_000_001, 2],
      'arn:aws:kinesis:us-east-1:123456789012:stream/source',
    ]);
  });

  it('flags exactly the records that are not UTF-8, whether or not the batch as a whole is', async () => {
    const e9 = Buffer.from('é', 'utf8'); // c3 a9
    const cases: { records: Uint8Array[]; utf8: boolean[] }[] = [
      // Every record well-formed: the batch check alone decides.
      { records: [Buffer.from('plain'), e9, Buffer.from('€𝄞')], utf8: [true, true, true] },
      // The batch is well-formed UTF-8, but a character is split across two records: neither half is.
      {
        records: [Buffer.from([0x61, 0xc3]), Buffer.from([0xa9, 0x62]), Buffer.from('ok')],
        utf8: [false, false, true],
      },
      // An empty record between the halves of a split character is still well-formed.
      {
        records: [Buffer.from([0x41, 0xc3]), Buffer.alloc(0), Buffer.from([0xa9, 0x42])],
        utf8: [false, true, false],
      },
      // A stray byte makes the batch malformed: records are then checked one by one.
      {
        records: [Buffer.from('fine'), Buffer.from([0xff]), e9, Buffer.from([0xa9])],
        utf8: [true, false, true, false],
      },
    ];
    for (const { records, utf8 } of cases) {
      const flags: boolean[] = [];
      await processFirehoseBytes(firehoseEvent(records), (record) => {
        flags.push(record.utf8);
      });
      expect(flags).toEqual(utf8);
    }
  });

  it('answers ProcessingFailed, saying why, when a transform returns anything but nothing or Dropped', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const event = firehoseEvent(['a', 'b', 'c']);
    const result = await processFirehoseBytes(event, ((record: { index: number }, out: ByteWriter) => {
      out.text('x');
      if (record.index === 0) return 'ProcessingFailed';
      if (record.index === 1) return Promise.resolve();
    }) as unknown as Parameters<typeof processFirehoseBytes>[1]);
    expect(result.records.map((r) => [r.result, decoded(r.data)])).toEqual([
      ['ProcessingFailed', 'a'],
      ['ProcessingFailed', 'b'],
      ['Ok', 'x'],
    ]);
    expect(warn.mock.calls.map((c) => (c[1] as { reason: string }).reason)).toEqual([
      `bytes transform returned "ProcessingFailed", not nothing or 'Dropped'`,
      'bytes transform returned a promise: it must be synchronous (use processFirehoseEvent)',
    ]);
  });

  it("shows a transform this event's bytes only, though the decode buffer is reused", async () => {
    const lengths: number[] = [];
    const see = (record: { bytes: Buffer }) => {
      lengths.push(record.bytes.length);
    };
    await processFirehoseBytes(firehoseEvent(['x'.repeat(5000)]), see);
    await processFirehoseBytes(firehoseEvent(['abc', 'de']), see);
    expect(lengths).toEqual([5000, 5, 5]);
  });

  it('property: the answer is the one the object API gives for the same outputs, whatever their lengths', async () => {
    // Every output length modulo 3 (the runner encodes outputs in runs and sets each one's padding), empty
    // outputs, drops and failures, records of any size.
    const outcome = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.uint8Array({ maxLength: 70 }).map((bytes) => ({ kind: 'ok' as const, bytes })),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'dropped' as const, bytes: new Uint8Array(0) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'throw' as const, bytes: new Uint8Array(0) }) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), outcome), { maxLength: 30 }),
        async (specs) => {
          const event = firehoseEvent(specs.map(([input]) => input));
          const bytes = await runFirehoseBytes(event, (record, out) => {
            const { kind, bytes: output } = specs[record.index]![1];
            if (kind === 'dropped') return 'Dropped';
            if (kind === 'throw') throw new RecordRejectedError('no');
            write(output)(out);
          });
          const objects = await runFirehoseEvent(event, (record) => {
            const { kind, bytes: output } = specs[record.index]![1];
            return kind === 'dropped' ? dropped() : kind === 'throw' ? processingFailed('no') : ok(output);
          });
          expect(bytes.result).toEqual(objects.result);
          expect(bytes.summary).toEqual(objects.summary);
          expect(bytes.summary.responseBytes).toBe(responseBytes(bytes.result));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reuses its decode buffer from one invocation to the next, growing it for a larger event', async () => {
    const echo = (record: { bytes: Buffer; start: number; end: number }, out: ByteWriter) =>
      out.copy(record.bytes, record.start, record.end);
    for (const sizes of [[3], [5, 70_000, 1], [2], [200_000, 300_000], [0, 4]]) {
      const inputs = sizes.map((size, i) => Buffer.alloc(size, String.fromCharCode(97 + i)));
      const result = await processFirehoseBytes(firehoseEvent(inputs), echo, {
        maxResponseBytes: Number.POSITIVE_INFINITY,
      });
      expect(result.records.map((r) => r.data)).toEqual(inputs.map((input) => input.toString('base64')));
    }
  });

  it('encodes outputs that span several writer chunks (megabytes of output) exactly', async () => {
    // ~3.6 MB of output over 1 MiB chunks, lengths of every residue modulo 3.
    const sizes = Array.from({ length: 24 }, (_, i) => 150_000 + i);
    const event = firehoseEvent(sizes.map((_, i) => `r${i}`));
    const outputs = sizes.map((size, i) => Buffer.alloc(size, `${i}:abcdefghijklmnopqrstuvwxyz`));
    const result = await processFirehoseBytes(event, (record, out) => write(outputs[record.index]!)(out), {
      maxResponseBytes: Number.POSITIVE_INFINITY,
    });
    result.records.forEach((r, i) => {
      expect(r.result).toBe('Ok');
      expect(r.data).toBe(outputs[i]!.toString('base64'));
    });
  });

  it('keeps the response under the limit and re-ingests overflow with its input and output bytes', async () => {
    const event = firehoseEvent(Array.from({ length: 8 }, (_, i) => `input-${i}`));
    const seen: [string, string, number][] = [];
    const hook: ReingestHook = async (records) => {
      for (const o of records)
        seen.push([o.record.recordId, Buffer.from(o.record.data).toString(), o.data.length]);
      return records.map((o) => o.record.recordId);
    };
    const { result, summary } = await runFirehoseBytes(
      event,
      (record, out) => write(Buffer.alloc(400 + record.index, 0x61))(out),
      { maxResponseBytes: 2_000, onOverflow: hook },
    );
    expect(responseBytes(result)).toBeLessThanOrEqual(2_000);
    expect(summary.reingested).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(0);
    for (const [id, input, length] of seen) {
      const index = Number(id.slice(-6));
      expect(input).toBe(`input-${index}`);
      expect(length).toBe(400 + index);
      expect(result.records[index]).toEqual({ recordId: id, result: 'Dropped' });
    }
  });
});

describe('base64 of the outputs', () => {
  it('is each output exactly, across the 96,000-byte pieces a writer chunk is encoded in', async () => {
    // ~2,000 outputs of 1,000-1,002 bytes (every remainder mod 3), with dropped and failed records among them:
    // a 1 MiB writer chunk holds ~1,000 of them, encoded in 11 pieces whose edges fall inside outputs.
    const count = 2_000;
    const outputs = Array.from({ length: count }, (_, i) =>
      Buffer.from(Array.from({ length: 1_000 + (i % 3) }, (_, k) => (i * 31 + k * 7) & 0xff)),
    );
    const event = firehoseEvent(outputs.map((_, i) => `r${i}`));
    const result = await processFirehoseBytes(
      event,
      (record, out) => {
        if (record.index % 97 === 5) return 'Dropped';
        if (record.index % 89 === 7) throw new RecordRejectedError('no');
        const output = outputs[record.index]!;
        out.copy(output, 0, output.length);
      },
      { maxResponseBytes: Number.POSITIVE_INFINITY },
    );
    result.records.forEach((r, i) => {
      if (i % 97 === 5) expect(r.result).toBe('Dropped');
      else if (i % 89 === 7) expect(r.result).toBe('ProcessingFailed');
      else expect(r.data).toBe(outputs[i]!.toString('base64'));
    });
  });
});
