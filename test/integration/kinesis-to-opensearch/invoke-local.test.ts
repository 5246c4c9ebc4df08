/**
 * `serverless invoke local` for kinesis-to-opensearch with events/kinesis-to-opensearch.json: the bundled handler in
 * a child process, the real client and signer, against the wire-level OpenSearch fake started here (no OpenSearch
 * server can run on these machines).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deaggregate } from '../../../shared/kpl';
import { type OpenSearchFake, startOpenSearchFake } from '../../support/opensearch-fake';
import { lastJson, runServerless } from '../../support/serverless-cli';

let fake: OpenSearchFake;
beforeAll(async () => {
  fake = await startOpenSearchFake({ service: 'es', region: 'us-east-1' });
});
afterAll(() => fake.close());

const command = [
  'invoke',
  'local',
  '--function',
  'kinesis-to-opensearch',
  '--path',
  'events/kinesis-to-opensearch.json',
];

describe('serverless invoke local: kinesis-to-opensearch', () => {
  it('indexes the sample event (8 log records in KPL aggregates) into the fake, each under its deterministic id', async () => {
    // process.env already points the SDK at the emulators (global setup); the child inherits it.
    const result = await runServerless(command, {
      OPENSEARCH_ENDPOINT: fake.endpoint,
      OPENSEARCH_DEAD_LETTER_BUCKET: 'invoke-local-os-dlq',
      OPENSEARCH_TIME_FIELD: '@timestamp',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(lastJson(result.stdout)).toEqual({ batchItemFailures: [] });

    const event = JSON.parse(readFileSync('events/kinesis-to-opensearch.json', 'utf8'));
    const expected = new Map<string, string>();
    for (const { kinesis, eventID } of event.Records) {
      const shardId = eventID.split(':')[0];
      for (const user of deaggregate({ ...kinesis, approximateArrivalTimestamp: 0 })) {
        const text = Buffer.from(user.data).toString('utf8');
        expected.set(`logs-2025.11.30/${shardId}-${kinesis.sequenceNumber}-${user.subSequenceNumber}`, text);
      }
    }
    expect(expected.size).toBe(8);
    // The records' @timestamp (2025-11-30T23:59:58Z onwards) names the index, not their arrival (2025-12-01).
    expect(fake.all()).toEqual(expected);
    expect(fake.requests.map((request) => [request.path, request.status, request.refused])).toEqual([
      ['/_bulk', 200, undefined],
    ]);
  });

  it('stops at once, naming the variables a local run must set', async () => {
    const result = await runServerless(command, { OPENSEARCH_DEAD_LETTER_BUCKET: undefined });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(
      /kinesis-to-opensearch: set OPENSEARCH_DEAD_LETTER_BUCKET for a local run/,
    );
  });
});
