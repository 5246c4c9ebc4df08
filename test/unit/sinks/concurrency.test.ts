import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../../shared/sinks/concurrency';

describe('mapWithConcurrency', () => {
  it('returns every result in input order, with at most `limit` tasks in flight', async () => {
    for (const [limit, expected] of [
      [1, 1],
      [3, 3],
      [100, 7],
    ] as const) {
      let active = 0;
      let peak = 0;
      const results = await mapWithConcurrency([5, 4, 3, 2, 1, 0, 6], limit, async (value, index) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setTimeout(resolve, value));
        active--;
        return `${index}:${value}`;
      });
      expect(results).toEqual(['0:5', '1:4', '2:3', '3:2', '4:1', '5:0', '6:6']);
      expect(peak).toBe(expected);
    }
  });

  it('runs one task at a time when the limit is under 1, instead of none (nothing is left undone)', async () => {
    for (const limit of [0, -2, 0.5]) {
      const seen: number[] = [];
      const results = await mapWithConcurrency([1, 2, 3], limit, async (value) => {
        seen.push(value);
        return value * 10;
      });
      expect(results).toEqual([10, 20, 30]);
      expect(seen).toEqual([1, 2, 3]);
    }
  });

  it('returns an empty array for no items, without calling the task', async () => {
    let calls = 0;
    expect(await mapWithConcurrency([], 4, async () => ++calls)).toEqual([]);
    expect(calls).toBe(0);
  });

  it('rejects with the first task error', async () => {
    await expect(
      mapWithConcurrency([1, 2], 2, async (value) => {
        if (value === 2) throw new Error('boom');
        return value;
      }),
    ).rejects.toThrow('boom');
  });
});
