/**
 * The shard autoscaler end to end: kinesalite (streams, tags, for real) behind the scaling proxy
 * (UpdateShardCount with AWS's rules), the CloudWatch fake (alarms, GetMetricData), the Lambda fake (consumers'
 * reserved concurrency), fauxqs (notifications).
 */

import { type AddressInfo, createServer, type Socket } from 'node:net';
import {
  AddTagsToStreamCommand,
  DescribeLimitsCommand,
  ListTagsForStreamCommand,
} from '@aws-sdk/client-kinesis';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Outcome } from '../../../functions/shard-autoscaler/act';
import { alarmName, shardCountInAlarm } from '../../../functions/shard-autoscaler/alarms';
import { config } from '../../../functions/shard-autoscaler/config';
import { handler, type ShardAutoscalerResult } from '../../../functions/shard-autoscaler/handler';
import { decodeHistory, encodeHistory, HISTORY_TAG } from '../../../functions/shard-autoscaler/history';
import { PENDING_TAG } from '../../../functions/shard-autoscaler/pending';
import { atExpression, rearmScheduleName } from '../../../functions/shard-autoscaler/rearm';
import { resolvePolicy } from '../../../functions/shard-autoscaler/policy';
import { kinesisClient, resetClients } from '../../../shared/aws/clients';
import { metrics } from '../../../shared/middleware';
import { lambdaContext } from '../../support/kinesis-events';
import { LAMBDA_ERRORS } from '../../support/lambda-fake';
import { SCHEDULER_ERRORS } from '../../support/scheduler-fake';
import {
  type AutoscalerWorld,
  eventBridgeAlarmEvent,
  snsAlarmEvent,
  startAutoscalerWorld,
} from '../../support/shard-autoscaler-world';
import { captureTopic, type SnsCapture } from '../../support/sns-capture';

const MIB = 1024 * 1024;
const PREFIX = 'it-autoscale-';
const ALARM_TOPIC = 'arn:aws:sns:us-east-1:000000000000:it-autoscaler-alarms';
const saved = { ...process.env };
let world: AutoscalerWorld;
let notifications: SnsCapture;
let streamCounter = 0;

/** Each test gets its own stream (kinesalite is shared by the whole run). */
function streamName(label: string) {
  streamCounter += 1;
  return `autoscale-${label}-${streamCounter}-${Date.now().toString(36)}`;
}

async function configure(streams: string[], extra: Record<string, string> = {}) {
  Object.assign(process.env, {
    ALARM_NAME_PREFIX: PREFIX,
    AUTOSCALED_STREAMS: JSON.stringify(streams.map((streamName) => ({ streamName, maxShards: 16 }))),
    ALARM_ACTIONS: ALARM_TOPIC,
    NOTIFICATION_TOPIC_ARN: notifications.topicArn,
    DRY_RUN: 'false',
    // Reset what an earlier case may have set (process.env is shared by the whole file).
    CHECK_ACCOUNT_SHARD_LIMIT: 'false',
    REARM_SCHEDULE_ROLE_ARN: '',
    ...extra,
  });
  config.reset();
}

async function invoke(event: unknown): Promise<Outcome[]> {
  const result = (await handler(
    event,
    lambdaContext('shard-autoscaler') as unknown as Context,
  )) as ShardAutoscalerResult;
  return result.outcomes;
}

/** A provisioned stream with `shards`, its two alarms, `direction`'s in ALARM since 10 s ago, and traffic. */
async function arrange(label: string, shards: number, direction: 'up' | 'down', bytesPerSecond: number) {
  const name = streamName(label);
  await world.createStream(name, shards);
  await configure([name]);
  await world.installAlarms(resolvePolicy({ streamName: name, maxShards: 16 }), shards, PREFIX, [
    ALARM_TOPIC,
  ]);
  const alarm = alarmName(PREFIX, name, direction);
  const changed = Date.now() - 10_000;
  world.cloudwatch.setState(alarm, 'ALARM', changed);
  world.feedTraffic(name, { bytesPerSecond, recordsPerSecond: bytesPerSecond / 2048 });
  return { name, alarm, changed };
}

async function historyOf(name: string) {
  // 50: every tag in one page (a stream has at most 50), wherever the history's key sorts.
  const tags = await kinesisClient().send(new ListTagsForStreamCommand({ StreamName: name, Limit: 50 }));
  expect(tags.HasMoreTags).toBe(false);
  return decodeHistory(tags.Tags?.find((tag) => tag.Key === HISTORY_TAG)?.Value);
}

beforeAll(async () => {
  world = await startAutoscalerWorld({ kinesisEndpoint: process.env.AWS_ENDPOINT_URL_KINESIS! });
  Object.assign(process.env, world.env);
  resetClients();
  notifications = await captureTopic(`autoscaler-notifications-${Date.now().toString(36)}`);
});

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  resetClients();
  config.reset();
  await world.stop();
});

beforeEach(() => {
  world.cloudwatch.calls.length = 0;
  world.lambda.reset();
});

