/**
 * The packaged CloudFormation for the shard autoscaler: the alarms the stack creates are exactly what the function
 * writes after scaling (one definition, alarms.ts), the trigger paths, and the function's least privilege.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAlarm, type Direction } from '../../../functions/shard-autoscaler/alarms';
import { parseStreamList } from '../../../functions/shard-autoscaler/policy';
import type { Template } from '../../support/cfn-policy';
import { runServerless } from '../../support/serverless-cli';

type Json = Record<string, unknown>;
let template: Template;
let environment: Record<string, unknown>;

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'klk-autoscaler-package-'));
  const result = await runServerless(['package', '--package', out]);
  expect(result.code, result.stderr + result.stdout).toBe(0);
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  const fn = template.Resources.ShardDashautoscalerLambdaFunction!;
  environment = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
}, 120_000);

const resourcesOf = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

describe('shard-autoscaler in the packaged template', () => {
  it('creates, per configured stream, the alarms the function would write (same metric math)', () => {
    const prefix = String(environment.ALARM_NAME_PREFIX);
    const policies = parseStreamList(
      String(environment.AUTOSCALED_STREAMS),
      JSON.parse(String(environment.SCALING_DEFAULTS)),
    );
    expect(policies.length).toBeGreaterThan(0);
    const alarms = resourcesOf('AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties as Json)
      .filter((p) => String(p.AlarmName).startsWith(prefix));
    expect(alarms).toHaveLength(2 * policies.length);
    for (const policy of policies) {
      for (const direction of ['up', 'down'] as Direction[]) {
        const expected = buildAlarm(
          { policy, shards: policy.initialShardCount, prefix, alarmActions: [] },
          direction,
        );
        const actual = alarms.find((p) => p.AlarmName === expected.AlarmName);
        const { AlarmActions: _actual, ...rest } = actual ?? {};
        const { AlarmActions: _expected, ...wanted } = expected;
        expect(rest).toEqual(JSON.parse(JSON.stringify(wanted)));
        // SNS path: the alarm topic; EventBridge path: no action. The function writes the same (ALARM_ACTIONS).
        expect(actual?.AlarmActions).toEqual({
          'Fn::If': [
            'ShardAutoscalerSnsTrigger',
            [{ Ref: 'ShardAutoscalerAlarmTopic' }],
            { Ref: 'AWS::NoValue' },
          ],
        });
      }
    }
    expect(environment.ALARM_ACTIONS).toEqual({
      'Fn::If': ['ShardAutoscalerSnsTrigger', { Ref: 'ShardAutoscalerAlarmTopic' }, ''],
    });
  });

  it('runs one invocation at a time, acting for real by default', () => {
    const fn = template.Resources.ShardDashautoscalerLambdaFunction!.Properties!;
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    expect(environment.DRY_RUN).toBe('false');
    expect(environment.NOTIFICATION_TOPIC_ARN).toEqual({ Ref: 'ShardAutoscalerNotificationTopic' });
  });

  it('wires exactly one trigger path: SNS by default, EventBridge with the parameter', () => {
    const conditions = (
      template as unknown as { Conditions: Record<string, { 'Fn::Equals': [string, string] }> }
    ).Conditions;
    expect(conditions.ShardAutoscalerSnsTrigger).toEqual({ 'Fn::Equals': ['sns', 'sns'] });
    expect(conditions.ShardAutoscalerEventBridgeTrigger).toEqual({ 'Fn::Equals': ['sns', 'eventbridge'] });
    const sns = [
      'ShardAutoscalerAlarmTopic',
      'ShardAutoscalerAlarmKey',
      'ShardAutoscalerAlarmTopicPolicy',
      'ShardAutoscalerAlarmSubscription',
      'ShardAutoscalerAlarmTopicInvoke',
    ];
    for (const name of sns) expect(template.Resources[name]?.Condition).toBe('ShardAutoscalerSnsTrigger');
    for (const name of ['ShardAutoscalerAlarmRule', 'ShardAutoscalerAlarmRuleInvoke']) {
      expect(template.Resources[name]?.Condition).toBe('ShardAutoscalerEventBridgeTrigger');
    }
    expect(template.Resources.ShardAutoscalerAlarmRule!.Properties!.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: [{ prefix: environment.ALARM_NAME_PREFIX }], state: { value: ['ALARM'] } },
    });
  });

  it("encrypts both topics; CloudWatch may use the alarm topic key only for this stack's alarms", () => {
    expect(template.Resources.ShardAutoscalerNotificationTopic!.Properties!.KmsMasterKeyId).toBe(
      'alias/aws/sns',
    );
    expect(template.Resources.ShardAutoscalerAlarmTopic!.Properties!.KmsMasterKeyId).toEqual({
      Ref: 'ShardAutoscalerAlarmKey',
    });
    const key = template.Resources.ShardAutoscalerAlarmKey!.Properties!;
    expect(key.EnableKeyRotation).toBe(true);
    const statements = (key.KeyPolicy as { Statement: Json[] }).Statement;
    const cloudwatch = statements.find((s) =>
      JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'),
    );
    expect(cloudwatch?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(JSON.stringify(cloudwatch?.Condition)).toContain(`alarm:${environment.ALARM_NAME_PREFIX}*`);
    for (const statement of statements) {
      for (const action of [statement.Action].flat()) expect(action).not.toMatch(/^(\*|kms:\*)$/);
    }
  });

  it('scopes the role to the configured streams, the autoscaler alarms and the notification topic', () => {
    const role = template.Resources.ShardAutoscalerRole!.Properties!;
    const statements = (role.Policies as Array<{ PolicyDocument: { Statement: Json[] } }>)[0]!.PolicyDocument
      .Statement;
    const find = (action: string) => statements.find((s) => [s.Action].flat().includes(action));
    const streams = parseStreamList(String(environment.AUTOSCALED_STREAMS)).map((p) => p.streamName);
    expect(JSON.stringify(find('kinesis:UpdateShardCount')?.Resource)).toBe(
      JSON.stringify(
        streams.map((name) => ({
          'Fn::Sub': `arn:\${AWS::Partition}:kinesis:\${AWS::Region}:\${AWS::AccountId}:stream/${name}`,
        })),
      ),
    );
    for (const action of [
      'kinesis:DescribeStreamSummary',
      'kinesis:ListTagsForStream',
      'kinesis:AddTagsToStream',
    ]) {
      expect(find(action)).toBe(find('kinesis:UpdateShardCount'));
    }
    const alarms = find('cloudwatch:SetAlarmState');
    expect([alarms?.Action].flat().sort()).toEqual(['cloudwatch:DescribeAlarms', 'cloudwatch:SetAlarmState']);
    expect(JSON.stringify(alarms?.Resource)).toContain(`:alarm:${environment.ALARM_NAME_PREFIX}*`);
    // The alarms it writes may act on the stack's alarm topic only (SNS trigger), or on nothing (EventBridge).
    const put = find('cloudwatch:PutMetricAlarm');
    expect(put?.Action).toBe('cloudwatch:PutMetricAlarm');
    expect(put?.Resource).toEqual(alarms?.Resource);
    expect(put?.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'cloudwatch:AlarmActions': {
          'Fn::If': ['ShardAutoscalerSnsTrigger', [{ Ref: 'ShardAutoscalerAlarmTopic' }], ['none']],
        },
      },
    });
    // ...which are exactly what its ALARM_ACTIONS holds on each path.
    expect(environment.ALARM_ACTIONS).toEqual({
      'Fn::If': ['ShardAutoscalerSnsTrigger', { Ref: 'ShardAutoscalerAlarmTopic' }, ''],
    });
    expect(find('cloudwatch:GetMetricData')?.Resource).toBe('*');
    expect(find('sns:Publish')?.Resource).toEqual({ Ref: 'ShardAutoscalerNotificationTopic' });
    const stars = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat());
    expect(stars).toEqual(['cloudwatch:GetMetricData']);
    // No stream in serverless.yml lists consumerFunctions: no Lambda permission at all (deploy/plugin.cjs adds
    // lambda:PutFunctionConcurrency on exactly the listed functions when one does).
    expect(JSON.stringify(statements)).not.toContain('lambda:');
    expect(find('sqs:SendMessage')?.Resource).toEqual({
      'Fn::GetAtt': ['ShardAutoscalerFailureQueue', 'Arn'],
    });
  });

  it('re-arms budget holds through one-time schedules in its own group, run by a role that can only re-arm its alarms', () => {
    const role = template.Resources.ShardAutoscalerRole!.Properties!;
    const statements = (role.Policies as Array<{ PolicyDocument: { Statement: Json[] } }>)[0]!.PolicyDocument
      .Statement;
    const find = (action: string) => statements.find((s) => [s.Action].flat().includes(action));
    const group = template.Resources.ShardAutoscalerRearmSchedules!;
    expect(group.Type).toBe('AWS::Scheduler::ScheduleGroup');
    const groupName = String(group.Properties!.Name);
    expect(environment.REARM_SCHEDULE_GROUP).toBe(groupName);
    expect(environment.REARM_SCHEDULE_ROLE_ARN).toEqual({
      'Fn::GetAtt': ['ShardAutoscalerRearmRole', 'Arn'],
    });
    expect(JSON.stringify(find('scheduler:CreateSchedule')?.Resource)).toContain(
      `:schedule/${groupName}/rearm-*`,
    );
    const pass = find('iam:PassRole');
    expect(pass?.Resource).toEqual({ 'Fn::GetAtt': ['ShardAutoscalerRearmRole', 'Arn'] });
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });

    const rearm = template.Resources.ShardAutoscalerRearmRole!.Properties!;
    const trust = (rearm.AssumeRolePolicyDocument as { Statement: Json[] }).Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]!.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    const allowed = (rearm.Policies as Array<{ PolicyDocument: { Statement: Json[] } }>).flatMap(
      (policy) => policy.PolicyDocument.Statement,
    );
    expect(allowed.map((s) => s.Action)).toEqual(['cloudwatch:SetAlarmState']);
    expect(JSON.stringify(allowed[0]!.Resource)).toContain(`:alarm:${environment.ALARM_NAME_PREFIX}*`);
  });

  it('keeps what SNS or EventBridge fail to deliver, and invocations that fail or grow too old, in an encrypted queue', () => {
    const configs = resourcesOf('AWS::Lambda::EventInvokeConfig').filter(
      ([, r]) =>
        JSON.stringify(r.Properties!.FunctionName) ===
        JSON.stringify({ Ref: 'ShardDashautoscalerLambdaFunction' }),
    );
    expect(configs).toHaveLength(1);
    const [, config] = configs[0]!;
    // Unconditional: both trigger paths invoke it asynchronously.
    expect(config.Condition).toBeUndefined();
    expect(config.Properties!.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': ['ShardAutoscalerFailureQueue', 'Arn'] } },
    });
    expect(template.Resources.ShardAutoscalerFailureQueue?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
    });
    // What SNS or EventBridge could not hand to Lambda at all goes there too, sent by this stack's topic or rule only.
    const queue = { 'Fn::GetAtt': ['ShardAutoscalerFailureQueue', 'Arn'] };
    expect(template.Resources.ShardAutoscalerAlarmSubscription!.Properties!.RedrivePolicy).toEqual({
      deadLetterTargetArn: queue,
    });
    const targets = template.Resources.ShardAutoscalerAlarmRule!.Properties!.Targets as Json[];
    expect(targets.map((target) => target.DeadLetterConfig)).toEqual([{ Arn: queue }]);
    const policy = template.Resources.ShardAutoscalerFailureQueuePolicy!.Properties!;
    expect(policy.Queues).toEqual([{ Ref: 'ShardAutoscalerFailureQueue' }]);
    const [statement] = (policy.PolicyDocument as { Statement: Array<{ 'Fn::If': [string, Json, Json] }> })
      .Statement;
    const [condition, sns, events] = statement!['Fn::If'];
    expect(condition).toBe('ShardAutoscalerSnsTrigger');
    expect(sns).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queue,
      Condition: { ArnEquals: { 'aws:SourceArn': { Ref: 'ShardAutoscalerAlarmTopic' } } },
    });
    expect(events).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queue,
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['ShardAutoscalerAlarmRule', 'Arn'] } } },
    });
  });
});
