/**
 * The runner's response-size guard at its exact edges, where one byte decides: which outputs compete for the room
 * (only Ok outputs larger than their originals), a record whose answer alone fills the response exactly, and an
 * output budget spent to exactly what a response could carry. Each case is built from the measured sizes of a
 * response, not from constants, so the tests hold whatever the envelope.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  maxOutputBytes,
  ok,
  type OverflowRecord,
  outputTooLarge,
  processFirehoseEvent,
  responseBytes,
} from '../../../shared/firehose';
import { logger } from '../../../shared/middleware/observability';
import { firehoseEvent } from '../../support/firehose-events';

afterEach(() => {
  vi.restoreAllMocks();
});

const LIFTED = { maxResponseBytes: Number.POSITIVE_INFINITY };

describe('which outputs compete for the room', () => {
  it('keeps a grown output Ok when the outputs after it shrank enough to leave it room (to the byte)', async () => {
    // Record 0 grows (1 byte -> 600); records 1-4 shrink (400 bytes -> 1). Only record 0 competes: the others
    // count at their answers, not at their originals, so the whole response fits in exactly its own size.
    const event = firehoseEvent(['a', ...Array.from({ length: 4 }, () => 'x'.repeat(400))]);
    const transform = (r: { index: number }) => ok(r.index === 0 ? new Uint8Array(600) : 'y');
    const exact = responseBytes(await processFirehoseEvent(event, transform, LIFTED));
    const result = await processFirehoseEvent(event, transform, { maxResponseBytes: exact });
    expect(result.records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok', 'Ok', 'Ok']);
    expect(responseBytes(result)).toBe(exact);
    const over = await processFirehoseEvent(event, transform, { maxResponseBytes: exact - 1 });
    expect(over.records.map((r) => r.result)).toEqual(['ProcessingFailed', 'Ok', 'Ok', 'Ok', 'Ok']);
  });

  it('leaves an output exactly the size of its original where it is, and re-ingests the larger one', async () => {
    // Record 1's Ok answer is exactly as long as its ProcessingFailed one: unpadded base64 of 1 byte (2
    // characters) against 12 bytes of output (16 characters), 'ProcessingFailed' being 14 characters longer than
    // 'Ok'. It costs the same either way, so it does not compete; record 0, grown, is the one that overflows.
    const event = firehoseEvent(['b', 'a']);
    event.records[1]!.data = 'YQ';
    const transform = (r: { index: number }) => ok(new Uint8Array(r.index === 0 ? 600 : 12));
    const lifted = await processFirehoseEvent(event, transform, LIFTED);
    const seen: number[] = [];
    const hook = async (records: readonly OverflowRecord[]) => {
      seen.push(...records.map((o) => o.record.index));
      return records.map((o) => o.record.recordId);
    };
    const result = await processFirehoseEvent(event, transform, {
      maxResponseBytes: responseBytes(lifted) - 1,
      onOverflow: hook,
    });
    expect(seen).toEqual([0]);
    expect(result.records.map((r) => r.result)).toEqual(['Dropped', 'Ok']);
    expect(result.records[1]!.data).toBe(lifted.records[1]!.data);
  });
});

describe('a record alone in a response', () => {
  it('tells the hook an output fits alone when its answer fills a response of its own to the byte', async () => {
    const event = firehoseEvent(['a', 'b']);
    const transform = (r: { index: number }) => ok(r.index === 0 ? 'x' : new Uint8Array(900));
    const alone = firehoseEvent(['b']);
    alone.records[0]!.recordId = event.records[1]!.recordId;
    const exact = responseBytes(await processFirehoseEvent(alone, () => ok(new Uint8Array(900)), LIFTED));
    const fits: boolean[] = [];
    const hook = async (records: readonly OverflowRecord[]) => {
      fits.push(...records.map((o) => o.fitsAlone));
      return [];
    };
    await processFirehoseEvent(event, transform, { maxResponseBytes: exact, onOverflow: hook });
    await processFirehoseEvent(event, transform, { maxResponseBytes: exact - 1, onOverflow: hook });
    expect(fits).toEqual([true, false]);
  });
});

describe('the output budget', () => {
  it('calls an output not built "too large even alone" while the budget left still covers a whole response', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const event = firehoseEvent(['a']);
    const max = 10_000;
    const cap = maxOutputBytes(event.records[0]!.recordId.length + 2, max);
    for (const budget of [cap, cap - 1]) {
      await processFirehoseEvent(event, () => outputTooLarge(), {
        maxResponseBytes: max,
        outputBudgetBytes: budget,
      });
    }
    const reasons = warn.mock.calls
      .filter((c) => c[0] === 'Record answered ProcessingFailed')
      .map((c) => (c[1] as { reason: string }).reason);
    expect(reasons).toEqual([
      'output does not fit in the 10000-byte response even alone (not built)',
      "output does not fit in the 10000-byte response (not built: the invocation's output budget was spent)",
    ]);
  });
});