describe('shard-autoscaler handler', () => {
  it('scales up on an SNS-wrapped alarm: measured target, alarms rewritten and reset, history tagged, notified', async () => {
    // 2 shards offered 3 MiB/s: 3 shards of demand, 6 at 50 % utilisation, capped at 2x = 4.
    const { name, alarm, changed } = await arrange('up', 2, 'up', 3 * MIB);
    const [outcome] = await invoke(snsAlarmEvent(alarm, changed));

    expect(outcome).toMatchObject({
      outcome: 'scaled',
      streamName: name,
      direction: 'up',
      from: 2,
      to: 4,
      budgetLeft: 9,
    });
    expect(world.kinesis.updates.filter((u) => u.stream === name)).toEqual([{ stream: name, target: 4 }]);
    for (const direction of ['up', 'down'] as const) {
      const written = world.cloudwatch.alarms.get(alarmName(PREFIX, name, direction))!;
      expect(shardCountInAlarm(written.Metrics as never)).toBe(4);
      expect(written.StateValue).toBe('INSUFFICIENT_DATA');
      expect(written.AlarmActions).toEqual([ALARM_TOPIC]);
    }
    const history = await historyOf(name);
    expect(history).toHaveLength(1);
    expect(Math.abs(history[0]! - Date.now())).toBeLessThan(10_000);
    // Every call a scaling costs, counted.
    expect(outcome!.apiCalls).toEqual({
      DescribeStreamSummary: 1,
      ListTagsForStream: 1,
      DescribeAlarms: 1,
      GetMetricData: 1,
      AddTagsToStream: 1,
      UpdateShardCount: 1,
      PutMetricAlarm: 2,
      SetAlarmState: 2,
      Publish: 1,
    });
    const sent = (await notifications.notifications()).find((n) => n.subject?.includes(name));
    expect(sent?.subject).toBe(`Kinesis ${name}: 2 -> 4 shards (scale up)`.slice(0, 100));
    expect(sent?.message).toMatch(/Budget: 9 of 10 scaling operations left/);
    expect(sent?.message).toMatch(/at most 2x current/);
  });

  it('never scales twice on duplicate or stale deliveries (SNS at-least-once, or both trigger paths on)', async () => {
    const { name, alarm, changed } = await arrange('dup', 2, 'up', 3 * MIB);
    const sns = snsAlarmEvent(alarm, changed);
    const [first] = await invoke(sns);
    expect(first?.outcome).toBe('scaled');
    // The same message again, and the same transition through EventBridge.
    const [again] = await invoke(sns);
    const [viaEventBridge] = await invoke(eventBridgeAlarmEvent(alarm, changed));
    for (const duplicate of [again, viaEventBridge]) {
      expect(duplicate).toMatchObject({ outcome: 'stale' });
      expect(duplicate?.detail).toMatch(/before the last scaling/);
      expect(duplicate?.apiCalls.UpdateShardCount).toBeUndefined();
    }
    // A transition after the scaling, but the alarm has since been reset: still not acted on.
    const [late] = await invoke(snsAlarmEvent(alarm, Date.now() + 2_000, 'late'));
    expect(late).toMatchObject({ outcome: 'stale', detail: expect.stringMatching(/INSUFFICIENT_DATA now/) });
    expect(world.kinesis.updates.filter((u) => u.stream === name)).toHaveLength(1);
  });

  it('emits ShardCount per stream after each decision (the dashboard line): the target of a scaling, else the count', async () => {
    const { name, alarm, changed } = await arrange('count', 2, 'up', 3 * MIB);
    const recorded: Array<{ name: string; value: number; dimensions: Record<string, string> }> = [];
    const single = vi.spyOn(metrics, 'singleMetric').mockImplementation(() => {
      const dimensions: Record<string, string> = {};
      return {
        addDimension: (key: string, value: string) => void (dimensions[key] = value),
        addMetric: (metric: string, _unit: unknown, value: number) =>
          void recorded.push({ name: metric, value, dimensions: { ...dimensions } }),
      } as never;
    });
    try {
      const counts = () =>
        recorded
          .filter((entry) => entry.name === 'ShardCount')
          .map((entry) => [entry.dimensions, entry.value]);
      const [scaled] = await invoke(snsAlarmEvent(alarm, changed));
      expect(scaled?.outcome).toBe('scaled');
      expect(counts()).toEqual([[{ StreamName: name }, 4]]);
      // A duplicate: no scaling, the count the stream has (UPDATING toward 4 in the proxy, or there).
      recorded.length = 0;
      const [duplicate] = await invoke(snsAlarmEvent(alarm, changed));
      expect(duplicate?.outcome).not.toBe('scaled');
      expect(counts()).toHaveLength(1);
      expect(counts()[0]![0]).toEqual({ StreamName: name });
      // DRY_RUN: the count the stream has, never the one it would scale to.
      const dry = await arrange('count-dry', 2, 'up', 3 * MIB);
      await configure([dry.name], { DRY_RUN: 'true' });
      recorded.length = 0;
      const [wouldScale] = await invoke(snsAlarmEvent(dry.alarm, dry.changed));
      expect(wouldScale).toMatchObject({ outcome: 'dry-run', from: 2, to: 4 });
      expect(counts()).toEqual([[{ StreamName: dry.name }, 2]]);
      // Not about a configured stream: no count.
      recorded.length = 0;
      await invoke({ hello: 'world' });
      expect(counts()).toEqual([]);
    } finally {
      single.mockRestore();
    }
  });

  /** Tags that sort before `autoscaler.`, as an organisation that tags everything has (kinesalite: 10 per call). */
  async function tagLikeAnOrganisation(name: string, count: number) {
    const keys = Array.from({ length: count }, (_, i) => `aa-org-${String(i).padStart(2, '0')}`);
    for (let i = 0; i < keys.length; i += 10) {
      await kinesisClient().send(
        new AddTagsToStreamCommand({
          StreamName: name,
          Tags: Object.fromEntries(keys.slice(i, i + 10).map((key) => [key, 'x'])),
        }),
      );
    }
    // What AWS shows a reader that asks for no Limit: the first 10 keys, none of them the autoscaler's.
    const first = await kinesisClient().send(new ListTagsForStreamCommand({ StreamName: name }));
    expect(first.Tags).toHaveLength(10);
    expect(first.HasMoreTags).toBe(true);
  }

  it('keeps the history of a stream with 12 tags sorting before autoscaler.: a duplicate never scales twice', async () => {
    const { name, alarm, changed } = await arrange('tagged', 2, 'up', 3 * MIB);
    await tagLikeAnOrganisation(name, 12);
    const sns = snsAlarmEvent(alarm, changed);
    const [first] = await invoke(sns);
    expect(first).toMatchObject({ outcome: 'scaled', from: 2, to: 4 });
    expect(await historyOf(name)).toHaveLength(1);

    world.kinesis.tagListings.length = 0;
    const [again] = await invoke(sns);
    expect(again).toMatchObject({
      outcome: 'stale',
      detail: expect.stringMatching(/before the last scaling/),
    });
    expect(again?.apiCalls.ListTagsForStream).toBe(1);
    expect(world.kinesis.tagListings).toEqual([{ stream: name, limit: 50 }]);
    expect(world.kinesis.updates.filter((u) => u.stream === name)).toHaveLength(1);
  });

  it('counts the 24 h budget of a stream with 12 tags sorting before autoscaler.', async () => {
    const { name, alarm, changed } = await arrange('tagged-budget', 2, 'up', 3 * MIB);
    await tagLikeAnOrganisation(name, 12);
    const spent = Array.from({ length: 10 }, (_, i) => changed - (i + 1) * 3_600_000);
    await kinesisClient().send(
      new AddTagsToStreamCommand({ StreamName: name, Tags: { [HISTORY_TAG]: encodeHistory(spent) } }),
    );
    const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
    expect(outcome).toMatchObject({ outcome: 'held', hold: 'budget-exhausted', budgetLeft: 0 });
    expect(outcome?.apiCalls.UpdateShardCount).toBeUndefined();
  });

  it('follows HasMoreTags when a page holds fewer tags than asked for', async () => {
    const { name, alarm, changed } = await arrange('tag-pages', 2, 'up', 3 * MIB);
    await tagLikeAnOrganisation(name, 12);
    const [first] = await invoke(snsAlarmEvent(alarm, changed));
    expect(first?.outcome).toBe('scaled');
    world.kinesis.tagPageMax = 5;
    world.kinesis.tagListings.length = 0;
    try {
      const [again] = await invoke(snsAlarmEvent(alarm, changed));
      expect(again).toMatchObject({ outcome: 'stale' });
      // 14 tags (12 + history + last-scaling) in pages of 5: three calls, each after the previous page's last key.
      expect(again?.apiCalls.ListTagsForStream).toBe(3);
      expect(world.kinesis.tagListings).toEqual([
        { stream: name, limit: 50 },
        { stream: name, limit: 50, exclusiveStartTagKey: 'aa-org-04' },
        { stream: name, limit: 50, exclusiveStartTagKey: 'aa-org-09' },
      ]);
    } finally {
      world.kinesis.tagPageMax = 50;
    }
    expect(world.kinesis.updates.filter((u) => u.stream === name)).toHaveLength(1);
  });

  it('scales down on an EventBridge alarm state change, never below half', async () => {
    // 6 shards, 0.2 MiB/s for the last hour: 1 shard would do, half of 6 is the floor.
    const { name, alarm, changed } = await arrange('down', 6, 'down', 0.2 * MIB);
    const [outcome] = await invoke(eventBridgeAlarmEvent(alarm, changed));
    expect(outcome).toMatchObject({ outcome: 'scaled', direction: 'down', from: 6, to: 3 });
    expect(world.kinesis.shardCount(name)).toBe(3);
  });

  async function tagsOf(name: string) {
    const tags = await kinesisClient().send(new ListTagsForStreamCommand({ StreamName: name, Limit: 50 }));
    return new Map((tags.Tags ?? []).map((tag) => [tag.Key!, tag.Value ?? '']));
  }
  const downAlarm = (name: string) => world.cloudwatch.alarms.get(alarmName(PREFIX, name, 'down'))!;

  it('finishes a scale-down the half rule cut short: pending target tagged, scale-down threshold raised, then the rest', async () => {
    // 12 shards offered 2.4 MiB/s for the last hour: 5 shards at the 0.5 target; the half rule allows 6.
    const { name, alarm, changed } = await arrange('pending', 12, 'down', 2.4 * MIB);
    const [first] = await invoke(eventBridgeAlarmEvent(alarm, changed));
    expect(first).toMatchObject({ outcome: 'scaled', from: 12, to: 6, pending: 5 });
    expect(first?.detail).toMatch(/at least half of current \(6\); 5 pending/);
    expect(first?.apiCalls.AddTagsToStream).toBe(1); // history and pending target in one call
    expect((await tagsOf(name)).get(PENDING_TAG)).toBe('down to 5');
    // 5 of 6 shards at 0.5 = 0.4166: the load (0.4 of 6) is under it, so the reset alarm fires again; the
    // scale-up alarm is unchanged.
    expect(downAlarm(name)).toMatchObject({ Threshold: 0.4166, StateValue: 'INSUFFICIENT_DATA' });
    expect(downAlarm(name).AlarmDescription).toMatch(/continuing toward the pending 5 shards/);
    expect(world.cloudwatch.alarms.get(alarmName(PREFIX, name, 'up'))?.Threshold).toBe(0.75);
    const sent = (await notifications.notifications()).find((n) => n.subject?.includes(`${name}: 12 -> 6`));
    expect(sent?.message).toMatch(/5 shards pending: .* the next step follows after the cooldown/);

    // The same delivery again: stale, as before.
    const [duplicate] = await invoke(eventBridgeAlarmEvent(alarm, changed));
    expect(duplicate).toMatchObject({ outcome: 'stale' });
    // The raised alarm fires within the cooldown (900 s): held and re-armed, nothing scaled.
    world.cloudwatch.setState(alarm, 'ALARM', Date.now() + 1000);
    const [early] = await invoke(eventBridgeAlarmEvent(alarm, Date.now() + 1000, 'early'));
    expect(early).toMatchObject({ outcome: 'held', hold: 'cooldown', rearmed: true, from: 6 });
    expect(world.kinesis.updates.filter((u) => u.stream === name)).toEqual([{ stream: name, target: 6 }]);

    // After the cooldown (the scaling moved 20 minutes back), it fires again: 6 -> 5, pending cleared, the normal
    // threshold back.
    await kinesisClient().send(
      new AddTagsToStreamCommand({
        StreamName: name,
        Tags: { [HISTORY_TAG]: encodeHistory([Date.now() - 20 * 60_000]) },
      }),
    );
    const at = Date.now() + 2000;
    world.cloudwatch.setState(alarm, 'ALARM', at);
    const [rest] = await invoke(eventBridgeAlarmEvent(alarm, at, 'rest'));
    expect(rest).toMatchObject({ outcome: 'scaled', from: 6, to: 5 });
    expect(rest).not.toHaveProperty('pending');
    expect((await tagsOf(name)).get(PENDING_TAG)).toBe('');
    expect(downAlarm(name).Threshold).toBe(0.25);
    expect(world.kinesis.shardCount(name)).toBe(5);
    // And its duplicate is stale.
    const [again] = await invoke(eventBridgeAlarmEvent(alarm, at, 'rest'));
    expect(again).toMatchObject({ outcome: 'stale' });
    expect(world.kinesis.updates.filter((u) => u.stream === name)).toHaveLength(2);
  });

  it('puts the pending target back when UpdateShardCount is refused', async () => {
    const { name, alarm, changed } = await arrange('pending-refused', 12, 'down', 2.4 * MIB);
    await kinesisClient().send(
      new AddTagsToStreamCommand({ StreamName: name, Tags: { [PENDING_TAG]: 'down to 9' } }),
    );
    world.kinesis.failNextUpdate('LimitExceededException', 'Rate exceeded for stream');
    try {
      const [outcome] = await invoke(eventBridgeAlarmEvent(alarm, changed));
      expect(outcome).toMatchObject({ outcome: 'failed', error: 'LimitExceededException' });
      expect(outcome?.apiCalls.AddTagsToStream).toBe(2); // recorded, then rolled back
    } finally {
      world.kinesis.clearInjectedFailures();
    }
    expect((await tagsOf(name)).get(PENDING_TAG)).toBe('down to 9');
    expect(await historyOf(name)).toEqual([]);
    expect(downAlarm(name).Threshold).toBe(0.25);
  });

  it('DRY_RUN reports the pending target and writes neither the tag nor the alarms', async () => {
    const { name, alarm, changed } = await arrange('pending-dry', 12, 'down', 2.4 * MIB);
    await configure([name], { DRY_RUN: 'true' });
    world.cloudwatch.calls.length = 0;
    const [outcome] = await invoke(eventBridgeAlarmEvent(alarm, changed));
    expect(outcome).toMatchObject({ outcome: 'dry-run', from: 12, to: 6, pending: 5 });
    expect(outcome?.detail).toMatch(/^would scale down 12 -> 6: .*5 pending/);
    expect(world.cloudwatch.count('PutMetricAlarm') + world.cloudwatch.count('SetAlarmState')).toBe(0);
    expect((await tagsOf(name)).has(PENDING_TAG)).toBe(false);
    expect(world.kinesis.updates.filter((u) => u.stream === name)).toEqual([]);
  });

  it('holds a scale-down while consumers lag, re-arming the alarm', async () => {
    const { name, alarm, changed } = await arrange('lag', 4, 'down', 0.1 * MIB);
    world.feedTraffic(name, { bytesPerSecond: 0, iteratorAgeMs: 900_000, minutes: 10 });
    const [outcome] = await invoke(eventBridgeAlarmEvent(alarm, changed));
    expect(outcome).toMatchObject({ outcome: 'held', hold: 'consumers-lagging', rearmed: true });
    expect(world.cloudwatch.alarms.get(alarm)?.StateValue).toBe('INSUFFICIENT_DATA');
  });

  it('skips on-demand streams, and says so', async () => {
    const name = streamName('ondemand');
    await world.createStream(name, 0, { onDemand: true });
    await configure([name]);
    await world.installAlarms(resolvePolicy({ streamName: name }), 4, PREFIX);
    const alarm = alarmName(PREFIX, name, 'up');
    world.cloudwatch.setState(alarm, 'ALARM');
    const [outcome] = await invoke(snsAlarmEvent(alarm, Date.now()));
    expect(outcome).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/ON_DEMAND/) });
    expect(outcome?.apiCalls).toEqual({ DescribeStreamSummary: 1, Publish: 1 });
    const sent = (await notifications.notifications()).find((n) => n.subject?.includes(name));
    expect(sent?.subject).toMatch(/on-demand stream skipped/);
  });

  it('leaves an UPDATING stream alone and re-arms the alarm so it fires again', async () => {
    const { name, alarm, changed } = await arrange('updating', 2, 'up', 3 * MIB);
    world.kinesis.setUpdating(name, 60_000);
    const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
    expect(outcome).toMatchObject({ outcome: 'held', hold: 'stream-updating', rearmed: true, from: 2 });
    expect(outcome?.apiCalls).toEqual({ DescribeStreamSummary: 1, SetAlarmState: 1 });
    expect(world.cloudwatch.alarms.get(alarm)?.StateValue).toBe('INSUFFICIENT_DATA');
    expect(world.kinesis.updates.filter((u) => u.stream === name)).toEqual([]);
  });

  it('treats ResourceInUseException from UpdateShardCount the same way, and un-records the operation', async () => {
    const { name, alarm, changed } = await arrange('inuse', 2, 'up', 3 * MIB);
    world.kinesis.failNextUpdate('ResourceInUseException', 'Stream is being updated');
    const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
    expect(outcome).toMatchObject({ outcome: 'held', hold: 'stream-updating', rearmed: true });
    expect(outcome?.apiCalls.AddTagsToStream).toBe(2); // recorded, then rolled back
    expect(await historyOf(name)).toEqual([]);
    expect(world.cloudwatch.alarms.get(alarm)?.StateValue).toBe('INSUFFICIENT_DATA');
  });

  it('reports LimitExceededException (operations made outside the autoscaler) as a failure, and notifies', async () => {
    const { name, alarm, changed } = await arrange('limit', 2, 'up', 3 * MIB);
    world.kinesis.addOperations(
      name,
      Array.from({ length: 10 }, (_, i) => Date.now() - (i + 1) * 3_600_000),
    );
    const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
    expect(outcome).toMatchObject({ outcome: 'failed', error: 'LimitExceededException', from: 2 });
    expect(await historyOf(name)).toEqual([]);
    // One notification, the one that says what was wanted.
    const sent = (await notifications.notifications()).filter((n) => n.subject?.includes(name));
    expect(sent.map((n) => n.subject)).toEqual([
      `Kinesis ${name}: UpdateShardCount refused (LimitExceededException)`.slice(0, 100),
    ]);
    expect(sent[0]?.message).toMatch(/Wanted 2 -> 4/);
    expect(outcome?.apiCalls.Publish).toBe(1);
  });

  it('makes exactly one UpdateShardCount call on LimitExceededException: a 24 h quota is not retried', async () => {
    const { name, alarm, changed } = await arrange('limit-once', 2, 'up', 3 * MIB);
    world.kinesis.failNextUpdate('LimitExceededException', 'Rate exceeded for stream');
    world.kinesis.failNextUpdate('LimitExceededException', 'Rate exceeded for stream');
    world.kinesis.failNextUpdate('LimitExceededException', 'Rate exceeded for stream');
    try {
      const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
      expect(outcome).toMatchObject({ outcome: 'failed', error: 'LimitExceededException' });
      expect(outcome?.apiCalls.UpdateShardCount).toBe(1);
      // What reached the wire: one request, not the SDK's default three attempts.
      expect(world.kinesis.updates.filter((u) => u.stream === name)).toEqual([
        { stream: name, target: 4, error: 'LimitExceededException' },
      ]);
    } finally {
      world.kinesis.clearInjectedFailures();
    }
  });

  it('with CHECK_ACCOUNT_SHARD_LIMIT, stays within the account shard headroom (DescribeLimits)', async () => {
    const { name, alarm, changed } = await arrange('headroom', 2, 'up', 3 * MIB);
    await configure([name], { CHECK_ACCOUNT_SHARD_LIMIT: 'true' });
    const limits = await kinesisClient().send(new DescribeLimitsCommand({}));
    world.kinesis.shardLimit = limits.OpenShardCount! + 1;
    try {
      const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
      expect(outcome).toMatchObject({
        outcome: 'scaled',
        from: 2,
        to: 3,
        detail: expect.stringMatching(/headroom 1/),
      });
      expect(outcome?.apiCalls.DescribeLimits).toBe(1);
    } finally {
      world.kinesis.shardLimit = 500;
    }
  });

  it('holds when its own 24 h history is spent, without calling UpdateShardCount', async () => {
    const { name, alarm, changed } = await arrange('budget', 2, 'up', 3 * MIB);
    const spent = Array.from({ length: 10 }, (_, i) => changed - (i + 1) * 3_600_000);
    await kinesisClient().send(
      new AddTagsToStreamCommand({ StreamName: name, Tags: { [HISTORY_TAG]: encodeHistory(spent) } }),
    );
    const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
    expect(outcome).toMatchObject({
      outcome: 'held',
      hold: 'budget-exhausted',
      rearmed: true,
      budgetLeft: 0,
    });
    expect(outcome?.apiCalls.UpdateShardCount).toBeUndefined();
  });

  describe('a hold on the 24 h budget, with REARM_SCHEDULE_ROLE_ARN', () => {
    const ROLE = 'arn:aws:iam::000000000000:role/it-autoscaler-rearm';
    beforeEach(() => world.scheduler.reset());

    /** A stream whose 10 operations of the last 24 h started 10 hours ago (one an hour): the budget is spent. */
    async function spentBudget(label: string) {
      const arranged = await arrange(label, 2, 'up', 3 * MIB);
      const spent = Array.from({ length: 10 }, (_, i) => arranged.changed - (i + 1) * 3_600_000);
      await kinesisClient().send(
        new AddTagsToStreamCommand({
          StreamName: arranged.name,
          Tags: { [HISTORY_TAG]: encodeHistory(spent) },
        }),
      );
      await configure([arranged.name], { REARM_SCHEDULE_ROLE_ARN: ROLE });
      // The oldest operation leaves the window 24 h after it was made: re-armed the minute after.
      const frees = Math.min(...spent) + 86_400_000;
      return { ...arranged, at: Math.floor(frees / 60_000) * 60_000 + 60_000 };
    }

    it('re-arms the alarm once, when the budget frees: a one-time schedule instead of a re-arm every minute', async () => {
      const { alarm, changed, at } = await spentBudget('sched');
      const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
      expect(outcome).toMatchObject({
        outcome: 'held',
        hold: 'budget-exhausted',
        rearmed: false,
        rearmAt: new Date(at).toISOString(),
        detail: expect.stringContaining(`re-armed at ${new Date(at).toISOString()}`),
      });
      expect(outcome!.apiCalls.CreateSchedule).toBe(1);
      expect(outcome!.apiCalls.SetAlarmState).toBeUndefined();
      // Left in ALARM: it asks nothing until the schedule resets it.
      expect(world.cloudwatch.alarms.get(alarm)!.StateValue).toBe('ALARM');
      const [schedule, ...others] = world.scheduler.schedules.values();
      expect(others).toEqual([]);
      expect(schedule).toMatchObject({
        name: rearmScheduleName(alarm, at),
        group: 'default',
        expression: atExpression(at),
        at,
        actionAfterCompletion: 'DELETE',
        target: { Arn: 'arn:aws:scheduler:::aws-sdk:cloudwatch:setAlarmState', RoleArn: ROLE },
        input: { ScheduleExpressionTimezone: 'UTC', FlexibleTimeWindow: { Mode: 'OFF' } },
      });
      expect(schedule!.name.length).toBeLessThanOrEqual(64);
      expect(JSON.parse(schedule!.target.Input!)).toMatchObject({
        AlarmName: alarm,
        StateValue: 'INSUFFICIENT_DATA',
      });
      // Nothing is due before that minute; then it runs once and is deleted.
      expect(world.scheduler.due(at - 60_000)).toEqual([]);
      expect(world.scheduler.due(at).map((due) => due.name)).toEqual([schedule!.name]);
      expect(world.scheduler.schedules.size).toBe(0);
    });

    it('a duplicate delivery finds the schedule taken (ConflictException) and creates no second one', async () => {
      const { alarm, changed, at } = await spentBudget('sched-dup');
      await invoke(snsAlarmEvent(alarm, changed));
      const [again] = await invoke(snsAlarmEvent(alarm, changed, 'again'));
      expect(again).toMatchObject({ outcome: 'held', rearmed: false, rearmAt: new Date(at).toISOString() });
      expect(world.scheduler.calls).toHaveLength(2);
      expect(world.scheduler.schedules.size).toBe(1);
      expect(again!.apiCalls.SetAlarmState).toBeUndefined();
    });

    it('re-arms at once, as without a role, when the schedule cannot be created', async () => {
      const { alarm, changed } = await spentBudget('sched-denied');
      world.scheduler.failNext(SCHEDULER_ERRORS.accessDenied);
      const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
      expect(outcome).toMatchObject({ outcome: 'held', hold: 'budget-exhausted', rearmed: true });
      expect(outcome!.rearmAt).toBeUndefined();
      expect(outcome!.apiCalls).toMatchObject({ CreateSchedule: 1, SetAlarmState: 1 });
      expect(world.cloudwatch.alarms.get(alarm)!.StateValue).toBe('INSUFFICIENT_DATA');
    });

    it('DRY_RUN schedules nothing; other holds (a cooldown) still re-arm at once', async () => {
      const { name, alarm, changed } = await spentBudget('sched-dry');
      await configure([name], { REARM_SCHEDULE_ROLE_ARN: ROLE, DRY_RUN: 'true' });
      const [dry] = await invoke(snsAlarmEvent(alarm, changed));
      expect(dry).toMatchObject({ outcome: 'dry-run', hold: 'budget-exhausted', rearmed: false });
      expect(world.scheduler.calls).toEqual([]);

      const cooling = await arrange('sched-cooldown', 4, 'down', 0.2 * MIB);
      await kinesisClient().send(
        new AddTagsToStreamCommand({
          StreamName: cooling.name,
          Tags: { [HISTORY_TAG]: encodeHistory([cooling.changed - 60_000]) },
        }),
      );
      await configure([cooling.name], { REARM_SCHEDULE_ROLE_ARN: ROLE });
      const [held] = await invoke(eventBridgeAlarmEvent(cooling.alarm, cooling.changed));
      expect(held).toMatchObject({ outcome: 'held', hold: 'cooldown', rearmed: true });
      expect(world.scheduler.calls).toEqual([]);
    });
  });

  it('rewrites alarms that assume the wrong shard count instead of acting on them', async () => {
    const name = streamName('resync');
    await world.createStream(name, 3);
    await configure([name]);
    await world.installAlarms(resolvePolicy({ streamName: name, maxShards: 16 }), 1, PREFIX, [ALARM_TOPIC]);
    const alarm = alarmName(PREFIX, name, 'up');
    world.cloudwatch.setState(alarm, 'ALARM');
    const [outcome] = await invoke(snsAlarmEvent(alarm, Date.now()));
    expect(outcome).toMatchObject({
      outcome: 'resynced',
      detail: expect.stringMatching(/assumed 1\/1 shards, the stream has 3/),
    });
    expect(shardCountInAlarm(world.cloudwatch.alarms.get(alarm)?.Metrics as never)).toBe(3);
    expect(world.kinesis.updates.filter((u) => u.stream === name)).toEqual([]);
  });

  it('keeps a pending scale-down target when it resyncs alarms a failed rewrite left behind', async () => {
    // 12 -> 6 wanting 5 whose alarm rewrite failed: the alarms still assume 12.
    const name = streamName('resync-pending');
    await world.createStream(name, 6);
    await configure([name]);
    await world.installAlarms(resolvePolicy({ streamName: name, maxShards: 16 }), 12, PREFIX, [ALARM_TOPIC]);
    await kinesisClient().send(
      new AddTagsToStreamCommand({ StreamName: name, Tags: { [PENDING_TAG]: 'down to 5' } }),
    );
    const alarm = alarmName(PREFIX, name, 'down');
    world.cloudwatch.setState(alarm, 'ALARM');
    const [outcome] = await invoke(eventBridgeAlarmEvent(alarm, Date.now()));
    expect(outcome).toMatchObject({ outcome: 'resynced' });
    expect(downAlarm(name)).toMatchObject({ Threshold: 0.4166, StateValue: 'INSUFFICIENT_DATA' });
    expect(shardCountInAlarm(downAlarm(name).Metrics as never)).toBe(6);
  });

  it('DRY_RUN decides and reports without changing anything', async () => {
    const { name, alarm, changed } = await arrange('dry', 2, 'up', 3 * MIB);
    await configure([name], { DRY_RUN: 'true' });
    world.cloudwatch.calls.length = 0;
    const result = (await handler(
      snsAlarmEvent(alarm, changed),
      lambdaContext('shard-autoscaler') as unknown as Context,
    )) as ShardAutoscalerResult;
    expect(result.dryRun).toBe(true);
    expect(result.outcomes[0]).toMatchObject({
      outcome: 'dry-run',
      from: 2,
      to: 4,
      detail: expect.stringMatching(/^would scale up 2 -> 4/),
    });
    expect(world.cloudwatch.count('PutMetricAlarm') + world.cloudwatch.count('SetAlarmState')).toBe(0);
    expect(world.kinesis.updates.filter((u) => u.stream === name)).toEqual([]);
    expect(await historyOf(name)).toEqual([]);
  });

  it('ignores alarms of streams it is not configured for, and events that are not alarms', async () => {
    await configure(['some-other-stream']);
    const outcomes = await invoke(snsAlarmEvent(alarmName(PREFIX, 'not-configured', 'up'), Date.now()));
    expect(outcomes[0]).toMatchObject({
      outcome: 'skipped',
      detail: expect.stringMatching(/not in AUTOSCALED_STREAMS/),
    });
    expect((await invoke({ hello: 'world' }))[0]).toMatchObject({ outcome: 'skipped' });
  });

  it('aborts a hung CloudWatch before the Lambda timeout, with a clear failure', async () => {
    const { alarm, changed } = await arrange('hung', 2, 'up', 3 * MIB);
    const sockets: Socket[] = [];
    const hung = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    resetClients();
    const started = Date.now();
    try {
      // 4 s left: calls still running 3 s before the end are aborted.
      const context = lambdaContext('shard-autoscaler', 4_000) as unknown as Context;
      const result = (await handler(snsAlarmEvent(alarm, changed), context)) as ShardAutoscalerResult;
      expect(result.outcomes[0]).toMatchObject({
        outcome: 'failed',
        error: expect.stringMatching(/Abort|Timeout/),
      });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      hung.close();
      process.env.AWS_ENDPOINT_URL_CLOUDWATCH = world.cloudwatch.endpoint;
      resetClients();
    }
  });

  it('fails cleanly and fast when CloudWatch is unreachable', async () => {
    const { alarm, changed } = await arrange('unreachable', 2, 'up', 3 * MIB);
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH = 'http://127.0.0.1:9'; // discard port: connection refused
    resetClients();
    const started = Date.now();
    try {
      const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
      expect(outcome).toMatchObject({
        outcome: 'failed',
        detail: expect.stringMatching(/ECONNREFUSED|connect/),
      });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      process.env.AWS_ENDPOINT_URL_CLOUDWATCH = world.cloudwatch.endpoint;
      resetClients();
    }
  });
});

