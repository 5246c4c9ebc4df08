/** `serverless invoke local` for kinesis-to-dynamodb with events/kinesis-to-dynamodb.json, against the emulators. */
import { describe, expect, it } from 'vitest';
import { dynamoDbClient } from '../../../shared/aws/clients';
import { lastJson, runServerless } from '../../support/serverless-cli';
import { createTable, scanAll } from '../../support/dynamodb';

describe('serverless invoke local: kinesis-to-dynamodb', () => {
  it('runs the sample event through the bundled handler and writes the items to dynalite', async () => {
    const table = 'invoke-local-ddb';
    await createTable(dynamoDbClient(), table);
    // process.env already points the SDK at the emulators (global setup); the child inherits it. The key templates
    // are serverless.yml's defaults (pk={deviceId}, sk={ts}).
    const result = await runServerless(
      ['invoke', 'local', '--function', 'kinesis-to-dynamodb', '--path', 'events/kinesis-to-dynamodb.json'],
      {
        TABLE_NAME: table,
        DEAD_LETTER_BUCKET: 'invoke-local-ddb-dlq',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    );
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(lastJson(result.stdout)).toEqual({ batchItemFailures: [] });
    const items = await scanAll(dynamoDbClient(), table);
    expect(items.map((item) => `${item.pk!.S} ${item.sk!.S} ${item.counter!.N}`).sort()).toEqual([
      'd-1 1763776790000 12345678901234567890',
      'd-1 1763776791000 12345678901234567892',
      'd-2 1763776790000 12345678901234567891',
      'd-2 1763776791000 12345678901234567893',
      'd-3 1763776790000 98765432109876543210.5',
      'd-4 1763776790000 7',
    ]);
    const [d2] = items.filter((item) => item.pk!.S === 'd-2' && item.sk!.S === '1763776791000');
    expect(d2!.temperature).toEqual({ N: '0.1000000000000000055511151231257827' });
    expect(d2!.note).toEqual({ S: '' });
  });

  it('stops at once, naming the variables a local run must set', async () => {
    const result = await runServerless(
      ['invoke', 'local', '--function', 'kinesis-to-dynamodb', '--path', 'events/kinesis-to-dynamodb.json'],
      { TABLE_NAME: undefined, DEAD_LETTER_BUCKET: undefined },
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(
      /kinesis-to-dynamodb: set TABLE_NAME, DEAD_LETTER_BUCKET for a local run/,
    );
  });
});
