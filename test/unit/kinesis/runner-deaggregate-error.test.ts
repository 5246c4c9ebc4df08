/**
 * An unexpected error from de-aggregation (a defect, not bad input: anything but KplInputError) must fail the
 * invocation, so Lambda retries the whole batch; it must not be dead-lettered and acknowledged like poison.
 * De-aggregation is made to throw by replacing shared/kpl's deaggregate for one marked record.
 */
import { describe, expect, it, vi } from 'vitest';
import { processKinesisEvent } from '../../../shared/kinesis/runner';
import type { DeadLetterEntry, SinkItem } from '../../../shared/kinesis/types';
import type * as Kpl from '../../../shared/kpl';
import { plainEvent } from '../../support/kinesis-events';

const MARKER = 'explode';

vi.mock('../../../shared/kpl', async (importOriginal) => {
  const original = await importOriginal<typeof Kpl>();
  return {
    ...original,
    deaggregate: (input: Parameters<typeof Kpl.deaggregate>[0]) => {
      if (input.partitionKey === MARKER) throw new RangeError('a bug in the decoder');
      return original.deaggregate(input);
    },
  };
});

describe('an unexpected error from de-aggregation', () => {
  it('is thrown (the whole batch is retried), not dead-lettered and acknowledged', async () => {
    const input = plainEvent(['{"a":1}', '{"a":2}']);
    input.Records[1]!.kinesis.partitionKey = MARKER;
    const written: SinkItem<string>[] = [];
    const deadLetters: DeadLetterEntry[] = [];
    const run = processKinesisEvent(input, {
      format: 'json',
      transform: ({ text }) => text,
      sink: {
        write: async (items) => {
          written.push(...items);
          return { failed: [] };
        },
      },
      deadLetter: { write: async (entries) => void deadLetters.push(...entries) },
    });
    await expect(run).rejects.toThrow(new RangeError('a bug in the decoder'));
    expect(deadLetters).toEqual([]);
    expect(written).toEqual([]);
  });

  it('a KplInputError from the same place is poison: dead-lettered, the batch acknowledged', async () => {
    const input = plainEvent(['{"a":1}', '%% not base64'], { raw: true });
    input.Records[0]!.kinesis.data = Buffer.from('{"a":1}').toString('base64');
    const deadLetters: DeadLetterEntry[] = [];
    const { response } = await processKinesisEvent(input, {
      format: 'json',
      transform: ({ text }) => text,
      sink: { write: async () => ({ failed: [] }) },
      deadLetter: { write: async (entries) => void deadLetters.push(...entries) },
    });
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.map((e) => e.errorName)).toEqual(['KplInputError']);
  });
});
