/**
 * `npm start`: the kit's main job on embedded emulators, no AWS account needed.
 *
 * 1. starts kinesalite, dynalite, s3rver and fauxqs in-process (the same harness the tests use);
 * 2. creates a 2-shard stream and a bucket;
 * 3. produces a few thousand user records, KPL-aggregated with shared/kpl, plus a few poison records;
 * 4. reads each shard back with GetShardIterator/GetRecords in batches of 1,000, shapes every batch exactly as
 *    Lambda's event source mapping does, and invokes kinesis-to-s3 (re-reading from the reported sequence
 *    number on a partial batch failure, as the mapping would);
 * 5. prints what landed (keys, record counts, the files on disk), then runs the other functions' demos.
 *
 * Output stays within 100 columns (scripts/lib/table.ts; long sequence numbers in keys are shortened).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { kinesisClient, s3Client } from '../shared/aws/clients';
import { aggregate } from '../shared/kpl';
import { startEmulators } from '../test/support/emulators';
import { lambdaContext, listShardIds, readShard, toLambdaEvent } from '../test/support/kinesis-events';
import { createBucket, listKeys, readLines } from '../test/support/s3';
import type { Demo } from './demo/context';
import { repoRoot } from './lib/functions';
import { type Row, shortenDigits, table } from './lib/table';

const STREAM = 'kinesis-lambda-kit-demo';
const BUCKET = 'kinesis-lambda-kit-demo';
const USER_RECORDS = 4000;
const POISON_RECORDS = 3;

const outputDir = join(repoRoot, '.local');
const s3Directory = join(outputDir, 's3');
rmSync(s3Directory, { recursive: true, force: true });
mkdirSync(s3Directory, { recursive: true });

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const emulators = await startEmulators({ s3Directory });
Object.assign(process.env, emulators.env, {
  BUCKET_NAME: BUCKET,
  KEY_PREFIX: 'orders',
  DEAD_LETTER_PREFIX: 'dead-letter',
});
console.log(
  `Emulators up, on 127.0.0.1 ports:\n  ${Object.entries(emulators.endpoints)
    // The OpenSearch endpoint is a wire-level fake (test/support/opensearch-fake.ts), not OpenSearch: say so.
    .map(([name, url]) => `${name === 'opensearch' ? 'opensearch (a fake)' : name} ${new URL(url).port}`)
    .join(', ')}`,
);

try {
  // ---- produce --------------------------------------------------------------------------------------------------
  const kinesis = kinesisClient();
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  await createBucket(s3Client(), BUCKET);
  const users = Array.from({ length: USER_RECORDS }, (_, i) => ({
    data: JSON.stringify({
      orderId: i,
      customer: `c-${i % 211}`,
      total: Math.round(i * 13.7) / 10,
      at: new Date(Date.UTC(2026, 10, 22, 2, 0, i % 60)).toISOString(),
    }),
    partitionKey: `customer-${i % 211}`,
  }));
  // 51,200 bytes: the KPL's default AggregationMaxSize.
  const blobs = aggregate(users, { maxBytes: 51_200 });
  const entries = [
    ...blobs.map((blob) => ({
      Data: blob.data,
      PartitionKey: blob.partitionKey,
      ExplicitHashKey: blob.explicitHashKey,
    })),
    ...Array.from({ length: POISON_RECORDS }, (_, i) => ({
      Data: Buffer.from(`not json #${i}`),
      PartitionKey: `poison-${i}`,
    })),
  ];
  let apiCalls = 0;
  for (let i = 0; i < entries.length; i += 500) {
    const result = await kinesis.send(
      new PutRecordsCommand({ StreamName: STREAM, Records: entries.slice(i, i + 500) }),
    );
    apiCalls += 1;
    if (result.FailedRecordCount)
      throw new Error(`PutRecords failed for ${result.FailedRecordCount} records`);
  }
  console.log(
    `\nProduced ${USER_RECORDS} user records in ${blobs.length} KPL aggregates ` +
      `(+${POISON_RECORDS} poison records) with ${apiCalls} PutRecords call(s)`,
  );

  // ---- consume, as the event source mapping would ---------------------------------------------------------------
  const { handler } = await import('../functions/kinesis-to-s3/handler');
  const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`;
  const rows: Row[] = [];
  for (const shardId of await listShardIds(kinesis, STREAM)) {
    let after: string | undefined;
    let at: string | undefined;
    let invocations = 0;
    let parents = 0;
    let retries = 0;
    for (;;) {
      const [batch] = await readShard(kinesis, STREAM, shardId, { batchSize: 1000, after, at });
      if (!batch) break;
      const event = toLambdaEvent(batch, { streamArn, shardId });
      const response = (await handler(
        event,
        lambdaContext('kinesis-to-s3') as unknown as Context,
      )) as KinesisStreamBatchResponse;
      invocations += 1;
      const failure = response.batchItemFailures[0]?.itemIdentifier;
      if (failure) {
        if (++retries > 3) throw new Error(`Shard ${shardId} keeps failing at ${failure}`);
        at = failure;
        after = undefined;
        continue;
      }
      parents += batch.length;
      after = batch.at(-1)!.SequenceNumber;
      at = undefined;
    }
    rows.push({
      shard: shardId,
      'records (parents)': parents,
      invocations,
      'partial-failure retries': retries,
    });
  }
  console.log('\nkinesis-to-s3 invocations');
  console.log(table(rows));

  // ---- what landed ----------------------------------------------------------------------------------------------
  const landed: Array<{ key: string; records: number }> = [];
  let delivered = 0;
  let deadLettered = 0;
  for (const key of await listKeys(s3Client(), BUCKET)) {
    const lines = await readLines(s3Client(), BUCKET, key);
    if (key.startsWith('orders/')) delivered += lines.length;
    if (key.startsWith('dead-letter/')) deadLettered += lines.length;
    landed.push({ key, records: lines.length });
  }
  // Grouped by folder; the file names' sequence numbers (56 digits each) shortened to their ends.
  console.log(`\nObjects in s3://${BUCKET} (sequence numbers in names shortened: 4968…7410)`);
  const folders = new Map<string, Row[]>();
  for (const { key, records } of landed) {
    const slash = key.lastIndexOf('/') + 1;
    const folder = key.slice(0, slash);
    folders.set(folder, [
      ...(folders.get(folder) ?? []),
      { object: shortenDigits(key.slice(slash)), records },
    ]);
  }
  for (const [folder, objects] of folders) console.log(`  ${folder}\n${table(objects, { indent: '    ' })}`);
  console.log(
    `Delivered ${delivered}/${USER_RECORDS} user records; dead-lettered ${deadLettered}/${POISON_RECORDS} ` +
      'poison records (with reason and coordinates).',
  );
  // s3rver keeps each object as <key>._S3rver_object (its bytes as written: gzip for .gz keys).
  const bucketDir = relative(process.cwd(), join(s3Directory, BUCKET)) || '.';
  const firstFolder = [...folders.keys()].find((folder) => folder.startsWith('orders/'));
  console.log(`On disk: ${bucketDir}/<key>._S3rver_object (s3rver's layout), e.g.`);
  if (firstFolder) console.log(`  zcat ${bucketDir}/${firstFolder}*.gz._S3rver_object | head -2`);
  if (delivered !== USER_RECORDS || deadLettered !== POISON_RECORDS) {
    throw new Error('Record counts do not add up: something was lost or duplicated');
  }

  // ---- the other functions' demos -------------------------------------------------------------------------------
  const demos: Array<[string, () => Promise<{ demo: Demo }>]> = [
    // Each area adds its demo here: ['name', () => import('./demo/<name>')],
    ['kinesis-to-dynamodb', () => import('./demo/kinesis-to-dynamodb')],
    ['kinesis-to-sns', () => import('./demo/kinesis-to-sns')],
    ['kinesis-to-opensearch (against an OpenSearch FAKE)', () => import('./demo/kinesis-to-opensearch')],
    ['firehose', () => import('./demo/firehose')],
    ['shard-autoscaler', () => import('./demo/shard-autoscaler')],
  ];
  for (const [name, load] of demos) {
    console.log(`\n==== ${name} ====`);
    await (await load()).demo({ emulators, outputDir });
  }
} finally {
  await emulators.stop();
}
