/** `npm start`'s shard-autoscaler demo (scripts/demo/shard-autoscaler.ts): readable at 100 columns, no console.table. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { demo } from '../../scripts/demo/shard-autoscaler';
import type { Emulators } from '../support/emulators';

afterEach(() => vi.restoreAllMocks());

describe('shard-autoscaler demo output', () => {
  it('fits 100 columns and prints both decisions in a plain table', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(...args.map(String).join(' ').split('\n'));
    });
    vi.spyOn(console, 'table').mockImplementation(() => {
      throw new Error('console.table adds an (index) column');
    });
    const kinesis = process.env.AWS_ENDPOINT_URL_KINESIS!;
    await demo({ emulators: { endpoints: { kinesis } } as unknown as Emulators, outputDir: '.local' });
    expect(lines.filter((line) => line.length > 100)).toEqual([]);
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}stream +trigger +offered MiB\/s +shards +decision/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}demo-clicks +SNS: scale-up +3 +2 +2 -> 4 /));
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}demo-audit +EventBridge: scale-down +0\.3 +6 +6 -> 3 /),
    );
    // The decision's full reason, wrapped rather than cut.
    expect(lines.join(' ')).toMatch(/demo-audit: would scale down 6 -> 3: .* at least half of current \(3\)/);
  });
});
