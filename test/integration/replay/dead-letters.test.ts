/**
 * `npm run replay:dead-letters` (scripts/replay/dead-letters.ts) on kinesalite-shaped events + s3rver: kinesis-to-s3
 * dead-letters what its JSON input format refuses; after the "fix" (INPUT_FORMAT=text) the replay delivers what now
 * passes, once, leaves what still fails under the replay prefix with the reason of the new run, keeps KPL
 * sub-records it cannot reproduce exactly, and deletes what it fully handled.
 */
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../../functions/kinesis-to-s3/config';
import { handler } from '../../../functions/kinesis-to-s3/handler';
import { s3Client } from '../../../shared/aws/clients';
import { aggregate } from '../../../shared/kpl';
import { replayDeadLetters } from '../../../scripts/replay/dead-letters';
import { lambdaContext, plainEvent } from '../../support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../support/s3';

const BUCKET = 'replay-dead-letters-it';
const saved = { ...process.env };

function useEnv(values: Record<string, string>) {
  Object.assign(process.env, values);
  config.reset();
}

async function linesUnder(prefix: string): Promise<string[]> {
  const lines: string[] = [];
  for (const key of await listKeys(s3Client(), BUCKET, prefix))
    lines.push(...(await readLines(s3Client(), BUCKET, key)));
  return lines;
}

beforeAll(async () => {
  await createBucket(s3Client(), BUCKET);
  useEnv({
    BUCKET_NAME: BUCKET,
    KEY_PREFIX: 'events',
    INPUT_FORMAT: 'json',
    COMPRESSION: 'none',
    DEAD_LETTER_PREFIX: 'dead-letter',
  });
});

afterAll(() => {
  for (const key of ['BUCKET_NAME', 'KEY_PREFIX', 'INPUT_FORMAT', 'COMPRESSION', 'DEAD_LETTER_PREFIX']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  config.reset();
});

describe('replay of dead letters', () => {
  it('delivers what passes after the fix, once; leaves the rest with the new reason; keeps what it cannot reproduce', async () => {
    const [whole] = aggregate([
      { data: 'bad sub 0', partitionKey: 'a' },
      { data: 'bad sub 1', partitionKey: 'a' },
      { data: '{"id":32}', partitionKey: 'a' },
    ]);
    const [gapped] = aggregate([
      { data: '{"id":40}', partitionKey: 'b' },
      { data: 'bad sub 41', partitionKey: 'b' },
    ]);
    const event = plainEvent([
      '{"id":0}',
      'id=1 is text',
      Uint8Array.from([0xff, 0xfe, 0x41]),
      whole!.data,
      gapped!.data,
    ]);
    const first = (await handler(
      event,
      lambdaContext('kinesis-to-s3') as unknown as Context,
    )) as KinesisStreamBatchResponse;
    expect(first).toEqual({ batchItemFailures: [] });
    const deadLetters = (await linesUnder('dead-letter/')).map((l) => JSON.parse(l));
    expect(deadLetters.map((d) => [d.sequenceNumber.slice(-2), d.subSequenceNumber])).toEqual([
      ['10', 0],
      ['20', 0],
      ['30', 0],
      ['30', 1],
      ['40', 1],
    ]);
    const [originalKey] = await listKeys(s3Client(), BUCKET, 'dead-letter/');

    // Dry run: counts, changes nothing.
    const dry = await replayDeadLetters({
      functionName: 'kinesis-to-s3',
      bucket: BUCKET,
      prefix: 'dead-letter',
      dryRun: true,
    });
    expect(dry).toMatchObject({ objects: 1, recordsRead: 5, recordsDelivered: 0, objectsDeleted: 0 });

    // The fix: these records are text, not JSON.
    useEnv({ INPUT_FORMAT: 'text' });
    const lines: string[] = [];
    const summary = await replayDeadLetters({
      functionName: 'kinesis-to-s3',
      bucket: BUCKET,
      prefix: 'dead-letter',
      replayPrefix: 'dead-letter/replayed-test',
      log: (line) => lines.push(line),
    });
    expect(summary).toMatchObject({
      objects: 1,
      recordsRead: 5,
      recordsDelivered: 3,
      recordsStillFailing: 1,
      recordsNotReplayable: 1,
    });
    expect(lines.at(-1)).toMatch(/records read 5, delivered 3, still failing 1 \| remaining objects 0/);
    expect(lines.some((l) => l.includes('sub 1 (an earlier sub-record'))).toBe(true);

    // Delivered exactly once: the first run's JSON records and the replay's text records, each one time.
    const delivered = (await linesUnder('events/')).sort();
    expect(delivered).toEqual(
      [
        '{"data":"bad sub 0"}',
        '{"data":"bad sub 1"}',
        '{"data":"id=1 is text"}',
        '{"id":0}',
        '{"id":32}',
        '{"id":40}',
      ].sort(),
    );

    // Still failing (not UTF-8): dead-lettered again by the new run, under the replay prefix, with its reason.
    const again = (await linesUnder('dead-letter/replayed-test/')).map((l) => JSON.parse(l));
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ errorName: 'RecordDecodeError', subSequenceNumber: 0 });
    expect(again[0].sequenceNumber).toBe(deadLetters[1].sequenceNumber);

    // The original object now holds only the sub-record that could not be reproduced exactly.
    const left = (await readLines(s3Client(), BUCKET, originalKey!)).map((l) => JSON.parse(l));
    expect(left.map((d) => [d.sequenceNumber.slice(-2), d.subSequenceNumber])).toEqual([['40', 1]]);
  }, 60_000);
});
