/**
 * The fault matrix (test/support/fault-matrix.ts) over the stream consumers' sinks: for each sink x fault, the
 * handler is driven as Lambda drives it (re-invoked from the reported checkpoint) with the fault injected by a
 * proxy in front of the emulator, and the destination is read back. Lost must be 0 in every cell; the table is
 * printed so a run shows its evidence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config as s3Config } from '../../functions/kinesis-to-s3/config';
import { handler as s3Handler } from '../../functions/kinesis-to-s3/handler';
import { config as dynamoConfig } from '../../functions/kinesis-to-dynamodb/config';
import { handler as dynamoHandler } from '../../functions/kinesis-to-dynamodb/handler';
import { config as openSearchConfig } from '../../functions/kinesis-to-opensearch/config';
import { handler as openSearchHandler } from '../../functions/kinesis-to-opensearch/handler';
import { dynamoDbClient, s3Client } from '../../shared/aws/clients';
import {
  type CellResult,
  FAULTS,
  type FaultKind,
  formatMatrix,
  MARGIN_MS,
  runCell,
  type SinkUnderTest,
  TIMEOUT_MS,
} from '../support/fault-matrix';
import { type FaultProxy, type FaultRule, startFaultProxy } from '../support/fault-proxy';
import { createTable, scanAll } from '../support/dynamodb';
import { type OpenSearchFake, startOpenSearchFake } from '../support/opensearch-fake';
import { createBucket, listKeys, readLines } from '../support/s3';

const BUCKET = 'fault-matrix';
const s3Endpoint = process.env.AWS_ENDPOINT_URL_S3!;
let s3Proxy: FaultProxy;

const s3Error = (status: number, code: string) => ({
  kind: 'respond' as const,
  status,
  headers: { 'content-type': 'application/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message><RequestId>fault-matrix</RequestId></Error>`,
});
const putUnder = (prefix: string) => (r: { method: string; path: string }) =>
  r.method === 'PUT' && r.path.startsWith(`/${BUCKET}/${prefix}`);

async function linesUnder(prefix: string): Promise<string[]> {
  const keys = await listKeys(s3Client(), BUCKET, prefix);
  return (await Promise.all(keys.map((key) => readLines(s3Client(), BUCKET, key)))).flat();
}

/** Dead-letter lines under a prefix (shared by every consumer: they all dead-letter to S3). */
async function deadLetteredUnder(prefix: string) {
  return (await linesUnder(prefix)).map((line) => {
    const entry = JSON.parse(line) as { sequenceNumber: string; subSequenceNumber: number; reason: string };
    return {
      sequenceNumber: entry.sequenceNumber,
      subSequenceNumber: entry.subSequenceNumber,
      reason: entry.reason,
    };
  });
}

const kinesisToS3: SinkUnderTest = {
  name: 'kinesis-to-s3',
  env: (cell) => ({
    AWS_ENDPOINT_URL_S3: s3Proxy.url,
    BUCKET_NAME: BUCKET,
    KEY_PREFIX: `${cell}/data`,
    DEAD_LETTER_PREFIX: `${cell}/dlq`,
    COMPRESSION: 'none',
    // Several objects per invocation, so one can fail while others land (the partial-failure cell).
    MAX_OBJECT_BYTES: '4096',
    DEADLINE_MARGIN_MS: String(MARGIN_MS),
  }),
  handler: (event, context) => s3Handler(event, context),
  resetConfig: () => s3Config.reset(),
  destinationFault(fault: FaultKind, cell: string): FaultRule[] | undefined {
    const match = putUnder(`${cell}/data/`);
    switch (fault) {
      case 'throttling':
        return [{ match, fault: s3Error(503, 'SlowDown') }];
      case '5xx':
        return [{ match, fault: s3Error(500, 'InternalError') }];
      case 'hang':
        return [{ match, fault: { kind: 'hang' } }];
      case 'connection reset':
        return [{ match, fault: { kind: 'reset' } }];
      case 'partial failure':
        // Only the object holding parent 10's records fails; the others land.
        return [
          {
            match: (r) => match(r) && r.body.includes(`"${cell}-10-5"`),
            fault: s3Error(500, 'InternalError'),
          },
        ];
      default:
        return undefined;
    }
  },
  deadLetterFault: (cell) => [{ match: putUnder(`${cell}/dlq/`), fault: s3Error(500, 'InternalError') }],
  async delivered(cell) {
    const counts = new Map<string, number>();
    for (const line of await linesUnder(`${cell}/data/`)) {
      const id = (JSON.parse(line) as { id: string }).id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  },
  deadLettered: (cell) => deadLetteredUnder(`${cell}/dlq/`),
};

let openSearch: OpenSearchFake;
let openSearchProxy: FaultProxy;
const openSearchError = (status: number, type: string) => ({
  kind: 'respond' as const,
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    error: { root_cause: [{ type, reason: 'injected' }], type, reason: 'injected' },
    status,
  }),
});

