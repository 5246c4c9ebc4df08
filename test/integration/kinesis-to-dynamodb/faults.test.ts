/**
 * kinesis-to-dynamodb behind a fault-injecting proxy in front of dynalite, with the real SDK's retry and timeout
 * paths: UnprocessedItems (a 200 answer that leaves puts undone) and ProvisionedThroughputExceededException are
 * retried and land; puts that stay unprocessed map back to their KPL parents; a request DynamoDB never answers
 * does not hang the invocation. Re-delivery from the reported checkpoint loses nothing.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../../functions/kinesis-to-dynamodb/config';
import { handler } from '../../../functions/kinesis-to-dynamodb/handler';
import { dynamoDbClient, resetClients, s3Client } from '../../../shared/aws/clients';
import { aggregate } from '../../../shared/kpl';
import { type FaultProxy, type ProxiedRequest, startFaultProxy } from '../../support/fault-proxy';
import { plainEvent, invokeTimed, redeliveryAfter } from '../../support/kinesis-events';
import { createBucket } from '../../support/s3';
import { createTable, scanAll } from '../../support/dynamodb';

const BUCKET = 'kinesis-to-dynamodb-faults';
const TIMEOUT_MS = 3_000;
const MARGIN_MS = 800;
const PER_PARENT = 10;
const PARENTS = 6;

let proxy: FaultProxy;
const saved = { ...process.env };
const VARIABLES = [
  'AWS_ENDPOINT_URL_DYNAMODB',
  'TABLE_NAME',
  'PARTITION_KEY',
  'SORT_KEY',
  'DEAD_LETTER_BUCKET',
  'DEADLINE_MARGIN_MS',
  'WRITE_MODE',
];

let table = 0;
/** A fresh table per test, so each test counts only its own items. */
async function useTable(mode: 'batch' | 'ordered' = 'batch') {
  const name = `faults-${++table}`;
  // Created directly on dynalite, not through the proxy.
  await createTable(dynamoDbClient(), name, false);
  Object.assign(process.env, { TABLE_NAME: name, WRITE_MODE: mode });
  config.reset();
  return name;
}

beforeAll(async () => {
  await createBucket(s3Client(), BUCKET);
  proxy = await startFaultProxy(process.env.AWS_ENDPOINT_URL_DYNAMODB!);
  Object.assign(process.env, {
    PARTITION_KEY: 'pk={id}',
    DEAD_LETTER_BUCKET: BUCKET,
    DEADLINE_MARGIN_MS: String(MARGIN_MS),
  });
  delete process.env.SORT_KEY;
});

afterEach(() => {
  proxy.clear();
  // Back to dynalite itself for the next test's setup.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = saved.AWS_ENDPOINT_URL_DYNAMODB;
  resetClients();
});

afterAll(async () => {
  for (const key of VARIABLES)
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  config.reset();
  resetClients();
  await proxy.close();
});

/** From here on the function talks to DynamoDB through the proxy. */
function throughProxy() {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.url;
  resetClients();
}

/** PARENTS KPL aggregates of PER_PARENT JSON records each: record i has key `r-<i>`. */
function aggregatedEvent(): KinesisStreamEvent {
  const blobs = Array.from({ length: PARENTS }, (_, parent) => {
    const records = Array.from({ length: PER_PARENT }, (_, j) => {
      const i = parent * PER_PARENT + j;
      return { data: `{"id":"r-${String(i).padStart(3, '0')}","v":${i}.5}`, partitionKey: `p-${i}` };
    });
    const [blob] = aggregate(records);
    return blob!.data;
  });
  return plainEvent(blobs);
}

/** Invokes with a Lambda timeout of TIMEOUT_MS, or more where retries must all fit (the SDK's throttling backoff
 * alone starts at up to 500 ms). */
const timedInvoke = (event: KinesisStreamEvent, timeoutMs = TIMEOUT_MS) =>
  invokeTimed(handler, 'kinesis-to-dynamodb', event, timeoutMs);

const fromCheckpoint = redeliveryAfter;

const isCall = (operation: string) => (request: ProxiedRequest) =>
  request.headers['x-amz-target'] === `DynamoDB_20120810.${operation}`;

/**
 * A 200 answer that leaves every put of the request unprocessed (what DynamoDB answers when a partition is out of
 * capacity): the proxy echoes the request's items back as UnprocessedItems, and writes nothing.
 */
function unprocessedEcho(when: (request: ProxiedRequest) => boolean, times?: number) {
  const fault = {
    kind: 'respond' as const,
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: '',
  };
  proxy.add({
    match: (request) => {
      if (!isCall('BatchWriteItem')(request) || !when(request)) return false;
      const { RequestItems } = JSON.parse(request.body.toString('utf8'));
      fault.body = JSON.stringify({ UnprocessedItems: RequestItems });
      return true;
    },
    fault,
    times,
  });
}

