/**
 * `npm start` demo of kinesis-to-opensearch, against the OpenSearch FAKE the emulators start
 * (test/support/opensearch-fake.ts: a wire-level fake, not OpenSearch; no OpenSearch server can run here). Log
 * records KPL-aggregated into a stream in kinesalite, plus a record that is not JSON and one whose `latencyMs` is
 * text where the index maps a number; the fake throttles a few documents (per-item 429) once. The batches are read
 * back as the event source mapping reads them and handed to the handler; then what the fake holds, the bulk requests
 * and the dead letters' reasons are printed.
 */
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { config } from '../../functions/kinesis-to-opensearch/config';
import { kinesisClient, s3Client } from '../../shared/aws/clients';
import { aggregate } from '../../shared/kpl';
import { lambdaContext, listShardIds, readShard, toLambdaEvent } from '../../test/support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../test/support/s3';
import { shortenDigits, table } from '../lib/table';
import type { Demo } from './context';

const STREAM = 'demo-opensearch-logs';
const DEAD_LETTERS = 'demo-opensearch-dead-letters';
const RECORDS = 3000;
const VARIABLES = ['OPENSEARCH_DEAD_LETTER_BUCKET', 'OPENSEARCH_TIME_FIELD', 'OPENSEARCH_INDEX_TEMPLATE'];

const logRecord = (i: number) =>
  JSON.stringify({
    '@timestamp': new Date(Date.UTC(2026, 10, 21, 23, 58, 0) + i * 80).toISOString(),
    level: i % 17 === 0 ? 'ERROR' : 'INFO',
    service: ['checkout', 'catalog', 'payments'][i % 3],
    message: `handled request ${i}`,
    latencyMs: 5 + ((i * 31) % 700),
  });

/** Display only: a reason cut to fit the 100-column output (the dead letter keeps it whole). */
const fit = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

export const demo: Demo = async ({ emulators }) => {
  const fake = emulators.opensearch;
  const saved = Object.fromEntries(VARIABLES.map((key) => [key, process.env[key]]));
  try {
    await createBucket(s3Client(), DEAD_LETTERS);
    Object.assign(process.env, {
      OPENSEARCH_DEAD_LETTER_BUCKET: DEAD_LETTERS,
      OPENSEARCH_TIME_FIELD: '@timestamp',
      OPENSEARCH_INDEX_TEMPLATE: 'logs-%Y.%m.%d',
    });
    config.reset();
    console.log(`OpenSearch: a wire-level FAKE (test/support/opensearch-fake.ts), not a real OpenSearch`);

    const kinesis = kinesisClient();
    await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
    const blobs = aggregate(
      Array.from({ length: RECORDS }, (_, i) => ({ data: logRecord(i), partitionKey: `req-${i % 64}` })),
      { maxBytes: 51_200 },
    );
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: [
          ...blobs.map((blob) => ({ Data: blob.data, PartitionKey: blob.partitionKey })),
          { Data: Buffer.from('level=INFO not json'), PartitionKey: 'poison-0' },
          {
            Data: Buffer.from('{"@timestamp":"2026-11-22T00:00:00Z","latencyMs":"slow","message":"x"}'),
            PartitionKey: 'poison-1',
          },
        ],
      }),
    );
    console.log(`Produced ${RECORDS} log records in ${blobs.length} KPL aggregates (+2 bad records)`);

    // Every 250th document is throttled once (per-item 429): the function retries just those.
    const throttled = new Set<string>();
    fake.failItems({
      status: 429,
      match: (item) => {
        const n = Number(/"handled request (\d+)"/.exec(item.source)?.[1] ?? 1);
        if (n % 250 !== 0 || throttled.has(item.id)) return false;
        throttled.add(item.id);
        return true;
      },
    });
    const { handler } = await import('../../functions/kinesis-to-opensearch/handler');
    const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`;
    let invocations = 0;
    const bulkBefore = fake.requests.length;
    for (const shardId of await listShardIds(kinesis, STREAM)) {
      for (const batch of await readShard(kinesis, STREAM, shardId, { batchSize: 1000 })) {
        const response = (await handler(
          toLambdaEvent(batch, { streamArn, shardId }),
          lambdaContext('kinesis-to-opensearch') as unknown as Context,
        )) as KinesisStreamBatchResponse;
        invocations += 1;
        if (response.batchItemFailures.length > 0) {
          throw new Error(
            `kinesis-to-opensearch reported failures: ${JSON.stringify(response.batchItemFailures)}`,
          );
        }
      }
    }
    const bulk = fake.requests.slice(bulkBefore).filter((request) => request.path === '/_bulk');
    console.log(
      `${invocations} invocation(s), ${bulk.length} _bulk request(s) ` +
        `(${bulk.map((request) => request.actions).join(' + ')} documents; the small ones retry throttled items)`,
    );
    console.log(
      table(
        [...fake.documents].map(([index, docs]) => ({
          'index (in the fake)': index,
          documents: docs.size,
          'an _id': shortenDigits([...docs.keys()][0] ?? ''),
        })),
      ),
    );
    const indexed = [...fake.documents.values()].reduce((sum, docs) => sum + docs.size, 0);
    const dead: Array<Record<string, string>> = [];
    for (const key of await listKeys(s3Client(), DEAD_LETTERS)) {
      for (const line of await readLines(s3Client(), DEAD_LETTERS, key)) dead.push(JSON.parse(line));
    }
    console.log(
      `Indexed ${indexed}/${RECORDS} records, each once by its id; dead-lettered ${dead.length}/2:`,
    );
    console.log(
      table(dead.map((entry) => ({ errorName: entry.errorName, reason: fit(entry.reason ?? '', 70) }))),
    );
    if (indexed !== RECORDS || dead.length !== 2) throw new Error('Record counts do not add up');
  } finally {
    fake.clearFaults();
    for (const key of VARIABLES)
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    config.reset();
  }
};