const kinesisToOpenSearch: SinkUnderTest = {
  name: 'kinesis-to-opensearch',
  env: (cell) => ({
    AWS_ENDPOINT_URL_S3: s3Proxy.url,
    OPENSEARCH_ENDPOINT: openSearchProxy.url,
    OPENSEARCH_INDEX_TEMPLATE: `${cell}-%Y`,
    OPENSEARCH_DEAD_LETTER_BUCKET: BUCKET,
    OPENSEARCH_DEAD_LETTER_PREFIX: `${cell}/dlq`,
    // Several bulk requests per invocation, so one can fail while others land.
    OPENSEARCH_MAX_BULK_ACTIONS: '50',
    DEADLINE_MARGIN_MS: String(MARGIN_MS),
  }),
  handler: (event, context) => openSearchHandler(event, context),
  resetConfig: () => openSearchConfig.reset(),
  destinationFault(fault: FaultKind, cell: string): FaultRule[] | undefined {
    const match = (r: { path: string }) => r.path.includes('_bulk');
    const ofCell = (item: { index: string }) => item.index.startsWith(cell);
    switch (fault) {
      case 'throttling':
        // Every item 429 (es_rejected_execution_exception) while the fault lasts.
        openSearch.failItems({ match: ofCell, status: 429 });
        return [];
      case '5xx':
        return [{ match, fault: openSearchError(503, 'unavailable_shards_exception') }];
      case 'hang':
        return [{ match, fault: { kind: 'hang' } }];
      case 'connection reset':
        return [{ match, fault: { kind: 'reset' } }];
      case 'partial failure':
        // Bulk item errors: parent 10's records fail with 500, the rest of each request lands.
        openSearch.failItems({
          match: (item) => ofCell(item) && item.source.includes(`"${cell}-10-`),
          status: 500,
        });
        return [];
      default:
        return undefined;
    }
  },
  clearFaults: () => openSearch.clearFaults(),
  deadLetterFault: (cell) => [{ match: putUnder(`${cell}/dlq/`), fault: s3Error(500, 'InternalError') }],
  async delivered(cell) {
    const counts = new Map<string, number>();
    for (const [key, source] of openSearch.all()) {
      if (!key.startsWith(cell)) continue;
      const id = (JSON.parse(source) as { id: string }).id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  },
  deadLettered: (cell) => deadLetteredUnder(`${cell}/dlq/`),
};

let dynamoProxy: FaultProxy;
const dynamoEndpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB!;
const tableOf = (cell: string) => `fm-${cell}`;
const dynamoError = (status: number, type: string) => ({
  kind: 'respond' as const,
  status,
  headers: { 'content-type': 'application/x-amz-json-1.0' },
  body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'injected' }),
});
const isBatchWrite = (r: { headers: Record<string, unknown> }) =>
  r.headers['x-amz-target'] === 'DynamoDB_20120810.BatchWriteItem';

/**
 * BatchWriteItem with some items unprocessed, as DynamoDB answers under load: the items of parent 10 are taken out
 * of the request and answered as UnprocessedItems, the rest is written.
 */
function unprocessed(cell: string): FaultRule {
  return {
    match: isBatchWrite,
    fault: {
      kind: 'intercept',
      async handle(request, forward) {
        const input = JSON.parse(request.body.toString()) as {
          RequestItems: Record<string, Array<{ PutRequest: { Item: { id?: { S: string } } } }>>;
        };
        const keep: typeof input.RequestItems = {};
        const held: typeof input.RequestItems = {};
        for (const [table, writes] of Object.entries(input.RequestItems)) {
          for (const write of writes) {
            const target = write.PutRequest.Item.id?.S?.startsWith(`${cell}-10-`) ? held : keep;
            (target[table] ??= []).push(write);
          }
        }
        if (Object.keys(held).length === 0) return forward();
        const answer =
          Object.keys(keep).length === 0
            ? {
                status: 200,
                headers: { 'content-type': 'application/x-amz-json-1.0' },
                body: Buffer.from('{}'),
              }
            : await forward(Buffer.from(JSON.stringify({ ...input, RequestItems: keep })));
        const body = JSON.parse(answer.body.toString()) as { UnprocessedItems?: typeof held };
        body.UnprocessedItems = { ...body.UnprocessedItems, ...held };
        return { ...answer, body: Buffer.from(JSON.stringify(body)) };
      },
    },
  };
}

