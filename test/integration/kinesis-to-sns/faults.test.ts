/**
 * kinesis-to-sns under faults, with a fault-injecting proxy in front of fauxqs' SNS endpoint (fauxqs cannot fail
 * a PublishBatch entry by itself): `Failed[]` entries retried with backoff, entries that keep failing mapped back to
 * every record (and parent) of their collapsed alert, entries SNS refuses for good dead-lettered, and a
 * PublishBatch that never answers -> an answer before the deadline with the unfinished records handed back, and
 * nothing lost on re-delivery.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlertSink } from '../../../functions/kinesis-to-sns/alerts';
import { config } from '../../../functions/kinesis-to-sns/config';
import { handler } from '../../../functions/kinesis-to-sns/handler';
import { compileRules } from '../../../functions/kinesis-to-sns/rules';
import { matchRules } from '../../../functions/kinesis-to-sns/transform';
import { resetClients, s3Client } from '../../../shared/aws/clients';
import type { RecordCoordinates } from '../../../shared/kinesis/types';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy';
import { plainEvent, invokeTimed } from '../../support/kinesis-events';
import { createBucket, listKeys, readLines } from '../../support/s3';
import { type SubscribedQueue, subscribedQueue } from '../../support/sns-queue';

const BUCKET = 'kinesis-to-sns-faults';
const TIMEOUT_MS = 3_000;
const MARGIN_MS = 800;
const RULE_SPEC = [
  {
    name: 'errors',
    pattern: { level: ['ERROR'] },
    severity: 'high',
    subject: 'Error on {{host}}',
    message: '{{host}}: {{msg}}',
    groupBy: 'host',
  },
];

let proxy: FaultProxy;
const saved = { ...process.env };
const VARIABLES = [
  'AWS_ENDPOINT_URL_SNS',
  'ALERT_TOPIC_ARN',
  'DEAD_LETTER_BUCKET',
  'DEAD_LETTER_PREFIX',
  'ALERT_RULES',
  'DEADLINE_MARGIN_MS',
];

beforeAll(async () => {
  await createBucket(s3Client(), BUCKET);
  proxy = await startFaultProxy(process.env.AWS_ENDPOINT_URL_SNS!);
});

afterEach(() => {
  proxy.clear();
  process.env.AWS_ENDPOINT_URL_SNS = saved.AWS_ENDPOINT_URL_SNS;
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

/** A topic with a queue, created directly on fauxqs; then the function's SNS client goes through the proxy. */
async function setUp(name: string, deadLetterPrefix = `${name}-dl`): Promise<SubscribedQueue> {
  const queue = await subscribedQueue(name);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SNS: proxy.url,
    ALERT_TOPIC_ARN: queue.topicArn,
    DEAD_LETTER_BUCKET: BUCKET,
    DEAD_LETTER_PREFIX: deadLetterPrefix,
    ALERT_RULES: JSON.stringify(RULE_SPEC),
    DEADLINE_MARGIN_MS: String(MARGIN_MS),
  });
  config.reset();
  resetClients();
  return queue;
}

const isPublishBatch = (r: { body: Buffer }) => r.body.toString().includes('Action=PublishBatch');
const publishBatchCalls = () => proxy.requests.filter((r) => r.method === 'POST').length;

/** A PublishBatch answer as SNS writes it (HTTP 200 with Successful and Failed members). */
function publishBatchAnswer(
  successful: string[],
  failed: Array<{ id: string; code: string; senderFault: boolean }>,
): { kind: 'respond'; status: number; headers: Record<string, string>; body: string } {
  const ok = successful.map((id) => `<member><Id>${id}</Id><MessageId>m-${id}</MessageId></member>`).join('');
  const bad = failed
    .map(
      (f) =>
        `<member><Id>${f.id}</Id><Code>${f.code}</Code><Message>canned ${f.code}</Message><SenderFault>${f.senderFault}</SenderFault></member>`,
    )
    .join('');
  return {
    kind: 'respond',
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body:
      `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult>` +
      `<Successful>${ok}</Successful><Failed>${bad}</Failed></PublishBatchResult>` +
      `<ResponseMetadata><RequestId>canned</RequestId></ResponseMetadata></PublishBatchResponse>`,
  };
}

const error = (host: string, msg: string) => JSON.stringify({ level: 'ERROR', host, msg });

const timedInvoke = (event: KinesisStreamEvent) => invokeTimed(handler, 'kinesis-to-sns', event, TIMEOUT_MS);

