/**
 * `npm run build` output: every function's dist/<name>/index.mjs is self-contained. Each bundle is built, then
 * run on its sample event (events/<name>.json) by plain Node in a separate process with nothing but the bundle.
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFunction } from '../../scripts/build';
import { functionNames, repoRoot } from '../../scripts/lib/functions';
import { dynamoDbClient, s3Client, snsClient } from '../../shared/aws/clients';
import {
  sampleEventBuckets,
  sampleEventEnv,
  sampleEventTables,
  sampleEventTopics,
} from '../support/function-env';
import { type ProcessResult, runProcess } from '../support/process';
import { createBucket } from '../support/s3';
import { createTable } from '../support/dynamodb';

const outRoot = mkdtempSync(join(tmpdir(), 'klk-dist-'));

function runBundle(name: string): Promise<ProcessResult> {
  // A folder outside the repo with only the bundle in it: no node_modules to fall back on.
  const alone = mkdtempSync(join(tmpdir(), `klk-${name}-`));
  copyFileSync(join(outRoot, name, 'index.mjs'), join(alone, 'index.mjs'));
  return runProcess(
    process.execPath,
    [
      join(repoRoot, 'test/support/run-bundle.mjs'),
      join(alone, 'index.mjs'),
      join(repoRoot, 'events', `${name}.json`),
    ],
    {
      cwd: alone,
      env: {
        ...process.env,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_DISABLED: 'true',
        ...sampleEventEnv[name],
      },
      timeoutMs: 60_000,
    },
  );
}

beforeAll(async () => {
  for (const bucket of sampleEventBuckets) await createBucket(s3Client(), bucket).catch(() => undefined);
  for (const topic of sampleEventTopics) await snsClient().send(new CreateTopicCommand({ Name: topic }));
  for (const table of sampleEventTables) await createTable(dynamoDbClient(), table);
}, 60_000);

describe('self-contained bundles (npm run build)', () => {
  it.each(functionNames())('%s builds and runs its sample event under plain Node', async (name) => {
    const { bytes } = await buildFunction(name, outRoot);
    expect(bytes).toBeGreaterThan(0);
    const result = await runBundle(name);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    const event = JSON.parse(readFileSync(join(repoRoot, 'events', `${name}.json`), 'utf8'));
    if (name.startsWith('firehose-')) {
      // Every recordId exactly once, in order.
      expect(output.records.map((r: { recordId: string }) => r.recordId)).toEqual(
        event.records.map((r: { recordId: string }) => r.recordId),
      );
    } else if (Array.isArray(event.Records) && event.Records[0]?.kinesis) {
      expect(output).toEqual({ batchItemFailures: [] });
    } else if (name === 'shard-autoscaler') {
      // The bundle parsed the SNS-wrapped alarm and acted on it in DRY_RUN; there is no CloudWatch here, so the
      // outcome is a caught, reported failure rather than a decision (decisions are tested against the fakes).
      expect(output).toMatchObject({
        dryRun: true,
        outcomes: [{ streamName: 'kinesis-lambda-kit-dev-autoscaled', direction: 'up' }],
      });
    } else {
      throw new Error(`No expectation for the ${name} bundle's output: add one here`);
    }
  });
});
