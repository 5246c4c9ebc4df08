/**
 * The two CloudWatch alarms of an autoscaled stream, as PutMetricAlarm input. The ONE definition of the metric
 * math: the function writes it after every scaling operation, and serverless.yml's deploy plugin
 * (deploy/plugin.cjs) turns the same objects into AWS::CloudWatch::Alarm resources (CloudFormation's property
 * names are PutMetricAlarm's).
 *
 * Utilisation per period P with s shards (s is a constant in the math, rewritten when the count changes), of
 * the load OFFERED to the stream: IncomingBytes/IncomingRecords count accepted writes only, so while writes are
 * throttled they read "exactly at capacity" and, right after a scale-up rewrote s, far below it. The rejected
 * records (WriteProvisionedThroughputExceeded) are added back, and bytes scaled by the same factor:
 *   offered  = FILL(IncomingRecords,0) + FILL(WriteProvisionedThroughputExceeded,0)
 *   bytes    FILL(IncomingBytes,0) x offered / (FILL(IncomingRecords,0) + 1) / (1 MiB x P x s)   1 MiB/s per shard
 *   records  offered / (1000 x P x s)                                                           1,000 records/s
 *   reads    FILL(GetRecords.Bytes,0) / (2 MiB x P x s)                2 MiB/s per shard (includeReads only)
 *   utilisation = MAX of those; the scale-down alarm adds iterator age / limit x threshold, which reaches the
 *   threshold when consumers lag by the limit, so the alarm cannot fire while they do.
 *
 * Pure (type-only SDK import): loadable from the deploy helpers without bundling.
 *
 * @example
 * ```ts
 * const { up, down } = buildAlarms({ policy, shards: 4, prefix: 'klk-dev-autoscaler-', alarmActions: [topicArn] });
 * await cloudwatch.send(new PutMetricAlarmCommand(up));
 * ```
 */
import type { MetricDataQuery, PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import { alarmThresholds, pendingApplies } from './pending';
import type { ScalingPolicy } from './policy';

export type Direction = 'up' | 'down';

const MIB = 1024 * 1024;
/**
 * The shard count is a constant inside each utilisation expression (CloudWatch rejects an alarm expression that
 * is only a constant: every expression must return a time series). This one is read back to learn the count an
 * alarm assumes.
 */
export const SHARD_COUNT_SOURCE_ID = 'recordsUtil';

export function alarmName(prefix: string, streamName: string, direction: Direction): string {
  return `${prefix}${streamName}-scale-${direction}`;
}

/** The stream and direction an alarm name stands for, or undefined when it is not one of ours. */
export function parseAlarmName(
  prefix: string,
  name: string,
): { streamName: string; direction: Direction } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const match = /^(.+)-scale-(up|down)$/.exec(name.slice(prefix.length));
  if (!match) return undefined;
  return { streamName: match[1]!, direction: match[2] as Direction };
}

function metric(id: string, streamName: string, name: string, stat: string, period: number): MetricDataQuery {
  return {
    Id: id,
    Label: name,
    ReturnData: false,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/Kinesis',
        MetricName: name,
        Dimensions: [{ Name: 'StreamName', Value: streamName }],
      },
      Period: period,
      Stat: stat,
    },
  };
}

const expression = (id: string, label: string, text: string, returnData = false): MetricDataQuery => ({
  Id: id,
  Label: label,
  Expression: text,
  ReturnData: returnData,
});

/**
 * The metric math of one alarm (exported for tests and the simulator's documentation). `threshold` is the
 * scale-down alarm's (the iterator-age term reaches it when consumers lag by the limit); its default is the
 * alarm's normal one on `shards`.
 */
