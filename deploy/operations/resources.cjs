/**
 * deploy/operations/description.cjs -> CloudFormation: the operations topic (encrypted with a key CloudWatch may
 * use, optional e-mail subscription), one alarm per (function, alarm entry[, stream]), the stage's dashboard,
 * and an output per on-failure queue URL (what `npm run replay -- <function> --queue-url` takes). Pure: the plugin
 * passes in serverless.yml's functions and settings; unit-tested in test/unit/operations.test.ts.
 */
const { ALARMS, DASHBOARD, KIT } = require('./description.cjs');

const TOPIC = 'OperationsTopic';
const KEY = 'OperationsTopicKey';
const ALARMS_ON = 'OperationsAlarmsEnabled';
const EMAIL = 'OperationsEmail';

const pascal = (name) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');

/** The logical id of the queue in `{ 'Fn::GetAtt': [Queue, 'Arn'] }` (or `!GetAtt Queue.Arn`), if it is one. */
function queueOf(arn) {
  const getAtt = arn?.['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** A stream ARN (string or intrinsic) -> its name (the part after "stream/"). */
function streamNameOf(arn) {
  if (typeof arn === 'string') return arn.split('/').pop();
  return { 'Fn::Select': [1, { 'Fn::Split': ['/', arn] }] };
}

/**
 * Every function of serverless.yml as an operations subject: { name, kind, service, functionNameRef, deployedName,
 * timeoutSeconds, failureQueue?, streamName?, streams? }. A function of no known kind is an error.
 */
function subjects({ functions, provider, service, stage, lambdaLogicalId, autoscalerStreams }) {
  return Object.entries(functions).map(([name, fn]) => {
    const base = {
      name,
      service: fn.environment?.POWERTOOLS_SERVICE_NAME ?? name,
      functionNameRef: { Ref: lambdaLogicalId(name) },
      deployedName: fn.name ?? `${service}-${stage}-${name}`,
      stack: `${service}-${stage}`,
      timeoutSeconds: Number(fn.timeout ?? provider.timeout ?? 6),
    };
    const stream = (fn.events ?? []).map((event) => event.stream).find((s) => s && s.type === 'kinesis');
    if (stream) {
      const failureQueue = queueOf(stream.destinations?.onFailure?.arn);
      if (!failureQueue) {
        throw new Error(
          `operations: ${name} reads a stream without an SQS on-failure destination (!GetAtt <Queue>.Arn)`,
        );
      }
      const streamName = streamNameOf(stream.arn);
      const streamLabel = typeof streamName === 'string' ? streamName : '';
      return { ...base, kind: 'consumer', failureQueue, streamName, streamLabel };
    }
    if (String(fn.handler).startsWith('functions/shard-autoscaler/')) {
      const failureQueue = queueOf(fn.destinations?.onFailure?.arn);
      if (!failureQueue) throw new Error(`operations: ${name} has no SQS on-failure destination`);
      return { ...base, kind: 'autoscaler', failureQueue, streams: autoscalerStreams };
    }
    if (name.startsWith('firehose-')) return { ...base, kind: 'firehose' };
    throw new Error(
      `operations: ${name} is neither a Kinesis consumer (stream event with an on-failure queue), a Firehose ` +
        `blueprint (firehose-*) nor the shard autoscaler: add its alarms to deploy/operations/description.cjs`,
    );
  });
}

const dimensionList = (dimensions) => Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }));

function alarmResource(fn, entry, settings, names, stream) {
  const metric = stream === undefined ? entry.metric(fn) : entry.metric(fn, stream);
  const suffix = stream === undefined ? entry.id : `${entry.id}-${stream}`;
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Condition: ALARMS_ON,
    Properties: {
      AlarmName: `${names.prefix}${fn.name}-${suffix}`,
      AlarmDescription: entry.description(fn, settings, stream).slice(0, 1024),
      Namespace: metric.namespace === KIT ? settings.namespace : metric.namespace,
      MetricName: metric.name,
      Dimensions: dimensionList(metric.dimensions),
      Statistic: metric.statistic,
      Period: entry.period ?? 300,
      EvaluationPeriods: entry.evaluationPeriods ?? 1,
      DatapointsToAlarm: entry.datapointsToAlarm ?? 1,
      Threshold: entry.threshold(fn, settings),
      ComparisonOperator: entry.comparison ?? 'GreaterThanThreshold',
      // No data = nothing happened (no invocation, no failure): not a reason to page.
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: TOPIC }],
      OKActions: [{ Ref: TOPIC }],
    },
  };
}

