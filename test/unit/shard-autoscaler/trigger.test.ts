import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCloudWatchTime, parseTrigger } from '../../../functions/shard-autoscaler/trigger';

const PREFIX = 'kinesis-lambda-kit-dev-autoscale-';
const STREAM = 'kinesis-lambda-kit-dev-autoscaled';
const load = (file: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../events/${file}`, import.meta.url), 'utf8'));

describe('parseTrigger', () => {
  it('resolves an SNS-wrapped alarm notification (the sample event) to stream and direction', () => {
    expect(parseTrigger(load('shard-autoscaler.json'), PREFIX)).toEqual([
      {
        kind: 'alarm',
        source: 'sns',
        deliveryId: '3c9e1f0a-6b2d-5c8e-9f7a-1b4d2e6c8a90',
        alarmName: `${PREFIX}${STREAM}-scale-up`,
        alarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${PREFIX}${STREAM}-scale-up`,
        state: 'ALARM',
        stateChangeTime: Date.UTC(2026, 0, 22, 13, 40, 0, 123),
        streamName: STREAM,
        direction: 'up',
      },
    ]);
  });

  it('resolves an EventBridge "CloudWatch Alarm State Change" event (the other sample) the same way', () => {
    const [delivery] = parseTrigger(load('shard-autoscaler-eventbridge.json'), PREFIX);
    expect(delivery).toMatchObject({
      kind: 'alarm',
      source: 'eventbridge',
      deliveryId: '7f1c3e5a-2b4d-6f8e-0a1c-3e5a7b9d1f2c',
      state: 'ALARM',
      stateChangeTime: Date.UTC(2026, 0, 22, 19, 5, 0, 318),
      streamName: STREAM,
      direction: 'down',
    });
  });

  it('keeps stream names that contain the suffix words', () => {
    const event = {
      'detail-type': 'CloudWatch Alarm State Change',
      id: 'e',
      detail: {
        alarmName: 'p-my-scale-up-stream-scale-down',
        state: { value: 'ALARM', timestamp: '2026-01-22T19:05:00Z' },
      },
    };
    expect(parseTrigger(event, 'p-')[0]).toMatchObject({
      streamName: 'my-scale-up-stream',
      direction: 'down',
    });
  });

  it('ignores, with a reason, what is not one of our alarms', () => {
    const sns = (message: string) => ({ Records: [{ Sns: { MessageId: 'm', Message: message } }] });
    expect(parseTrigger(sns('not json'), PREFIX)[0]).toMatchObject({ kind: 'ignored', reason: /not JSON/ });
    expect(parseTrigger(sns('{"hello":1}'), PREFIX)[0]).toMatchObject({
      kind: 'ignored',
      reason: /no alarm name/,
    });
    expect(
      parseTrigger(sns('{"AlarmName":"someone-elses-alarm","NewStateValue":"ALARM"}'), PREFIX)[0],
    ).toMatchObject({ kind: 'ignored', alarmName: 'someone-elses-alarm', reason: /does not match/ });
    expect(parseTrigger({ hello: 'world' }, PREFIX)[0]).toMatchObject({ kind: 'ignored', source: 'unknown' });
    expect(parseTrigger({ Records: [{ s3: {} }] }, PREFIX)[0]).toMatchObject({
      kind: 'ignored',
      reason: /not an SNS/,
    });
  });

  it('returns one delivery per SNS record', () => {
    const message = (direction: string) =>
      JSON.stringify({
        AlarmName: `${PREFIX}orders-scale-${direction}`,
        NewStateValue: 'ALARM',
        StateChangeTime: '2026-01-22T13:40:00.000+0000',
      });
    const event = {
      Records: ['up', 'down'].map((d, i) => ({ Sns: { MessageId: `m${i}`, Message: message(d) } })),
    };
    expect(parseTrigger(event, PREFIX).map((d) => (d.kind === 'alarm' ? d.direction : d.kind))).toEqual([
      'up',
      'down',
    ]);
  });
});

describe('parseCloudWatchTime', () => {
  it('reads CloudWatch +0000 offsets and ISO times', () => {
    expect(parseCloudWatchTime('2026-01-22T13:40:00.123+0000')).toBe(Date.UTC(2026, 0, 22, 13, 40, 0, 123));
    expect(parseCloudWatchTime('2026-01-22T15:40:00.000+0200')).toBe(Date.UTC(2026, 0, 22, 13, 40));
    expect(parseCloudWatchTime('2026-01-22T13:40:00Z')).toBe(Date.UTC(2026, 0, 22, 13, 40));
    expect(parseCloudWatchTime('yesterday')).toBeNaN();
    expect(parseCloudWatchTime(undefined)).toBeNaN();
  });
});
