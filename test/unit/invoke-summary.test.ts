/** The closing line of `npm run invoke` (scripts/lib/invoke-summary.ts). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { invokeSummary, lastJsonDocument } from '../../scripts/lib/invoke-summary';

const kinesisEvent = JSON.parse(readFileSync('events/kinesis-to-s3.json', 'utf8')) as {
  Records: Array<{ kinesis: { sequenceNumber: string } }>;
};
const sequence = (i: number) => kinesisEvent.Records[i]!.kinesis.sequenceNumber;
const printed = (result: unknown) =>
  `{"level":"ERROR","message":"PutObject failed"}\n{"_aws":{"Timestamp":1}}\n${JSON.stringify(result, null, 4)}\n`;

describe('lastJsonDocument', () => {
  it('finds the result after JSON log lines, and nothing when there is none', () => {
    expect(lastJsonDocument(printed({ batchItemFailures: [] }))).toEqual({ batchItemFailures: [] });
    expect(lastJsonDocument('{"level":"INFO"}\nno result\n')).toBeUndefined();
    expect(lastJsonDocument('')).toBeUndefined();
  });
});

describe('invokeSummary', () => {
  const total = kinesisEvent.Records.length;

  it('says when every record of a Kinesis batch failed', () => {
    const result = lastJsonDocument(printed({ batchItemFailures: [{ itemIdentifier: sequence(0) }] }));
    expect(invokeSummary('kinesis-to-s3', kinesisEvent, result)).toEqual({
      text: `kinesis-to-s3: all ${total} records failed, none processed; Lambda would retry the whole batch (the ERROR lines above say why)`,
      allFailed: true,
    });
  });

  it('counts a partial failure from the first failed sequence number on', () => {
    const summary = invokeSummary('kinesis-to-s3', kinesisEvent, {
      batchItemFailures: [{ itemIdentifier: sequence(total - 1) }],
    });
    expect(summary).toEqual({
      text: `kinesis-to-s3: ${total - 1} of ${total} records processed; Lambda would retry the other 1 (batchItemFailures)`,
      allFailed: false,
    });
    expect(invokeSummary('kinesis-to-s3', kinesisEvent, { batchItemFailures: [] })?.allFailed).toBe(false);
  });

  it('counts Firehose results, and says when all are ProcessingFailed', () => {
    const records = (...results: string[]) => ({
      records: results.map((result) => ({ recordId: 'x', result })),
    });
    expect(invokeSummary('f', {}, records('Ok', 'Dropped', 'ProcessingFailed'))).toEqual({
      text: 'f: 3 records: 1 Ok, 1 Dropped, 1 ProcessingFailed',
      allFailed: false,
    });
    expect(invokeSummary('f', {}, records('ProcessingFailed', 'ProcessingFailed'))?.text).toBe(
      'f: all 2 records ProcessingFailed, none transformed (the WARN lines above say why)',
    );
  });

  it('reports a thrown handler, and stays quiet on other results', () => {
    expect(invokeSummary('f', {}, { errorMessage: 'boom', errorType: 'TypeError' })).toEqual({
      text: 'f: the handler threw (TypeError: boom)',
      allFailed: true,
    });
    expect(invokeSummary('shard-autoscaler', {}, { outcomes: [] })).toBeUndefined();
    expect(invokeSummary('f', {}, undefined)).toBeUndefined();
  });
});
