import { describe, expect, it } from 'vitest';
import {
  fifoId,
  fitSubject,
  planBatches,
  prepareEntries,
  SNS_MAX_REQUEST_BYTES,
  truncateMessage,
} from '../../../shared/sinks/sns';

describe('SNS limits', () => {
  it('fits subjects: printable ASCII, one line, at most 100 characters', () => {
    expect(fitSubject('Disk full on web-1')).toBe('Disk full on web-1');
    expect(fitSubject('  line one\r\nline two\ttab ')).toBe('line one line two tab');
    expect(fitSubject('héllo ✓')).toBe('h?llo ?');
    expect(fitSubject('x'.repeat(150))).toBe(`${'x'.repeat(97)}...`);
    expect(fitSubject('x'.repeat(100))).toBe('x'.repeat(100));
    expect(fitSubject('Disk   full\r\n\r\non  web-1')).toBe('Disk full on web-1');
    // A cut that ends in spaces drops them before the "...".
    expect(fitSubject(`${'x'.repeat(96)} ${'y'.repeat(10)}`)).toBe(`${'x'.repeat(96)}...`);
    expect(fitSubject(' \n ')).toBeUndefined();
    expect(fitSubject(undefined)).toBeUndefined();
  });

  it('truncates on a UTF-8 boundary with a visible marker, within the byte budget', () => {
    const message = 'ab€'.repeat(1000); // 5 bytes each
    for (const budget of [100, 101, 102, 103, 500]) {
      const cut = truncateMessage(message, budget);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(budget);
      expect(cut).toMatch(/\n\[truncated: \d+ of 5000 bytes not shown\]$/);
      expect(cut).not.toContain('\uFFFD');
      const kept = cut.slice(0, cut.indexOf('\n[truncated'));
      expect(message.startsWith(kept)).toBe(true);
      expect(cut).toContain(`[truncated: ${5000 - Buffer.byteLength(kept)} of 5000`);
    }
    expect(truncateMessage('short', 100)).toBe('short');
    expect(truncateMessage('a€', 4)).toBe('a€');
  });

  it('makes any text a valid FIFO id', () => {
    expect(fifoId('web-1')).toBe('web-1');
    expect(fifoId('a b\u00e9')).toBe('a_b_');
    expect(fifoId('')).toBe('-');
    expect(fifoId('x'.repeat(128))).toBe('x'.repeat(128));
    const long = fifoId('x'.repeat(500));
    expect(long).toHaveLength(128);
    expect(long).toMatch(/^x+~[0-9a-f]{32}$/);
    expect(fifoId('x'.repeat(500))).toBe(long);
    expect(fifoId(`${'x'.repeat(499)}y`)).not.toBe(long);
  });

  it('plans batches of at most 10 entries within the request limit, in order', () => {
    const small = Array.from({ length: 23 }, (_, i) => ({ message: `m${i}`, attributes: { rule: 'r' } }));
    const batches = planBatches(prepareEntries(small, SNS_MAX_REQUEST_BYTES), SNS_MAX_REQUEST_BYTES);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat().map((e) => e.index)).toEqual(small.map((_, i) => i));

    const big = [100_000, 100_000, 100_000, 300_000, 10].map((n) => ({
      message: 'x'.repeat(n),
      subject: 's',
    }));
    const prepared = prepareEntries(big, SNS_MAX_REQUEST_BYTES);
    expect(prepared[3]!.bytes).toBeLessThanOrEqual(SNS_MAX_REQUEST_BYTES);
    expect(prepared[3]!.entry.Message).toMatch(/\[truncated: \d+ of 300000 bytes not shown\]$/);
    const planned = planBatches(prepared, SNS_MAX_REQUEST_BYTES);
    expect(planned.map((b) => b.map((e) => e.index))).toEqual([[0, 1], [2], [3], [4]]);
    for (const batch of planned)
      expect(batch.reduce((n, e) => n + e.bytes, 0)).toBeLessThanOrEqual(SNS_MAX_REQUEST_BYTES);
  });

  it('counts subject, attributes and FIFO ids toward the size', () => {
    const [entry] = prepareEntries(
      [
        {
          message: 'm',
          subject: 'sub',
          attributes: { rule: 'r', count: 2 },
          groupId: 'g',
          deduplicationId: 'd',
        },
      ],
      SNS_MAX_REQUEST_BYTES,
    );
    // m + sub + (rule String r) + (count Number 2) + g + d
    expect(entry!.bytes).toBe(1 + 3 + (4 + 6 + 1) + (5 + 6 + 1) + 1 + 1);
    expect(entry!.entry.MessageAttributes).toEqual({
      rule: { DataType: 'String', StringValue: 'r' },
      count: { DataType: 'Number', StringValue: '2' },
    });
  });

  it('leaves out empty string attributes (SNS refuses them), and MessageAttributes when none is left', () => {
    const [some, none] = prepareEntries(
      [
        { message: 'm', attributes: { empty: '', rule: 'r', zero: 0 } },
        { message: 'm', attributes: { empty: '' } },
      ],
      SNS_MAX_REQUEST_BYTES,
    );
    expect(some!.entry.MessageAttributes).toEqual({
      rule: { DataType: 'String', StringValue: 'r' },
      zero: { DataType: 'Number', StringValue: '0' },
    });
    expect(none!.entry).toEqual({ Message: 'm' });
    expect(none!.bytes).toBe(1);
  });

  it('sends a message that fills the request exactly, alone, uncut', () => {
    const [entry] = prepareEntries([{ message: 'x'.repeat(1000) }], 1000);
    expect(entry!.entry.Message).toBe('x'.repeat(1000));
    expect(entry!.bytes).toBe(1000);
  });

  it('plans no batch for no entries, an entry of the whole limit alone, and entries that fill it exactly together', () => {
    expect(planBatches([], SNS_MAX_REQUEST_BYTES)).toEqual([]);
    const entries = prepareEntries(
      ['x'.repeat(1000), 'y'.repeat(400), 'z'.repeat(600), 'w'].map((message) => ({ message })),
      1000,
    );
    expect(planBatches(entries, 1000).map((batch) => batch.map((e) => e.index))).toEqual([[0], [1, 2], [3]]);
    // Its subject alone over the limit: the entry still goes, alone (SNS refuses it), after no empty batch.
    const over = prepareEntries([{ message: 'm', subject: 's'.repeat(50) }, { message: 'n' }], 20);
    expect(over[0]!.bytes).toBeGreaterThan(20);
    expect(planBatches(over, 20).map((batch) => batch.map((e) => e.index))).toEqual([[0], [1]]);
  });
});
