/** Key templates: the edges that mutation testing showed unpinned (npm run mutate sinks). */
import { describe, expect, it } from 'vitest';
import type { RecordCoordinates } from '../../../shared/kinesis/types';
import { compileKeyTemplate } from '../../../shared/sinks/key-template';

const at = (sequenceNumber: string, shardId = 'shardId-000000000001'): RecordCoordinates => ({
  stream: 'orders',
  shardId,
  sequenceNumber,
  subSequenceNumber: 0,
  partitionKey: 'pk',
  approximateArrivalTimestamp: Date.UTC(2026, 0, 2, 3, 4, 5),
});

describe('compileKeyTemplate', () => {
  it('refuses a template with {shardId} but no {firstSeq}, and one with {firstSeq} but no {shardId}', () => {
    // Either alone lets two objects get the same key: two batches of one shard, or the same positions on two shards.
    const collision = /must contain \{shardId\} and \{firstSeq\}/;
    expect(() => compileKeyTemplate('{prefix}/{shardId}/{lastSeq}')).toThrow(collision);
    expect(() => compileKeyTemplate('{prefix}/{firstSeq}-{lastSeq}')).toThrow(collision);
    expect(() => compileKeyTemplate('{shardId}{firstSeq}')).not.toThrow();
  });

  it('names every known token when refusing an unknown one', () => {
    expect(() => compileKeyTemplate('{shardId}/{firstSeq}/{day}')).toThrow(
      new TypeError(
        'unknown token {day}; known: {prefix} {yyyy} {MM} {dd} {HH} {mm} {stream} {shardId} {firstSeq} {lastSeq} {ext}',
      ),
    );
  });

  it('drops every leading slash, not only the first', () => {
    const key = compileKeyTemplate('{prefix}//{shardId}/{firstSeq}')({
      prefix: '',
      ext: '',
      first: at('7'),
      last: at('9'),
    });
    expect(key).toBe('shardId-000000000001/7');
  });

  it('keys of adjacent tokens and literal braces-free text render in order', () => {
    const key = compileKeyTemplate('{yyyy}{MM}{dd}{HH}{mm}-{shardId}{firstSeq}{lastSeq}{ext}')({
      prefix: 'p',
      ext: '.x',
      first: at('1', 'shardId-2'),
      last: at('3', 'shardId-2'),
    });
    expect(key).toBe('202601020304-shardId-213.x');
  });
});