function topicResources(names, email) {
  return {
    // CloudWatch cannot publish to a topic encrypted with the AWS-managed key (alias/aws/sns): a key of the
    // stack's own lets CloudWatch, for this stack's operations alarms only, encrypt messages.
    [KEY]: {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: `${names.stack} operations alarm topic`,
        EnableKeyRotation: true,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AccountAdministersTheKey',
              Effect: 'Allow',
              Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
              Action: [
                'kms:Create*',
                'kms:Describe*',
                'kms:Enable*',
                'kms:List*',
                'kms:Put*',
                'kms:Update*',
                'kms:Revoke*',
                'kms:Disable*',
                'kms:Get*',
                'kms:Delete*',
                'kms:TagResource',
                'kms:UntagResource',
                'kms:ScheduleKeyDeletion',
                'kms:CancelKeyDeletion',
                'kms:RotateKeyOnDemand',
                'kms:Encrypt',
                'kms:Decrypt',
                'kms:ReEncrypt*',
                'kms:GenerateDataKey*',
              ],
              // In a key policy, Resource "*" is the key itself (the only value a key policy accepts).
              Resource: '*',
            },
            {
              Sid: 'CloudWatchAlarmsPublish',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: { 'aws:SourceArn': alarmArnPattern(names) },
              },
            },
          ],
        },
      },
    },
    [TOPIC]: {
      Type: 'AWS::SNS::Topic',
      Properties: { DisplayName: `${names.stack} operations`, KmsMasterKeyId: { Ref: KEY } },
    },
    [`${TOPIC}Policy`]: {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [{ Ref: TOPIC }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'OnlyThisStacksOperationsAlarms',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: TOPIC },
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: { 'aws:SourceArn': alarmArnPattern(names) },
              },
            },
          ],
        },
      },
    },
    [`${TOPIC}Email`]: {
      Type: 'AWS::SNS::Subscription',
      Condition: EMAIL,
      Properties: { TopicArn: { Ref: TOPIC }, Protocol: 'email', Endpoint: email },
    },
  };
}

function alarmArnPattern(names) {
  return {
    'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${names.prefix}*`,
  };
}

/** The dashboard body as Fn::Sub: intrinsic values (function names, queue names) become ${OpsN} variables. */
function dashboardResource(list, settings, names) {
  const variables = {};
  const value = (v) => {
    if (typeof v === 'string') return v;
    const key = `Ops${Object.keys(variables).length}`;
    variables[key] = v;
    return `\${${key}}`;
  };
  const widgets = [];
  let y = 0;
  for (const fn of list) {
    const row = DASHBOARD[fn.kind];
    const width = Math.floor(24 / row.length);
    row.forEach((widget, i) => {
      const metrics = widget
        .metrics(fn)
        .map((m) => [
          m.namespace === KIT ? settings.namespace : m.namespace,
          m.name,
          ...Object.entries(m.dimensions).flatMap(([k, v]) => [k, value(v)]),
          { stat: m.statistic },
        ]);
      widgets.push({
        type: 'metric',
        x: i * width,
        y,
        width,
        height: 6,
        properties: {
          title: widget.title(fn),
          region: '${AWS::Region}',
          view: 'timeSeries',
          stacked: false,
          period: 300,
          metrics,
        },
      });
    });
    y += 6;
  }
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      DashboardName: names.stack,
      DashboardBody: { 'Fn::Sub': [JSON.stringify({ widgets }), variables] },
    },
  };
}

/**
 * Everything the plugin adds: { resources, conditions, outputs }.
 * settings: { alarms ('true'|'false'), email, iteratorAgeThresholdMs, durationPercent, namespace }.
 */
function operationsResources(input, rawSettings) {
  const settings = {
    namespace: rawSettings.namespace || 'KinesisLambdaKit',
    iteratorAgeThresholdMs: positive(rawSettings.iteratorAgeThresholdMs ?? 60000, 'iteratorAgeThresholdMs'),
    durationPercent: positive(rawSettings.durationPercent ?? 80, 'durationPercent'),
  };
  if (settings.durationPercent > 100) throw new Error('operations: durationPercent must be at most 100');
  const alarmsOn = String(rawSettings.alarms ?? 'true');
  if (alarmsOn !== 'true' && alarmsOn !== 'false') {
    throw new Error(`operations: alarms must be true or false, not "${alarmsOn}"`);
  }
  const names = { stack: `${input.service}-${input.stage}`, prefix: `${input.service}-${input.stage}-ops-` };
  const list = subjects(input);
  const resources = topicResources(names, rawSettings.email ?? '');
  const outputs = {};
  for (const fn of list) {
    for (const entry of ALARMS[fn.kind]) {
      const streams = entry.perStream ? fn.streams : [undefined];
      for (const stream of streams) {
        const id = `Ops${pascal(fn.name)}${pascal(entry.id)}${stream === undefined ? '' : pascal(stream)}Alarm`;
        resources[id] = alarmResource(fn, entry, settings, names, stream);
      }
    }
    if (fn.failureQueue) {
      outputs[`${fn.failureQueue}Url`] = {
        Description: `${fn.name}: on-failure queue (npm run replay -- ${fn.name} --queue-url <this>)`,
        Value: { Ref: fn.failureQueue },
      };
    }
  }
  resources.OperationsDashboard = dashboardResource(list, settings, names);
  const conditions = {
    [ALARMS_ON]: { 'Fn::Equals': [alarmsOn, 'true'] },
    [EMAIL]: { 'Fn::Not': [{ 'Fn::Equals': [rawSettings.email ?? '', ''] }] },
  };
  return { resources, conditions, outputs, subjects: list };
}

function positive(value, name) {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`operations: ${name} must be a positive number, not "${value}"`);
  return n;
}

module.exports = { operationsResources, subjects, TOPIC };
