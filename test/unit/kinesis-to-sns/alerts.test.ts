/**
 * The kinesis-to-sns sink without a server: what it publishes (messages, subjects, attributes, FIFO ids), how it
 * collapses alerts, what the suppression window decides, and which records come back failed or rejected. SNS and
 * DynamoDB answers are scripted with aws-sdk-client-mock (per-entry failures and refusals that fauxqs and dynalite
 * do not produce on demand); test/integration/kinesis-to-sns runs the same sink against the emulators.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  type PublishBatchResponse,
  SNSClient,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import {
  type AlertSinkOptions,
  alertId,
  type CollapsedAlert,
  collapseAlerts,
  createAlertSink,
  notificationOf,
} from '../../../functions/kinesis-to-sns/alerts';
import { parseRules } from '../../../functions/kinesis-to-sns/rules';
import { suppressionKey } from '../../../functions/kinesis-to-sns/suppression';
import { type AlertMatch, matchRules } from '../../../functions/kinesis-to-sns/transform';
import { resetClients } from '../../../shared/aws/clients';
import type { RecordCoordinates, SinkItem, SinkWriteContext } from '../../../shared/kinesis/types';
import { logger, metrics } from '../../../shared/middleware/observability';

const sns = mockClient(SNSClient);
const dynamodb = mockClient(DynamoDBClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';
const FIFO_TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts.fifo';
const ARRIVAL = Date.UTC(2025, 10, 22, 2);

const rules = parseRules(
  JSON.stringify([
    {
      name: 'by-host',
      pattern: { level: ['ERROR'] },
      severity: 'high',
      subject: 'E {{detail.host}}',
      message: '{{msg}}',
      groupBy: 'detail.host',
    },
    { name: 'same-text', pattern: { level: ['WARN'] }, severity: 'low', message: '{{msg}}' },
  ]),
);

const coordinates = (sequenceNumber: string, over: Partial<RecordCoordinates> = {}): RecordCoordinates => ({
  stream: 'app-logs',
  shardId: 'shardId-000000000001',
  sequenceNumber,
  subSequenceNumber: 0,
  partitionKey: 'p',
  approximateArrivalTimestamp: ARRIVAL,
  ...over,
});

/** One sink item per record value, matched against `rules` like the handler's transform does. */
function itemsOf(values: object[]): SinkItem<AlertMatch[]>[] {
  return values.map((value, i) => {
    const text = JSON.stringify(value);
    const record = { coordinates: coordinates(String(100 + i)), data: Buffer.from(text), value, text };
    return { coordinates: record.coordinates, value: matchRules(record, rules)! };
  });
}
const error = (host: string, msg = 'boom') => ({ level: 'ERROR', detail: { host }, msg });
const warn = (msg: string) => ({ level: 'WARN', msg });

/** Scripted SNS: every entry published is recorded; `answer` decides per entry (by message) what SNS says. */
function scriptSns(
  answer: (entry: PublishBatchRequestEntry) => 'ok' | { Code: string; SenderFault: boolean } = () => 'ok',
) {
  const published: PublishBatchRequestEntry[] = [];
  sns
    .on(PublishBatchCommand)
    .callsFake((input: { PublishBatchRequestEntries: PublishBatchRequestEntry[] }) => {
      const response: PublishBatchResponse = { Successful: [], Failed: [] };
      for (const entry of input.PublishBatchRequestEntries) {
        published.push(entry);
        const verdict = answer(entry);
        if (verdict === 'ok') response.Successful!.push({ Id: entry.Id, MessageId: `m-${published.length}` });
        else response.Failed!.push({ Id: entry.Id, ...verdict, Message: 'entry refused' });
      }
      return response;
    });
  return published;
}

/** A budget that lasts for the first PublishBatch round only: transient failures come back `failed`. */
const oneRound = (signal?: AbortSignal): SinkWriteContext => ({
  remainingTimeMs: () => (sns.commandCalls(PublishBatchCommand).length === 0 ? 60_000 : 0),
  signal,
});
const fast = { baseBackoffMs: 1, maxBackoffMs: 1, minRoundMs: 0, client: new SNSClient({}) };
const sink = (over: Partial<AlertSinkOptions> = {}) =>
  createAlertSink({ topicArn: TOPIC, rules, publish: fast, ...over });
const suppression = { tableName: 'alert-windows', windowMs: 60_000, now: () => ARRIVAL };
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

let addMetric: MockInstance<typeof metrics.addMetric>;
const metric = (name: string) => addMetric.mock.calls.filter(([n]) => n === name).map(([, , value]) => value);

