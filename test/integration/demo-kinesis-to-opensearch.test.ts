/** `npm start`'s kinesis-to-opensearch demo (scripts/demo/kinesis-to-opensearch.ts): counts add up, 100 columns. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { demo } from '../../scripts/demo/kinesis-to-opensearch';
import type { Emulators } from '../support/emulators';
import { type OpenSearchFake, startOpenSearchFake } from '../support/opensearch-fake';

let fake: OpenSearchFake;
const savedEndpoint = process.env.OPENSEARCH_ENDPOINT;
beforeAll(async () => {
  fake = await startOpenSearchFake({ service: 'es', region: 'us-east-1' });
  process.env.OPENSEARCH_ENDPOINT = fake.endpoint;
});
afterAll(async () => {
  process.env.OPENSEARCH_ENDPOINT = savedEndpoint;
  await fake.close();
});
afterEach(() => vi.restoreAllMocks());

describe('kinesis-to-opensearch demo output', () => {
  it('says the OpenSearch is a fake, indexes every record once, dead-letters the two bad ones, fits 100 columns', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(...args.map(String).join(' ').split('\n'));
    });
    vi.spyOn(console, 'table').mockImplementation(() => {
      throw new Error('console.table adds an (index) column');
    });
    await demo({ emulators: { opensearch: fake } as unknown as Emulators, outputDir: '.local' });
    expect(lines.filter((line) => line.length > 100)).toEqual([]);
    expect(lines[0]).toContain('FAKE');
    expect(lines).toContain('Indexed 3000/3000 records, each once by its id; dead-lettered 2/2:');
    expect(
      lines.some((line) => /mapper_parsing_exception\s+failed to parse field \[latencyMs\]/.test(line)),
    ).toBe(true);
    expect(lines.some((line) => /RecordDecodeError\s+data is not valid JSON/.test(line))).toBe(true);
    expect(Math.max(...[...fake.writes.values()])).toBe(1);
  }, 120_000);
});
