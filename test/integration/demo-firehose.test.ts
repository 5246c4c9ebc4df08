/** `npm start`'s Firehose demo (scripts/demo/firehose.ts): readable at 100 columns, deliberate failures labelled. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { demo } from '../../scripts/demo/firehose';
import type { Emulators } from '../support/emulators';

afterEach(() => vi.restoreAllMocks());

describe('Firehose demo output', () => {
  it('fits 100 columns and labels each sample event’s deliberate bad input', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(...args.map(String).join(' ').split('\n'));
    });
    vi.spyOn(console, 'table').mockImplementation(() => {
      throw new Error('console.table adds an (index) column');
    });
    await demo({ emulators: {} as Emulators, outputDir: '.local' });
    expect(lines.filter((line) => line.length > 100)).toEqual([]);
    const rows = lines.filter((line) => /^ {2}[a-z-]+ +\d+ +\d+ +\d+ +\d+ /.test(line));
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const row of rows) {
      const [, , , dropped, failed] = row.trim().split(/ +/);
      // Every row with Dropped or ProcessingFailed records is the sample's deliberate input, and says so.
      if (dropped !== '0' || failed !== '0') expect(row, row).toMatch(/ \* \S/);
      expect(row).not.toContain('UNEXPECTED');
    }
    expect(lines).toContain(
      "  * deliberate: the sample event holds it to show that path (see the blueprint's README)",
    );
  });
});