async function keysIn(name: string): Promise<string[]> {
  return (await scanAll(dynamoDbClient(), name)).map((item) => item.pk!.S!).sort();
}
const allKeys = Array.from({ length: PARENTS * PER_PARENT }, (_, i) => `r-${String(i).padStart(3, '0')}`);

describe('kinesis-to-dynamodb under DynamoDB faults', () => {
  it('retries UnprocessedItems with backoff until they land', async () => {
    const name = await useTable();
    throughProxy();
    unprocessedEcho(() => true, 2);
    const { response } = await timedInvoke(aggregatedEvent(), 15_000);
    expect(response).toEqual({ batchItemFailures: [] });
    const batchCalls = proxy.requests.filter((request) => request.method === 'POST');
    // 60 records: 3 requests, and the 2 answered "unprocessed" sent again.
    expect(batchCalls.map((request) => request.fault ?? 'forwarded')).toEqual([
      'respond',
      'respond',
      'forwarded',
      'forwarded',
      'forwarded',
    ]);
    expect(await keysIn(name)).toEqual(allKeys);
  });

  it('retries ProvisionedThroughputExceededException (400) and lands everything', async () => {
    const name = await useTable();
    throughProxy();
    proxy.add({
      match: isCall('BatchWriteItem'),
      fault: {
        kind: 'respond',
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message: 'The level of configured provisioned throughput for the table was exceeded.',
        }),
      },
      // More than the SDK's own 3 attempts: the sink's backoff takes over.
      times: 4,
    });
    const { response } = await timedInvoke(aggregatedEvent(), 15_000);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(proxy.requests.filter((request) => request.fault === 'respond')).toHaveLength(4);
    expect(await keysIn(name)).toEqual(allKeys);
  });

  it('maps puts still unprocessed at the deadline back to their parents, and re-delivery lands them', async () => {
    const name = await useTable();
    throughProxy();
    // The second request (records 25-49, in parents 2-4) never gets processed.
    unprocessedEcho((request) => request.body.includes('"r-030"'));
    const event = aggregatedEvent();
    const { response, elapsedMs } = await timedInvoke(event);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS - MARGIN_MS / 2);
    // Record 25 is in parent 2: Lambda re-delivers from there.
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[2]!.kinesis.sequenceNumber }],
    });
    expect(proxy.requests.filter((request) => request.fault === 'respond').length).toBeGreaterThan(2);
    expect(await keysIn(name)).toEqual(allKeys.filter((_, i) => i < 25 || i >= 50));

    proxy.clear();
    const retry = await timedInvoke(fromCheckpoint(event, response));
    expect(retry.response).toEqual({ batchItemFailures: [] });
    expect(await keysIn(name)).toEqual(allKeys);
  });

  it('answers before the deadline when DynamoDB never answers, with the unfinished records handed back', async () => {
    const name = await useTable();
    throughProxy();
    proxy.add({ match: isCall('BatchWriteItem'), fault: { kind: 'hang' } });
    const event = aggregatedEvent();
    const { response, elapsedMs } = await timedInvoke(event);
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - MARGIN_MS - 50);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS - MARGIN_MS / 2);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }],
    });
    expect(proxy.requests.filter((request) => request.fault === 'hang').length).toBeGreaterThan(0);

    proxy.clear();
    const retry = await timedInvoke(fromCheckpoint(event, response));
    expect(retry.response).toEqual({ batchItemFailures: [] });
    expect(await keysIn(name)).toEqual(allKeys);
  });

  it('ordered mode: answers before the deadline when one PutItem never answers, and re-delivery lands it', async () => {
    const name = await useTable('ordered');
    throughProxy();
    proxy.add({
      match: (request) => isCall('PutItem')(request) && request.body.includes('"r-042"'),
      fault: { kind: 'hang' },
    });
    const event = aggregatedEvent();
    const { response, elapsedMs } = await timedInvoke(event);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS - MARGIN_MS / 2);
    // Record 42 is in parent 4; every other put was confirmed.
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[4]!.kinesis.sequenceNumber }],
    });
    expect(await keysIn(name)).toEqual(allKeys.filter((key) => key !== 'r-042'));

    proxy.clear();
    const retry = await timedInvoke(fromCheckpoint(event, response));
    expect(retry.response).toEqual({ batchItemFailures: [] });
    expect(await keysIn(name)).toEqual(allKeys);
  });
});
