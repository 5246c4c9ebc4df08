/**
 * Every client the kit creates enforces its per-attempt timeout: a request that is never answered fails with a
 * TimeoutError and is retried, instead of hanging until Lambda's deadline. (@smithy/node-http-handler 4.x only
 * logs a warning when `requestTimeout` passes unless `throwOnRequestTimeout` is set.)
 */
import { ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListDeliveryStreamsCommand } from '@aws-sdk/client-firehose';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { ListSchedulesCommand } from '@aws-sdk/client-scheduler';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cloudWatchClient,
  dynamoDbClient,
  firehoseClient,
  kinesisClient,
  lambdaClient,
  resetClients,
  s3Client,
  schedulerClient,
  snsClient,
} from '../../shared/aws/clients';
import { startDeadline } from '../../shared/aws/deadline';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';

const SERVICES = ['KINESIS', 'S3', 'DYNAMODB', 'SNS', 'FIREHOSE', 'CLOUDWATCH', 'LAMBDA', 'SCHEDULER'];
let proxy: FaultProxy;
const saved = { ...process.env };

beforeAll(async () => {
  // The proxy's target is irrelevant: every request hangs.
  proxy = await startFaultProxy('http://127.0.0.1:9');
  proxy.add({ match: () => true, fault: { kind: 'hang' } });
  for (const service of SERVICES) process.env[`AWS_ENDPOINT_URL_${service}`] = proxy.url;
  process.env.AWS_MAX_ATTEMPTS = '2';
  resetClients();
});

afterAll(async () => {
  for (const key of [...SERVICES.map((service) => `AWS_ENDPOINT_URL_${service}`), 'AWS_MAX_ATTEMPTS'])
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  resetClients();
  await proxy.close();
});

describe('client factories', () => {
  it('time out every attempt of a request that is never answered, and retry it', async () => {
    const options = { requestTimeout: 300 };
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['kinesis', () => kinesisClient().send(new ListStreamsCommand({}), options)],
      ['s3', () => s3Client().send(new ListBucketsCommand({}), options)],
      ['dynamodb', () => dynamoDbClient().send(new ListTablesCommand({}), options)],
      ['sns', () => snsClient().send(new ListTopicsCommand({}), options)],
      ['firehose', () => firehoseClient().send(new ListDeliveryStreamsCommand({}), options)],
      ['cloudwatch', () => cloudWatchClient().send(new ListMetricsCommand({}), options)],
      ['lambda', () => lambdaClient().send(new ListFunctionsCommand({}), options)],
      ['scheduler', () => schedulerClient().send(new ListSchedulesCommand({}), options)],
    ];
    const started = Date.now();
    const outcomes = await Promise.allSettled(calls.map(([, call]) => call()));
    expect(Date.now() - started).toBeLessThan(5_000);
    outcomes.forEach((outcome, i) => {
      expect(outcome.status, calls[i]![0]).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason.name, calls[i]![0]).toBe('TimeoutError');
    });
    // Two attempts each (AWS_MAX_ATTEMPTS=2): the timeout is a retryable failure, not a hang.
    expect(proxy.requests.length).toBe(calls.length * 2);
  });

  it('abort a call when the invocation budget runs out, whatever the per-attempt timeout', async () => {
    const deadline = startDeadline(() => 1_300, 1_000);
    const started = Date.now();
    await expect(
      s3Client().send(new ListBucketsCommand({}), { abortSignal: deadline.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_000);
    deadline.dispose();
  });
});
