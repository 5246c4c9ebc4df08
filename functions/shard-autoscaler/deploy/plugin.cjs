/**
 * A local Serverless Framework plugin: adds the scale-up and scale-down alarm of every stream in
 * `custom.shardAutoscaler.streams` to the packaged CloudFormation template. Serverless v3 has no loops, so a
 * stream list cannot become resources in serverless.yml itself; this keeps "add a stream" a one-line change.
 *
 * The alarms' ALARM action is the SNS trigger topic when `custom.shardAutoscaler.trigger` is `sns` (a
 * CloudFormation condition, ShardAutoscalerSnsTrigger); with `eventbridge` the alarms have no action and the
 * EventBridge rule matches their state changes instead.
 *
 * When a stream lists `consumerFunctions`, it also adds to ShardAutoscalerRole (serverless.yml) the statement
 * allowing lambda:PutFunctionConcurrency on exactly those functions; without consumers there is no statement.
 */
const { alarmResources, consumerConcurrencyStatement } = require('./resources.cjs');

const ROLE = 'ShardAutoscalerRole';
const ROLE_POLICY = 'shard-autoscaler';

class ShardAutoscalerAlarms {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // After the functions and their events are compiled, before serverless.yml's own `resources` are merged.
      'package:compileEvents': () => this.addAlarms(),
      // The role is one of serverless.yml's own resources: present once they are merged, before the template is saved.
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.addConsumerConcurrencyStatement(),
    };
  }

  addConsumerConcurrencyStatement() {
    const settings = this.serverless.service.custom?.shardAutoscaler;
    if (!settings) return;
    const statement = consumerConcurrencyStatement(settings);
    if (!statement) return;
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const policy = template.Resources[ROLE]?.Properties?.Policies?.find((p) => p.PolicyName === ROLE_POLICY);
    if (!policy) throw new Error(`shard-autoscaler: ${ROLE} with the inline policy ${ROLE_POLICY} not found`);
    policy.PolicyDocument.Statement.push(statement);
    this.serverless.cli?.log?.(
      `shard-autoscaler: lambda:PutFunctionConcurrency on ${statement.Resource.length} consumer function(s)`,
    );
  }

  addAlarms() {
    const settings = this.serverless.service.custom?.shardAutoscaler;
    if (!settings) return;
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const actions = {
      'Fn::If': [
        'ShardAutoscalerSnsTrigger',
        [{ Ref: 'ShardAutoscalerAlarmTopic' }],
        { Ref: 'AWS::NoValue' },
      ],
    };
    const alarms = alarmResources(settings, actions);
    Object.assign(template.Resources, alarms);
    this.serverless.cli?.log?.(
      `shard-autoscaler: ${Object.keys(alarms).length} alarms for ${Object.keys(alarms).length / 2} stream(s)`,
    );
  }
}

module.exports = ShardAutoscalerAlarms;
