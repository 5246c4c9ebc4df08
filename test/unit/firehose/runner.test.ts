import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeUtf8,
  dropped,
  entryBytes,
  type FirehoseTransformationEvent,
  ok,
  parseJsonRecord,
  processFirehoseEvent,
  processingFailed,
  RecordRejectedError,
  type ReingestHook,
  responseBytes,
  runFirehoseEvent,
  type TransformOutcome,
} from '../../../shared/firehose';
import { logger, metrics } from '../../../shared/middleware/observability';
import { decoded, firehoseEvent } from '../../support/firehose-events';

afterEach(() => {
  vi.restoreAllMocks();
});

const ids = (event: FirehoseTransformationEvent) => event.records.map((r) => r.recordId);

describe('processFirehoseEvent', () => {
  it('answers every recordId exactly once, in order, whatever each transform does', async () => {
    const event = firehoseEvent(Array.from({ length: 400 }, (_, i) => `line ${i}`));
    const result = await processFirehoseEvent(event, async (record) => {
      switch (record.index % 5) {
        case 0:
          return ok(`${decodeUtf8(record.data).toUpperCase()}\n`);
        case 1:
          return dropped();
        case 2:
          return processingFailed('explicitly rejected');
        case 3:
          throw new Error('boom');
        default:
          await new Promise((resolve) => setImmediate(resolve));
          return ok(record.data);
      }
    });
    expect(result.records.map((r) => r.recordId)).toEqual(ids(event));
    expect(result.records.map((r) => r.result).slice(0, 5)).toEqual([
      'Ok',
      'Dropped',
      'ProcessingFailed',
      'ProcessingFailed',
      'Ok',
    ]);
    expect(decoded(result.records[0]!.data)).toBe('LINE 0\n');
    expect(result.records[1]!.data).toBeUndefined();
    // ProcessingFailed (returned or thrown) carries the original bytes.
    expect(decoded(result.records[2]!.data)).toBe('line 2');
    expect(decoded(result.records[3]!.data)).toBe('line 3');
  });

  it('turns a throw into ProcessingFailed with the original data and logs the reason, never the payload', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const secret = '{"card":"4111111111111111"';
    const event = firehoseEvent([
      secret,
      {
        data: 'fine',
        kinesisRecordMetadata: {
          shardId: 'shardId-000000000003',
          partitionKey: 'pk',
          sequenceNumber: '4959',
          subsequenceNumber: '2',
          approximateArrivalTimestamp: 1,
        },
      },
    ]);
    const result = await processFirehoseEvent(event, (record) => {
      if (record.index === 0) JSON.parse(decodeUtf8(record.data)); // V8 quotes the input in its message
      throw new RecordRejectedError('field "amount" is missing');
    });
    expect(result.records.map((r) => [r.result, decoded(r.data)])).toEqual([
      ['ProcessingFailed', secret],
      ['ProcessingFailed', 'fine'],
    ]);
    const logged = JSON.stringify(warn.mock.calls);
    expect(logged).not.toContain('4111');
    expect(warn.mock.calls[0]![1]).toMatchObject({ recordId: 'record-000000', index: 0 });
    expect(String((warn.mock.calls[0]![1] as { reason: string }).reason)).toMatch(
      /^transform threw SyntaxError/,
    );
    expect(warn.mock.calls[1]![1]).toMatchObject({
      recordId: 'record-000001',
      shardId: 'shardId-000000000003',
      sequenceNumber: '4959',
      subsequenceNumber: '2',
      reason: 'field "amount" is missing',
    });
  });

  it('rejects non-UTF-8 and invalid JSON with payload-free reasons', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const event = firehoseEvent([new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), '{"a": tru', '', '{"a":1}\n']);
    const result = await processFirehoseEvent(event, (record) =>
      ok(JSON.stringify(parseJsonRecord(record.data))),
    );
    expect(result.records.map((r) => r.result)).toEqual([
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
      'Ok',
    ]);
    expect(Buffer.from(result.records[0]!.data!, 'base64')).toEqual(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(warn.mock.calls.map((c) => (c[1] as { reason: string }).reason)).toEqual([
      'data is not valid UTF-8',
      expect.stringMatching(/^invalid JSON/),
      'empty record: expected a JSON document',
    ]);
    expect(JSON.stringify(warn.mock.calls)).not.toContain('tru');
  });

  it('treats a transform that returns nothing valid as ProcessingFailed', async () => {
    const event = firehoseEvent(['a']);
    const result = await processFirehoseEvent(event, () => undefined as unknown as TransformOutcome);
    expect(result.records[0]).toMatchObject({ result: 'ProcessingFailed', data: event.records[0]!.data });
  });

  it('exposes the Kinesis source: stream ARN and per-record metadata', async () => {
    const meta = {
      shardId: 'shardId-000000000001',
      partitionKey: 'user-7',
      sequenceNumber: '49546986683135544286507457936321625675700192471156785154',
      subsequenceNumber: '0',
      approximateArrivalTimestamp: 1_700_000_000_000,
    };
    const event = firehoseEvent([{ data: 'x', kinesisRecordMetadata: meta }], {
      sourceKinesisStreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/source',
    });
    const seen: unknown[] = [];
    await processFirehoseEvent(event, (record, context) => {
      seen.push(record.kinesisRecordMetadata, context.sourceKinesisStreamArn, context.deliveryStreamArn);
      return ok(record.data);
    });
    expect(seen).toEqual([
      meta,
      'arn:aws:kinesis:us-east-1:123456789012:stream/source',
      event.deliveryStreamArn,
    ]);
  });

  it('counts records and bytes, and emits them as EMF metrics', async () => {
    const add = vi.spyOn(metrics, 'addMetric');
    const event = firehoseEvent(['aa', 'bbb', 'c']);
    const { result, summary } = await runFirehoseEvent(event, (r) =>
      r.index === 0 ? ok('xyz') : r.index === 1 ? dropped() : processingFailed('no'),
    );
    expect(summary).toMatchObject({
      recordsIn: 3,
      ok: 1,
      dropped: 1,
      processingFailed: 1,
      bytesIn: 6,
      bytesOut: 3,
    });
    expect(summary.responseBytes).toBe(responseBytes(result));
    const byName = Object.fromEntries(add.mock.calls.map(([name, , value]) => [name, value]));
    expect(byName).toMatchObject({
      FirehoseRecordsIn: 3,
      FirehoseRecordsOk: 1,
      FirehoseRecordsDropped: 1,
      FirehoseRecordsProcessingFailed: 1,
      FirehoseBytesIn: 6,
      FirehoseBytesOut: 3,
    });
  });

  it('calls a synchronous transform back to back (no await per record) and awaits any thenable', async () => {
    const event = firehoseEvent(Array.from({ length: 50 }, (_, i) => `r${i}`));
    let ticked = false;
    queueMicrotask(() => {
      ticked = true;
    });
    const seen: boolean[] = [];
    await processFirehoseEvent(event, (record) => {
      seen.push(ticked);
      return ok(record.data);
    });
    expect(seen).toHaveLength(50);
    expect(seen.every((t) => !t)).toBe(true);

    // A thenable that is not a Promise (another library's) is awaited; one that rejects is ProcessingFailed.
    const result = await processFirehoseEvent(event, (record) => {
      const outcome = record.index % 2 === 0 ? ok('even') : dropped();
      return {
        then: (resolve: (o: TransformOutcome) => void, reject: (e: unknown) => void) =>
          record.index === 3 ? reject(new Error('no')) : resolve(outcome),
      } as unknown as Promise<TransformOutcome>;
    });
    expect(result.records.slice(0, 4).map((r) => r.result)).toEqual([
      'Ok',
      'Dropped',
      'Ok',
      'ProcessingFailed',
    ]);
    expect(decoded(result.records[0]!.data)).toBe('even');
  });

  it('property: the counted response size is the serialised size, whatever the recordIds and partition keys', async () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom('"', '\\', '\n', '\ud800', 'é€𝄞'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            text,
            fc.constantFrom('ok', 'ok-keys', 'dropped', 'failed', 'throw'),
            fc.dictionary(text, text, { maxKeys: 3 }),
          ),
          { maxLength: 12 },
        ),
        async (specs) => {
          const event = firehoseEvent(specs.map(([id], i) => ({ data: `d${i}`, recordId: id })));
          const { result, summary } = await runFirehoseEvent(event, (r) => {
            const [, kind, keys] = specs[r.index]!;
            if (kind === 'throw') throw new Error('x');
            if (kind === 'dropped') return dropped();
            if (kind === 'failed') return processingFailed('f');
            return kind === 'ok' ? ok(r.data) : ok('é', keys);
          });
          expect(summary.responseBytes).toBe(responseBytes(result));
          for (const entry of result.records)
            expect(entryBytes(entry)).toBe(Buffer.byteLength(JSON.stringify(entry)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('throws only on something that is not a Firehose event', async () => {
    await expect(processFirehoseEvent({} as FirehoseTransformationEvent, () => dropped())).rejects.toThrow(
      /records/,
    );
    expect((await processFirehoseEvent(firehoseEvent([]), () => dropped())).records).toEqual([]);
  });
});

describe('the 6,000,000-byte response guard', () => {
  const LIMIT = 6_000_000;
  // Six records whose outputs make an all-Ok response of exactly `total` bytes: 5 x ~1 MB and a last one
  // sized (output bytes, then recordId length for the last 0-3 bytes base64 cannot express) to land on it.
  function exactEvent(total: number) {
    const chunk = 740_000; // ~986,668 bytes of base64 each
    const outputs = Array.from({ length: 6 }, () => chunk);
    const entry = (id: string, outputBytes: number) =>
      entryBytes({ recordId: id, result: 'Ok', data: 'A'.repeat(Math.ceil(outputBytes / 3) * 4) });
    const fixed = 14 + 5 + outputs.slice(0, 5).reduce((sum, n, i) => sum + entry(`record-${i}`, n), 0);
    let remaining = total - fixed - entry('r', 0);
    const last = Math.floor(remaining / 4) * 3;
    remaining -= (last / 3) * 4;
    outputs[5] = last;
    const event = firehoseEvent(
      outputs.map((_, i) => ({ data: 'x', recordId: i === 5 ? `r${'x'.repeat(remaining)}` : `record-${i}` })),
    );
    return { event, outputs };
  }

  it('keeps a response of exactly 6,000,000 bytes whole', async () => {
    const { event, outputs } = exactEvent(LIMIT);
    const result = await processFirehoseEvent(event, (r) => ok(new Uint8Array(outputs[r.index]!)));
    expect(result.records.every((r) => r.result === 'Ok')).toBe(true);
    expect(responseBytes(result)).toBe(LIMIT);
  });

  it('one byte over: the last output overflows and is answered ProcessingFailed with its original data', async () => {
    const { event, outputs } = exactEvent(LIMIT + 1);
    const { result, summary } = await runFirehoseEvent(event, (r) => ok(new Uint8Array(outputs[r.index]!)));
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok', 'Ok', 'Ok', 'ProcessingFailed']);
    expect(decoded(result.records[5]!.data)).toBe('x');
    expect(result.records.map((r) => r.recordId)).toEqual(ids(event));
    expect(responseBytes(result)).toBeLessThanOrEqual(LIMIT);
    expect(summary).toMatchObject({ overflowed: 1, processingFailed: 1 });
  });

  it('fits the originals even when the input is near the limit and every record fails or doubles', async () => {
    // ~4.4 MB of base64 in (more than Firehose's 3 MB processor buffer yields), outputs twice as large.
    const records = Array.from({ length: 3300 }, (_, i) => ({ data: 'y'.repeat(1000), recordId: `id-${i}` }));
    const event = firehoseEvent(records);
    const requestBytes = Buffer.byteLength(JSON.stringify(event));
    expect(requestBytes).toBeLessThan(LIMIT);

    const failing = await processFirehoseEvent(event, () => {
      throw new Error('nope');
    });
    expect(
      failing.records.every((r, i) => r.result === 'ProcessingFailed' && r.data === event.records[i]!.data),
    ).toBe(true);
    expect(responseBytes(failing)).toBeLessThan(requestBytes);

    const doubling = await processFirehoseEvent(event, (r) => ok(Buffer.concat([r.data, r.data])));
    expect(responseBytes(doubling)).toBeLessThanOrEqual(LIMIT);
    const results = doubling.records.map((r) => r.result);
    const okCount = results.filter((r) => r === 'Ok').length;
    expect(okCount).toBeGreaterThan(1000);
    expect(results.slice(okCount).every((r) => r === 'ProcessingFailed')).toBe(true);
    for (const [i, r] of doubling.records.entries()) {
      expect(decoded(r.data).length).toBe(r.result === 'Ok' ? 2000 : 1000);
      expect(r.recordId).toBe(`id-${i}`);
    }
  });

  it('returns the originals as they are when even they exceed a (too small) limit, and says so', async () => {
    const error = vi.spyOn(logger, 'error');
    const event = firehoseEvent(['0123456789', 'abcdefghij']);
    const result = await processFirehoseEvent(event, (r) => ok(Buffer.alloc(1000, r.data)), {
      maxResponseBytes: 100,
    });
    expect(result.records.map((r) => [r.result, decoded(r.data)])).toEqual([
      ['ProcessingFailed', '0123456789'],
      ['ProcessingFailed', 'abcdefghij'],
    ]);
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/exceed the response limit/), expect.anything());
  });

  it('re-ingests overflow through the hook: confirmed -> Dropped, unconfirmed or thrown -> ProcessingFailed', async () => {
    const event = firehoseEvent(Array.from({ length: 6 }, (_, i) => `r${i}`));
    const big = (r: { index: number }) => ok(new Uint8Array(r.index === 0 ? 10 : 300));
    const seen: string[] = [];
    const hook: ReingestHook = async (records, context) => {
      expect(context.deadline).toBeGreaterThan(Date.now());
      for (const o of records) {
        expect(o.data.byteLength).toBe(300);
        seen.push(o.record.recordId);
      }
      return records.filter((o) => o.record.index % 2 === 1).map((o) => o.record.recordId);
    };
    const result = await processFirehoseEvent(event, big, { maxResponseBytes: 1000, onOverflow: hook });
    expect(seen.length).toBeGreaterThan(0);
    expect(responseBytes(result)).toBeLessThanOrEqual(1000);
    for (const r of result.records) {
      if (!seen.includes(r.recordId)) expect(r.result).toBe('Ok');
      else if (Number(r.recordId.slice(-1)) % 2 === 1)
        expect(r).toEqual({ recordId: r.recordId, result: 'Dropped' });
      else
        expect(r).toMatchObject({
          result: 'ProcessingFailed',
          data: event.records.find((e) => e.recordId === r.recordId)!.data,
        });
    }

    const throwing = await processFirehoseEvent(event, big, {
      maxResponseBytes: 1000,
      onOverflow: async () => {
        throw new Error('network down');
      },
    });
    expect(responseBytes(throwing)).toBeLessThanOrEqual(1000);
    expect(throwing.records.filter((r) => r.result === 'ProcessingFailed').length).toBeGreaterThanOrEqual(
      seen.length,
    );
  });

  it('plans re-ingestion optimistically and, when it fails, answers planned outputs with their originals', async () => {
    // Ten 300-byte records whose outputs are 1,000 bytes: counting overflow at its Dropped size leaves room for
    // four outputs inline; if re-ingestion then fails, the originals (~458 bytes each) need that room back.
    const original = 'x'.repeat(300);
    const event = firehoseEvent(
      Array.from({ length: 10 }, (_, i) => ({ data: original, recordId: `r${i}` })),
    );
    const grow = () => ok(new Uint8Array(1000));
    const limit = 6_000;
    const confirmAll: ReingestHook = async (records) => records.map((o) => o.record.recordId);
    const fine = await runFirehoseEvent(event, grow, { maxResponseBytes: limit, onOverflow: confirmAll });
    expect(fine.summary.ok).toBeGreaterThan(0);
    expect(fine.summary.reingested).toBe(10 - fine.summary.ok);
    expect(fine.summary.responseBytes).toBeLessThanOrEqual(limit);

    const warn = vi.spyOn(logger, 'warn');
    const failing = await runFirehoseEvent(event, grow, {
      maxResponseBytes: limit,
      onOverflow: async () => [],
    });
    expect(failing.summary.responseBytes).toBe(responseBytes(failing.result));
    expect(failing.summary.responseBytes).toBeLessThanOrEqual(limit);
    expect([fine.summary.ok, failing.summary.ok]).toEqual([4, 1]);
    failing.result.records.forEach((r, i) => {
      expect(r.recordId).toBe(`r${i}`);
      if (r.result === 'ProcessingFailed') expect(decoded(r.data)).toBe(original);
      else expect(r.result).toBe('Ok');
    });
    expect(JSON.stringify(warn.mock.calls)).toContain('once re-ingestion of other records failed');
  });

  it('property: any mix of outcomes and sizes keeps order, originals, and the bound', async () => {
    const outcome = fc.oneof(
      fc.record({ kind: fc.constant('ok' as const), size: fc.nat(600) }),
      fc.constant({ kind: 'dropped' as const, size: 0 }),
      fc.constant({ kind: 'failed' as const, size: 0 }),
      fc.constant({ kind: 'throw' as const, size: 0 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 120 }), outcome), { maxLength: 40 }),
        fc.integer({ min: 200, max: 8000 }),
        fc.boolean(),
        async (specs, limit, withHook) => {
          const event = firehoseEvent(specs.map(([data]) => data));
          const result = await processFirehoseEvent(
            event,
            (r) => {
              const o = specs[r.index]![1];
              if (o.kind === 'throw') throw new Error('x');
              if (o.kind === 'dropped') return dropped();
              if (o.kind === 'failed') return processingFailed('f');
              return ok(new Uint8Array(o.size).fill(65));
            },
            {
              maxResponseBytes: limit,
              ...(withHook && {
                onOverflow: async (records) =>
                  records.filter((_, i) => i % 2 === 0).map((o) => o.record.recordId),
              }),
            },
          );
          expect(result.records.map((r) => r.recordId)).toEqual(ids(event));
          const allOriginals = responseBytes({
            records: event.records.map((r) => ({
              recordId: r.recordId,
              result: 'ProcessingFailed',
              data: r.data,
            })),
          });
          expect(responseBytes(result)).toBeLessThanOrEqual(Math.max(limit, allOriginals));
          result.records.forEach((r, i) => {
            if (r.result === 'ProcessingFailed') expect(r.data).toBe(event.records[i]!.data);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