const kinesisToDynamoDb: SinkUnderTest = {
  name: 'kinesis-to-dynamodb',
  env: (cell) => ({
    AWS_ENDPOINT_URL_S3: s3Proxy.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.url,
    TABLE_NAME: tableOf(cell),
    PARTITION_KEY: 'pk={id}',
    SORT_KEY: 'none',
    DEAD_LETTER_BUCKET: BUCKET,
    DEAD_LETTER_PREFIX: `${cell}/dlq`,
    DEADLINE_MARGIN_MS: String(MARGIN_MS),
  }),
  handler: (event, context) => dynamoHandler(event, context),
  resetConfig: () => dynamoConfig.reset(),
  destinationFault(fault: FaultKind, cell: string): FaultRule[] | undefined {
    switch (fault) {
      case 'throttling':
        return [{ match: isBatchWrite, fault: dynamoError(400, 'ProvisionedThroughputExceededException') }];
      case '5xx':
        return [{ match: isBatchWrite, fault: dynamoError(500, 'InternalServerError') }];
      case 'hang':
        return [{ match: isBatchWrite, fault: { kind: 'hang' } }];
      case 'connection reset':
        return [{ match: isBatchWrite, fault: { kind: 'reset' } }];
      case 'partial failure':
        return [unprocessed(cell)];
      default:
        return undefined;
    }
  },
  deadLetterFault: (cell) => [{ match: putUnder(`${cell}/dlq/`), fault: s3Error(500, 'InternalError') }],
  async delivered(cell) {
    const counts = new Map<string, number>();
    for (const item of await scanAll(dynamoDbClient(), tableOf(cell))) {
      const id = item.id!.S!;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  },
  deadLettered: (cell) => deadLetteredUnder(`${cell}/dlq/`),
};

const SINKS: SinkUnderTest[] = [kinesisToS3, kinesisToDynamoDb, kinesisToOpenSearch];
const results: CellResult[] = [];

beforeAll(async () => {
  await createBucket(s3Client(), BUCKET);
  s3Proxy = await startFaultProxy(s3Endpoint);
  // A fake of this worker's own, so the test can read what it stored.
  openSearch = await startOpenSearchFake({ service: 'es' });
  openSearchProxy = await startFaultProxy(openSearch.endpoint);
  dynamoProxy = await startFaultProxy(dynamoEndpoint);
  for (const fault of FAULTS)
    await createTable(
      dynamoDbClient(),
      tableOf(`kinesis-to-dynamodb-${fault}`.replace(/[^a-z0-9]+/gi, '-')),
      false,
    );
});

afterAll(async () => {
  if (results.length > 0) console.log(`\nFault matrix\n${formatMatrix(results)}\n`);
  await Promise.all([s3Proxy.close(), openSearchProxy.close(), openSearch.close(), dynamoProxy.close()]);
});

const destinationProxy = (sink: SinkUnderTest) =>
  sink === kinesisToOpenSearch ? openSearchProxy : sink === kinesisToDynamoDb ? dynamoProxy : s3Proxy;

describe('fault matrix: every good record lands once by id, every poison record is dead-lettered, nothing lost', () => {
  for (const sink of SINKS) {
    for (const fault of FAULTS) {
      it(`${sink.name} x ${fault}`, async () => {
        const result = await runCell(sink, fault, {
          destination: destinationProxy(sink),
          deadLetter: s3Proxy,
        });
        if (!result) return;
        results.push(result);
        expect(result.lost).toBe(0);
        expect(result.delivered + result.deadLettered).toBe(result.recordsIn);
        expect(result.deadLettered).toBe(3);
        // Every invocation answered before its deadline, a hung request included.
        expect(result.slowestMs).toBeLessThan(TIMEOUT_MS);
        if (fault !== 'none') expect(result.invocations, 'the fault reached the runner').toBeGreaterThan(1);
        // Delivery to S3 is at-least-once (see functions/kinesis-to-s3/README.md); a re-delivered batch starts
        // at the checkpoint, so objects that landed after the failed one are written again under new keys.
        if (sink.name !== 'kinesis-to-s3') expect(result.duplicated).toBe(0);
      });
    }
  }
});