export function alarmMetrics(
  policy: ScalingPolicy,
  shards: number,
  direction: Direction,
  threshold = alarmThresholds(policy, shards)[direction],
): MetricDataQuery[] {
  const up = direction === 'up';
  const period = up ? policy.scaleUpPeriodSeconds : policy.scaleDownPeriodSeconds;
  const name = policy.streamName;
  const parts = ['bytesUtil', 'recordsUtil'];
  const queries: MetricDataQuery[] = [
    metric('bytes', name, 'IncomingBytes', 'Sum', period),
    metric('records', name, 'IncomingRecords', 'Sum', period),
    metric('throttled', name, 'WriteProvisionedThroughputExceeded', 'Sum', period),
    expression('offered', 'OfferedRecords', 'FILL(records,0)+FILL(throttled,0)'),
    expression(
      'bytesUtil',
      'OfferedBytesUtilisation',
      `FILL(bytes,0)*offered/(FILL(records,0)+1)/(${MIB}*${period}*${shards})`,
    ),
    expression('recordsUtil', 'OfferedRecordsUtilisation', `offered/(1000*${period}*${shards})`),
  ];
  if (policy.includeReads) {
    queries.push(
      metric('reads', name, 'GetRecords.Bytes', 'Sum', period),
      expression('readsUtil', 'GetRecordsBytesUtilisation', `FILL(reads,0)/(${2 * MIB}*${period}*${shards})`),
    );
    parts.push('readsUtil');
  }
  if (!up && policy.scaleDownMaxIteratorAgeSeconds > 0) {
    const limitMs = policy.scaleDownMaxIteratorAgeSeconds * 1000;
    queries.push(
      metric('iteratorAge', name, 'GetRecords.IteratorAgeMilliseconds', 'Maximum', period),
      expression('lag', 'IteratorAgeBlock', `FILL(iteratorAge,0)*${threshold}/${limitMs}`),
    );
    parts.push('lag');
  }
  queries.push(
    expression('utilisation', up ? 'Utilisation' : 'UtilisationOrLag', `MAX([${parts.join(',')}])`, true),
  );
  return queries;
}

export interface AlarmOptions {
  policy: ScalingPolicy;
  /** The shard count the stream has (or is being scaled to). */
  shards: number;
  /** Alarm name prefix (ALARM_NAME_PREFIX); IAM scopes the function to alarms that start with it. */
  prefix: string;
  /** Where ALARM goes: the SNS topic ARN, or nothing when EventBridge is the trigger. */
  alarmActions: unknown[];
  /** The count a scale-down cut short by the half rule wanted (pending.ts): the scale-down alarm fires under it. */
  pending?: number | undefined;
}

/** One alarm's PutMetricAlarm input (= its CloudFormation Properties). */
export function buildAlarm(options: AlarmOptions, direction: Direction): PutMetricAlarmInput {
  const { policy, shards, prefix } = options;
  const up = direction === 'up';
  const threshold = alarmThresholds(policy, shards, options.pending)[direction];
  const pending = !up && pendingApplies(options.pending, shards);
  const periods = up ? policy.scaleUpEvaluationPeriods : policy.scaleDownEvaluationPeriods;
  const datapoints = up ? policy.scaleUpDatapoints : policy.scaleDownDatapoints;
  const period = up ? policy.scaleUpPeriodSeconds : policy.scaleDownPeriodSeconds;
  const description =
    `kinesis-lambda-kit shard autoscaler: scale ${direction} ${policy.streamName} when per-shard utilisation ` +
    `${up ? '>=' : '<'} ${threshold} on ${datapoints} of ${periods} periods of ${period} s` +
    (!up && policy.scaleDownMaxIteratorAgeSeconds > 0
      ? `, unless consumers lag by ${policy.scaleDownMaxIteratorAgeSeconds} s or more`
      : '') +
    (pending ? ` (continuing toward the pending ${options.pending} shards)` : '') +
    `. Managed by the autoscaler: the shard count in its math is rewritten after each scaling.`;
  return {
    AlarmName: alarmName(prefix, policy.streamName, direction),
    AlarmDescription: description,
    ActionsEnabled: true,
    AlarmActions: options.alarmActions as string[],
    ComparisonOperator: up ? 'GreaterThanOrEqualToThreshold' : 'LessThanThreshold',
    Threshold: threshold,
    EvaluationPeriods: periods,
    DatapointsToAlarm: datapoints,
    // No datapoint at all means no traffic: never a reason to add shards, always one to remove them (the AWS
    // sample's `ignore` leaves an idle stream at its peak size forever).
    TreatMissingData: up ? 'notBreaching' : 'breaching',
    Metrics: alarmMetrics(policy, shards, direction, threshold),
  };
}

export function buildAlarms(options: AlarmOptions): { up: PutMetricAlarmInput; down: PutMetricAlarmInput } {
  return { up: buildAlarm(options, 'up'), down: buildAlarm(options, 'down') };
}

/**
 * The shard count an existing alarm's math assumes (DescribeAlarms' Metrics), or undefined if absent. It is the
 * last factor of the records-utilisation expression, `offered/(1000*<period>*<shards>)`.
 */
export function shardCountInAlarm(metrics: MetricDataQuery[] | undefined): number | undefined {
  const text = metrics?.find((query) => query.Id === SHARD_COUNT_SOURCE_ID)?.Expression;
  const match = text === undefined ? null : /\*(\d+)\)$/.exec(text);
  const value = match ? Number(match[1]) : Number.NaN;
  return Number.isInteger(value) && value > 0 ? value : undefined;
}