describe('shard-autoscaler consumer reserved concurrency (consumerFunctions)', () => {
  const ACCOUNT_ARN = 'arn:aws:lambda:us-east-1:000000000000:function';

  /** Like arrange(), with consumer functions in the stream's policy. */
  async function arrangeWithConsumers(
    label: string,
    shards: number,
    direction: 'up' | 'down',
    bytesPerSecond: number,
    consumers: { consumerFunctions: string[]; consumerConcurrencyPerShard?: number },
    extra: Record<string, string> = {},
  ) {
    const { name, alarm, changed } = await arrange(label, shards, direction, bytesPerSecond);
    await configure([name], {
      AUTOSCALED_STREAMS: JSON.stringify([{ streamName: name, maxShards: 16, ...consumers }]),
      ...extra,
    });
    return { name, alarm, changed };
  }

  it('sets each consumer to new shards x consumerConcurrencyPerShard after scaling, and says so', async () => {
    world.lambda.addFunction('orders-consumer');
    world.lambda.addFunction('orders-archiver');
    const { name, alarm, changed } = await arrangeWithConsumers('consumers-up', 2, 'up', 3 * MIB, {
      consumerFunctions: ['orders-consumer', `${ACCOUNT_ARN}:orders-archiver`],
      consumerConcurrencyPerShard: 2,
    });
    const [outcome] = await invoke(snsAlarmEvent(alarm, changed));

    expect(outcome).toMatchObject({ outcome: 'scaled', from: 2, to: 4 });
    expect(outcome?.consumers).toEqual([
      { functionName: 'orders-consumer', reservedConcurrency: 8 },
      { functionName: `${ACCOUNT_ARN}:orders-archiver`, reservedConcurrency: 8 },
    ]);
    expect(world.lambda.concurrency.get('orders-consumer')).toBe(8);
    expect(world.lambda.concurrency.get('orders-archiver')).toBe(8);
    // Sent by ARN as configured (the role is scoped to it), after the alarms were rewritten.
    expect(world.lambda.calls.map((call) => call.functionName)).toEqual([
      'orders-consumer',
      `${ACCOUNT_ARN}:orders-archiver`,
    ]);
    expect(outcome!.apiCalls).toEqual({
      DescribeStreamSummary: 1,
      ListTagsForStream: 1,
      DescribeAlarms: 1,
      GetMetricData: 1,
      AddTagsToStream: 1,
      UpdateShardCount: 1,
      PutMetricAlarm: 2,
      SetAlarmState: 2,
      PutFunctionConcurrency: 2,
      Publish: 1,
    });
    const sent = (await notifications.notifications()).find((n) => n.subject?.includes(name));
    expect(sent?.message).toContain(
      `Consumers' reserved concurrency: 4 shards x 2 = 8, set for orders-consumer, ${ACCOUNT_ARN}:orders-archiver.`,
    );
  });

  it('lowers it on a scale-down, and the notification tells of the throttling window', async () => {
    world.lambda.addFunction('clicks-consumer');
    const { name, alarm, changed } = await arrangeWithConsumers('consumers-down', 6, 'down', 0.2 * MIB, {
      consumerFunctions: ['clicks-consumer'],
    });
    const [outcome] = await invoke(eventBridgeAlarmEvent(alarm, changed));
    expect(outcome).toMatchObject({ outcome: 'scaled', from: 6, to: 3 });
    expect(world.lambda.concurrency.get('clicks-consumer')).toBe(3);
    const sent = (await notifications.notifications()).find((n) => n.subject?.includes(name));
    expect(sent?.message).toMatch(/throttled briefly .*nothing is lost/);
  });

  it('a failed PutFunctionConcurrency leaves the outcome scaled, with the warning logged and notified', async () => {
    world.lambda.addFunction('refused-consumer');
    world.lambda.addFunction('fine-consumer');
    world.lambda.failNext({
      ...LAMBDA_ERRORS.invalidParameterValue,
      message: "decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
    });
    const { name, alarm, changed } = await arrangeWithConsumers('consumers-fail', 2, 'up', 3 * MIB, {
      consumerFunctions: ['refused-consumer', 'missing-consumer', 'fine-consumer'],
    });
    const [outcome] = await invoke(snsAlarmEvent(alarm, changed));

    expect(outcome).toMatchObject({ outcome: 'scaled', from: 2, to: 4 });
    expect(outcome?.error).toBeUndefined();
    expect(world.kinesis.shardCount(name)).toBe(4);
    expect(outcome?.detail).toContain(
      'reserved concurrency of refused-consumer not set to 4 (InvalidParameterValueException)',
    );
    expect(outcome?.detail).toContain(
      'reserved concurrency of missing-consumer not set to 4 (ResourceNotFoundException)',
    );
    expect(outcome?.apiCalls.PutFunctionConcurrency).toBe(3);
    expect(world.lambda.concurrency.get('refused-consumer')).toBeUndefined();
    expect(world.lambda.concurrency.get('fine-consumer')).toBe(4);
    const sent = (await notifications.notifications()).find((n) => n.subject?.includes(name));
    expect(sent?.subject).toBe(`Kinesis ${name}: 2 -> 4 shards (scale up)`.slice(0, 100));
    expect(sent?.message).toContain('set for fine-consumer, NOT set for the others');
    expect(sent?.message).toContain(
      'Warning: reserved concurrency of missing-consumer not set to 4 (ResourceNotFoundException).',
    );
  });

  it('DRY_RUN sets nothing and says what it would set', async () => {
    world.lambda.addFunction('dry-consumer');
    const { alarm, changed } = await arrangeWithConsumers(
      'consumers-dry',
      2,
      'up',
      3 * MIB,
      { consumerFunctions: ['dry-consumer'], consumerConcurrencyPerShard: 3 },
      { DRY_RUN: 'true' },
    );
    const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
    expect(outcome).toMatchObject({
      outcome: 'dry-run',
      detail: expect.stringMatching(/would set the reserved concurrency of dry-consumer to 12$/),
    });
    expect(outcome?.apiCalls.PutFunctionConcurrency).toBeUndefined();
    expect(world.lambda.calls).toEqual([]);
  });

  it('makes no Lambda call without consumers', async () => {
    const { alarm, changed } = await arrange('consumers-none', 2, 'up', 3 * MIB);
    const [outcome] = await invoke(snsAlarmEvent(alarm, changed));
    expect(outcome?.outcome).toBe('scaled');
    expect(outcome?.consumers).toBeUndefined();
    expect(world.lambda.calls).toEqual([]);
  });
});
