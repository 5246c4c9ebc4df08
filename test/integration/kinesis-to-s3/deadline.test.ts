/**
 * Deadlines under faults: kinesis-to-s3 behind a fault-injecting proxy in front of s3rver, with the real SDK's
 * retry and timeout paths. A request S3 never answers must not hang the invocation: the function answers before
 * its deadline with a partial batch response, and re-delivery from the reported checkpoint loses nothing.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../../functions/kinesis-to-s3/config';
import { handler } from '../../../functions/kinesis-to-s3/handler';
import { resetClients, s3Client } from '../../../shared/aws/clients';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy';
import { invokeTimed, redeliveryAfter } from '../../support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../support/s3';

const BUCKET = 'kinesis-to-s3-deadline';
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/deadlines';
const TIMEOUT_MS = 3_000;
const MARGIN_MS = 800;

let proxy: FaultProxy;
const s3Endpoint = process.env.AWS_ENDPOINT_URL_S3!;
const saved = { ...process.env };

beforeAll(async () => {
  await createBucket(s3Client(), BUCKET);
  proxy = await startFaultProxy(s3Endpoint);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: proxy.url,
    BUCKET_NAME: BUCKET,
    DEADLINE_MARGIN_MS: String(MARGIN_MS),
    COMPRESSION: 'none',
  });
  config.reset();
  resetClients();
});

afterEach(() => proxy.clear());

afterAll(async () => {
  for (const key of ['AWS_ENDPOINT_URL_S3', 'BUCKET_NAME', 'DEADLINE_MARGIN_MS', 'COMPRESSION', 'KEY_PREFIX'])
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  config.reset();
  resetClients();
  await proxy.close();
});

function eventOf(payloads: string[], firstSequence: number): KinesisStreamEvent {
  return {
    Records: payloads.map((payload, i) => {
      const sequenceNumber = String(firstSequence + i);
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: `pk-${i}`,
          sequenceNumber,
          data: Buffer.from(payload).toString('base64'),
          approximateArrivalTimestamp: 1_764_000_000 + i,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
        awsRegion: 'us-east-1',
        eventSourceARN: STREAM_ARN,
      };
    }),
  };
}

const timedInvoke = (event: KinesisStreamEvent) => invokeTimed(handler, 'kinesis-to-s3', event, TIMEOUT_MS);

const fromCheckpoint = redeliveryAfter;

async function linesUnder(prefix: string): Promise<string[]> {
  const keys = await listKeys(s3Client(), BUCKET, prefix);
  return (await Promise.all(keys.map((key) => readLines(s3Client(), BUCKET, key)))).flat();
}

describe('kinesis-to-s3 when S3 never answers', () => {
  it('answers before the deadline with the unfinished records handed back, and loses nothing on re-delivery', async () => {
    process.env.KEY_PREFIX = 'hung-data';
    config.reset();
    const payloads = ['{"id":1}', '{"id":2}', '{"id":3}'];
    const event = eventOf(payloads, 100);
    proxy.add({
      match: (r) => r.method === 'PUT' && r.path.includes('/hung-data/'),
      fault: { kind: 'hang' },
    });

    const { response, elapsedMs } = await timedInvoke(event);
    // The budget ends MARGIN_MS before the deadline; the answer comes in that margin, never after the deadline.
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - MARGIN_MS - 50);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS - MARGIN_MS / 2);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '100' }] });
    expect(proxy.requests.filter((r) => r.fault === 'hang').length).toBeGreaterThan(0);

    proxy.clear();
    const retry = await timedInvoke(fromCheckpoint(event, response));
    expect(retry.response).toEqual({ batchItemFailures: [] });
    const ids = (await linesUnder('hung-data/')).map((line) => JSON.parse(line).id);
    expect(ids.sort()).toEqual([1, 2, 3]);
  });

  it('hands the poison records back when the dead-letter store hangs, and dead-letters them on re-delivery', async () => {
    Object.assign(process.env, { KEY_PREFIX: 'dl-data', DEAD_LETTER_PREFIX: 'dl-hang' });
    config.reset();
    const event = eventOf(['{"id":1}', 'not json', '{"id":3}'], 200);
    proxy.add({ match: (r) => r.method === 'PUT' && r.path.includes('/dl-hang/'), fault: { kind: 'hang' } });

    const { response, elapsedMs } = await timedInvoke(event);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS - MARGIN_MS / 2);
    // The poison record's parent is the earliest one not done.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '201' }] });

    proxy.clear();
    const retry = await timedInvoke(fromCheckpoint(event, response));
    expect(retry.response).toEqual({ batchItemFailures: [] });
    const dead = (await linesUnder('dl-hang/')).map((line) => JSON.parse(line));
    expect(dead.map((entry) => [entry.sequenceNumber, entry.errorName])).toEqual([
      ['201', 'RecordDecodeError'],
    ]);
    // Delivery to S3 is at-least-once: record 3 was written by both invocations, under different keys.
    const ids = new Set((await linesUnder('dl-data/')).map((line) => JSON.parse(line).id));
    expect([...ids].sort()).toEqual([1, 3]);
    delete process.env.DEAD_LETTER_PREFIX;
  });

  it('retries a reset connection inside the SDK and delivers', async () => {
    process.env.KEY_PREFIX = 'reset-data';
    config.reset();
    proxy.add({
      match: (r) => r.method === 'PUT' && r.path.includes('/reset-data/'),
      fault: { kind: 'reset' },
      times: 1,
    });
    const { response } = await timedInvoke(eventOf(['{"id":7}'], 300));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(proxy.requests.filter((r) => r.method === 'PUT').map((r) => r.fault)).toEqual([
      'reset',
      undefined,
    ]);
    expect(await linesUnder('reset-data/')).toEqual(['{"id":7}']);
  });
});
