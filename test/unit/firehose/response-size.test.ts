/** maxOutputBytes is exact: the largest output whose Ok entry fits a response alone (npm run mutate firehose). */
import { describe, expect, it } from 'vitest';
import { jsonStringBytes, maxOutputBytes, responseBytes } from '../../../shared/firehose/response-size';

const response = (recordId: string, bytes: number) => ({
  records: [{ recordId, result: 'Ok' as const, data: Buffer.alloc(bytes, 0x61).toString('base64') }],
});

describe('maxOutputBytes', () => {
  it('an output of maxOutputBytes fits the response limit, three bytes more (one base64 group) do not', () => {
    for (const recordId of ['r', 'record-000000', 'quoted "id" \\ é']) {
      for (let limit = 150; limit < 170; limit++) {
        const most = maxOutputBytes(jsonStringBytes(recordId), limit);
        expect(responseBytes(response(recordId, most)), `${recordId} within ${limit}`).toBeLessThanOrEqual(
          limit,
        );
        expect(responseBytes(response(recordId, most + 3)), `${recordId} within ${limit}`).toBeGreaterThan(
          limit,
        );
      }
    }
  });

  it('is 0 when not even an empty output fits, never negative', () => {
    expect(maxOutputBytes(jsonStringBytes('id'), 10)).toBe(0);
  });
});
