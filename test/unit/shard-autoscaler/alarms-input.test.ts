/**
 * The two alarms as CloudWatch receives them (PutMetricAlarm input = the CloudFormation properties): every
 * metric, statistic, dimension, label and word of the description, since the deploy plugin and the function
 * both write exactly these objects.
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import {
  alarmMetrics,
  alarmName,
  buildAlarm,
  parseAlarmName,
  shardCountInAlarm,
} from '../../../functions/shard-autoscaler/alarms';
import { resolvePolicy } from '../../../functions/shard-autoscaler/policy';

const policy = resolvePolicy({ streamName: 'orders' });
const stat = (id: string, metricName: string, statistic: string, period: number): MetricDataQuery => ({
  Id: id,
  Label: metricName,
  ReturnData: false,
  MetricStat: {
    Metric: {
      Namespace: 'AWS/Kinesis',
      MetricName: metricName,
      Dimensions: [{ Name: 'StreamName', Value: 'orders' }],
    },
    Period: period,
    Stat: statistic,
  },
});
const math = (id: string, label: string, expression: string, returnData = false): MetricDataQuery => ({
  Id: id,
  Label: label,
  Expression: expression,
  ReturnData: returnData,
});
const writes = (period: number, shards: number) => [
  stat('bytes', 'IncomingBytes', 'Sum', period),
  stat('records', 'IncomingRecords', 'Sum', period),
  stat('throttled', 'WriteProvisionedThroughputExceeded', 'Sum', period),
  math('offered', 'OfferedRecords', 'FILL(records,0)+FILL(throttled,0)'),
  math(
    'bytesUtil',
    'OfferedBytesUtilisation',
    `FILL(bytes,0)*offered/(FILL(records,0)+1)/(1048576*${period}*${shards})`,
  ),
  math('recordsUtil', 'OfferedRecordsUtilisation', `offered/(1000*${period}*${shards})`),
];

describe('PutMetricAlarm input', () => {
  it('scale-up: offered bytes and records against the shards, 2 of 2 minutes', () => {
    expect(buildAlarm({ policy, shards: 4, prefix: 'klk-', alarmActions: ['arn:t'] }, 'up')).toEqual({
      AlarmName: 'klk-orders-scale-up',
      AlarmDescription:
        'kinesis-lambda-kit shard autoscaler: scale up orders when per-shard utilisation >= 0.75 on 2 of 2 ' +
        'periods of 60 s. Managed by the autoscaler: the shard count in its math is rewritten after each scaling.',
      ActionsEnabled: true,
      AlarmActions: ['arn:t'],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 0.75,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Metrics: [...writes(60, 4), math('utilisation', 'Utilisation', 'MAX([bytesUtil,recordsUtil])', true)],
    });
  });

  it('scale-down: the same plus the iterator-age block, 12 of 12 five-minute periods, missing data breaching', () => {
    expect(buildAlarm({ policy, shards: 4, prefix: 'klk-', alarmActions: [] }, 'down')).toEqual({
      AlarmName: 'klk-orders-scale-down',
      AlarmDescription:
        'kinesis-lambda-kit shard autoscaler: scale down orders when per-shard utilisation < 0.25 on 12 of 12 ' +
        'periods of 300 s, unless consumers lag by 600 s or more. Managed by the autoscaler: the shard count in ' +
        'its math is rewritten after each scaling.',
      ActionsEnabled: true,
      AlarmActions: [],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 0.25,
      EvaluationPeriods: 12,
      DatapointsToAlarm: 12,
      TreatMissingData: 'breaching',
      Metrics: [
        ...writes(300, 4),
        stat('iteratorAge', 'GetRecords.IteratorAgeMilliseconds', 'Maximum', 300),
        math('lag', 'IteratorAgeBlock', 'FILL(iteratorAge,0)*0.25/600000'),
        math('utilisation', 'UtilisationOrLag', 'MAX([bytesUtil,recordsUtil,lag])', true),
      ],
    });
  });

  it('counts reads when asked, leaves the lag term out when the block is off, and uses each direction`s settings', () => {
    const reading = resolvePolicy({
      streamName: 'orders',
      includeReads: true,
      scaleDownMaxIteratorAgeSeconds: 0,
      scaleUpPeriodSeconds: 120,
      scaleUpEvaluationPeriods: 3,
      scaleUpDatapoints: 2,
      scaleDownEvaluationPeriods: 6,
      scaleDownDatapoints: 5,
    });
    const reads = (period: number) => [
      stat('reads', 'GetRecords.Bytes', 'Sum', period),
      math('readsUtil', 'GetRecordsBytesUtilisation', `FILL(reads,0)/(2097152*${period}*3)`),
    ];
    expect(alarmMetrics(reading, 3, 'up')).toEqual([
      ...writes(120, 3),
      ...reads(120),
      math('utilisation', 'Utilisation', 'MAX([bytesUtil,recordsUtil,readsUtil])', true),
    ]);
    const down = buildAlarm({ policy: reading, shards: 3, prefix: '', alarmActions: [] }, 'down');
    expect(down.Metrics).toEqual([
      ...writes(300, 3),
      ...reads(300),
      math('utilisation', 'UtilisationOrLag', 'MAX([bytesUtil,recordsUtil,readsUtil])', true),
    ]);
    expect(down).toMatchObject({
      AlarmName: 'orders-scale-down',
      EvaluationPeriods: 6,
      DatapointsToAlarm: 5,
    });
    expect(down.AlarmDescription).toBe(
      'kinesis-lambda-kit shard autoscaler: scale down orders when per-shard utilisation < 0.25 on 5 of 6 ' +
        'periods of 300 s. Managed by the autoscaler: the shard count in its math is rewritten after each scaling.',
    );
    const up = buildAlarm({ policy: reading, shards: 3, prefix: '', alarmActions: [] }, 'up');
    expect(up).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    expect(up.AlarmDescription).toContain('>= 0.75 on 2 of 3 periods of 120 s. Managed');
  });

  it('names the pending target of a scale-down in its description, only where it applies', () => {
    const withPending = (shards: number, pending: number | undefined, direction: 'up' | 'down') =>
      buildAlarm({ policy, shards, prefix: 'p-', alarmActions: [], pending }, direction).AlarmDescription;
    expect(withPending(12, 7, 'down')).toBe(
      'kinesis-lambda-kit shard autoscaler: scale down orders when per-shard utilisation < 0.2916 on 12 of 12 ' +
        'periods of 300 s, unless consumers lag by 600 s or more (continuing toward the pending 7 shards). ' +
        'Managed by the autoscaler: the shard count in its math is rewritten after each scaling.',
    );
    expect(withPending(12, 7, 'up')).not.toContain('pending');
    expect(withPending(12, undefined, 'down')).not.toContain('pending');
    expect(withPending(7, 7, 'down')).not.toContain('pending');
  });
});

describe('alarm names and the shard count an alarm assumes', () => {
  it('parses only names of this prefix that end in -scale-up or -scale-down', () => {
    expect(alarmName('p-', 'orders', 'down')).toBe('p-orders-scale-down');
    expect(parseAlarmName('p-', 'p-a-scale-up-scale-down')).toEqual({
      streamName: 'a-scale-up',
      direction: 'down',
    });
    expect(parseAlarmName('p-', 'p-x-scale-up')).toEqual({ streamName: 'x', direction: 'up' });
    for (const name of [
      'p-orders-scale-upper',
      'p--scale-up',
      'p-orders-scale-',
      'q-orders-scale-up',
      'p-orders',
    ])
      expect(parseAlarmName('p-', name)).toBeUndefined();
  });

  it('reads the count from the records expression, and nothing from a malformed one', () => {
    const metrics = (expression: string): MetricDataQuery[] => [
      math('bytesUtil', 'x', 'FILL(bytes,0)/(1048576*60*99)'),
      math('recordsUtil', 'x', expression),
    ];
    expect(shardCountInAlarm(metrics('offered/(1000*60*12)'))).toBe(12);
    expect(shardCountInAlarm(alarmMetrics(policy, 10_000, 'down'))).toBe(10_000);
    for (const expression of [
      'offered/(1000*60*0)',
      'offered/(1000*60*s)',
      'offered/(1000*60*12) ',
      'offered/(1000*60*1.5)',
    ])
      expect(shardCountInAlarm(metrics(expression))).toBeUndefined();
    expect(shardCountInAlarm(undefined)).toBeUndefined();
    expect(shardCountInAlarm([stat('recordsUtil', 'IncomingRecords', 'Sum', 60)])).toBeUndefined();
  });
});
