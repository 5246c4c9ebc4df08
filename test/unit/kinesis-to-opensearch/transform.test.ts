/** kinesis-to-opensearch's transform: index, id and source of one record; shapes it refuses. */
import { describe, expect, it } from 'vitest';
import { toBulkDocument } from '../../../functions/kinesis-to-opensearch/transform';
import type { ConsumerRecord } from '../../../shared/kinesis/types';
import { compileIndexTemplate } from '../../../shared/sinks/opensearch';

const ARRIVAL = Date.UTC(2026, 11, 1, 23, 59, 59);
const options = {
  indexName: compileIndexTemplate('logs-%Y.%m.%d'),
  timeField: undefined,
  idField: undefined,
};

function record(text: string): ConsumerRecord<unknown> {
  return {
    coordinates: {
      stream: 'app-logs',
      shardId: 'shardId-000000000001',
      sequenceNumber: '49659',
      subSequenceNumber: 2,
      partitionKey: 'k',
      approximateArrivalTimestamp: ARRIVAL,
    },
    data: Buffer.from(text),
    value: JSON.parse(text),
    text,
  };
}

describe('toBulkDocument', () => {
  it('keeps the record text (whitespace framing aside) and names the index from the arrival time', () => {
    const text = ' {"big": 12345678901234567890,\n "x": 0.50}\n';
    expect(toBulkDocument(record(text), options)).toEqual({
      index: 'logs-2026.12.01',
      id: 'shardId-000000000001-49659-2',
      source: '{"big": 12345678901234567890,  "x": 0.50}',
    });
  });

  it('uses the record time field (ISO 8601 or epoch ms) and falls back to the arrival time', () => {
    const withTime = { ...options, timeField: ['event', 'at'] };
    expect(toBulkDocument(record('{"event":{"at":"2025-02-03T04:05:06+02:00"}}'), withTime).index).toBe(
      'logs-2025.02.03',
    );
    expect(toBulkDocument(record('{"event":{"at":1700000000000}}'), withTime).index).toBe('logs-2023.11.14');
    expect(toBulkDocument(record('{"event":{"at":"yesterday"}}'), withTime).index).toBe('logs-2026.12.01');
    expect(toBulkDocument(record('{"event":null}'), withTime).index).toBe('logs-2026.12.01');
  });

  it('takes only ISO 8601 time strings: other dates Date.parse would accept fall back to the arrival time', () => {
    const withTime = { ...options, timeField: ['at'] };
    const indexOf = (at: unknown) => toBulkDocument(record(JSON.stringify({ at })), withTime).index;
    expect(indexOf('2025-02-03')).toBe('logs-2025.02.03');
    for (const at of ['Tue, 03 Feb 2025 04:05:06 GMT', 'on 2025-02-03', '2025-02-3', ['2025-02-03'], true]) {
      expect(indexOf(at)).toBe('logs-2026.12.01');
    }
  });

  it('finds nothing on a path through a string (a string has no fields, not even length)', () => {
    const withTime = { ...options, timeField: ['event', 'length'] };
    expect(toBulkDocument(record('{"event":"1700000000000"}'), withTime).index).toBe('logs-2026.12.01');
    const byId = { ...options, idField: ['order', 'length'] };
    expect(() => toBulkDocument(record('{"order":"abc"}'), byId)).toThrow(
      'the id field order.length is missing',
    );
  });

  it('refuses an id that is an array, an object or a boolean, naming what it got', () => {
    const byId = { ...options, idField: ['id'] };
    for (const [id, got] of [
      ['[1]', 'array'],
      ['{"a":1}', 'object'],
      ['true', 'boolean'],
      ['null', 'object'],
    ]) {
      expect(() => toBulkDocument(record(`{"id":${id}}`), byId)).toThrow(
        `the id field id must be a string or an integer up to 2^53 (got ${got})`,
      );
    }
  });

  it('accepts an id of exactly 512 bytes, counted in UTF-8 bytes, not characters', () => {
    const byId = { ...options, idField: ['id'] };
    for (const id of ['x'.repeat(512), 'é'.repeat(256)]) {
      expect(toBulkDocument(record(JSON.stringify({ id })), byId).id).toBe(id);
    }
    expect(() => toBulkDocument(record(JSON.stringify({ id: 'é'.repeat(257) })), byId)).toThrow(
      "the id field id is over OpenSearch's 512-byte _id limit",
    );
  });

  it('takes the id from a business key field', () => {
    const byId = { ...options, idField: ['order', 'id'] };
    expect(toBulkDocument(record('{"order":{"id":"o-1"}}'), byId).id).toBe('o-1');
    expect(toBulkDocument(record('{"order":{"id":42}}'), byId).id).toBe('42');
    expect(() => toBulkDocument(record('{"order":{}}'), byId)).toThrow('the id field order.id is missing');
    expect(() => toBulkDocument(record('{"order":{"id":""}}'), byId)).toThrow('is empty');
    expect(() => toBulkDocument(record('{"order":{"id":1.5}}'), byId)).toThrow(
      'must be a string or an integer up to 2^53 (got number)',
    );
    expect(() => toBulkDocument(record('{"order":{"id":12345678901234567890}}'), byId)).toThrow('up to 2^53');
    expect(() => toBulkDocument(record(`{"order":{"id":"${'x'.repeat(513)}"}}`), byId)).toThrow('512-byte');
  });

  it('refuses a JSON value that is not an object (OpenSearch would too)', () => {
    expect(() => toBulkDocument(record('[1]'), options)).toThrow(
      'must be a JSON object (the record is an array)',
    );
    expect(() => toBulkDocument(record('"x"'), options)).toThrow('(the record is a string)');
    expect(() => toBulkDocument(record('null'), options)).toThrow('(the record is null)');
  });
});
