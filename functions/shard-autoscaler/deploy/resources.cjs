/**
 * serverless.yml's view of the shard autoscaler, computed from `custom.shardAutoscaler` with the function's own
 * TypeScript (policy.ts validates, alarms.ts builds the alarms), loaded through tsx: there is one definition of
 * the alarm math, and a bad policy fails `serverless package` with the same message the function would log.
 *
 * Used by deploy/variables.cjs (environment and IAM values) and deploy/plugin.cjs (the alarm resources).
 */
const { createHash } = require('node:crypto');
const { require: tsxRequire } = require('tsx/cjs/api');

const { checkPolicySet, resolvePolicy } = tsxRequire('../policy.ts', __filename);
const { buildAlarms } = tsxRequire('../alarms.ts', __filename);

/** The validated policies of `custom.shardAutoscaler` ({ defaults, streams }). */
function policies(settings) {
  const defaults = settings.defaults || {};
  const streams = settings.streams || [];
  if (!Array.isArray(streams)) throw new Error('custom.shardAutoscaler.streams must be a list');
  const resolved = streams.map((entry) =>
    resolvePolicy(typeof entry === 'string' ? { streamName: entry } : entry, defaults),
  );
  checkPolicySet(resolved);
  return resolved;
}

/** AUTOSCALED_STREAMS: the stream entries as configured (the function applies SCALING_DEFAULTS itself). */
function streamsEnvironment(settings) {
  policies(settings);
  return JSON.stringify(
    (settings.streams || []).map((entry) => (typeof entry === 'string' ? { streamName: entry } : entry)),
  );
}

function streamArns(settings) {
  return policies(settings).map((policy) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:kinesis:\${AWS::Region}:\${AWS::AccountId}:stream/${policy.streamName}`,
  }));
}

/**
 * The consumer functions of every stream (policy.consumerFunctions) as IAM resources: a name becomes the function's
 * ARN in the stack's partition, region and account; an ARN is used as given. Empty when no stream has consumers.
 */
function consumerFunctionArns(settings) {
  const arns = policies(settings).flatMap((policy) =>
    policy.consumerFunctions.map((entry) =>
      entry.startsWith('arn:')
        ? entry
        : { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${entry}` },
    ),
  );
  return [...new Map(arns.map((arn) => [JSON.stringify(arn), arn])).values()];
}

/** The role statement for PutFunctionConcurrency on exactly the consumer functions; undefined without any. */
function consumerConcurrencyStatement(settings) {
  const arns = consumerFunctionArns(settings);
  if (arns.length === 0) return undefined;
  return { Effect: 'Allow', Action: 'lambda:PutFunctionConcurrency', Resource: arns };
}

/** A CloudFormation logical id per stream: its name in PascalCase plus a short hash (names may differ only in -_.). */
function logicalId(streamName) {
  const pascal = streamName
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('')
    .slice(0, 120);
  return `${pascal}${createHash('sha256').update(streamName).digest('hex').slice(0, 6)}`;
}

/**
 * Two AWS::CloudWatch::Alarm resources per stream, their Properties exactly the PutMetricAlarm input the
 * function writes after scaling, with `initialShardCount` as the shard count and the alarm actions given.
 */
function alarmResources(settings, alarmActions) {
  const resources = {};
  for (const policy of policies(settings)) {
    const alarms = buildAlarms({
      policy,
      shards: policy.initialShardCount,
      prefix: settings.alarmNamePrefix,
      alarmActions: [],
    });
    for (const [direction, properties] of Object.entries(alarms)) {
      const id = `ShardAutoscaler${logicalId(policy.streamName)}Scale${direction === 'up' ? 'Up' : 'Down'}Alarm`;
      resources[id] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: { ...properties, AlarmActions: alarmActions },
      };
    }
  }
  return resources;
}

module.exports = {
  policies,
  streamsEnvironment,
  streamArns,
  consumerFunctionArns,
  consumerConcurrencyStatement,
  alarmResources,
  logicalId,
};
