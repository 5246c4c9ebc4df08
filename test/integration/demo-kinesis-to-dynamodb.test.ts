/** `npm start`'s kinesis-to-dynamodb demo (scripts/demo/kinesis-to-dynamodb.ts): counts add up, 100 columns. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { demo } from '../../scripts/demo/kinesis-to-dynamodb';
import type { Emulators } from '../support/emulators';

afterEach(() => vi.restoreAllMocks());

describe('kinesis-to-dynamodb demo output', () => {
  it('lands every reading once, dead-letters the poison with reasons, and fits 100 columns', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(...args.map(String).join(' ').split('\n'));
    });
    vi.spyOn(console, 'table').mockImplementation(() => {
      throw new Error('console.table adds an (index) column');
    });
    await demo({ emulators: {} as Emulators, outputDir: '.local' });
    expect(lines.filter((line) => line.length > 100)).toEqual([]);
    expect(lines).toContain(
      '2000/2000 readings landed (one item per key); 2/2 poison records dead-lettered.',
    );
    expect(lines).toContain(
      '  dead letter: MissingKeyFieldError: the partition key field "deviceId" is missing',
    );
    // The 20-digit counter as stored: exact.
    expect(lines.some((line) => line.includes('12345678901234567890'))).toBe(true);
    // 2,000 records through dynalite: seconds alone, much longer beside the rest of the suite on 2 cores.
  }, 120_000);
});