describe('kinesis-to-sns when PublishBatch reports Failed entries', () => {
  it('retries the failed entries with backoff and delivers each alert once', async () => {
    const queue = await setUp('sns-faults-retry');
    proxy.add({
      match: isPublishBatch,
      fault: publishBatchAnswer(
        [],
        [
          { id: '0', code: 'InternalError', senderFault: false },
          { id: '1', code: 'Throttled', senderFault: false },
        ],
      ),
      times: 1,
    });
    const event = plainEvent([error('a', 'x'), error('b', 'y'), error('a', 'z')]);
    const { response } = await timedInvoke(event);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(publishBatchCalls()).toBe(2);
    const arrived = await queue.waitFor(2);
    expect(arrived.map((n) => [n.subject, n.attributes.count])).toEqual([
      ['Error on a (x2)', '2'],
      ['Error on b', '1'],
    ]);
  });

  it('fails every record of a collapsed alert that keeps failing, and only those', async () => {
    await setUp('sns-faults-persistent');
    // Entry 0 (host a: items 0 and 2) always fails; entry 1 (host b: item 1) is taken.
    proxy.add({
      match: isPublishBatch,
      fault: publishBatchAnswer(['1'], [{ id: '0', code: 'InternalError', senderFault: false }]),
    });
    const rules = compileRules(RULE_SPEC);
    const coordinates = (i: number): RecordCoordinates => ({
      stream: 's',
      shardId: 'shardId-000000000000',
      sequenceNumber: String(100 + i),
      subSequenceNumber: 0,
      partitionKey: 'p',
      approximateArrivalTimestamp: 1_764_000_000_000,
    });
    const items = [error('a', '1'), error('b', '2'), error('a', '3')].map((text, i) => ({
      coordinates: coordinates(i),
      value: matchRules(
        { coordinates: coordinates(i), data: Buffer.from(text), value: JSON.parse(text), text },
        rules,
      )!,
    }));
    const sink = createAlertSink({
      topicArn: process.env.ALERT_TOPIC_ARN!,
      rules,
      publish: { baseBackoffMs: 10, maxBackoffMs: 20, minRoundMs: 0 },
    });
    let left = 5;
    const result = await sink.write(items, { remainingTimeMs: () => (left-- > 0 ? 10_000 : 0) });
    expect(result).toEqual({ failed: [0, 2], rejected: [] });
    // One call with both entries, then retries of entry 0 alone until the budget said stop.
    expect(publishBatchCalls()).toBeGreaterThanOrEqual(2);

    // Through the handler: the earliest parent of the failed alert is reported.
    proxy.clear();
    proxy.add({
      match: isPublishBatch,
      fault: publishBatchAnswer(['1'], [{ id: '0', code: 'InternalError', senderFault: false }]),
    });
    const event = plainEvent([
      JSON.stringify({ level: 'INFO' }),
      error('b', '1'),
      error('a', '2'),
      error('b', '3'),
    ]);
    // Alerts in order of first occurrence: b (parents 1, 3) is entry 0 and keeps failing; a (parent 2) is taken.
    const { response, elapsedMs } = await timedInvoke(event);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS - MARGIN_MS / 2);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[1]!.kinesis.sequenceNumber }],
    });
  });

  it('dead-letters the records of an entry SNS refuses for good (SenderFault InvalidParameter)', async () => {
    const queue = await setUp('sns-faults-refused', 'refused-dl');
    proxy.add({
      match: isPublishBatch,
      fault: publishBatchAnswer(['1'], [{ id: '0', code: 'InvalidParameter', senderFault: true }]),
      times: 1,
    });
    const event = plainEvent([error('a', 'x'), error('b', 'y'), error('a', 'z')]);
    const { response } = await timedInvoke(event);
    expect(response).toEqual({ batchItemFailures: [] });
    // Refused entries are not retried.
    expect(publishBatchCalls()).toBe(1);
    const keys = await listKeys(s3Client(), BUCKET, 'refused-dl/');
    const dead = (await Promise.all(keys.map((key) => readLines(s3Client(), BUCKET, key))))
      .flat()
      .map((line) => JSON.parse(line));
    expect(dead.map((entry) => [entry.sequenceNumber, entry.errorName])).toEqual([
      [event.Records[0]!.kinesis.sequenceNumber, 'InvalidParameter'],
      [event.Records[2]!.kinesis.sequenceNumber, 'InvalidParameter'],
    ]);
    expect(dead[0].reason).toBe(
      'rule errors: SNS refused the notification: InvalidParameter (canned InvalidParameter)',
    );
    expect(await queue.notifications()).toHaveLength(0); // the canned answer published nothing
  });
});

describe('kinesis-to-sns when PublishBatch never answers', () => {
  it('answers before the deadline with the unfinished records handed back, and loses nothing on re-delivery', async () => {
    const queue = await setUp('sns-faults-hang');
    proxy.add({ match: isPublishBatch, fault: { kind: 'hang' } });
    const event = plainEvent([JSON.stringify({ level: 'INFO' }), error('a', 'x'), error('b', 'y')]);
    const { response, elapsedMs } = await timedInvoke(event);
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - MARGIN_MS - 50);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS - MARGIN_MS / 2);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[1]!.kinesis.sequenceNumber }],
    });
    expect(proxy.requests.filter((r) => r.fault === 'hang').length).toBeGreaterThan(0);
    expect(await queue.notifications()).toHaveLength(0);

    proxy.clear();
    const from = event.Records.findIndex(
      (r) => r.kinesis.sequenceNumber === response.batchItemFailures[0]!.itemIdentifier,
    );
    const retry = await timedInvoke({ Records: event.Records.slice(from) });
    expect(retry.response).toEqual({ batchItemFailures: [] });
    const arrived = await queue.waitFor(2);
    expect(arrived.map((n) => n.subject).sort()).toEqual(['Error on a', 'Error on b']);
  });
});