beforeEach(() => {
  addMetric = vi.spyOn(metrics, 'addMetric');
});
afterEach(() => {
  sns.reset();
  dynamodb.reset();
  resetClients();
  vi.restoreAllMocks();
});

describe('collapsing', () => {
  it('counts a record that raised the same alert twice once in the alert items', () => {
    const [item] = itemsOf([error('a')]);
    const twice = { ...item!, value: [item!.value[0]!, item!.value[0]!] };
    const alerts = collapseAlerts([twice, ...itemsOf([error('b'), error('b')])], rules);
    expect(alerts.map((a) => [a.match.group, a.count, a.items])).toEqual([
      ['a', 2, [0]],
      ['b', 2, [1, 2]],
    ]);
  });
});

describe('notifications', () => {
  const [single, ...pair] = collapseAlerts(itemsOf([warn('disk'), error('web-1'), error('web-1')]), rules);

  it('sends a single alert as it is: its own message and subject, no count', () => {
    const notification = notificationOf(single!, false);
    expect(notification).toEqual({
      subject: '[low] same-text',
      message: 'disk',
      attributes: { rule: 'same-text', severity: 'low', stream: 'app-logs', count: 1 },
    });
  });

  it('names the groupBy path and value of a collapsed alert, and nothing without groupBy', () => {
    const grouped = notificationOf(pair[0]!, false);
    expect(grouped.subject).toBe('E web-1 (x2)');
    expect(grouped.message).toBe(
      'boom\n\n-- 2 records matched rule by-host in this batch (detail.host="web-1")\n' +
        'first: 2025-11-22T02:00:00.000Z shardId-000000000001 101/0\n' +
        'last:  2025-11-22T02:00:00.000Z shardId-000000000001 102/0',
    );
    const [same] = collapseAlerts(itemsOf([warn('disk'), warn('disk'), warn('disk')]), rules);
    expect(notificationOf(same!, false).message).toBe(
      'disk\n\n-- 3 records matched rule same-text in this batch\n' +
        'first: 2025-11-22T02:00:00.000Z shardId-000000000001 100/0\n' +
        'last:  2025-11-22T02:00:00.000Z shardId-000000000001 102/0',
    );
  });

  it("names the stream 'unknown' when the coordinates have none", () => {
    const alert = { ...single!, first: { ...single!.first, stream: '' } };
    expect(notificationOf(alert, false).attributes).toMatchObject({ stream: 'unknown' });
  });

  it('gives a FIFO notification its group and a deduplication id that a re-delivery repeats', () => {
    const fifo = notificationOf(pair[0]!, true);
    expect(fifo.groupId).toBe('web-1');
    expect(fifo.deduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(fifo.deduplicationId).toBe(alertId(pair[0]!));
    // The same record re-delivered (a later invocation collapses it afresh) gets the same id.
    const again = collapseAlerts(itemsOf([warn('disk'), error('web-1')]), rules)[1]!;
    expect(notificationOf(again, true).deduplicationId).toBe(fifo.deduplicationId);
  });

  it('gives every alert and every first occurrence its own deduplication id', () => {
    const base = pair[0]!;
    const variants: CollapsedAlert[] = [
      { ...base, first: { ...base.first, stream: 'other' } },
      { ...base, first: { ...base.first, shardId: 'shardId-000000000002' } },
      { ...base, first: { ...base.first, sequenceNumber: '999' } },
      { ...base, first: { ...base.first, subSequenceNumber: 1 } },
      { ...base, rule: rules[1]! },
      { ...base, match: { ...base.match, key: 'g\u0000web-2' } },
    ];
    const ids = [base, ...variants].map(alertId);
    expect(new Set(ids).size).toBe(ids.length);
    // The coordinates' parts are delimited: moving a digit from one field to the next is another occurrence.
    const split = { ...base, first: { ...base.first, sequenceNumber: '1', subSequenceNumber: 23 } };
    const joined = { ...base, first: { ...base.first, sequenceNumber: '12', subSequenceNumber: 3 } };
    expect(alertId(split)).not.toBe(alertId(joined));
  });
});

describe('the alert sink', () => {
  it('publishes one notification per collapsed alert with its attributes, and counts what it did', async () => {
    const published = scriptSns();
    const result = await sink().write(itemsOf([error('a'), warn('x'), error('a'), error('b')]), oneRound());
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(
      published.map((e) => [e.Subject, e.Message!.split('\n')[0], e.MessageAttributes?.count?.StringValue]),
    ).toEqual([
      ['E a (x2)', 'boom', '2'],
      ['[low] same-text', 'x', '1'],
      ['E b', 'boom', '1'],
    ]);
    expect(published[0]!.MessageAttributes).toEqual({
      rule: { DataType: 'String', StringValue: 'by-host' },
      severity: { DataType: 'String', StringValue: 'high' },
      stream: { DataType: 'String', StringValue: 'app-logs' },
      count: { DataType: 'Number', StringValue: '2' },
    });
    expect(published.some((e) => e.MessageGroupId || e.MessageDeduplicationId)).toBe(false);
    expect(metric('AlertsPublished')).toEqual([3]);
    expect(metric('AlertsCollapsed')).toEqual([1]);
    expect(metric('AlertsSuppressed')).toEqual([]);
  });

  it('sets MessageGroupId and MessageDeduplicationId on a FIFO topic', async () => {
    const published = scriptSns();
    const items = itemsOf([error('a'), warn('x')]);
    await sink({ topicArn: FIFO_TOPIC }).write(items, oneRound());
    const alerts = collapseAlerts(items, rules);
    expect(published.map((e) => [e.MessageGroupId, e.MessageDeduplicationId])).toEqual([
      ['a', alertId(alerts[0]!)],
      ['same-text', alertId(alerts[1]!)],
    ]);
  });

  it("cuts a message to the topic's maximum size", async () => {
    const published = scriptSns();
    await sink({ maxRequestBytes: 1_000 }).write(itemsOf([warn('x'.repeat(5_000))]), oneRound());
    expect(published[0]!.Message).toMatch(/\n\[truncated: \d+ of 5000 bytes not shown\]$/);
    expect(Buffer.byteLength(published[0]!.Message!)).toBeLessThan(1_000);
  });

  it('hands back every record of an alert SNS did not take, in index order, and nothing else', async () => {
    // Alert "a" (records 0 and 11) fails; alert "b" (record 2) fails; the WARN alerts are delivered.
    const values = [
      error('a'),
      warn('w1'),
      error('b'),
      ...Array.from({ length: 8 }, (_, i) => warn(`w${i + 3}`)),
      error('a'),
    ];
    scriptSns((entry) =>
      entry.Subject?.startsWith('E ') ? { Code: 'Throttled', SenderFault: false } : 'ok',
    );
    const result = await sink().write(itemsOf(values), oneRound());
    expect(result).toEqual({ failed: [0, 2, 11], rejected: [] });
    expect(metric('AlertsPublished')).toEqual([9]);
  });

  it('dead-letters every record of an alert SNS refuses for good, with the rule and SNS code', async () => {
    scriptSns((entry) =>
      entry.Message!.startsWith('bad') ? { Code: 'InvalidParameter', SenderFault: true } : 'ok',
    );
    const result = await sink().write(itemsOf([warn('bad'), warn('ok'), warn('bad')]), oneRound());
    expect(result.failed).toEqual([]);
    expect(result.rejected).toEqual(
      [0, 2].map((index) => ({
        index,
        errorName: 'InvalidParameter',
        reason: 'rule same-text: SNS refused the notification: InvalidParameter (entry refused)',
      })),
    );
    expect(metric('AlertsPublished')).toEqual([1]);
  });

  it('fails rather than rejects a record whose other alert failed', async () => {
    const both = parseRules(
      JSON.stringify([
        { name: 'refused', pattern: { level: ['ERROR'] }, severity: 'high', message: 'r' },
        { name: 'throttled', pattern: { level: ['ERROR'] }, severity: 'high', message: 't' },
      ]),
    );
    scriptSns((entry) =>
      entry.Message === 'r'
        ? { Code: 'ValidationError', SenderFault: true }
        : { Code: 'Throttled', SenderFault: false },
    );
    const items = itemsOf([error('a')]).map((item) => ({
      ...item,
      value: matchRules({ ...item, data: Buffer.from(''), value: error('a') }, both)!,
    }));
    const result = await sink({ rules: both }).write(items, oneRound());
    expect(result).toEqual({ failed: [0], rejected: [] });
  });

  it('makes no PublishBatch call when there is nothing left to publish', async () => {
    scriptSns();
    dynamodb.on(PutItemCommand).rejects(conditionFailed());
    const result = await sink({ suppression }).write(itemsOf([warn('x')]), oneRound());
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
    expect(metric('AlertsPublished')).toEqual([0]);
  });
});

describe('the suppression window', () => {
  it('claims each alert under its rule and group with its deduplication id, and publishes the claimed ones', async () => {
    const published = scriptSns();
    dynamodb.on(PutItemCommand).resolves({});
    const items = itemsOf([error('a'), error('a'), warn('x')]);
    const result = await sink({ suppression }).write(items, oneRound());
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(published).toHaveLength(2);
    const alerts = collapseAlerts(items, rules);
    const claims = dynamodb.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(claims.map((input) => [input.TableName, input.Item!.pk!.S, input.Item!.claim!.S])).toEqual(
      alerts.map((alert) => [
        'alert-windows',
        suppressionKey(alert.rule.name, alert.match.key),
        alertId(alert),
      ]),
    );
    expect(claims[0]!.Item!.windowEndsAtMs!.N).toBe(String(ARRIVAL + 60_000));
    expect(metric('AlertsSuppressed')).toEqual([]);
  });

  it('drops the alerts another invocation published inside the window, and counts them', async () => {
    const published = scriptSns();
    dynamodb.on(PutItemCommand).callsFake((input: { Item: { pk: { S: string } } }) => {
      if (input.Item.pk.S.startsWith('same-text#')) throw conditionFailed();
      return {};
    });
    const result = await sink({ suppression }).write(
      itemsOf([warn('x'), error('a'), warn('y'), warn('y')]),
      oneRound(),
    );
    expect(result).toEqual({ failed: [], rejected: [] });
    expect(published.map((e) => e.Subject)).toEqual(['E a']);
    expect(metric('AlertsSuppressed')).toEqual([2]);
    expect(metric('AlertsPublished')).toEqual([1]);
    expect(metric('AlertsCollapsed')).toEqual([1]);
  });

  it('hands back the records of an alert whose window check failed, and says so without the payload', async () => {
    const published = scriptSns();
    const warnLog = vi.spyOn(logger, 'warn');
    dynamodb.on(PutItemCommand).callsFake((input: { Item: { pk: { S: string } } }) => {
      if (input.Item.pk.S.startsWith('by-host#')) {
        const failure = new Error('Service unavailable for "secret-host"');
        failure.name = 'ServiceUnavailable';
        throw failure;
      }
      return {};
    });
    const result = await sink({ suppression }).write(
      itemsOf([error('secret-host'), warn('x'), error('secret-host')]),
      oneRound(),
    );
    expect(result).toEqual({ failed: [0, 2], rejected: [] });
    expect(published.map((e) => e.Message)).toEqual(['x']);
    expect(warnLog).toHaveBeenCalledWith('Suppression window check failed; the alert is handed back', {
      rule: 'by-host',
      errorName: 'ServiceUnavailable',
      errorMessage: 'Service unavailable for "…"',
    });
    expect(metric('AlertsSuppressed')).toEqual([]);
  });

  it('releases the claim of an alert SNS did not take, so its retry is not suppressed', async () => {
    scriptSns((entry) => (entry.Message === 'x' ? { Code: 'Throttled', SenderFault: false } : 'ok'));
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(DeleteItemCommand).resolves({});
    const items = itemsOf([warn('x'), warn('y')]);
    const result = await sink({ suppression }).write(items, oneRound());
    expect(result).toEqual({ failed: [0], rejected: [] });
    const [alert] = collapseAlerts(items, rules);
    expect(dynamodb.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'alert-windows',
        Key: { pk: { S: suppressionKey('same-text', alert!.match.key) } },
        ConditionExpression: 'claim = :claim',
        ExpressionAttributeValues: { ':claim': { S: alertId(alert!) } },
      },
    ]);
  });

  it('still hands the records back when the release fails, and keeps a refused alert claimed', async () => {
    scriptSns((entry) =>
      entry.Message === 'x'
        ? { Code: 'Throttled', SenderFault: false }
        : { Code: 'InvalidParameter', SenderFault: true },
    );
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(DeleteItemCommand).rejects(new Error('throttled'));
    const result = await sink({ suppression }).write(itemsOf([warn('x'), warn('y')]), {
      remainingTimeMs: oneRound().remainingTimeMs,
    });
    expect(result.failed).toEqual([0]);
    expect(result.rejected).toMatchObject([{ index: 1, errorName: 'InvalidParameter' }]);
    expect(dynamodb.commandCalls(DeleteItemCommand)).toHaveLength(1);
  });

  it('releases nothing once the invocation is aborted', async () => {
    const controller = new AbortController();
    sns.on(PublishBatchCommand).callsFake(() => {
      controller.abort();
      return { Failed: [{ Id: '0', Code: 'Throttled', SenderFault: false }] };
    });
    dynamodb.on(PutItemCommand).resolves({});
    dynamodb.on(DeleteItemCommand).resolves({});
    const result = await sink({ suppression }).write(itemsOf([warn('x')]), oneRound(controller.signal));
    expect(result).toEqual({ failed: [0], rejected: [] });
    expect(dynamodb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('never touches DynamoDB without a suppression table', async () => {
    scriptSns(() => ({ Code: 'Throttled', SenderFault: false }));
    const result = await sink().write(itemsOf([warn('x')]), oneRound());
    expect(result).toEqual({ failed: [0], rejected: [] });
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
