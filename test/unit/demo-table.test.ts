/** The demos' plain tables (scripts/lib/table.ts): no index column, aligned, sequence numbers shortened. */
import { describe, expect, it } from 'vitest';
import { shortenDigits, table } from '../../scripts/lib/table';

describe('table', () => {
  it('aligns columns, numbers to the right, blanks for missing cells', () => {
    expect(
      table([
        { shard: 'shardId-000000000000', records: 5, note: 'x' },
        { shard: 'shardId-000000000001', records: 1234 },
      ]).split('\n'),
    ).toEqual([
      '  shard                 records  note',
      '  shardId-000000000000        5  x',
      '  shardId-000000000001    1,234',
    ]);
  });
});

describe('shortenDigits', () => {
  it('keeps the ends of sequence numbers and leaves short numbers alone', () => {
    const key =
      'orders/2026/12/01/15/s-shardId-000000000000-49680741113595374061697282460833408347265680711413137410-4968_550.ndjson.gz';
    expect(shortenDigits(key)).toBe(
      'orders/2026/12/01/15/s-shardId-000000000000-4968…7410-4968_550.ndjson.gz',
    );
  });
});
