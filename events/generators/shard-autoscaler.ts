/**
 * Sample events for the shard autoscaler, for serverless.yml's default stream and alarm prefix (stage dev): the
 * scale-up alarm's notification as SNS delivers it, and the scale-down alarm's state change as EventBridge
 * delivers it. The alarm metrics in them come from alarms.ts, so they match what the stack creates.
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { buildAlarm } from '../../functions/shard-autoscaler/alarms';
import { resolvePolicy } from '../../functions/shard-autoscaler/policy';

const ACCOUNT = '123456789012';
const PREFIX = 'kinesis-lambda-kit-dev-autoscale-';
const STREAM = 'kinesis-lambda-kit-dev-autoscaled';
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:kinesis-lambda-kit-dev-autoscale-alarms`;
const SUBSCRIPTION = `${TOPIC}:5f3a2c1e-8b7d-4e9a-a6f0-2d1c9b8e7a65`;
const alarmArn = (name: string) => `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${name}`;

/** SNS alarm notifications write dimensions as {value, name}. */
const notificationMetrics = (metrics: MetricDataQuery[] = []) =>
  metrics.map((metric) =>
    metric.MetricStat
      ? {
          Id: metric.Id,
          Label: metric.Label,
          MetricStat: {
            Metric: {
              Dimensions: (metric.MetricStat.Metric?.Dimensions ?? []).map((d) => ({
                value: d.Value,
                name: d.Name,
              })),
              MetricName: metric.MetricStat.Metric?.MetricName,
              Namespace: metric.MetricStat.Metric?.Namespace,
            },
            Period: metric.MetricStat.Period,
            Stat: metric.MetricStat.Stat,
          },
          ReturnData: false,
        }
      : { Expression: metric.Expression, Id: metric.Id, Label: metric.Label, ReturnData: metric.ReturnData },
  );

export function shardAutoscalerEvents(): Record<string, unknown> {
  const policy = resolvePolicy({ streamName: STREAM, maxShards: 16 });
  const up = buildAlarm({ policy, shards: 2, prefix: PREFIX, alarmActions: [TOPIC] }, 'up');
  const down = buildAlarm({ policy, shards: 2, prefix: PREFIX, alarmActions: [] }, 'down');
  const message = {
    AlarmName: up.AlarmName,
    AlarmDescription: up.AlarmDescription,
    AWSAccountId: ACCOUNT,
    AlarmConfigurationUpdatedTimestamp: '2026-01-22T09:12:03.201+0000',
    NewStateValue: 'ALARM',
    NewStateReason:
      'Threshold Crossed: 2 out of the last 2 datapoints [0.8412 (22/01/26 13:38:00), 0.8197 (22/01/26 13:37:00)] were greater than or equal to the threshold (0.75) (minimum 2 datapoints for OK -> ALARM transition).',
    StateChangeTime: '2026-01-22T13:40:00.123+0000',
    Region: 'US East (N. Virginia)',
    AlarmArn: alarmArn(up.AlarmName!),
    OldStateValue: 'OK',
    OKActions: [],
    AlarmActions: [TOPIC],
    InsufficientDataActions: [],
    Trigger: {
      Period: 60,
      EvaluationPeriods: up.EvaluationPeriods,
      DatapointsToAlarm: up.DatapointsToAlarm,
      ComparisonOperator: up.ComparisonOperator,
      Threshold: up.Threshold,
      TreatMissingData: up.TreatMissingData,
      EvaluateLowSampleCountPercentile: '',
      Metrics: notificationMetrics(up.Metrics),
    },
  };
  const sns = {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: SUBSCRIPTION,
        Sns: {
          Type: 'Notification',
          MessageId: '3c9e1f0a-6b2d-5c8e-9f7a-1b4d2e6c8a90',
          TopicArn: TOPIC,
          Subject: `ALARM: "${up.AlarmName}" in US East (N. Virginia)`.slice(0, 100),
          Message: JSON.stringify(message),
          Timestamp: '2026-01-22T13:40:00.421Z',
          SignatureVersion: '1',
          Signature:
            'EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=',
          SigningCertUrl:
            'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
          UnsubscribeUrl: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${SUBSCRIPTION}`,
          MessageAttributes: {},
        },
      },
    ],
  };
  const eventbridge = {
    version: '0',
    id: '7f1c3e5a-2b4d-6f8e-0a1c-3e5a7b9d1f2c',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: ACCOUNT,
    time: '2026-01-22T19:05:00Z',
    region: 'us-east-1',
    resources: [alarmArn(down.AlarmName!)],
    detail: {
      alarmName: down.AlarmName,
      state: {
        value: 'ALARM',
        reason:
          'Threshold Crossed: 12 out of the last 12 datapoints were less than the threshold (0.25). The most recent datapoints which crossed the threshold: [0.0912 (22/01/26 19:00:00), 0.0874 (22/01/26 18:55:00)] (minimum 12 datapoints for OK -> ALARM transition).',
        reasonData:
          '{"version":"1.0","queryDate":"2026-01-22T19:05:00.311+0000","startDate":"2026-01-22T18:00:00.000+0000","period":300,"recentDatapoints":[0.0874,0.0912],"threshold":0.25,"evaluatedDatapoints":[{"timestamp":"2026-01-22T19:00:00.000+0000","sampleCount":5.0,"value":0.0912}]}',
        timestamp: '2026-01-22T19:05:00.318+0000',
      },
      previousState: {
        value: 'OK',
        reason: 'Threshold Crossed: 1 out of the last 12 datapoints was not less than the threshold (0.25).',
        timestamp: '2026-01-22T13:46:00.102+0000',
      },
      configuration: {
        description: down.AlarmDescription,
        metrics: (down.Metrics ?? []).map((m) =>
          m.MetricStat
            ? {
                id: m.Id,
                metricStat: {
                  metric: {
                    namespace: m.MetricStat.Metric?.Namespace,
                    name: m.MetricStat.Metric?.MetricName,
                    dimensions: { StreamName: STREAM },
                  },
                  period: m.MetricStat.Period,
                  stat: m.MetricStat.Stat,
                },
                returnData: false,
              }
            : { id: m.Id, expression: m.Expression, label: m.Label, returnData: m.ReturnData },
        ),
      },
    },
  };
  return { 'shard-autoscaler': sns, 'shard-autoscaler-eventbridge': eventbridge };
}
