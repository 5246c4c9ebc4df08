/** The OpenSearch sink's pure parts: index templates, ids, bulk lines and packing, reasons without payload. */
import { describe, expect, it } from 'vitest';
import {
  bulkLines,
  compileIndexTemplate,
  documentId,
  planBulkRequests,
  safeReason,
} from '../../../shared/sinks/opensearch';

describe('compileIndexTemplate', () => {
  it('renders strftime-style UTC tokens', () => {
    const at = Date.UTC(2026, 11, 1, 7, 30);
    expect(compileIndexTemplate('logs-%Y.%m.%d')(at)).toBe('logs-2026.12.01');
    expect(compileIndexTemplate('app-%Y-%m-%d-%H')(at)).toBe('app-2026-12-01-07');
    expect(compileIndexTemplate('static')(at)).toBe('static');
    expect(compileIndexTemplate('pct-%%-%Y')(at)).toBe('pct-%-2026');
  });

  it('refuses unknown tokens and templates that cannot make a valid index name', () => {
    expect(() => compileIndexTemplate('logs-%q')).toThrow('unknown token %q; known: %Y %m %d %H %%');
    expect(() => compileIndexTemplate('logs-%')).toThrow('a lone %');
    expect(() => compileIndexTemplate('Logs-%Y')).toThrow('is not a valid index name');
    expect(() => compileIndexTemplate('_logs')).toThrow('is not a valid index name');
    expect(() => compileIndexTemplate('logs %Y')).toThrow('is not a valid index name');
    expect(() => compileIndexTemplate('logs/%Y')).toThrow('is not a valid index name');
  });
});

describe('documentId and bulkLines', () => {
  const coordinates = {
    stream: 's',
    shardId: 'shardId-000000000002',
    sequenceNumber: '4965',
    subSequenceNumber: 7,
    partitionKey: 'k',
    approximateArrivalTimestamp: 0,
  };

  it('makes the id from shard, sequence and subsequence', () => {
    expect(documentId(coordinates)).toBe('shardId-000000000002-4965-7');
  });

  it('writes an index action and the source unchanged, each line ending with a newline', () => {
    expect(bulkLines({ index: 'logs', id: 'a"b', source: '{"n":1.50}' })).toBe(
      '{"index":{"_index":"logs","_id":"a\\"b"}}\n{"n":1.50}\n',
    );
  });
});

describe('planBulkRequests', () => {
  it('packs in order under the byte cap: ceil(bytes/cap) requests for equal lines', () => {
    const sizes = Array(100).fill(100);
    const plan = planBulkRequests(sizes, 1_000, 10_000);
    expect(plan).toHaveLength(10);
    expect(plan.flat()).toEqual(sizes.map((_, i) => i));
  });

  it('honours the count cap, and sends a line larger than the cap alone', () => {
    expect(planBulkRequests([1, 1, 1, 1, 1], 1_000, 2)).toEqual([[0, 1], [2, 3], [4]]);
    expect(planBulkRequests([10, 5_000, 10], 1_000, 100)).toEqual([[0], [1], [2]]);
    expect(planBulkRequests([], 1_000, 100)).toEqual([]);
  });
});

describe('safeReason', () => {
  it("cuts OpenSearch's preview of the field's value", () => {
    expect(
      safeReason(
        "failed to parse field [latencyMs] of type [long] in document with id 'x-1'. Preview of field's value: 'card 4111'",
      ),
    ).toBe("failed to parse field [latencyMs] of type [long] in document with id 'x-1'");
  });

  it("hides a date parser's echo of the value and Jackson's source excerpt", () => {
    expect(
      safeReason(
        'failed to parse date field [31/12/2026 secret] with format [strict_date_optional_time||epoch_millis]',
      ),
    ).toBe('failed to parse date field […] with format [strict_date_optional_time||epoch_millis]');
    expect(
      safeReason(
        'Unexpected character (\'x\' (code 120)): was expecting comma\n at [Source: (byte[])"{secret}"; line: 1]',
      ),
    ).toBe("Unexpected character ('x' (code 120)): was expecting comma");
    expect(safeReason('For input string: "secret-42"')).toBe('For input string: […]');
  });

  it('caps the length and copes with a missing reason', () => {
    expect(safeReason('x'.repeat(1_000))).toHaveLength(300);
    expect(safeReason(undefined)).toBe('');
  });
});
