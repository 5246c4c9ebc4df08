import { describe, expect, it } from 'vitest';
import {
  alarmName,
  buildAlarms,
  parseAlarmName,
  shardCountInAlarm,
} from '../../../functions/shard-autoscaler/alarms';
import {
  decodeHistory,
  encodeHistory,
  formatTagTime,
  parseTagTime,
} from '../../../functions/shard-autoscaler/history';
import { PolicyError, parseStreamList, resolvePolicy } from '../../../functions/shard-autoscaler/policy';

const policy = resolvePolicy({ streamName: 'orders' });

describe('alarm names', () => {
  it('round-trip through parseAlarmName', () => {
    for (const direction of ['up', 'down'] as const) {
      const name = alarmName('klk-dev-autoscale-', 'my.stream_1', direction);
      expect(parseAlarmName('klk-dev-autoscale-', name)).toEqual({ streamName: 'my.stream_1', direction });
    }
    expect(parseAlarmName('klk-dev-autoscale-', 'other-orders-scale-up')).toBeUndefined();
    expect(parseAlarmName('klk-dev-autoscale-', 'klk-dev-autoscale-orders-scale-sideways')).toBeUndefined();
  });
});

describe('buildAlarms', () => {
  const { up, down } = buildAlarms({
    policy,
    shards: 5,
    prefix: 'p-',
    alarmActions: ['arn:aws:sns:us-east-1:1:t'],
  });

  it('writes the shard count as a constant in the math, and reads it back', () => {
    expect(up.Metrics?.find((m) => m.Id === 'recordsUtil')?.Expression).toBe('offered/(1000*60*5)');
    // CloudWatch rejects an expression that is only a constant.
    for (const query of [...up.Metrics!, ...down.Metrics!])
      expect(query.Expression ?? 'x').not.toMatch(/^\d+$/);
    expect(shardCountInAlarm(up.Metrics)).toBe(5);
    expect(shardCountInAlarm(down.Metrics)).toBe(5);
    expect(shardCountInAlarm([])).toBeUndefined();
  });

  it('measures offered load: bytes and records utilisation with throttled records added back', () => {
    const expressions = Object.fromEntries((up.Metrics ?? []).map((m) => [m.Id, m.Expression]));
    expect(expressions).toMatchObject({
      offered: 'FILL(records,0)+FILL(throttled,0)',
      bytesUtil: `FILL(bytes,0)*offered/(FILL(records,0)+1)/(1048576*60*5)`,
      recordsUtil: 'offered/(1000*60*5)',
      utilisation: 'MAX([bytesUtil,recordsUtil])',
    });
    expect(up.Metrics?.filter((m) => m.ReturnData).map((m) => m.Id)).toEqual(['utilisation']);
    expect(up).toMatchObject({
      AlarmName: 'p-orders-scale-up',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 0.75,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      AlarmActions: ['arn:aws:sns:us-east-1:1:t'],
    });
  });

  it('blocks the scale-down alarm while consumers lag, at the scale-down period', () => {
    const expressions = Object.fromEntries((down.Metrics ?? []).map((m) => [m.Id, m.Expression]));
    expect(expressions.lag).toBe('FILL(iteratorAge,0)*0.25/600000');
    expect(expressions.utilisation).toBe('MAX([bytesUtil,recordsUtil,lag])');
    const periods = (down.Metrics ?? []).flatMap((m) => (m.MetricStat ? [m.MetricStat.Period] : []));
    expect(new Set(periods)).toEqual(new Set([300]));
    expect(down).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 0.25,
      TreatMissingData: 'breaching',
    });
    // With the block disabled, and with reads counted.
    const plain = buildAlarms({
      policy: resolvePolicy({ streamName: 'orders', scaleDownMaxIteratorAgeSeconds: 0, includeReads: true }),
      shards: 2,
      prefix: 'p-',
      alarmActions: [],
    });
    const plainDown = Object.fromEntries((plain.down.Metrics ?? []).map((m) => [m.Id, m.Expression]));
    expect(plainDown.utilisation).toBe('MAX([bytesUtil,recordsUtil,readsUtil])');
    expect(plainDown.readsUtil).toBe('FILL(reads,0)/(2097152*300*2)');
  });
});

describe('resolvePolicy', () => {
  it('applies defaults, then the given defaults, then the stream fields', () => {
    expect(resolvePolicy({ streamName: 's', maxShards: 8 }, { maxShards: 4, minShards: 2 })).toMatchObject({
      minShards: 2,
      maxShards: 8,
      targetUtilisation: 0.5,
    });
  });

  it('names the field and the rule when a value is out of range', () => {
    expect(() => resolvePolicy({ streamName: 's', minShards: 5, maxShards: 4 })).toThrow(
      /maxShards must be an integer from 5/,
    );
    expect(() => resolvePolicy({ streamName: 's', targetUtilisation: 0.8 })).toThrow(
      /scaleUpThreshold must be > targetUtilisation/,
    );
    expect(() => resolvePolicy({ streamName: 's', scaleUpPeriodSeconds: 90 })).toThrow(/multiple of 60/);
    expect(() =>
      resolvePolicy({ streamName: 's', scaleDownPeriodSeconds: 3600, scaleDownEvaluationPeriods: 25 }),
    ).toThrow(/scaleDownEvaluationPeriods must be an integer from 1 to 24/);
    expect(() => resolvePolicy({ streamName: 's', scaleUpDatapoints: 4 })).toThrow(/scaleUpDatapoints/);
    expect(() => resolvePolicy({ streamName: 's', maxOperationsPer24h: 11 })).toThrow(/from 1 to 10/);
    expect(() => resolvePolicy({ streamName: 'bad name' })).toThrow(PolicyError);
    expect(() => resolvePolicy({ streamName: 's', maxShard: 3 } as never)).toThrow(/maxShard must be one of/);
  });
});

describe('parseStreamList', () => {
  it('reads names or JSON policies, and rejects duplicates', () => {
    expect(parseStreamList('a, b').map((p) => p.streamName)).toEqual(['a', 'b']);
    expect(parseStreamList('[{"streamName":"a","maxShards":3}]')[0]).toMatchObject({
      streamName: 'a',
      maxShards: 3,
    });
    expect(parseStreamList('')).toEqual([]);
    expect(() => parseStreamList('a,a')).toThrow(/twice/);
    expect(() => parseStreamList('{"streamName":"a"}')).toThrow();
  });
});

describe('history tags', () => {
  it('formats times without colons (Kinesis tag values) and round-trips them', () => {
    const at = Date.UTC(2026, 0, 22, 13, 40, 5);
    expect(formatTagTime(at)).toBe('20260122T134005Z');
    expect(parseTagTime('20260122T134005Z')).toBe(at);
    expect(parseTagTime('2026-01-22')).toBeUndefined();
  });

  it('keeps the newest 10, rounds up to the second, and fits a tag value', () => {
    const times = Array.from({ length: 14 }, (_, i) => Date.UTC(2026, 0, 22, i, 0, 0, 400));
    const value = encodeHistory(times);
    expect(value.length).toBeLessThanOrEqual(256);
    expect(decodeHistory(value)).toEqual(times.slice(4).map((t) => t + 600));
    expect(decodeHistory(undefined)).toEqual([]);
    expect(decodeHistory('')).toEqual([]);
    expect(decodeHistory('garbage 20260122T134005Z')).toEqual([Date.UTC(2026, 0, 22, 13, 40, 5)]);
  });
});
